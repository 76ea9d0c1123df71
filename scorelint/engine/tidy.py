"""After the fixes: remove what they left dead, as a reviewer would before committing.

A fix replaces an expression; what the old expression read may now be read by
nothing: `e = np.exp(x)` once `e / e.sum()` became a softmax, or `from numpy import
exp` once no `exp(` is left. Ruff reports those (F841, F401). `tidy` removes such a
binding only when it is provably dead and removing it changes nothing else:

- the fixes made it dead: the name was read in the text before the fixes, and is
  read nowhere in its scope after them (nested functions and classes count as
  readers; a scope that calls `locals`, `vars`, `eval` or `exec`, or declares the
  name `global` or `nonlocal`, is left alone);
- a local binding is a plain `name = value` whose value only reads names and calls
  functions the vocabulary knows (`np.exp`, `torch.softmax`, `.sum`): nothing that
  could have a side effect is dropped;
- an import is at the top level of a module that is not a package's `__init__.py`
  and has no `__all__` (where a name may be imported for others to use);
- the statement stands alone on its lines with no comment (a comment is never
  deleted), and is not the only statement of its block.

It works on `ast` and lines only, and returns the text unchanged when anything
is in doubt.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
from collections import deque
from collections.abc import Callable, Iterator

from scorelint.model import vocabulary
from scorelint.model.astwalk import ast_walk

# A scope that calls one of these may read any of its names.
_DYNAMIC = frozenset({"locals", "vars", "eval", "exec", "globals"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_MAX_ROUNDS = 5  # removing one binding can free the next (`e = exp(z)` after `z = x - m`)


# `ast.parse`, or a `Parses` that gives one tree per text.
Parse = Callable[[str], ast.Module]


class Parses:
    """CPython's tree of each text one tidying reads, parsed once: the fixed text is read
    by `name_repeats` and `tidy` both, a round's result by the next round. The trees are
    only read, never changed. A text that fails to parse raises each time (not kept)."""

    def __init__(self, known: dict[str, ast.Module] | None = None) -> None:
        self._trees: dict[str, ast.Module] = dict(known or {})

    def __call__(self, text: str) -> ast.Module:
        tree = self._trees.get(text)
        if tree is None:
            tree = self._trees[text] = ast.parse(text)
        return tree


def tidy(before: str, after: str, path: str = "", parse: Parse = ast.parse) -> str:
    """`after` (the fixed text) without the bindings and imports the fixes left dead."""
    try:
        original = parse(before)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return after
    read_before = _ReadsBefore(original, before)
    # A walk of the whole module: only when an import may have died (`_dead_imports`).
    module_reads = functools.cache(lambda: _global_reads(original))
    is_init = path.replace("\\", "/").rsplit("/", 1)[-1] == "__init__.py"
    for _ in range(_MAX_ROUNDS):
        try:
            tree = parse(after)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return after
        lines = after.splitlines(keepends=True)
        spans = list(_dead_locals(tree, read_before, lines))
        if not is_init:
            spans.extend(_dead_imports(tree, module_reads, lines))
        if not spans:
            return after
        for first, last, replacement in sorted(spans, reverse=True):
            if not replacement and first > 0 and last < len(lines) and \
                    not lines[first - 1].strip() and not lines[last].strip():
                last += 1  # a blank line on each side: keep one, not two
            lines[first:last] = [replacement] if replacement else []
        candidate = "".join(lines)
        try:
            parse(candidate)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return after
        after = candidate
    return after


# --- reads -------------------------------------------------------------------------


def _loads(node: ast.AST) -> set[str]:
    """Every name read anywhere under `node` (nested scopes included), and the names a
    `del` removes (a deleted name must stay bound)."""
    return {n.id for n in ast_walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Load, ast.Del))}


def _global_reads(tree: ast.Module) -> set[str]:
    """The names read (or deleted) that resolve to the module's own bindings: a read
    inside a function that binds the name itself is that function's, not the import's."""
    out: set[str] = set()

    def visit(node: ast.AST, local_scopes: list[set[str]]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Load, ast.Del)):
                if not any(child.id in scope for scope in local_scopes):
                    out.add(child.id)
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                for default in (*child.args.defaults, *child.args.kw_defaults):
                    if default is not None:
                        visit_expression(default, local_scopes)
                for decorator in getattr(child, "decorator_list", ()):
                    visit_expression(decorator, local_scopes)
                # Once per function: a body statement's visit would walk the whole body again.
                inner = [*local_scopes, _local_names(child)]
                visit(child.args, inner)
                for part in ([child.body] if isinstance(child, ast.Lambda) else child.body):
                    visit_expression(part, inner)
            elif isinstance(child, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                targets = {n.id for g in child.generators for n in ast_walk(g.target)
                           if isinstance(n, ast.Name)}
                visit(child, [*local_scopes, targets])
            else:
                visit(child, local_scopes)

    def visit_expression(node: ast.AST, local_scopes: list[set[str]]) -> None:
        wrapper = ast.Expression(body=node) if isinstance(node, ast.expr) else ast.Module(
            body=[node], type_ignores=[])
        visit(wrapper, local_scopes)

    visit(tree, [])
    return out


def _local_names(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    """The names a function binds in its own scope (parameters, assignments, imports,
    nested definitions), less the ones it declares `global`."""
    names = {a.arg for a in ast_walk(function.args) if isinstance(a, ast.arg)}
    declared: set[str] = set()
    body = [function.body] if isinstance(function, ast.Lambda) else function.body
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(_binding(a) for a in node.names)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        if isinstance(node, (*_SCOPES[:2], ast.ClassDef)):
            names.add(node.name)
            continue  # a nested scope's own names are not this one's
        if isinstance(node, ast.Lambda):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return names - declared


# The fields that hold statements: a `def` is a statement, so only they are walked.
_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    found = []
    queue = deque([tree])
    while queue:
        node = queue.popleft()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(node)
        for field in _BODIES:
            children = getattr(node, field, None)
            if isinstance(children, list):
                queue.extend(children)
    return found


def _ranked(tree: ast.AST) -> Iterator[tuple[tuple[str, int], ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Each function keyed by its name and line-independent rank: fixes neither add nor
    remove functions, so the n-th `def f` before is the n-th after."""
    seen: dict[str, int] = {}
    for function in _functions(tree):
        rank = seen[function.name] = seen.get(function.name, -1) + 1
        yield (function.name, rank), function


