"""The README's sample output is what `scorelint check` prints today."""

from __future__ import annotations

from pathlib import Path

from scorelint.cli import main

ROOT = Path(__file__).resolve().parent.parent
COMMAND = "$ scorelint check fixtures/support_reply_scoring.py\n"


def test_readme_sample_output_is_real(capsys, monkeypatch) -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index(COMMAND) + len(COMMAND)
    sample = readme[start:readme.index("```", start)]
    monkeypatch.chdir(ROOT)
    assert main(["check", "fixtures/support_reply_scoring.py"]) == 1
    assert capsys.readouterr().out == sample
