"""The front ends: the command line, the language server, the Python API and watch mode.

They read options, hand paths or buffers to `scorelint.run` and print what `scorelint.reports` renders. They may import every package below them; nothing imports them (but `scorelint/__init__.py` and `__main__.py`).
"""
