"""What a rule is: metadata, docs, inline examples, and visit methods.

A rule subclasses `Rule`, declares its metadata as class attributes, and
implements LibCST `visit_<Node>` methods that read the tree through
`self.ctx` (the shared per-file context: operations, names, spelling) and
call `self.report(...)`. The engine runs every selected rule in one batched
traversal; no rule parses or walks a file by itself.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability

if TYPE_CHECKING:
    from scorelint.model.context import FileContext, FixSpec

DOC_SECTIONS = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Fix safety",
    "Known limitations",
)
_CODE = re.compile(r"^SL\d{3}$")
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def example_source(code: str) -> str:
    """An example's source as written in a rule: a triple-quoted string indented with the
    class (as Fixit writes its cases), dedented, without the newline after the quotes."""
    code = textwrap.dedent(code)
    return code[1:] if code.startswith("\n") else code


@dataclass(frozen=True)
class Flagged:
    """An example the rule must report; `fixed` is the source after its fix."""

    code: str
    fixed: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", example_source(self.code))
        if self.fixed is not None:
            object.__setattr__(self, "fixed", example_source(self.fixed))


@dataclass(frozen=True)
class Clean:
    """An example the rule must leave alone."""

    code: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", example_source(self.code))


class RuleDefinitionError(Exception):
    pass


class Rule(cst.BatchableCSTVisitor):
    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    fix_title: ClassVar[str] = ""
    fix_availability: ClassVar[FixAvailability] = FixAvailability.NONE
    applicability: ClassVar[Applicability] = Applicability.DISPLAY
    # Off unless selected (by code, prefix or ALL): variants a careful engineer may write on
    # purpose, which would be noise in the default set.
    default: ClassVar[bool] = True
    # Narrowing (`scorelint.engine.linter.narrowing`): every group must have a token present in the file. A token
    # is the last name of a call (`exp` for `np.exp(`) or an operator (`/`, `*=`).
    triggers: ClassVar[tuple[tuple[str, ...], ...]] = ()
    # Operations (kinds) whose results the rule follows out of the module's own functions
    # and classes (scorelint.model.origins): the engine then keeps the callees that make them.
    follows: ClassVar[tuple[str, ...]] = ()
    # Does it follow them into other modules too (through `scorelint.model.origins.origin`, which
    # asks the project index)? Then narrowing lends it what imported names make.
    across_modules: ClassVar[bool] = False
    # The call names a division's divisor must be made by (through names bound to it) for
    # the rule to fire there (`x / x.sum()`): narrowing keeps only such statements.
    divisor: ClassVar[tuple[str, ...]] = ()
    # The operations a finding is reported at: call names, operators (`/`, `/=`) and
    # `narrowing.COMPARED` for an ordering comparison. Narrowing lets the rule fire only at
    # such a site whose operands (through the names they read) meet every trigger group,
    # or in a statement calling a module an anchor makes (`self.sm = nn.Softmax(1)`).
    # A rule with both `anchors` and `divisor` is reported at either.
    anchors: ClassVar[tuple[str, ...]] = ()
    # What an anchor's own operands must show, by anchor (`narrowing.ARGUMENT_TESTS`):
    # SL103 reports only a softmax given no axis, SL207 only `1 - x` or `x - 1`; or what
    # they must show followed back through the function (`narrowing.AROUND_TESTS`): SL401
    # reports a gather only at ids the scores' model may have read.
    anchor_arguments: ClassVar[Mapping[str, str]] = {}
    # Identifiers (a name, an attribute, a string key) one of which must reach a site
    # (SL104's temperature, read by name): narrowing meets them as it meets triggers.
    named: ClassVar[tuple[re.Pattern[str], ...]] = ()
    flagged: ClassVar[tuple[Flagged, ...]] = ()
    clean: ClassVar[tuple[Clean, ...]] = ()

    _registry: ClassVar[dict[str, type[Rule]]] = {}

    def __init__(self, ctx: FileContext) -> None:
        super().__init__()
        self.ctx = ctx

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        _validate(cls)
        Rule._registry[cls.code] = cls

    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        fix: FixSpec | None = None,
        trace: tuple[tuple[cst.CSTNode, str], ...] = (),
    ) -> None:
        """Report `node`; `message` defaults to the rule's message with the node's code.
        `trace` is the flow that led here (`scorelint.model.origins.Origin.steps`)."""
        text = message or self.say(self.message, node)
        self.ctx.add_finding(self, node, text, fix, trace or self.ctx.bound_here(node))

    def say(self, template: str, node: cst.CSTNode, **values: str) -> str:
        """A message from a template: `{expr}` is the node's code; `{limit}` and `{floor}`
        are where `exp` overflows and underflows, in the dtype the code shows (else float32,
        with float64 beside it): messages are true for the numbers the code runs in."""
        from scorelint.model import (
            facts,  # only when reporting: `scorelint rules` starts light
        )

        # `e /= e.sum()` is a statement: its target holds the value.
        expr = node if isinstance(node, cst.BaseExpression) else getattr(node, "target", None)
        limit = facts.exp_limit(self.ctx, expr) if expr is not None and "{limit}" in template else ""
        floor = (facts.exp_limit(self.ctx, expr, under=True)
                 if expr is not None and "{floor}" in template else "")
        return template.format(expr=self.ctx.short(node), limit=limit, floor=floor, **values)

    @classmethod
    def docs(cls) -> str:
        """The rule's docs page (markdown): its docstring plus the metadata."""
        body = textwrap.dedent(cls.__doc__ or "").strip()
        fix = (
            f"{cls.fix_availability.value} ({cls.applicability.value})"
            if cls.fix_availability is not FixAvailability.NONE
            else "none"
        )
        parts = [f"# {cls.name} ({cls.code})\n\nFix: {fix}.\n\n{body}\n"]
        parts.append("\n## Flagged examples (tests)\n")
        for example in cls.flagged:
            parts.append(f"\n```python\n{example.code.rstrip()}\n```\n")
            if example.fixed is not None:
                parts.append(f"\nis fixed to\n\n```python\n{example.fixed.rstrip()}\n```\n")
        parts.append("\n## Clean examples (tests)\n")
        for clean in cls.clean:
            parts.append(f"\n```python\n{clean.code.rstrip()}\n```\n")
        return "".join(parts)

    @classmethod
    def url(cls) -> str:
        from scorelint.base import (
            urls,  # the docs base, from [project.urls] Documentation
        )

        return urls.rule_url(cls.code)


