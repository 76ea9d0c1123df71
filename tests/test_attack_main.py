"""Issue 16, item 11: `python -m scorelint` run inside a checkout that shadows modules.

`-m` puts the working directory first on sys.path; a checkout holding its own
numpy.py, difflib.py or argparse.py would have them imported (and run) in place
of the real ones. The attack: such a folder, every module leaving a marker.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BUGGY = "import numpy as np\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
# Modules scorelint (or its dependencies) import after the interpreter starts; not the
# ones runpy itself needs before the package runs (those no package can guard).
SHADOWED = ("numpy", "difflib", "argparse", "libcst", "json", "tomllib", "typing",
            "dataclasses", "pathspec")


def test_python_m_in_a_folder_shadowing_modules_imports_none_of_them(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    hostile = tmp_path / "checkout"
    hostile.mkdir()
    for name in SHADOWED:
        (hostile / f"{name}.py").write_text(f"open({str(marker)!r}, 'a').write('{name}\\n')\n")
    (hostile / "x.py").write_text(BUGGY)
    (hostile / "y.py").write_text(BUGGY)
    done = subprocess.run([sys.executable, "-m", "scorelint", "check", "-j", "2", "x.py", "y.py"],
                          cwd=hostile, capture_output=True, text=True, check=False, timeout=120)
    assert not marker.exists(), marker.read_text()
    assert done.returncode == 1, done.stderr
    assert done.stdout.count("SL201") == 2
    assert "Found 2 errors." in done.stdout


def test_importing_scorelint_leaves_sys_path_alone(tmp_path: Path) -> None:
    """Only `-m` is guarded: a program importing scorelint keeps its own sys.path."""
    script = "import sys; sys.path.insert(0, ''); import scorelint; print(sys.path[0] == '')"
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, check=False, timeout=120)
    assert done.stdout.strip() == "True", done.stderr
