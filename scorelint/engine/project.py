"""The project index: what the modules a checked file imports make, read from disk.

`train.py` calls `Net()` from `model.py`, whose `forward` ends in a sigmoid;
its `nn.BCELoss` is fed that sigmoid. This module finds `model.py` from the
import alone and says what `Net` makes, by static reading only: no module is
ever imported or run. Two levels, both lazy and cached per process:

- **tokens** (CPython's `ast`, cheap): the call names a module-level function,
  class or constant may make its value with, followed through the module's own
  functions and its imports. Narrowing (`linter.lint`, `narrowing.narrow`) lends
  them to the importing file, as it lends a same-module helper's, so a file
  whose trigger is in another module still reaches LibCST. A superset.
- **exports** (LibCST, exact): the other module's context built as the engine
  builds one, and `scorelint.model.origins` asked what the name's returns are made of:
  one implementation of "what a helper returns", used across modules too.
  Only computed when a rule's origin lookup reaches a name bound by an import,
  and only when its tokens say it may make anything.

Resolution: relative imports from the file's package; absolute ones from the
file's folder, the root of its package (walking up `__init__.py`), and each
folder up to the project's root (`pyproject.toml`, `setup.py`, `.git`) and its
`src/`. Re-exports through `__init__.py` and `from x import *` (with `__all__`)
are followed. What cannot be found, read or parsed, a module too large, an
import cycle, a chain deeper than `MAX_DEPTH` or more than `MAX_MODULES`
modules for one file is unknown: never an error.

Every module read for a file is recorded (`used`) with the sha256 of its bytes,
so a cached result is checked again when one of them changes.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from scorelint.base import limits, source
from scorelint.engine import narrowing
from scorelint.model.astwalk import ast_walk

# Larger modules are generated tables or vendored code: not summarised.
MAX_BYTES = 1_000_000
# Import chains followed from the checked file (re-exports, a helper's helper).
MAX_DEPTH = 4
# Modules one file's check may read (a package re-exporting hundreds stays bounded).
MAX_MODULES = 64
_ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
_UP = 8  # folders walked up looking for the project's root


@dataclass
class Module:
    """One module as `ast` reads it: what its top-level statements bind and call."""

    path: str
    digest: str  # the sha256 of its bytes
    defs: dict[str, list[int]]  # a name -> the top-level statements binding it
    imports: dict[str, tuple[int, str, str | None]]  # name -> (level, module, attribute)
    stars: list[tuple[int, str]]  # `from m import *`: (level, module)
    names: tuple[str, ...] | None  # `__all__`, when it is a literal list or tuple
    tokens: list[set[str]] = field(default_factory=list)  # each top-level statement's calls
    # A top-level class: what calling an instance may call (`_model_tokens`). No tree or
    # text is kept: a process reads hundreds of modules, and big trees slow its GC.
    models: dict[int, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Made:
    """An operation a module-level name's value can be made by, and where."""

    kind: str
    framework: str
    where: str  # `model.py:42`, relative to the importing file's folder


@dataclass(frozen=True)
class Export:
    """What calling a name makes (a helper's return, a stack's last layer), and what
    calling what it builds makes (an instance of a model class: its `forward`)."""

    name: str
    call: tuple[Made, ...] = ()
    instance: tuple[Made, ...] = ()


# Per process: modules by path (with the stat they were read at), exports by module
# content and name. Per file checked: the modules read, the cycle guard.
_modules: dict[str, tuple[tuple[int, int], Module | None, str | None]] = {}
_exports: dict[tuple[str, str, str], tuple[Export, dict[str, str]]] = {}
_contexts: dict[tuple[str, str], object] = {}
_digests: dict[str, tuple[tuple[int, int], str]] = {}
_tokens: dict[tuple[str, str, str, int], tuple[frozenset[str], dict[str, str]]] = {}
class _Check(threading.local):
    """One file's check (the language server checks documents in threads)."""

    def __init__(self) -> None:
        self.used: dict[str, str] = {}  # the modules read: path -> sha256
        self.active: list[tuple[str, str]] = []  # the exports being summarised: a cycle guard
        self.collect: list[dict[str, str]] = []  # what each export being summarised reads


_check = _Check()


def begin() -> None:
    """A new file's check starts: nothing read for it yet."""
    _check.used.clear()
    _check.active.clear()
    _check.collect.clear()


