"""The wheel ships the rules inside scorelint (`scorelint.rules`), never as a top-level `rules`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_the_rules_package(tmp_path: Path) -> None:
    # Build from a copy: setuptools' build/ folder in the checkout could hold stale modules.
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis", "tests"))
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path),
         str(source)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("scorelint-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n.removeprefix("scorelint/") for n in names if n.startswith("scorelint/rules/")}
    # Every rule module of every family, as `scorelint.rules.<family>.<rule>`.
    expected = {f"rules/{p.relative_to(ROOT / 'rules').as_posix()}"
                for p in (ROOT / "rules").rglob("*.py")}
    assert expected <= shipped and "rules/probabilities/__init__.py" in shipped
    assert not any(n.startswith("rules/") for n in names)
    assert "scorelint/reference.py" in names
    assert any(n.endswith("entry_points.txt") for n in names)
    entry_points = next(zipfile.Path(wheel, n).read_text() for n in names
                        if n.endswith("entry_points.txt"))
    assert "scorelint = scorelint.cli:main" in entry_points
