"""`scorelint check --watch`: check, then check again whenever a watched file changes.

Built on `watchfiles` (Rust's `notify`: inotify, FSEvents, ReadDirectoryChangesW),
imported only in watch mode. A change to a Python file, a notebook, a
`pyproject.toml` or the `--config` file starts a new run; editors' swap files,
`.git` and caches do not. Changes that arrive together (a save that writes
several files, a branch switch) make one run, not many.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence

from scorelint.run.discovery import CHECKED_SUFFIXES

# How long a burst of changes may last before the run starts (milliseconds).
DEBOUNCE_MS = 300
# How often the watcher wakes to check for Ctrl-C and to announce it is ready.
STEP_MS = 100


class WatchError(Exception):
    """A path that cannot be watched; the message says which."""


def _status(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(paths: Sequence[str], check: Callable[[], int], config_file: str | None = None) -> int:
    """Run `check` now and after every relevant change, until interrupted; its last exit code."""
    import watchfiles

    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise WatchError(f"cannot watch {', '.join(missing)}: no such file or directory")
    config_names = {"pyproject.toml"} | ({os.path.basename(config_file)} if config_file else set())

    class Relevant(watchfiles.DefaultFilter):
        def __call__(self, change: watchfiles.Change, path: str) -> bool:
            name = os.path.basename(path)
            return super().__call__(change, path) and (
                name.endswith(CHECKED_SUFFIXES) or name in config_names)

    watched = list(paths) + ([config_file] if config_file else [])
    _status("Starting scorelint in watch mode...")
    code = check()
    sys.stdout.flush()
    armed = False
    # `yield_on_timeout` hands back an empty set every STEP_MS: the first one means the
    # watcher is set up, so a change made after the announcement is never missed.
    for changes in watchfiles.watch(*watched, watch_filter=Relevant(), debounce=DEBOUNCE_MS,
                                    step=STEP_MS, rust_timeout=STEP_MS, yield_on_timeout=True,
                                    raise_interrupt=False):
        if not changes:
            if not armed:
                armed = True
                _status("Watching for file changes.")
            continue
        count = len({path for _, path in changes})
        _status(f"{count} file{'s' * (count != 1)} changed; checking again...")
        code = check()
        sys.stdout.flush()
        _status("Watching for file changes.")
    return code
