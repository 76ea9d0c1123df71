"""The progress line: only on a terminal, for people, after about a second; erased at
the end."""

from __future__ import annotations

import io

import pytest

from scorelint import progress


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
