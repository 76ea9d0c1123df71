"""The base: what every layer shares and that knows nothing of rules.

Findings and their identity, source text (encodings, line ends), resource limits and budgets, and the documentation address. It imports nothing of scorelint's.
"""