def _validate(cls: type[Rule]) -> None:
    where = f"{cls.__module__}.{cls.__qualname__}"
    if not _CODE.match(getattr(cls, "code", "")):
        raise RuleDefinitionError(f"{where}: code must look like SL123")
    if cls.code in Rule._registry and Rule._registry[cls.code].__qualname__ != cls.__qualname__:
        raise RuleDefinitionError(f"{where}: code {cls.code} is already used")
    if not _NAME.match(getattr(cls, "name", "")):
        raise RuleDefinitionError(f"{where}: name must be kebab-case")
    if not getattr(cls, "message", ""):
        raise RuleDefinitionError(f"{where}: a message is required")
    doc = inspect.cleandoc(cls.__doc__ or "")
    missing = [s for s in DOC_SECTIONS if f"## {s}" not in doc]
    if missing:
        raise RuleDefinitionError(f"{where}: docstring lacks sections {missing}")
    if not cls.triggers:
        raise RuleDefinitionError(f"{where}: triggers are required for narrowing")
    if len(cls.flagged) < 3 or len(cls.clean) < 3:
        raise RuleDefinitionError(f"{where}: needs at least 3 flagged and 3 clean examples")
    if cls.fix_availability is FixAvailability.ALWAYS and not all(
        f.fixed is not None for f in cls.flagged
    ):
        raise RuleDefinitionError(f"{where}: a fix declared 'always' needs every fixed example")
    if cls.fix_availability is not FixAvailability.NONE and not cls.fix_title:
        raise RuleDefinitionError(f"{where}: a fixable rule needs a fix title")