def used() -> tuple[tuple[str, str], ...]:
    """The modules read for the file being checked: (absolute path, sha256), sorted."""
    return tuple(sorted(_check.used.items()))


def changed(depends: Iterable[tuple[str, str]]) -> bool:
    """Has any of these modules changed (or gone) since its sha256 was recorded?"""
    return any(_digest(path) != digest for path, digest in depends)


def _digest(path: str) -> str | None:
    """The sha256 of the file's bytes now; hashed again whenever its size or mtime moved
    (a warm run asks about the same few modules for thousands of files)."""
    try:
        info = os.stat(path)
        stamp = (info.st_size, info.st_mtime_ns)
        known = _digests.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        digest = hashlib.sha256(source.read_bytes(path)).hexdigest()
    except (source.SourceError, OSError):
        return None
    _digests[path] = (stamp, digest)
    return digest


# -- resolution ---------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def roots(folder: str) -> tuple[str, ...]:
    """Where absolute imports of a file in `folder` are looked up: the folder, the root
    of its package, and each folder up to the project's root, with its `src/`."""
    found = [folder]
    top = folder
    while os.path.isfile(os.path.join(top, "__init__.py")):
        top = os.path.dirname(top)
    found.append(top)
    current = folder
    for _ in range(_UP):
        found.append(current)
        src = os.path.join(current, "src")
        if os.path.isdir(src):
            found.append(src)
        if any(os.path.exists(os.path.join(current, m)) for m in _ROOT_MARKERS):
            break
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return tuple(dict.fromkeys(found))


def resolve(importer: str, level: int, module: str) -> str | None:
    """The file the module `module` (`level` dots before it) names, imported from the
    file `importer`; None when it is not a module of the project (or not found)."""
    folder = os.path.dirname(os.path.abspath(importer))
    parts = tuple(p for p in module.split(".") if p)
    if level:
        base = folder
        for _ in range(level - 1):
            base = os.path.dirname(base)
        return _file(base, parts)
    if not parts:
        return None
    for root in roots(folder):
        found = _file(root, parts)
        if found is not None:
            return found
    return None


@functools.lru_cache(maxsize=4096)
def _file(base: str, parts: tuple[str, ...]) -> str | None:
    """`base/a/b.py` or `base/a/b/__init__.py` for parts (a, b); `base/__init__.py` for ()."""
    target = os.path.join(base, *parts)
    for candidate in (target + ".py", os.path.join(target, "__init__.py")):
        if parts and os.path.isfile(candidate):
            return candidate
    if not parts:
        init = os.path.join(base, "__init__.py")
        return init if os.path.isfile(init) else None
    return None


# -- reading modules --------------------------------------------------------------

