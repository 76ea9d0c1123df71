"""docs/architecture.md's route of one file is the route the code takes.

A real `scorelint check --fix` runs in this process with a profiler hook on every
thread. It records the functions called and, at each call, the scorelint
packages on the stack. The test then checks two things. Every function the
route names must be called. Along any stack, each package must be entered at
most twice; an entry is a run of frames from one package, and frames of other
libraries (LibCST, the standard library) do not count.
"""

from __future__ import annotations

import collections
import importlib
import os
import re
import sys
import threading
from pathlib import Path

import pytest

from scorelint.base import limits
from scorelint.frontends import cli

ROOT = Path(__file__).resolve().parent.parent
ROUTE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").split(
    "## The route of one file", 1)[1]
MAX_ENTRIES = 2
# Fixtures from each rule family, with fixes: the route as far as it goes.
FIXTURES = ["SL101", "SL203", "SL303", "SL402"]


def _named() -> list[str]:
    """The dotted names of functions the route's numbered steps name."""
    steps = [line for line in ROUTE.splitlines() if re.match(r"\d+\. ", line)]
    return [name for step in steps for name in re.findall(r"`(scorelint\.[\w.]+)`", step)]


def _resolve(dotted: str) -> tuple[str, object]:
    """(the module's name, the object) for a dotted name: a module or a thing in one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            thing: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            thing = getattr(thing, attr)
        return ".".join(parts[:cut]), thing
    raise AssertionError(f"{dotted} names nothing")


def _package(frame_globals: dict[str, object]) -> str | None:
    name = str(frame_globals.get("__name__", ""))
    parts = name.split(".")
    if parts[0] != "scorelint":
        return None
    if len(parts) == 2 and parts[1] != "rules":  # `scorelint.version`, `scorelint.reference`
        return "scorelint"
    return parts[1] if len(parts) > 1 else "scorelint"


class _Recorder:
    def __init__(self) -> None:
        self.called: set[tuple[str, str]] = set()
        self.worst: dict[str, tuple[int, str]] = {}

    def __call__(self, frame, event, arg):  # type: ignore[no-untyped-def]
        if event != "call":
            return
        module = str(frame.f_globals.get("__name__", ""))
        if not module.startswith("scorelint"):
            return
        self.called.add((module, frame.f_code.co_qualname))
        runs: list[str] = []
        current = frame
        while current is not None:
            package = _package(current.f_globals)
            if package is not None and (not runs or runs[-1] != package):
                runs.append(package)
            current = current.f_back
        for package, count in collections.Counter(runs).items():
            if count > self.worst.get(package, (0, ""))[0]:
                self.worst[package] = (count, " > ".join(reversed(runs)))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> _Recorder:
    folder = tmp_path_factory.mktemp("route")
    for code in FIXTURES:
        for path in sorted((ROOT / "fixtures" / code).glob("*.py")):
            (folder / f"{code}_{path.name}").write_text(path.read_text(encoding="utf-8"))
    recorder = _Recorder()
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))  # the cache is on the route
    threading.setprofile(recorder)
    sys.setprofile(recorder)
    limits.on_deep_stack(sys.setprofile, recorder)  # the deep thread may be running already
    try:
        cli.main(["check", "--fix", "--unsafe-fixes", "-j", "1", "--exit-zero",
                  "-q", str(folder)])
    except SystemExit:
        pass
    finally:
        limits.on_deep_stack(sys.setprofile, None)
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
        if saved is None:
            del os.environ["XDG_CACHE_HOME"]
        else:
            os.environ["XDG_CACHE_HOME"] = saved
    return recorder


def test_the_route_names_real_functions() -> None:
    names = _named()
    assert len(names) >= 15
    for dotted in names:
        _resolve(dotted)


def test_every_function_on_the_route_is_called(recorded: _Recorder) -> None:
    missing = []
    for dotted in _named():
        module, thing = _resolve(dotted)
        code = getattr(thing, "__code__", None)
        if code is None:  # a package, a module or a class: some function of it ran
            prefix = dotted[len(module):].lstrip(".")
            if not any((m == module or m.startswith(module + ".")) and q.startswith(prefix)
                       for m, q in recorded.called):
                missing.append(dotted)
        elif (module, code.co_qualname) not in recorded.called:
            missing.append(dotted)
    assert missing == []


def test_each_package_is_entered_at_most_twice(recorded: _Recorder) -> None:
    assert {"frontends", "run", "engine", "rules", "model", "base"} <= set(recorded.worst)
    over = {p: stack for p, (n, stack) in recorded.worst.items() if n > MAX_ENTRIES}
    assert over == {}