class _ReadsBefore:
    """The names each function read before the fixes, by its key (`_ranked`); computed
    only for a function whose text the fixes changed (a fix touches one or two functions
    of a file with hundreds): the same text reads the same names."""

    def __init__(self, tree: ast.Module, text: str) -> None:
        self._lines = text.splitlines(keepends=True)
        self._functions = dict(_ranked(tree))
        self._reads: dict[tuple[str, int], set[str]] = {}

    def unchanged(self, key: tuple[str, int], function: ast.AST, lines: list[str]) -> bool:
        old = self._functions.get(key)
        return old is not None and _source(old, self._lines) == _source(function, lines)

    def get(self, key: tuple[str, int]) -> set[str] | None:
        old = self._functions.get(key)
        if old is None:
            return None
        if key not in self._reads:
            self._reads[key] = _loads(old)
        return self._reads[key]


def _source(function: ast.AST, lines: list[str]) -> list[str]:
    """The whole lines a function (with its decorators) stands on."""
    first = min([function.lineno, *(d.lineno for d in getattr(function, "decorator_list", ()))])
    return lines[first - 1:function.end_lineno]


# --- dead local bindings -----------------------------------------------------------


def _dead_locals(tree: ast.Module, read_before: _ReadsBefore,
                 lines: list[str]) -> Iterator[tuple[int, int, str]]:
    for key, function in _ranked(tree):
        if read_before.unchanged(key, function, lines):
            continue  # it reads what it read: nothing in it became dead
        before = read_before.get(key)
        if before is None or _dynamic(function):
            continue
        now = _loads(function)
        declared = {name for n in ast_walk(function) if isinstance(n, (ast.Global, ast.Nonlocal))
                    for name in n.names}
        parameters = {a.arg for a in ast_walk(function.args) if isinstance(a, ast.arg)}
        dead = (before - now) - declared - parameters
        if not dead:
            continue
        for block in _blocks(function):
            for statement in block:
                name = _bound_name(statement)
                if name in dead and len(block) > 1 and _pure(statement.value) \
                        and not _other_bindings(function, name, statement):
                    span = _whole_lines(statement, lines)
                    if span is not None:
                        yield (*span, "")


def _dynamic(function: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _DYNAMIC
               for n in ast_walk(function))


def _blocks(function: ast.AST) -> Iterator[list[ast.stmt]]:
    """The statement lists of a function, not descending into nested scopes."""
    stack = [function]
    while stack:
        node = stack.pop()
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block
                stack.extend(s for s in block if not isinstance(s, _SCOPES))
        for handler in getattr(node, "handlers", ()):
            stack.append(handler)
        for case in getattr(node, "cases", ()):
            stack.append(case)


