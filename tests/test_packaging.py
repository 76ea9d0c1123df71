"""The wheel ships the rules inside scorelint (`scorelint.rules`), never as a top-level `rules`."""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from scorelint.version import __version__

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
    assert "scorelint = scorelint.frontends.cli:main" in entry_points


def test_sdist_and_wheel_metadata_is_complete(tmp_path: Path) -> None:
    """What `twine check` looks at, and what a team that pins a release reads: the licence
    file in both archives, the project's URLs (the changelog among them), a markdown
    long description."""
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis"))
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--no-isolation", "--outdir",
         str(tmp_path), str(source)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("scorelint-*.whl")
    (sdist,) = tmp_path.glob("scorelint-*.tar.gz")
    names = zipfile.ZipFile(wheel).namelist()
    (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    metadata = email.message_from_string(zipfile.Path(wheel, metadata_name).read_text())
    assert metadata["Version"] == __version__
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL"))
    assert set(urls) == {"Homepage", "Repository", "Documentation", "Changelog"}
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload().startswith("# scorelint\n")
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1] for m in archive.getmembers() if "/" in m.name}
    assert {"LICENSE", "README.md", "pyproject.toml", "PKG-INFO"} <= members
