"""The engine: one text in, its findings and fixes out.

The rule contract (`rule`) and the registry of rules (the rules themselves live in `scorelint.rules`, one layer with this package), the narrowing that decides what LibCST sees, the linter that runs every rule in one traversal, fixes and their safety, suppressions, and the tidying of fixed code. It may import `scorelint.model` and `scorelint.base`.
"""
