import sys
from pathlib import Path

import pytest

# Test helpers (proof.py) import as top-level modules.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's checks cache in a folder of their own: no test reads another's results,
    and none writes `.scorelint_cache/` into the checkout."""
    monkeypatch.setenv("SCORELINT_CACHE_DIR", str(tmp_path_factory.mktemp("cache") / "c"))