def _bound_name(statement: ast.stmt) -> str | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
            and isinstance(statement.targets[0], ast.Name):
        return statement.targets[0].id
    if isinstance(statement, ast.AnnAssign) and statement.value is not None \
            and isinstance(statement.target, ast.Name) and statement.simple:
        return statement.target.id
    return None


def _other_bindings(function: ast.AST, name: str, statement: ast.stmt) -> bool:
    """Is the name bound in another way too (augmented assignment, a loop, `with`, a
    walrus)? Then the plain assignment is left alone."""
    for node in ast_walk(function):
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) \
                and node.target.id == name:
            return True
        if isinstance(node, ast.NamedExpr) and node.target.id == name:
            return True
    return False


_PURE_NODES = (ast.Name, ast.Attribute, ast.Constant, ast.BinOp, ast.UnaryOp, ast.Subscript,
               ast.Slice, ast.Tuple, ast.List, ast.Compare, ast.BoolOp, ast.IfExp, ast.Call,
               ast.keyword, ast.Load, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
               ast.Starred, ast.expr_context)


def _pure(value: ast.expr) -> bool:
    """Does the value only read names and call functions the vocabulary knows?"""
    known = vocabulary.known_names()
    for node in ast_walk(value):
        if not isinstance(node, _PURE_NODES):
            return False
        if isinstance(node, ast.Call):
            callee = node.func
            last = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", None)
            if last not in known:
                return False
    return True


def _whole_lines(statement: ast.stmt, lines: list[str]) -> tuple[int, int] | None:
    """The 0-based line range [first, last) the statement fills alone, without a comment
    (read from the tokens of those lines), or None."""
    first, last = statement.lineno - 1, (statement.end_lineno or statement.lineno)
    if lines[first][:statement.col_offset].strip() or \
            lines[last - 1][statement.end_col_offset or 0:].strip():
        return None
    if any(_has_comment(line) for line in lines[first:last]):
        return None
    return first, last


def _has_comment(line: str) -> bool:
    try:
        return any(t.type == tokenize.COMMENT
                   for t in tokenize.generate_tokens(io.StringIO(line).readline))
    except (tokenize.TokenError, SyntaxError):
        return "#" in line  # a line inside a bracket: judge by the character


# --- dead imports ------------------------------------------------------------------


def _dead_imports(tree: ast.Module, reads_before: Callable[[], set[str]],
                  lines: list[str]) -> Iterator[tuple[int, int, str]]:
    """Top-level imports whose names the fixes left unread."""
    if any(isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and "__all__" in
           {t.id for t in ast_walk(n) if isinstance(t, ast.Name)} for n in tree.body):
        return
    if _dynamic(tree):
        return
    now = _global_reads(tree)
    imports = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))
               and not (isinstance(s, ast.ImportFrom) and s.module == "__future__")]
    if all(_binding(a) in now for statement in imports for a in statement.names):
        return  # every import is read: what was read before is not needed
    read_before = reads_before()
    for statement in imports:
        kept = [a for a in statement.names
                if not (_binding(a) in read_before and _binding(a) not in now)]
        if len(kept) == len(statement.names):
            continue
        span = _whole_lines(statement, lines)
        if span is None:
            continue
        if not kept:
            if len(tree.body) > 1:
                yield (*span, "")
            continue
        indent = lines[span[0]][:statement.col_offset]
        yield (*span, f"{indent}{_render(statement, kept)}{_newline(lines[span[1] - 1])}")


def _binding(alias: ast.alias) -> str:
    """The name an import binds: `as` name, or the first part of a dotted module."""
    return alias.asname or alias.name.split(".")[0]


def _render(statement: ast.Import | ast.ImportFrom, kept: list[ast.alias]) -> str:
    names = ", ".join(f"{a.name} as {a.asname}" if a.asname else a.name for a in kept)
    if isinstance(statement, ast.Import):
        return f"import {names}"
    return f"from {'.' * statement.level}{statement.module or ''} import {names}"


def _newline(line: str) -> str:
    return line[len(line.rstrip("\r\n")):] or "\n"


# --- a value a fix computes twice ------------------------------------------------------

_NESTED_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
                  ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)
_MIN_REPEAT = 16  # characters: `np.max(x)` twice is left as it is


