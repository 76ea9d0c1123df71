"""The names of the output formats, apart from the reporters: the command line needs
them for `--help` and its checks, and `scorelint --version` should import nothing more."""

FORMATS = (
    "text", "concise", "json", "json-lines", "sarif", "github", "gitlab", "rdjson", "review",
)
