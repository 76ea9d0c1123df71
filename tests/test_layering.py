"""Layers that only point down, and no import cycle.

The layers are the table in docs/architecture.md, read from there so the page
cannot drift from the code: each row names packages (a package covers its
modules) or single modules, top to bottom. Every module of `scorelint/` (and
the rules package `rules/`, imported as `scorelint.rules`) must be in one row;
a module imports only modules of its own row or rows below it, and no chain of
imports leads back to where it started.

Every import counts, wherever it stands. An import inside a function (a lazy
import, to keep `scorelint --version` fast) runs all the same, only later: it
defers the cost, not the dependency, so it is judged as if it stood at the
top. An import under `if TYPE_CHECKING:` never runs, but it still says what a
module knows about: it is judged too, and counts in the cycle check.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"
# At most this many modules at the package's top, besides its subpackages.
MAX_TOP_LEVEL_MODULES = 10


def _layers() -> list[tuple[str, set[str]]]:
    """(its job, the packages and modules it covers) per row of the layers table."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].isdigit():
            rows.append((cells[2], set(re.findall(r"`([\w.]+)`", cells[1]))))
    return rows


LAYERS = _layers()


def _modules() -> dict[str, Path]:
    """Every module by its import name."""
    found = {}
    for folder, package in ((ROOT / "scorelint", ("scorelint",)),
                            (ROOT / "rules", ("scorelint", "rules"))):
        for path in sorted(folder.rglob("*.py")):
            parts = package + path.relative_to(folder).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def layer_of(module: str) -> int | None:
    """The index of the module's layer in LAYERS (0 is the top), or None: the row naming
    the module itself, else the row naming the nearest package around it."""
    for index, (_, names) in enumerate(LAYERS):
        if module in names:
            return index
    package = module.rpartition(".")[0]
    while package:
        for index, (_, names) in enumerate(LAYERS):
            if package in names:
                return index
        package = package.rpartition(".")[0]
    return None


def _known(name: str) -> str | None:
    """The scorelint module an imported name lives in (the longest known prefix)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(module: str) -> set[tuple[str, bool]]:
    """(imported scorelint module, type only?) for every import in `module`, at any depth."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {id(inner) for node in ast.walk(tree)
                 if isinstance(node, ast.If) and _type_checking(node)
                 for stmt in node.body for inner in ast.walk(stmt)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up `level - 1` packages
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from scorelint.frontends import cli` imports the module `scorelint.frontends.cli`;
            # `from scorelint.reports import Report` imports `scorelint.reports`.
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                     for a in node.names]
        else:
            continue
        for name in names:
            target = _known(name) if name.split(".")[0] == "scorelint" else None
            if target is not None and target != module:
                found.add((target, id(node) in type_only))
    return found


def test_the_layers_table_is_read() -> None:
    assert len(LAYERS) >= 6
    assert ("scorelint.engine" in LAYERS[4][1]) and ("scorelint.rules" in LAYERS[4][1])


def test_every_module_has_one_layer() -> None:
    assert len(MODULES) > 50
    missing = [m for m in MODULES if layer_of(m) is None]
    assert missing == [], f"give these modules a row in docs/architecture.md: {missing}"
    named = [n for _, names in LAYERS for n in names]
    assert len(named) == len(set(named)), "a package is named in two layers"
    assert [n for n in named if n not in MODULES] == [], "the table names a module that is gone"


def test_few_modules_at_the_top() -> None:
    top = [p.name for p in (ROOT / "scorelint").glob("*.py")]
    assert len(top) <= MAX_TOP_LEVEL_MODULES, sorted(top)
    packages = {p.parent.name for p in (ROOT / "scorelint").glob("*/__init__.py")}
    assert packages == {"frontends", "run", "reports", "engine", "model", "base"}


def test_every_package_says_its_job_and_what_it_may_import() -> None:
    for init in (ROOT / "scorelint").glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "import" in doc and len(doc.split()) >= 20, init


def test_imports_only_point_down() -> None:
    upward = []
    for module in MODULES:
        for target, _ in imports(module):
            if layer_of(target) < layer_of(module):  # type: ignore[operator]
                upward.append(f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} "
                              f"({LAYERS[layer_of(target)][0]})")
    assert upward == []


def test_no_import_cycle_counting_type_only_imports() -> None:
    graph = {m: sorted(t for t, _ in imports(m)) for m in MODULES}
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in graph[module]:
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in graph:
        if module not in state:
            visit(module)
    assert cycles == []


def test_the_reader_sees_lazy_and_type_only_imports() -> None:
    # registry imports the rules package inside `all_rules`; the cache names the
    # pipeline's Options only for type checking.
    assert ("scorelint.rules", False) in imports("scorelint.engine.registry")
    assert ("scorelint.run.pipeline", True) in imports("scorelint.run.cache")
    assert ("scorelint.reports.text", False) in imports("scorelint.reports.concise")


def test_notebooks_only_map_cells_they_neither_lint_nor_fix() -> None:
    assert {t for t, _ in imports("scorelint.run.notebook")} & {
        "scorelint.engine.linter", "scorelint.engine.fixes", "scorelint.run.pipeline", "scorelint.run.runner"} == set()