def name_repeats(before: str, after: str, parse: Parse = ast.parse) -> str:
    """`after` with a value the fixes wrote twice in one statement computed once, into a
    fresh name on the line above: an inline max-shifted softmax
    `np.exp(z - np.max(z)) / np.sum(np.exp(z - np.max(z)))` becomes
    `exps = np.exp(z - np.max(z))` and `exps / np.sum(exps)`. Only a statement the
    fixes wrote (its text is not in `before`), standing alone on its line, whose repeated
    value the fixes introduced and calls nothing but functions the vocabulary knows (so
    computing it first changes nothing else); the name is one the file does not use."""
    try:
        tree = parse(after)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return after
    lines = after.splitlines(keepends=True)
    # A line found whole in `before` holds no statement the fixes wrote (its segment is
    # in `before` too): a set look-up spares most lines the search of all of `before`.
    old_lines = set(before.splitlines(keepends=True))
    used = set(_IDENTIFIER.findall(after))
    plans = []
    for statement in ast_walk(tree):
        value = _statement_value(statement)
        if value is None or statement.lineno != statement.end_lineno:
            continue
        line = lines[statement.lineno - 1]
        if line in old_lines:
            continue
        prefix = _chars(line, statement.col_offset)
        if prefix.strip() or _segment(line, statement) in before:
            continue
        if any(isinstance(n, _NESTED_SCOPES) for n in ast_walk(value)):
            continue
        repeated = _largest_repeat(value, line)
        if repeated is None or before.count(_segment(line, repeated[0])) >= 2:
            continue  # not the fixes' repetition: the author's own stays as written
        plans.append((statement, _fresh(_name_for(repeated[0]), used), repeated))
    if not plans:
        return after
    for statement, name, (node, spans) in sorted(plans, key=lambda p: -p[0].lineno):
        row = statement.lineno - 1
        line = lines[row]
        text = _segment(line, node)
        for start, end in sorted(spans, reverse=True):
            line = line[:start] + name + line[end:]
        indent = _chars(lines[row], statement.col_offset)
        newline = lines[row][len(lines[row].rstrip("\r\n")):] or "\n"
        lines[row:row + 1] = [f"{indent}{name} = {text}{newline}", line]
    candidate = "".join(lines)
    try:
        parse(candidate)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return after
    return candidate


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _statement_value(statement: ast.AST) -> ast.expr | None:
    if isinstance(statement, ast.Return) and statement.value is not None:
        return statement.value
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        return statement.value
    if isinstance(statement, ast.Expr):
        return statement.value
    return None


def _chars(line: str, byte_offset: int) -> str:
    """The characters of `line` before an `ast` column (which counts UTF-8 bytes)."""
    return line.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")


def _span(line: str, node: ast.AST) -> tuple[int, int]:
    return len(_chars(line, node.col_offset)), len(_chars(line, node.end_col_offset or 0))


def _segment(line: str, node: ast.AST) -> str:
    start, end = _span(line, node)
    return line[start:end]


def _largest_repeat(value: ast.expr, line: str) -> tuple[ast.expr, list[tuple[int, int]]] | None:
    """The longest value that occurs twice or more in `value`, calls something, and calls
    only known functions; with the character spans of its occurrences."""
    seen: dict[str, list[ast.expr]] = {}
    for node in ast_walk(value):
        if isinstance(node, (ast.Call, ast.BinOp)) and node is not value \
                and any(isinstance(n, ast.Call) for n in ast_walk(node)):
            seen.setdefault(ast.dump(node), []).append(node)
    best = None
    for nodes in seen.values():
        if len(nodes) < 2 or not _pure(nodes[0]):
            continue
        spans = [_span(line, n) for n in nodes]
        length = spans[0][1] - spans[0][0]
        if length >= _MIN_REPEAT and (best is None or length > best[2]):
            best = (nodes[0], spans, length)
    if best is None:
        return None
    node, spans, _ = best
    ordered = sorted(spans)
    if any(a[1] > b[0] for a, b in zip(ordered, ordered[1:])):
        return None  # one inside another
    return node, spans


# What a hoisted value is called, by the function that makes it (a file that already
# uses the name gets `_2`, `_3`, ...).
_NAMES = {"exp": "exps", "softmax": "probs", "log_softmax": "log_probs", "sigmoid": "probs",
          "logsigmoid": "log_probs", "log_sigmoid": "log_probs"}


def _name_for(node: ast.expr) -> str:
    callee = getattr(node, "func", None)
    last = getattr(callee, "attr", None) or getattr(callee, "id", None)
    return _NAMES.get(str(last), "shifted" if isinstance(node, ast.BinOp) else "value")


def _fresh(base: str, used: set[str]) -> str:
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}_{n}"
    return name
