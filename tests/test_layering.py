"""Layers that only point down, and no import cycle.

Every module of `scorelint/` (its reporters, and the rules package `rules/`,
imported as `scorelint.rules`) has a layer; a module imports only modules of
its own layer or of layers below it, and no chain of imports leads back to
where it started. A new module without a layer fails here until it is given
one.

Every import counts, wherever it stands. An import inside a function (a lazy
import, to keep `scorelint --version` fast) runs all the same, only later: it
defers the cost, not the dependency, so it is judged as if it stood at the
top. An import under `if TYPE_CHECKING:` never runs, but it still says what a
module knows about, so it is judged too; the few that name a type from a layer
above are listed in TYPE_ONLY_UP one by one, each with its reason, and are left
out of the cycle check (they create no import at run time).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Top to bottom. A name ending in `.*` covers a package's modules.
LAYERS: list[tuple[str, set[str]]] = [
    ("entry points", {
        "scorelint", "scorelint.__main__", "scorelint.cli", "scorelint.api", "scorelint.server",
        "scorelint.watch",
    }),
    ("configuration, baseline, reports", {
        "scorelint.config", "scorelint.baseline", "scorelint.changes", "scorelint.reporters",
        "scorelint.reporters.*", "scorelint.lsp", "scorelint.docs", "scorelint.color",
        "scorelint.progress", "scorelint.output_formats",
    }),
    ("runner: many files, a pool, the cache", {"scorelint.runner", "scorelint.cache"}),
    ("pipeline: one file from read to outcome", {"scorelint.pipeline"}),
    ("fixes and suppressions", {"scorelint.fixes", "scorelint.suppressions", "scorelint.tidy"}),
    ("engine", {
        "scorelint.engine", "scorelint.registry", "scorelint.rule_index", "scorelint.prefilter",
        "scorelint.screens", "scorelint.scopes", "scorelint.funnel", "scorelint.safety",
        "scorelint.project",  # the project index: other modules' contexts, asked of origins
    }),
    ("rules", {"scorelint.rules", "scorelint.rules.*", "scorelint.rule"}),
    ("facts / data flow", {
        "scorelint.patterns", "scorelint.facts", "scorelint.origins", "scorelint.context",
        "scorelint.values",
        "scorelint.dataflow", "scorelint.summaries", "scorelint.spelling", "scorelint.proposal",
        "scorelint.roles",  # reads patterns, origins and the context; the rules read it
    }),
    ("vocabulary", {"scorelint.vocabulary"}),
    ("foundation: values, source text and files, knowing nothing of rules", {
        "scorelint.findings", "scorelint.identity", "scorelint.source", "scorelint.notebook",
        "scorelint.recovery", "scorelint.limits", "scorelint.discovery", "scorelint.gitsafe",
        "scorelint.version", "scorelint.reference", "scorelint.wrapping", "scorelint.urls",
    }),
]

# Type-only imports (under `if TYPE_CHECKING:`) allowed to name a type from above.
TYPE_ONLY_UP = {
    # The context records each finding for the rule that reports it, and a proposal
    # carries that rule: both name its class, and neither calls into the rules layer.
    ("scorelint.context", "scorelint.rule"),
    ("scorelint.proposal", "scorelint.rule"),
}


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
    """The index of the module's layer in LAYERS (0 is the top), or None."""
    for index, (_, names) in enumerate(LAYERS):
        for name in names:
            if module == name or (name.endswith(".*") and module.startswith(name[:-1])):
                return index
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
            # `from scorelint import cli` imports the module `scorelint.cli`;
            # `from scorelint.reporters import Report` imports `scorelint.reporters`.
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                     for a in node.names]
        else:
            continue
        for name in names:
            target = _known(name) if name.split(".")[0] == "scorelint" else None
            if target is not None and target != module:
                found.add((target, id(node) in type_only))
    return found


def test_every_module_has_one_layer() -> None:
    assert len(MODULES) > 50
    missing = [m for m in MODULES if layer_of(m) is None]
    assert missing == [], f"give these modules a layer in LAYERS: {missing}"
    named = [n for _, names in LAYERS for n in names if not n.endswith(".*")]
    assert len(named) == len(set(named)), "a module is named in two layers"
    assert [n for n in named if n not in MODULES] == [], "LAYERS names a module that is gone"


def test_imports_only_point_down() -> None:
    upward = []
    for module in MODULES:
        for target, type_only in imports(module):
            if layer_of(target) < layer_of(module):  # type: ignore[operator]
                if not (type_only and (module, target) in TYPE_ONLY_UP):
                    upward.append(f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} "
                                  f"({LAYERS[layer_of(target)][0]})")
    assert upward == []


def test_type_only_exceptions_are_still_needed() -> None:
    seen = {(m, t) for m in MODULES for t, type_only in imports(m) if type_only}
    assert TYPE_ONLY_UP <= seen


def test_no_import_cycle() -> None:
    graph = {m: sorted(t for t, type_only in imports(m)
                       if not (type_only and (m, t) in TYPE_ONLY_UP)) for m in MODULES}
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
    assert ("scorelint.rules", False) in imports("scorelint.registry")
    assert ("scorelint.pipeline", True) in imports("scorelint.cache")
    assert ("scorelint.reporters.text", False) in imports("scorelint.reporters.concise")


def test_notebooks_only_map_cells_they_neither_lint_nor_fix() -> None:
    assert {t for t, _ in imports("scorelint.notebook")} & {
        "scorelint.engine", "scorelint.fixes", "scorelint.pipeline", "scorelint.runner"} == set()
