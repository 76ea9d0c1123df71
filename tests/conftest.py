import sys
from pathlib import Path

import pytest

# Test helpers (proof.py) import as top-level modules.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's checks cache in a folder of their own, with a cache key of their own: no
    test reads another's results, and none writes into the user's cache directory."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("SCORELINT_CACHE_DIR", str(folder / "c"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder / "user"))
