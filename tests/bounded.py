"""Running a command that an attack may make hang: it ends within a limit or the test fails."""
from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

LIMIT = 60  # seconds; generous, since a regression hangs for good rather than running slow


def bounded(command: list[str], cwd: Path, limit: float = LIMIT) -> subprocess.CompletedProcess[str]:
    """Run to the end within `limit`, or fail, killing the whole process group (a git
    blocked on a FIFO outlives a killed parent)."""
    with subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, errors="replace", start_new_session=True) as process:
        try:
            out, err = process.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"{command} did not finish within {limit} s")
    return subprocess.CompletedProcess(command, process.returncode, out, err)