def _read(path: str) -> tuple[Module | None, str | None, str | None] | None:
    """The module at `path` (None if it cannot be read or parsed), its text, its sha256;
    None when there is no such file. Cached per process while its size and mtime hold."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    stamp = (info.st_size, info.st_mtime_ns)
    if info.st_size > MAX_BYTES:
        return None  # generated or vendored: unknown
    cached = _modules.get(path)
    if cached is not None and cached[0] == stamp:
        module, digest = cached[1], cached[2]
        return module, None, digest
    module, digest = None, None
    try:
        raw = source.read_bytes(path)
        digest = hashlib.sha256(raw).hexdigest()
        text = source.decode(raw).text
        # A module's tree lives until it is summarised: the collector rests meanwhile.
        with limits.collector_paused():
            module = _summarise(path, digest, limits.cpython_check(text))
    except (source.SourceError, limits.Rejected, OSError, ValueError, RecursionError):
        module = None
    _modules[path] = (stamp, module, digest)
    return module, None, digest


def load(path: str) -> Module | None:
    """The module at `path` for the file being checked, recorded as used; None if it
    cannot be read or parsed, or this file has read `MAX_MODULES` already."""
    if path not in _check.used and len(_check.used) >= MAX_MODULES:
        return None
    entry = _read(path)
    if entry is None:
        return None
    module, _, digest = entry
    if digest is not None:
        _check.used[path] = digest
        for collected in _check.collect:
            collected[path] = digest
    return module


def _summarise(path: str, digest: str, tree: ast.Module) -> Module:
    defs: dict[str, list[int]] = {}
    imports: dict[str, tuple[int, str, str | None]] = {}
    stars: list[tuple[int, str]] = []
    names: tuple[str, ...] | None = None
    for i, stmt in enumerate(tree.body):
        for node in narrowing.top_statements(stmt):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defs.setdefault(node.name, []).append(i)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        defs.setdefault(target.id, []).append(i)
                        if target.id == "__all__" and isinstance(node.value, (ast.List, ast.Tuple)):
                            names = tuple(e.value for e in node.value.elts
                                          if isinstance(e, ast.Constant) and isinstance(e.value, str))
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name == "*":
                        stars.append((node.level, node.module or ""))
                    else:
                        imports[alias.asname or alias.name] = (node.level, node.module or "",
                                                               alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        imports[alias.asname] = (0, alias.name, None)
    # A top-level class is read through `models` only: its statement's own tokens are
    # never asked for, and not walked for again (a quarter of a summary's time on
    # transformers). What they add to the others' is the from-import aliases the class
    # holds, which `statement_tokens` maps back in every statement: the walks of
    # `_model_tokens` collect them. An alias bound two ways is the last binding's, in
    # the order of a walk of the whole module: that walk is made then.
    held: dict[str, set[str]] = {}
    models = {i: frozenset(_model_tokens(stmt, held)) for i, stmt in enumerate(tree.body)
              if isinstance(stmt, ast.ClassDef)}
    aliases = {name: min(originals) for name, originals in held.items()}
    rest = [ast.Pass() if i in models else stmt for i, stmt in enumerate(tree.body)]
    tokens = narrowing.statement_tokens(ast.Module(body=rest, type_ignores=[]), aliases)
    if any(len(originals) > 1 or aliases[name] not in originals
           for name, originals in held.items()):
        tokens = narrowing.statement_tokens(tree)
    return Module(path, digest, defs, imports, stars, names, tokens, models)


def locate(module: Module, name: str, depth: int | None = None) -> tuple[Module, str] | None:
    """The module that defines `name` as `module` exports it (through re-exports and star
    imports, at most `depth` modules on: `MAX_DEPTH`), and its name there; None when
    unknown."""
    depth = MAX_DEPTH if depth is None else depth
    if depth <= 0:
        return None
    if name in module.defs:
        return module, name
    imported = module.imports.get(name)
    if imported is not None:
        level, dotted, attribute = imported
        if attribute is None:
            return None  # a module itself, not a name in one
        found = _module_at(module.path, level, dotted, attribute)
        if isinstance(found, Module):  # `from . import sub`: the submodule itself
            return None
        if found is not None:
            return locate(found[0], found[1], depth - 1)
        return None
    for level, dotted in module.stars:
        path = resolve(module.path, level, dotted)
        other = load(path) if path is not None else None
        if other is None or other.names is not None and name not in other.names:
            continue
        if other.names is None and name.startswith("_"):
            continue
        found = locate(other, name, depth - 1)
        if found is not None:
            return found
    return None


def exported_names(module: Module, depth: int | None = None) -> set[str]:
    """The names `from module import *` binds: its `__all__`, else its public names (and
    theirs it imports `*` from, at most `depth` modules on)."""
    depth = MAX_DEPTH if depth is None else depth
    if module.names is not None:
        return set(module.names)
    names = {n for n in (*module.defs, *module.imports) if not n.startswith("_")}
    for level, dotted in module.stars if depth > 1 else ():
        path = resolve(module.path, level, dotted)
        other = load(path) if path is not None else None
        if other is not None:
            names |= exported_names(other, depth - 1)
    return names


def _module_at(importer: str, level: int, dotted: str,
               attribute: str) -> Module | tuple[Module, str] | None:
    """What `from <level dots><dotted> import <attribute>` binds: a submodule, or
    (the module, the name in it)."""
    sub = resolve(importer, level, f"{dotted}.{attribute}" if dotted else attribute)
    if sub is not None:
        return load(sub)
    path = resolve(importer, level, dotted)
    module = load(path) if path is not None else None
    return (module, attribute) if module is not None else None


def _found(importer: str, level: int, dotted: str, attribute: str) -> bool:
    """Is there a file `_module_at` would read for `from <dotted> import <attribute>`?"""
    return resolve(importer, level, f"{dotted}.{attribute}" if dotted else attribute) \
        is not None or resolve(importer, level, dotted) is not None


def find(importer: str, qualname: str) -> tuple[Module, str] | None:
    """The module-level definition a qualified name read in `importer` stands for:
    `.model.Net` (from `from .model import Net`), `pkg.model.Net`; None when unknown."""
    level = len(qualname) - len(qualname.lstrip("."))
    parts = qualname[level:].split(".")
    if not all(parts) or (not level and len(parts) < 2):
        return None
    path = resolve(importer, level, ".".join(parts[:-1]))
    module = load(path) if path is not None else None
    return locate(module, parts[-1]) if module is not None else None


# -- tokens: what a module-level name may make (narrowing's superset) ----------------

def name_tokens(module: Module, name: str) -> frozenset[str]:
    """The call names in the statements that bind `name` in `module` and in the
    module-level functions and classes they call, followed into imported modules.
    Cached per process (many files import the same names), valid while every module
    it read is unchanged; those count as read for the file being checked."""
    key = (module.path, module.digest, name, MAX_DEPTH)
    cached = _tokens.get(key)
    if cached is not None and all(load(path) is not None and _check.used.get(path) == digest
                                  for path, digest in cached[1].items()):
        return cached[0]
    read: dict[str, str] = {module.path: module.digest}
    _check.collect.append(read)
    try:
        found = _name_tokens(module, name)
    finally:
        _check.collect.pop()
    _tokens[key] = (found, read)
    return found


def _name_tokens(module: Module, name: str) -> frozenset[str]:
    found: set[str] = set()
    seen: set[tuple[str, str]] = set()
    stack = [(module, name, MAX_DEPTH)]
    while stack:
        current, wanted, left = stack.pop()
        if (current.path, wanted) in seen or left <= 0:
            continue
        seen.add((current.path, wanted))
        located = locate(current, wanted, left)
        if located is None:
            continue
        home, local = located
        for i in home.defs.get(local, ()):
            tokens = home.models.get(i, home.tokens[i])
            found |= tokens
            for token in tokens:
                if token in home.defs or token in home.imports:
                    stack.append((home, token, left - 1))
    return frozenset(found)


def _model_tokens(cls: ast.ClassDef, aliases: dict[str, set[str]] | None = None) -> set[str]:
    """What calling an instance of `cls` may call, as `origins` follows it: its
    `forward` / `call` / `__call__`, the methods that bind members (the layers they
    hold), its own statements, and the methods these call. Each `from x import a as b`
    in the class is added to `aliases` (b -> {a, ...})."""
    from scorelint.model import vocabulary as vocab

    aliases = {} if aliases is None else aliases
    methods = {s.name: s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    body = [s for s in cls.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    tokens = set().union(*narrowing.statement_tokens(ast.Module(body=body, type_ignores=[])))
    for stmt in body:
        _binds_members(stmt, aliases)  # for its aliases only
    binds: dict[str, bool] = {}  # every method is walked here (the last of a name is kept)
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            binds[stmt.name] = _binds_members(stmt, aliases)
    # A member (`self.head = ...`) may be bound in any method: those count too.
    todo = [m for m in (*vocab.FORWARD_NAMES, "__init__") if m in methods]
    todo += [name for name, bound in binds.items() if bound]
    done: set[str] = set()
    while todo:
        name = todo.pop()
        if name in done:
            continue
        done.add(name)
        (called,) = narrowing.statement_tokens(ast.Module(body=[methods[name]], type_ignores=[]))
        tokens |= called
        todo.extend(t for t in called if t in methods)
    return tokens


def _binds_members(stmt: ast.stmt, aliases: dict[str, set[str]]) -> bool:
    """Does the method bind `self.<x>` (its first parameter's attribute)? The from-import
    aliases the statement holds are added to `aliases` on the way."""
    own = None
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        params = [*stmt.args.posonlyargs, *stmt.args.args]
        own = params[0].arg if params else None
    binds = False
    for node in ast_walk(stmt):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            binds = binds or own is not None and any(
                isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                and t.value.id == own
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.asname:
                    aliases.setdefault(alias.asname, set()).add(alias.name)
    return binds


def lent_tokens(importer: str, tree: ast.Module, wanted: frozenset[str]) -> dict[str, frozenset[str]]:
    """For each module-level name `tree` (the file `importer`) imports from the project:
    the tokens among `wanted` that what it names may make. Names lending none are left
    out; a module imported as a name (`import pkg.model as m`) lends what every name
    read from it (`m.Net`) may make."""
    lent: dict[str, frozenset[str]] = {}
    modules: dict[str, Module] = {}
    for stmt in tree.body:
        for node in narrowing.top_statements(stmt):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name == "*":
                        path = resolve(importer, node.level, node.module or "")
                        star = load(path) if path is not None else None
                        for name in exported_names(star) if star is not None else ():
                            tokens = name_tokens(star, name) & wanted  # type: ignore[arg-type]
                            if tokens:
                                lent[name] = tokens
                        continue
                    local = alias.asname or alias.name
                    found = _module_at(importer, node.level, node.module or "", alias.name)
                    if isinstance(found, Module):
                        modules[local] = found
                    elif found is not None:
                        tokens = name_tokens(found[0], found[1]) & wanted
                        if tokens:
                            lent[local] = tokens
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    path = resolve(importer, 0, alias.name) if alias.asname else None
                    module = load(path) if path is not None else None
                    if module is not None:
                        modules[alias.asname] = module  # type: ignore[index]
    if modules:
        read: dict[str, set[str]] = {}
        for node in ast_walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id in modules:
                read.setdefault(node.value.id, set()).add(node.attr)
        for local, attributes in read.items():
            tokens = frozenset().union(*(name_tokens(modules[local], a) for a in attributes))
            if tokens & wanted:
                lent[local] = tokens & wanted
    return lent


# -- exports: what a name makes, exactly (LibCST and `scorelint.model.origins`) --------------

class Index:
    """The project index as one checked file sees it (`FileContext.index`)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._names: frozenset[str] | None = None

    def names(self, tree: object) -> frozenset[str]:
        """The names this file's top-level imports bind to modules of the project or to
        names in them (`tree`: its LibCST module). Origins asks the index only about
        these: resolving every call's name would cost a data-flow pass per function."""
        if self._names is None:
            self._names = frozenset(_imported_names(self.path, tree))
        return self._names

    def export(self, qualname: str, kinds: Iterable[str]) -> Export | None:
        """What the module-level name `qualname` (as read in this file) makes, asked about
        operations of `kinds`; None when unknown. A name whose statements call nothing
        that can make one of `kinds` is not parsed with LibCST at all (an empty export)."""
        from scorelint.model import origins

        try:
            found = find(self.path, qualname)
            if found is not None and name_tokens(*found).isdisjoint(
                    origins.makers(*sorted(kinds))):
                return Export(found[1])
            made = exported(*found) if found is not None else None
        except (limits.OverBudget, MemoryError):
            raise  # this file's budget: its guard reports it
        except Exception:  # noqa: BLE001  (another module's oddity is unknown, not an error)
            return None
        if found is None or made is None:
            return None
        module = found[0]
        folder = os.path.dirname(os.path.abspath(self.path))
        where = os.path.relpath(module.path, folder)

        def here(items: tuple[Made, ...]) -> tuple[Made, ...]:  # rows named from this file
            return tuple(Made(m.kind, m.framework, f"{where}:{m.where}") for m in items)

        return Export(made.name, here(made.call), here(made.instance))


def _imported_names(importer: str, tree: object) -> set[str]:
    import libcst as cst
    from libcst.helpers import get_full_name_for_node

    found: set[str] = set()
    statements: list[cst.CSTNode] = list(tree.body)  # type: ignore[attr-defined]
    while statements:
        stmt = statements.pop()
        if isinstance(stmt, (cst.If, cst.Try)):  # `try: from .x import y except ImportError:`
            statements.extend(stmt.body.body)
            for handler in getattr(stmt, "handlers", ()):
                statements.extend(handler.body.body)
            continue
        for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.ImportFrom):
                level = len(small.relative)
                dotted = get_full_name_for_node(small.module) or "" if small.module else ""
                if isinstance(small.names, cst.ImportStar):
                    path = resolve(importer, level, dotted)
                    star = load(path) if path is not None else None
                    found |= exported_names(star) if star is not None else set()
                    continue
                for alias in small.names:
                    name = get_full_name_for_node(alias.name) or ""
                    # Found on disk is enough: what the module holds is read only when
                    # origins asks about the name (`export`), as an unknown is.
                    if _found(importer, level, dotted, name):
                        found.add(alias.asname.name.value if alias.asname  # type: ignore[union-attr]
                                  else name)
            elif isinstance(small, cst.Import):
                for alias in small.names:
                    name = get_full_name_for_node(alias.name) or ""
                    if alias.asname is not None and resolve(importer, 0, name) is not None:
                        found.add(alias.asname.name.value)  # type: ignore[union-attr]
    return found


