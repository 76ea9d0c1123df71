"""Running git inside a repository being checked, without running the repository's commands.

git reads the checked repository's own `.git/config` and `.gitattributes`,
and some settings there name commands git runs: `core.fsmonitor` (run by
`ls-files` and `diff`), clean filters (run by `diff` on changed files),
hooks, external diff and textconv drivers. A repository unpacked from an
archive or shared folder can set them, and linting must never run code. So
every git call goes through `run`, which turns those settings off on the
command line (which overrides every config file) and never starts a pager.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence

# Settings that would make git run a command, turned off.
_OFF = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.sshCommand=false",
    "diff.external=",
    "credential.helper=",
    "protocol.allow=never",
)
_FILTER_KEYS = ("clean", "smudge", "process")


def _base() -> list[str]:
    command = ["git", "--no-pager"]
    for setting in _OFF:
        command += ["-c", setting]
    return command


def _env(extra: Mapping[str, str]) -> dict[str, str]:
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0",
            "GIT_EXTERNAL_DIFF": "", "GIT_PAGER": "cat", **extra}


def _filter_overrides(cwd: str, env: Mapping[str, str]) -> list[str]:
    """`-c` options that empty every filter driver the configuration defines (an empty
    command is no command; `required` off so git does not fail for want of one)."""
    done = subprocess.run([*_base(), "config", "-z", "--name-only", "--get-regexp", r"^filter\."],
                          cwd=cwd, capture_output=True, check=False, env=dict(env))
    names = set()
    for key in done.stdout.decode("utf-8", "surrogateescape").split("\0"):
        parts = key.split(".")
        if len(parts) >= 3 and parts[0] == "filter":
            names.add(".".join(parts[1:-1]))
    overrides = []
    for name in sorted(names):
        overrides += [arg for key in _FILTER_KEYS for arg in ("-c", f"filter.{name}.{key}=")]
        overrides += ["-c", f"filter.{name}.required=false"]
    return overrides


def run(args: Sequence[str], cwd: str, env: Mapping[str, str] | None = None,
        filters: bool = False) -> subprocess.CompletedProcess[bytes]:
    """`git ARGS` in `cwd` with the repository's command-running settings off.

    `filters`: the command may read work-tree files through clean filters
    (`diff`), so the configured ones are emptied first. Raises `OSError`
    when git is not installed.
    """
    full_env = _env(env or {})
    command = _base()
    if filters:
        command += _filter_overrides(cwd, full_env)
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, check=False,
                          env=full_env)
