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
    line = progress.Progress(3, out, delay=60)
    for _ in range(3):
        line.advance()
    line.close()
    assert out.getvalue() == ""


def test_a_long_run_shows_files_done_and_erases_the_line() -> None:
    out = _Terminal()
    line = progress.Progress(2, out, delay=0)
    line.advance()
    assert "scorelint: 1/2 files, " in out.getvalue()
    line.close()
    assert out.getvalue().endswith("\r")
    assert out.getvalue().split("\r")[-2].strip() == ""  # blanked before the report
