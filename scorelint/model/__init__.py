"""The semantic model: what a value is and how to spell it.

The per-file context the rules read, scopes and data flow, module summaries and origins, the value layer (ranges, dtypes, roles), facts and patterns, the operation vocabulary and its spellings in each framework. It may import only `scorelint.base`.
"""
