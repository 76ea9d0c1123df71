"""The rules' docs pages, rendered from the rules themselves into `docs/rules/`.

Each rule's page is `Rule.docs()` (its docstring, metadata and examples, the
same text `scorelint explain` prints); `index.md` tables every rule. Regenerate
with `python -m scorelint.reports.docs` from the repository root; `--check` only
reports stale pages (tests/test_docs.py runs that check).
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from scorelint.base.findings import FixAvailability
from scorelint.engine.registry import all_rules
from scorelint.engine.rule import Rule

DEFAULT_FOLDER = Path("docs") / "rules"
REGENERATE = "python -m scorelint.reports.docs"
_GENERATED = f"<!-- Generated from the rule's source by `{REGENERATE}`: edit the rule, not this file. -->\n\n"
_PAGE = re.compile(r"^SL\d{3}\.md$")
_SENTENCE_END = re.compile(r"(?<=[.:])\s")


def section(rule: type[Rule], title: str) -> str:
    """The text of one `## title` section of a rule's docstring."""
    doc = inspect.cleandoc(rule.__doc__ or "")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", doc, re.M | re.S)
    return match.group(1).strip() if match else ""


def summary(rule: type[Rule]) -> str:
    """The first sentence of "What it does", on one line."""
    text = " ".join(section(rule, "What it does").split())
    first = _SENTENCE_END.split(text, maxsplit=1)[0]
    return first.rstrip(":").rstrip() + ("" if first.endswith(".") else ".")


def safety(rule: type[Rule]) -> str:
    """The fix's applicability, or "-" when the rule has no fix."""
    if rule.fix_availability is FixAvailability.NONE:
        return "-"
    return rule.applicability.value


def page(rule: type[Rule]) -> str:
    return _GENERATED + rule.docs()


def index(rules: Sequence[type[Rule]]) -> str:
    """The table of every rule: code, name, fix availability, fix safety."""
    lines = [
        _GENERATED + "# Rules\n",
        "Every rule scorelint ships. `scorelint explain CODE` prints the same page in a",
        "terminal. A fix is applied by `--fix` when it is safe, and by",
        "`--fix --unsafe-fixes` when it is unsafe; display-only fixes are never applied.\n",
        "| Code | Name | Fix | Safety |",
        "| --- | --- | --- | --- |",
    ]
    for rule in rules:
        lines.append(f"| [{rule.code}]({rule.code}.md) | {rule.name} | "
                     f"{rule.fix_availability.value} | {safety(rule)} |")
    return "\n".join(lines) + "\n"


def render_all(rules: Sequence[type[Rule]] | None = None) -> dict[str, str]:
    """Every docs file's name and content."""
    rules = all_rules() if rules is None else rules
    files = {f"{rule.code}.md": page(rule) for rule in rules}
    files["index.md"] = index(rules)
    return files


def stale(folder: Path, rules: Sequence[type[Rule]] | None = None) -> list[str]:
    """Files in `folder` that are missing, differ from the rules, or name no rule."""
    wanted = render_all(rules)
    problems = []
    for name, content in sorted(wanted.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif path.read_text(encoding="utf-8") != content:
            problems.append(f"{name} is out of date")
    if folder.is_dir():
        problems.extend(f"{p.name} names no rule" for p in sorted(folder.iterdir())
                        if _PAGE.match(p.name) and p.name not in wanted)
    return problems


def write(folder: Path, rules: Sequence[type[Rule]] | None = None) -> list[str]:
    """Bring `folder` up to date; returns the names of the files written or removed."""
    wanted = render_all(rules)
    folder.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, content in sorted(wanted.items()):
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8", newline="\n")
            changed.append(name)
    for path in sorted(folder.iterdir()):
        if _PAGE.match(path.name) and path.name not in wanted:
            path.unlink()  # a page whose rule is gone (codes are never reused)
            changed.append(path.name)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER,
                        help=f"where the pages go (default: {DEFAULT_FOLDER})")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a page is stale")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale(args.folder)
        for problem in problems:
            print(f"{args.folder / problem}", file=sys.stderr)
        if problems:
            print(f"regenerate with `{REGENERATE}`", file=sys.stderr)
        return 1 if problems else 0
    changed = write(args.folder)
    print(f"{len(changed)} file{'s' * (len(changed) != 1)} updated in {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
