"""Running scorelint on a pseudo-terminal: what a person at a terminal sees (POSIX only)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence


def run_on_terminal(args: Sequence[str], cwd: str | os.PathLike[str] | None = None,
                    env: Mapping[str, str] | None = None, timeout: float = 60.0
                    ) -> tuple[int, bytes]:
    """`python -m scorelint ARGS` with its standard output on a pseudo-terminal:
    the exit code and every byte it wrote there."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "scorelint", *args], stdout=follower,
                            stderr=subprocess.DEVNULL, cwd=cwd,
                            env=dict(env) if env is not None else None)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the terminal's other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.wait(timeout=timeout), b"".join(chunks)
