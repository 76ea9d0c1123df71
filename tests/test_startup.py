"""Start-up stays cheap: the commands that need no rule engine do not import LibCST (the
bulk of the start-up time). No time is asserted, only what gets imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

_PROBE = """
import sys
from scorelint.frontends import cli
code = cli.main({argv!r})
heavy = sorted(m for m in ("libcst", "numpy", "scorelint.engine.linter", "scorelint.engine.registry",
                            "scorelint.reports.text", "scorelint.reports.sarif")
               if m in sys.modules)
print("HEAVY", heavy)
"""


@pytest.mark.parametrize("argv", [["--version"], ["version"], ["--help"]])
def test_light_commands_do_not_import_the_engine(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE.format(argv=argv)],
                          capture_output=True, text=True, check=False)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
