"""The README's sample outputs are what scorelint prints today."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from scorelint.frontends.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
# A ```console block: one `$ scorelint ...` command, then what it prints.
SAMPLE = re.compile(r"```console\n\$ scorelint (?P<args>[^\n]*)\n(?P<out>.*?)```", re.DOTALL)
SAMPLES = [(m["args"], m["out"]) for m in SAMPLE.finditer(README)]


def test_the_readme_has_samples() -> None:
    assert [args for args, _ in SAMPLES] == [
        "check fixtures/support_reply_scoring.py",
        "check --statistics fixtures/support_reply_scoring.py",
    ]


@pytest.mark.parametrize(("args", "sample"), SAMPLES, ids=[a for a, _ in SAMPLES])
def test_readme_sample_output_is_real(args: str, sample: str, capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(shlex.split(args)) == 1  # the motivating script has bugs
    assert capsys.readouterr().out == sample
