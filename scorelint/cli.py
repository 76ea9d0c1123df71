"""The command line: `scorelint check`, `scorelint explain`, `scorelint rules`.

Exit codes as Ruff: 0 nothing left to report, 1 findings remain, 2 a file
could not be checked or the command line was wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from scorelint import __version__, discovery, reporters, runner
from scorelint.findings import FixAvailability
from scorelint.rule import all_rules, find_rule, select_rules

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


def _codes(value: str) -> tuple[str, ...]:
    return tuple(part.strip().upper() for part in value.split(",") if part.strip())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scorelint",
        description="Find, explain and fix numerical scoring bugs in Python ML code.",
    )
    parser.add_argument("--version", action="version", version=f"scorelint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="check files or folders (default: .)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to check")
    check.add_argument("--select", type=_codes, default=(), metavar="CODES",
                       help="comma-separated rule codes or prefixes to enable (e.g. SL1,SL201)")
    check.add_argument("--ignore", type=_codes, default=(), metavar="CODES",
                       help="comma-separated rule codes or prefixes to disable")
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument("--unsafe-fixes", action="store_true",
                       help="also apply (and show) fixes that change what is computed")
    check.add_argument("--diff", action="store_true",
                       help="print the fixes as a patch and write nothing")
    check.add_argument("--output-format", choices=reporters.FORMATS, default="text")
    check.add_argument("--exit-zero", action="store_true",
                       help="exit 0 even when findings remain")
    check.add_argument("-j", "--jobs", type=int, default=None,
                       help="worker processes (default: one per core)")

    explain = commands.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("code", metavar="CODE", help="rule code or name, e.g. SL201")

    rules = commands.add_parser("rules", help="list the rules")
    rules.add_argument("--output-format", choices=("text", "json"), default="text")
    return parser


def _validate_selectors(selectors: Sequence[str]) -> None:
    codes = [r.code for r in all_rules()]
    for selector in selectors:
        if selector != "ALL" and not any(code.startswith(selector) for code in codes):
            raise UsageError(f"unknown rule selector {selector!r} (rules are {codes[0]}..{codes[-1]})")


def run_check(args: argparse.Namespace) -> int:
    _validate_selectors((*args.select, *args.ignore))
    rules = select_rules(args.select, args.ignore)
    options = runner.Options(
        codes=tuple(r.code for r in rules),
        fix=args.fix and not args.diff,
        unsafe_fixes=args.unsafe_fixes,
        diff=args.diff,
    )
    candidates = list(discovery.iter_files(args.paths or ["."]))
    outcomes = runner.run(candidates, options, jobs=args.jobs)
    failed = any(o.failed for o in outcomes)
    if args.diff:
        patches = "".join(o.diff for o in sorted(outcomes, key=lambda o: o.path))
        sys.stdout.write(patches)
        would = sum(o.fixed for o in outcomes)
        print(f"Would fix {would} error{'s' * (would != 1)}.", file=sys.stderr)
        for outcome in outcomes:
            for finding in outcome.findings:
                if finding.code == "SL000":
                    print(f"{finding.path}: {finding.code} {finding.message}", file=sys.stderr)
        return EXIT_ERROR if failed else (EXIT_FINDINGS if would else EXIT_CLEAN)
    color = (args.output_format == "text" and sys.stdout.isatty()
             and not os.environ.get("NO_COLOR"))
    report = reporters.Report(outcomes, unsafe_fixes=args.unsafe_fixes, fix=args.fix, color=color)
    sys.stdout.write(reporters.render(args.output_format, report))
    if failed:
        return EXIT_ERROR
    if report.findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def run_explain(args: argparse.Namespace) -> int:
    rule = find_rule(args.code)
    if rule is None:
        raise UsageError(f"no rule {args.code!r}; `scorelint rules` lists them")
    sys.stdout.write(rule.docs())
    return EXIT_CLEAN


def run_rules(args: argparse.Namespace) -> int:
    rows = [
        {
            "code": r.code,
            "name": r.name,
            "fix": r.fix_availability.value,
            "safety": r.applicability.value if r.fix_availability is not FixAvailability.NONE else "-",
            "url": r.url(),
        }
        for r in all_rules()
    ]
    if args.output_format == "json":
        print(json.dumps(rows, indent=2))
        return EXIT_CLEAN
    print(f"{'code':<7} {'name':<34} {'fix':<10} safety")
    for row in rows:
        print(f"{row['code']:<7} {row['name']:<34} {row['fix']:<10} {row['safety']}")
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    handlers = {"check": run_check, "explain": run_explain, "rules": run_rules}
    try:
        return handlers[args.command](args)
    except UsageError as exc:
        print(f"scorelint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_CLEAN
