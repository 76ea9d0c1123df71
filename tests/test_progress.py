"""The progress line: only on a terminal, for people, after about a second; erased at
the end."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scorelint.engine.registry import all_rules
from scorelint.frontends import progress
from scorelint.run import cache, pipeline, runner
from scorelint.run.discovery import Candidate

OPTIONS = pipeline.Options(codes=tuple(r.code for r in all_rules()) + ("SL002",))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stream, output_format, env, shown", [
    (_Terminal(), "text", {}, True),
    (_Terminal(), "concise", {}, True),
    (_Terminal(), "json", {}, False),  # a machine format never gets one
    (io.StringIO(), "text", {}, False),  # a pipe or a file
    (_Terminal(), "text", {"CI": "true"}, False),  # a CI log
    (_Terminal(), "text", {"TERM": "dumb"}, False),
])
def test_wanted_only_for_people_at_a_terminal(stream: io.StringIO, output_format: str,
                                              env: dict[str, str], shown: bool,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert progress.wanted(stream, output_format) is shown


def test_a_short_run_shows_nothing() -> None:
    out = _Terminal()
    line = progress.Progress(out, delay=60)
    line.plan(300)
    for _ in range(3):
        line.advance(100)
    line.close()
    assert out.getvalue() == ""


class _Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_long_run_shows_the_share_of_bytes_done_and_erases_the_line() -> None:
    out, clock = _Terminal(), _Clock()
    line = progress.Progress(out, delay=0, clock=clock)
    line.plan(2_000_000)
    clock.now += 1
    line.advance(500_000)
    assert "scorelint: 25% of 2.0 MB" in out.getvalue()
    line.close()
    assert out.getvalue().endswith("\r")
    assert out.getvalue().split("\r")[-2].strip() == ""  # blanked before the report


def test_the_share_counts_bytes_not_files() -> None:
    """The attack on a count of files: nine small files done of ten, the tenth holding
    nearly all the work, is not "9/10" but nearly nothing done."""
    out, clock = _Terminal(), _Clock()
    line = progress.Progress(out, delay=0, clock=clock)
    line.plan(9 * 1_000 + 991_000)
    for _ in range(9):
        clock.now += 0.2
        line.advance(1_000)
    assert out.getvalue().split("\r")[-1].startswith("scorelint: 0% of 1.0 MB")


@pytest.mark.parametrize("done, seconds, said", [
    (250_000, 10.0, "about 30 s left"),  # the bytes left at the rate so far
    (100_000, 40.0, "about 6 min left"),
    (999_000, 10.0, "under a second left"),
])
def test_the_time_left_is_the_bytes_left_at_the_rate_so_far(done: int, seconds: float,
                                                            said: str) -> None:
    clock = _Clock()
    line = progress.Progress(_Terminal(), delay=0, clock=clock)
    line.plan(1_000_000)
    clock.now += seconds
    line.advance(done)
    assert line.line(clock.now).endswith(f", {said}")


def test_work_planned_later_grows_the_total_and_never_shows_more_than_done() -> None:
    clock = _Clock()
    line = progress.Progress(_Terminal(), delay=0, clock=clock)
    line.plan(1_000)
    clock.now += 1
    line.advance(1_000)
    assert line.line(clock.now) == "scorelint: 100% of 1.0 kB, under a second left"
    line.plan(3_000)  # the fix loop of a file found fixable
    assert line.line(clock.now).startswith("scorelint: 25% of 4.0 kB, about 3 s left")


class _Recorder:
    def __init__(self) -> None:
        self.planned = 0
        self.done = 0

    def plan(self, size: int) -> None:
        self.planned += size

    def advance(self, size: int) -> None:
        self.done += size


def test_the_runner_counts_only_the_work_the_cache_leaves(tmp_path: Path) -> None:
    """A warm run with one changed file plans and finishes that file's bytes only; a fix
    run adds the file its fix loop takes."""
    files = []
    for i in range(5):
        files.append(tmp_path / f"m{i}.py")
        files[-1].write_text(f"import numpy as np\n\ndef f(p):\n    return np.log(p) * {i}\n")
    store = cache.Cache(tmp_path / "cache")
    candidates = [Candidate(str(p)) for p in files]
    cold = _Recorder()
    runner.run(candidates, OPTIONS, jobs=1, cache=store, progress=cold)
    assert cold.planned == cold.done == sum(p.stat().st_size for p in files)
    files[2].write_text("import numpy as np\n\ndef f(p):\n    return np.log(np.prod(p))\n")
    warm = _Recorder()
    runner.run(candidates, OPTIONS, jobs=1, cache=store, progress=warm)
    assert warm.planned == warm.done == files[2].stat().st_size
    fixing = _Recorder()
    runner.run(candidates, dataclasses.replace(OPTIONS, diff=True), jobs=1, cache=store,
               progress=fixing)
    assert fixing.planned == fixing.done == files[2].stat().st_size  # its fix loop only


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX")
def test_on_a_real_terminal_the_line_shows_the_work_and_is_erased(tmp_path: Path) -> None:
    """`scorelint check` with its standard error on a pseudo-terminal (the delay set to
    nothing, so a short run shows the line): the share of the bytes and the time left,
    then the line blanked before the report."""
    import pty

    for i in range(8):
        (tmp_path / f"m{i}.py").write_text(
            f"import numpy as np\n\ndef f(p):\n    return np.log(np.prod(p)) * {i}\n")
    script = ("import sys; from scorelint.frontends import cli, progress; progress.DELAY = 0; "
              "sys.exit(cli.main(['check', '--no-cache', '-j', '1', '.']))")
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TERM", "NO_COLOR")}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=follower, cwd=tmp_path, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    report = proc.stdout.read().decode() if proc.stdout else ""
    assert proc.wait(timeout=60) == 1
    seen = b"".join(chunks).decode()
    drawn = [part for part in seen.split("\r") if part.strip()]
    assert drawn and all(re.fullmatch(r"scorelint: \d+% of \d+ bytes(, .* left)? *", part)
                         for part in drawn), seen
    assert seen.endswith("\r") and seen.split("\r")[-2].strip() == ""  # erased
    assert "Found 8 errors." in report