def exported(module: Module, name: str) -> Export | None:
    """What `name`, defined in `module`, makes (rows only: `42`); None when unknown (in
    an import cycle, too deep). Cached per process by the module's content."""
    from scorelint.model import vocabulary as vocab

    key = (module.path, module.digest, name)
    cached = _exports.get(key)
    # Valid while every module it read is unchanged; those count as read for this file.
    if cached is not None and all(load(path) is not None and _check.used.get(path) == digest
                                  for path, digest in cached[1].items()):
        return cached[0]
    if (module.path, name) in _check.active or len(_check.active) >= MAX_DEPTH:
        return None  # a cycle, or a chain too long: unknown (not cached)
    read: dict[str, str] = {module.path: module.digest}
    _check.active.append((module.path, name))
    _check.collect.append(read)
    try:
        if not name_tokens(module, name) & vocab.known_names():
            made: Export | None = Export(name)  # it calls no operation at all: makes none
        else:
            made = _exact(module, name)
    finally:
        _check.active.pop()
        _check.collect.pop()
    if made is not None:  # None may come from a cycle guard: not kept
        _exports[key] = (made, read)
    return made


def _exact(module: Module, name: str) -> Export | None:
    from scorelint.model import origins

    ctx = _context(module)
    if ctx is None:
        return None
    found = origins.summarise(ctx, name)  # type: ignore[arg-type]
    if found is None:
        return None
    call, instance = found
    if not call and not instance:
        return Export(name)
    from libcst.metadata import MetadataWrapper, PositionProvider

    positions = MetadataWrapper(ctx.module, unsafe_skip_copy=True).resolve(PositionProvider)  # type: ignore[attr-defined]

    def rows(ops: list) -> tuple[Made, ...]:  # type: ignore[type-arg]
        return tuple(dict.fromkeys(Made(op.kind, op.framework, str(positions[op.call].start.line))
                                   for op in ops if op.call in positions))

    return Export(name, rows(call), rows(instance))


