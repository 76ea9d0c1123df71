"""The run: from paths on the command line to one outcome per file.

Configuration, discovery (ignore files, git), reading a file or a notebook, the per-file pipeline (lint, fix until stable, diff or write), the cache and the process pool, the baseline and changed-lines filters. It may import `scorelint.reports`, `scorelint.engine.linter`, `scorelint.model` and `scorelint.base`.
"""
