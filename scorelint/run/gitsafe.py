"""Running git inside a repository being checked, without running the repository's commands.

git reads the checked repository's own `.git/config` and `.gitattributes`,
and some settings there name commands git runs: `core.fsmonitor` (run by
`ls-files` and `diff`), clean filters (run by `diff` on changed files),
hooks, external diff and textconv drivers. A repository unpacked from an
archive or shared folder can set them, and linting must never run code. So
every git call goes through `run`, which turns those settings off on the
command line (which overrides every config file) and never starts a pager.

A submodule has a configuration of its own, which the superproject's
command line does not reach: git must never enter one. Every call turns
submodule recursion off, and the commands that would look inside a
submodule for changes get `--ignore-submodules=all` (the option, unlike the
`diff.ignoreSubmodules` setting, beats a `.gitmodules` `ignore = none`).

Files git reads can block it: an excludes or attributes file that is a FIFO
waits for a writer forever. The ones a setting names are checked first and
left out when they are not regular files, and every call has a time budget
(`GitTimeout` when it runs out, never a hang).
"""

from __future__ import annotations

import functools
import os
import signal
import stat
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Seconds a git command may take; git on the largest work trees answers in a few.
TIMEOUT = 30.0

# Settings that would make git run a command or enter a submodule, turned off.
_OFF = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.sshCommand=false",
    "diff.external=",
    "credential.helper=",
    "protocol.allow=never",
    "submodule.recurse=false",
    "diff.ignoreSubmodules=all",
    "diff.submodule=short",
    "status.submoduleSummary=false",
)
_FILTER_KEYS = ("clean", "smudge", "process")
# Subcommands that look into submodules for changes unless told not to.
_SUBMODULE_LOOKERS = frozenset({"diff", "diff-files", "diff-index", "status"})
# Files named by a setting that git opens (and would block on) when set; the
# value when unset is in $XDG_CONFIG_HOME/git.
_FILE_SETTINGS = {"core.excludesfile": "ignore", "core.attributesfile": "attributes"}


class GitError(Exception):
    """git could not answer (not a repository, unknown revision, git missing, no answer)."""


class GitTimeout(GitError):
    """git did not answer within `TIMEOUT` seconds; it was ended."""


@dataclass(frozen=True)
class Done:
    """A finished git command, and the files it was kept from reading (not regular files)."""

    returncode: int
    stdout: bytes
    stderr: bytes
    unread: tuple[str, ...] = ()


def _base() -> list[str]:
    command = ["git", "--no-pager"]
    for setting in (*_OFF, *(f"safe.directory={d}" for d in _system_safe_directories())):
        command += ["-c", setting]
    return command


@functools.lru_cache(maxsize=1)
def _system_safe_directories() -> tuple[str, ...]:
    """The system configuration's `safe.directory` entries (CI images set them there),
    passed on the command line: the system file itself is not read (GIT_CONFIG_NOSYSTEM)."""
    env = {k: v for k, v in _env({}).items() if k != "GIT_CONFIG_NOSYSTEM"}
    try:
        done = _call(["git", "config", "--system", "-z", "--get-all", "safe.directory"],
                     os.path.abspath(os.sep), env)
    except (OSError, GitError):
        return ()
    return tuple(d for d in os.fsdecode(done.stdout).split("\0") if d)


def _env(extra: Mapping[str, str]) -> dict[str, str]:
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0",
            "GIT_EXTERNAL_DIFF": "", "GIT_PAGER": "cat", "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_ATTR_NOSYSTEM": "1", **extra}


def _call(command: list[str], cwd: str, env: Mapping[str, str]) -> Done:
    """Run to the end within `TIMEOUT`, or end git (and anything it started) and raise."""
    with subprocess.Popen(command, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          start_new_session=True) as process:
        try:
            out, err = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # git and anything it started
            except (AttributeError, OSError):  # no process groups (Windows)
                process.kill()
            process.communicate()
            sub = next((a for a in command[1:] if not a.startswith("-") and "=" not in a), "")
            raise GitTimeout(f"git {sub} did not answer within {TIMEOUT:g} s in {cwd}") from None
    return Done(process.returncode, out, err)