def _context(module: Module) -> object | None:
    """The other module's context, as the engine builds one for a checked file (whole:
    no narrowing), with this index for its own imports."""
    key = (module.path, module.digest)
    if key in _contexts:
        return _contexts[key]
    import libcst as cst

    from scorelint.engine import reparse
    from scorelint.model.context import FileContext
    from scorelint.model.semantic import Semantic
    from scorelint.model.summaries import MemberRecorder

    try:
        raw = source.read_bytes(module.path)
        if hashlib.sha256(raw).hexdigest() != module.digest:
            return None  # changed since it was read: unknown for now
        text = source.decode(raw).text
        tree = reparse.parse_module(text)
        recorder = MemberRecorder()
        ctx = FileContext(tree, text, module.path, Semantic(tree), recorder)
        cst.visit_batched(tree, [recorder])
    except (source.SourceError, cst.ParserSyntaxError, cst.CSTValidationError, RecursionError,
            UnicodeError):
        ctx = None
    if ctx is not None:
        ctx.index = Index(module.path)
    if len(_contexts) >= 16:  # each holds a parse: keep the last few
        _contexts.pop(next(iter(_contexts)))
    _contexts[key] = ctx
    return ctx


def lendable(rules: Iterable[object]) -> frozenset[str]:
    """The call names a module may lend to the rules that follow values into other
    modules (`Rule.follows`, `Rule.across_modules`)."""
    return _lendable(tuple(rules))


@functools.lru_cache(maxsize=64)
def _lendable(rules: tuple[object, ...]) -> frozenset[str]:
    from scorelint.model import origins

    kinds = {k for rule in rules if getattr(rule, "across_modules", False)
             for k in getattr(rule, "follows", ())}
    return origins.makers(*sorted(kinds)) if kinds else frozenset()


