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

from scorelint import (
    __version__,
    baseline,
    changes,
    config,
    discovery,
    reporters,
    runner,
    suppressions,
)
from scorelint.findings import ERROR_CODE, FixAvailability
from scorelint.rule import all_rules, find_rule

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


def _codes(value: str) -> tuple[str, ...]:
    return tuple(part.strip().upper() for part in value.split(",") if part.strip())


def _patterns(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scorelint",
        description="Find, explain and fix numerical scoring bugs in Python ML code.",
    )
    parser.add_argument("--version", action="version", version=f"scorelint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="check files or folders (default: .)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to check")
    check.add_argument("--config", metavar="PATH",
                       help="use this TOML file for every file (default: the nearest "
                            "pyproject.toml with [tool.scorelint] above each file)")
    check.add_argument("--select", type=_codes, default=None, metavar="CODES",
                       help="comma-separated rule codes or prefixes to enable, replacing the "
                            "configuration's select (e.g. SL1,SL201)")
    check.add_argument("--extend-select", type=_codes, default=(), metavar="CODES",
                       help="rule codes or prefixes to enable on top of those selected")
    check.add_argument("--ignore", type=_codes, default=(), metavar="CODES",
                       help="comma-separated rule codes or prefixes to disable")
    check.add_argument("--exclude", type=_patterns, default=None, metavar="PATTERNS",
                       help="comma-separated gitignore-style patterns of files and folders to "
                            "skip, replacing the configuration's exclude")
    check.add_argument("--extend-exclude", type=_patterns, default=(), metavar="PATTERNS",
                       help="patterns to skip on top of exclude")
    check.add_argument("--force-exclude", dest="force_exclude", action="store_const",
                       const=True, default=None,
                       help="apply exclusions to files named on the command line too "
                            "(as a pre-commit hook wants)")
    check.add_argument("--no-force-exclude", dest="force_exclude", action="store_const",
                       const=False, help=argparse.SUPPRESS)
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument("--unsafe-fixes", dest="unsafe_fixes", action="store_const", const=True,
                       default=None,
                       help="also apply (and show) fixes that change what is computed")
    check.add_argument("--no-unsafe-fixes", dest="unsafe_fixes", action="store_const",
                       const=False, help="neither apply nor show unsafe fixes, whatever the "
                                         "configuration says")
    check.add_argument("--diff", action="store_true",
                       help="print the fixes as a patch and write nothing")
    check.add_argument("--output-format", choices=reporters.FORMATS, default=None,
                       help="(default: the configuration's output-format, else text)")
    check.add_argument("--show-suppressed", action="store_true",
                       help="also list findings silenced by a suppression comment or the "
                            "baseline, marked as suppressed (they never fail the run)")
    check.add_argument("--baseline", metavar="FILE",
                       help="report only findings not recorded in FILE (see --write-baseline)")
    check.add_argument("--write-baseline", action="store_true",
                       help="record today's findings in the --baseline FILE instead of "
                            "reporting them, and exit 0")
    check.add_argument("--changed-since", metavar="REV",
                       help="report only findings on lines changed since git revision REV "
                            "(untracked files count as changed)")
    check.add_argument("--exit-zero", action="store_true",
                       help="exit 0 even when findings remain")
    check.add_argument("-j", "--jobs", type=int, default=None,
                       help="worker processes (default: one per core)")

    explain = commands.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("code", metavar="CODE", help="rule code or name, e.g. SL201")

    rules = commands.add_parser("rules", help="list the rules")
    rules.add_argument("--output-format", choices=("text", "json"), default="text")
    return parser


def run_check(args: argparse.Namespace) -> int:
    if args.write_baseline and not args.baseline:
        raise UsageError("--write-baseline needs --baseline FILE")
    if args.write_baseline and (args.changed_since or args.diff):
        raise UsageError("--write-baseline records every finding; it does not combine with "
                         "--changed-since or --diff")
    resolver = config.Resolver(config.Overrides(
        select=args.select, extend_select=args.extend_select, ignore=args.ignore,
        exclude=args.exclude, extend_exclude=args.extend_exclude,
        force_exclude=args.force_exclude, unsafe_fixes=args.unsafe_fixes,
        output_format=args.output_format,
    ), config=args.config)
    paths = args.paths or ["."]
    settings = resolver.for_run(paths)
    # Read the baseline and ask git before the (slow) check, so mistakes fail fast.
    recorded = baseline.load(args.baseline) if args.baseline and not args.write_baseline else None
    changed = (changes.changed_since(args.changed_since, config.common_folder(paths))
               if args.changed_since else None)
    candidates = list(discovery.iter_files(paths, excluded=resolver.excluded,
                                           force_exclude=settings.force_exclude))

    def options_for(path: str) -> runner.Options:
        own = resolver.settings_for(path)
        return runner.Options(codes=own.codes_for(path), fix=args.fix and not args.diff,
                              unsafe_fixes=own.unsafe_fixes, diff=args.diff)

    outcomes = runner.run(candidates, options_for, jobs=args.jobs)
    failed = any(o.failed for o in outcomes)
    if args.diff:
        patches = "".join(o.diff for o in sorted(outcomes, key=lambda o: o.path))
        sys.stdout.write(patches)
        sys.stdout.flush()  # the patch before the summary on a shared terminal
        would = sum(o.fixed for o in outcomes)
        print(f"Would fix {would} error{'s' * (would != 1)}.", file=sys.stderr)
        for outcome in outcomes:
            for finding in outcome.findings:
                if finding.code == "SL000":
                    print(f"{finding.path}: {finding.code} {finding.message}", file=sys.stderr)
        return EXIT_ERROR if failed else (EXIT_FINDINGS if would else EXIT_CLEAN)
    if args.write_baseline:
        return _write_baseline(args.baseline, outcomes)
    if recorded is not None:
        _, stale = baseline.apply(outcomes, recorded)
        if stale:
            print(f"scorelint: {stale} finding{'s' * (stale != 1)} in {args.baseline} no longer "
                  "occur; `--write-baseline` drops them", file=sys.stderr)
    if changed is not None:
        changes.keep_changed(outcomes, changed)
    output_format = settings.output_format
    color = (output_format == "text" and sys.stdout.isatty()
             and not os.environ.get("NO_COLOR"))
    report = reporters.Report(outcomes, unsafe_fixes=settings.unsafe_fixes, fix=args.fix,
                              color=color, show_suppressed=args.show_suppressed)
    sys.stdout.write(reporters.render(output_format, report))
    if failed:
        return EXIT_ERROR
    if any(not f.suppressed for f in report.findings) and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _write_baseline(path: str, outcomes: Sequence[runner.FileOutcome]) -> int:
    """`--write-baseline`: record the findings; files that could not be checked fail the run."""
    count = baseline.write(path, outcomes)
    print(f"Wrote {count} finding{'s' * (count != 1)} to {path}.", file=sys.stderr)
    errors = [f for o in outcomes for f in o.findings if f.code == ERROR_CODE]
    for finding in errors:
        print(f"{finding.path}: {finding.code} {finding.message}", file=sys.stderr)
    return EXIT_ERROR if errors else EXIT_CLEAN


def run_explain(args: argparse.Namespace) -> int:
    if args.code.upper() == suppressions.UNUSED_CODE or args.code == suppressions.UNUSED_NAME:
        sys.stdout.write(suppressions.docs())
        return EXIT_CLEAN
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
    if getattr(sys.stdout, "errors", None) == "strict" and hasattr(sys.stdout, "reconfigure"):
        # File names that are not UTF-8, lone surrogates in a notebook: printable anyway.
        sys.stdout.reconfigure(errors=reporters.OUTPUT_ERRORS)
    try:
        return handlers[args.command](args)
    except (UsageError, config.ConfigError, baseline.BaselineError, changes.GitError) as exc:
        print(f"scorelint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_CLEAN
    except Exception as exc:  # noqa: BLE001  (our bug: one line and exit 2, never a traceback and 1)
        print(f"scorelint: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