def _config(cwd: str, env: Mapping[str, str]) -> list[tuple[str, str]]:
    """The (lower-case key, value) pairs of the settings `run` needs to look at."""
    done = _call([*_base(), "config", "-z", "--get-regexp",
                  r"^(filter\.|core\.excludesfile$|core\.attributesfile$)"], cwd, env)
    pairs = []
    for entry in done.stdout.decode("utf-8", "surrogateescape").split("\0"):
        key, _, value = entry.partition("\n")
        if key:
            pairs.append((key.lower(), value))
    return pairs


def _filter_overrides(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """`-c` options that empty every filter driver the configuration defines (an empty
    command is no command; `required` off so git does not fail for want of one)."""
    names = set()
    for key, _ in pairs:
        parts = key.split(".")
        if len(parts) >= 3 and parts[0] == "filter":
            names.add(".".join(parts[1:-1]))
    overrides = []
    for name in sorted(names):
        overrides += [arg for key in _FILTER_KEYS for arg in ("-c", f"filter.{name}.{key}=")]
        overrides += ["-c", f"filter.{name}.required=false"]
    return overrides


def not_regular(path: str) -> bool:
    """Does `path` exist as something other than a regular file (a FIFO, a device,
    a folder, a link to one)? git would block on or misread it."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # absent (or unreadable): git skips it itself


def _xdg(name: str, env: Mapping[str, str]) -> str:
    home = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", "~"), ".config")
    return os.path.join(os.path.expanduser(home), "git", name)


def _file_overrides(pairs: Sequence[tuple[str, str]], cwd: str,
                    env: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """`-c KEY=` for each file setting whose file git would block on, and those files."""
    configured = {key: value for key, value in pairs if key in _FILE_SETTINGS}
    overrides, unread = [], []
    for key, default in _FILE_SETTINGS.items():
        path = configured.get(key)
        path = _xdg(default, env) if path is None else os.path.expanduser(path)
        if path and not_regular(path := os.path.join(cwd, path)):
            overrides += ["-c", f"{key}="]  # an empty name is no file
            unread.append(path)
    return overrides, unread


def _subcommand(args: Sequence[str]) -> int:
    """Index of the subcommand in `args`, after any leading `-c KEY=VALUE`."""
    index = 0
    while index < len(args) and args[index] == "-c":
        index += 2
    return index


def run(args: Sequence[str], cwd: str, env: Mapping[str, str] | None = None,
        filters: bool = False) -> Done:
    """`git ARGS` in `cwd` with the repository's command-running settings off.

    `filters`: the command may read work-tree files through clean filters
    (`diff`), so the configured ones are emptied first. Raises `OSError`
    when git is not installed, `GitTimeout` when it does not answer.
    """
    full_env = _env(env or {})
    pairs = _config(cwd, full_env)
    command = _base()
    if filters:
        command += _filter_overrides(pairs)
    files, unread = _file_overrides(pairs, cwd, full_env)
    command += files
    args = list(args)
    at = _subcommand(args)
    if at < len(args) and args[at] in _SUBMODULE_LOOKERS:
        args.insert(at + 1, "--ignore-submodules=all")
    done = _call([*command, *args], cwd, full_env)
    return Done(done.returncode, done.stdout, done.stderr, tuple(unread))


def git_path(name: str, cwd: str) -> str | None:
    """Where the repository holding `cwd` keeps `name` (`info/exclude`); None outside one."""
    done = run(["rev-parse", "--git-path", name], cwd)
    if done.returncode != 0:
        return None
    path = os.fsdecode(done.stdout.rstrip(b"\n"))
    return os.path.join(cwd, path) if path else None


def standard_excludes(cwd: str) -> tuple[list[str], list[str]]:
    """The ignore options meaning `--exclude-standard`, with `info/exclude` left out when
    git would block on it (it is not a regular file); and the files left out.
    (`core.excludesFile` is checked by `run` for every command.)"""
    exclude = git_path("info/exclude", cwd)
    if exclude is None or not not_regular(exclude):
        return ["--exclude-standard"], []
    options = ["--exclude-per-directory=.gitignore"]
    full_env = _env({})
    configured = dict(_config(cwd, full_env)).get("core.excludesfile")
    path = _xdg("ignore", full_env) if configured is None else os.path.expanduser(configured)
    if path and os.path.isfile(os.path.join(cwd, path)):
        # Read before the per-folder files, as `--exclude-standard` reads it.
        options.append(f"--exclude-from={os.path.join(cwd, path)}")
    return options, [exclude]
