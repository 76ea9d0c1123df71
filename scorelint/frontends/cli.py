"""The command line: `scorelint check`, `explain`, `rules`, `server`, `version`.

Exit codes as Ruff: 0 nothing left to report, 1 findings remain, 2 a file
could not be checked, a path does not exist, or the command line was wrong.
`--exit-zero` turns 1 into 0 and never hides a 2.

Modules that pull in LibCST (and the server's and watcher's libraries) are
imported where they are used, so `scorelint --version` answers at once.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from scorelint.frontends import color
from scorelint.reports.output_formats import FORMATS
from scorelint.version import __version__

if TYPE_CHECKING:
    from scorelint.base.findings import FileOutcome
    from scorelint.frontends import progress
    from scorelint.run import cache, config, discovery, pipeline

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
STDIN = "-"
# argparse's wording for a bad choice, before and after Python 3.12.8 dropped the quotes.
_INVALID_CHOICE = re.compile(r"invalid choice: '?(?P<word>[^' ]*)'? \(choose from (?P<choices>.*)\)")
_CHOICE = re.compile(r"[^\s',]+")


class UsageError(Exception):
    pass


def _codes(value: str) -> tuple[str, ...]:
    return tuple(part.strip().upper() for part in value.split(",") if part.strip())


def _positive(value: str) -> int:
    """`-j N`: a whole number of workers, at least one."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a number of workers (1 or more)")
    return number


def _patterns(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


class _Parser(argparse.ArgumentParser):
    """argparse that suggests the closest value for a mistyped subcommand or choice."""

    def error(self, message: str) -> NoReturn:
        match = _INVALID_CHOICE.search(message)
        if match:
            close = difflib.get_close_matches(match["word"], _CHOICE.findall(match["choices"]),
                                              n=1, cutoff=0.5)
            if close:
                message += f"; did you mean {close[0]!r}?"
        super().error(message)


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [option for action in parser._actions for option in action.option_strings]


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser, and each subcommand's parser by name (to suggest its flags)."""
    # No abbreviations, as in Ruff: `--stat` is a typo to point out, not a flag to guess.
    parser = _Parser(
        prog="scorelint", allow_abbrev=False,
        description="Find, explain and fix numerical scoring bugs in Python ML code.",
    )
    parser.add_argument("--version", action="version", version=f"scorelint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND",
                                     parser_class=_Parser)

    check = commands.add_parser("check", allow_abbrev=False,
                                help="check files or folders (default: .)")
    check.add_argument("paths", nargs="*", metavar="PATH",
                       help="files or folders to check; `-` reads the source from standard "
                            "input")
    check.add_argument("--stdin-filename", metavar="PATH",
                       help="the name of the file on standard input: its configuration, "
                            "per-file-ignores and messages (implies `-`)")
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
    check.add_argument("--output-format", choices=FORMATS, default=None,
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
                       help="exit 0 even when findings remain (a file that could not be "
                            "checked or a missing path still exits 2)")
    check.add_argument("--statistics", action="store_true",
                       help="print how many findings each rule has, and whether --fix fixes "
                            "them, instead of the findings")
    check.add_argument("--show-fixes", action="store_true",
                       help="list the fixes --fix applied (without --fix: would apply), "
                            "per file and rule")
    check.add_argument("--color", choices=color.CHOICES, default="auto",
                       help="colour text and concise output: auto (a terminal, unless "
                            "NO_COLOR is set; FORCE_COLOR forces it), always, never")
    check.add_argument("-q", "--quiet", action="store_true",
                       help="print the findings and nothing else (no summary)")
    check.add_argument("-s", "--silent", action="store_true",
                       help="print nothing; only the exit code tells (errors in the command "
                            "line or the configuration are still printed)")
    check.add_argument("--watch", action="store_true",
                       help="check again whenever a checked file or pyproject.toml changes")
    check.add_argument("-j", "--jobs", type=_positive, default=None,
                       help="worker processes (default: one per core)")
    # Ruff's flags for looking before checking, marking and scripting.
    check.add_argument("--show-files", action="store_true",
                       help="list the files that would be checked, and check nothing")
    check.add_argument("--show-settings", action="store_true",
                       help="print the settings the first file is checked with, and check nothing")
    check.add_argument("--add-noqa", action="store_true",
                       help="add `# noqa: CODE` to every line with a finding (as Ruff)")
    check.add_argument("--exit-non-zero-on-fix", action="store_true",
                       help="exit 1 when a fix changed a file, even if nothing is left")
    check.add_argument("-o", "--output-file", metavar="PATH", default=None,
                       help="write the report to this file instead of standard output")
    check.add_argument("--no-cache", action="store_true",
                       help="check every file again, neither reading nor writing the cache")
    check.add_argument("--cache-dir", metavar="PATH", default=None,
                       help="where results are cached (default: $SCORELINT_CACHE_DIR, else "
                            "the project's folder in ~/.cache/scorelint or $XDG_CACHE_HOME)")

    clean = commands.add_parser("clean", allow_abbrev=False,
                                help="remove the cache of the project here (or --cache-dir)")
    clean.add_argument("--cache-dir", metavar="PATH", default=None)

    explain = commands.add_parser("explain", allow_abbrev=False,
                                  help="print a rule's documentation")
    explain.add_argument("code", metavar="CODE", help="rule code or name, e.g. SL201")

    rules = commands.add_parser("rules", allow_abbrev=False, help="list the rules")
    rules.add_argument("--output-format", choices=("text", "json"), default="text")

    commands.add_parser("server", allow_abbrev=False,
                        help="run the language server (LSP over standard input and output)")

    version = commands.add_parser("version", allow_abbrev=False,
                                  help="print scorelint's version")
    version.add_argument("--output-format", choices=("text", "json"), default="text")
    return parser, dict(commands.choices)


def _reads_stdin(args: argparse.Namespace) -> bool:
    """`check -`, or `--stdin-filename` with no path (as Ruff)."""
    if STDIN in args.paths:
        if len(args.paths) > 1:
            raise UsageError("`-` (standard input) cannot be combined with other paths")
        return True
    if args.stdin_filename is not None and args.paths:
        raise UsageError("--stdin-filename names standard input; give `-` instead of paths")
    return args.stdin_filename is not None


def _check_usage(args: argparse.Namespace, stdin: bool) -> None:
    """Flag combinations that cannot mean anything fail before any work."""
    if args.write_baseline and not args.baseline:
        raise UsageError("--write-baseline needs --baseline FILE")
    if args.write_baseline and (args.changed_since or args.diff):
        raise UsageError("--write-baseline records every finding; it does not combine with "
                         "--changed-since or --diff")
    for flag, on in (("--statistics", args.statistics), ("--show-fixes", args.show_fixes)):
        if on and (args.diff or args.write_baseline):
            raise UsageError(f"{flag} reports findings; it does not combine with "
                             f"{'--diff' if args.diff else '--write-baseline'}")
    if stdin and args.watch:
        raise UsageError("--watch watches files; it cannot watch standard input")
    if stdin and args.stdin_filename and args.stdin_filename.endswith(".ipynb"):
        raise UsageError("a notebook cannot be checked from standard input; name its file")
    looks = [flag for flag, on in (("--show-files", args.show_files),
                                   ("--show-settings", args.show_settings),
                                   ("--add-noqa", args.add_noqa)) if on]
    if len(looks) > 1:
        raise UsageError(f"{looks[0]} does not combine with {looks[1]}")
    if looks and (args.fix or args.diff or args.watch or stdin or args.write_baseline):
        raise UsageError(f"{looks[0]} does not combine with --fix, --diff, --watch, "
                         "--write-baseline or standard input")


def _resolver(args: argparse.Namespace) -> config.Resolver:
    from scorelint.run import config

    return config.Resolver(config.Overrides(
        select=args.select, extend_select=args.extend_select, ignore=args.ignore,
        exclude=args.exclude, extend_exclude=args.extend_exclude,
        force_exclude=args.force_exclude, unsafe_fixes=args.unsafe_fixes,
        output_format=args.output_format,
    ), config=args.config)


def run_check(args: argparse.Namespace) -> int:
    stdin = _reads_stdin(args)
    _check_usage(args, stdin)
    _resolver(args)  # a bad selector or configuration fails now, not inside the watch loop
    if args.watch:
        from scorelint.frontends import watch

        return watch.run(args.paths or ["."], lambda: _check_and_go_on(args),
                         config_file=args.config)
    return check_once(args, stdin=stdin)


def _check_and_go_on(args: argparse.Namespace) -> int:
    """One run in watch mode: a configuration broken mid-edit is reported, not fatal."""
    try:
        return check_once(args, stdin=False)
    except Exception as exc:
        if not isinstance(exc, _input_errors()):
            raise
        print(f"scorelint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


def check_once(args: argparse.Namespace, stdin: bool) -> int:
    """One `scorelint check` run: find, check, report; the exit code."""
    from scorelint.run import baseline, changes, config, discovery, pipeline, runner

    resolver = _resolver(args)  # anew each run: `--watch` sees configuration changes
    paths = [args.stdin_filename or "."] if stdin else (args.paths or ["."])
    settings = resolver.for_run(paths)
    from scorelint.base import urls

    urls.use_mirror(settings.docs_url)  # the configuration's mirror of the docs, if any
    if args.statistics and settings.output_format not in ("text", "concise", "json"):
        raise UsageError(f"--statistics prints text or json, not {settings.output_format}")
    # Read the baseline and ask git before the (slow) check, so mistakes fail fast.
    recorded = baseline.load(args.baseline) if args.baseline and not args.write_baseline else None
    changed = (changes.changed_since(args.changed_since, config.common_folder(paths))
               if args.changed_since else None)
    if stdin:
        source_bytes, outcomes = _check_stdin(args, resolver)
    else:
        candidates = list(discovery.iter_files(paths, excluded=resolver.excluded,
                                               force_exclude=settings.force_exclude))
        if args.show_files or args.show_settings:
            return _show(args, resolver, candidates)

        def options_for(path: str) -> pipeline.Options:
            own = resolver.settings_for(path)
            return pipeline.Options(codes=own.codes_for(path), fix=args.fix and not args.diff,
                                  unsafe_fixes=own.unsafe_fixes, diff=args.diff)

        line = _progress(args, settings.output_format)
        try:
            outcomes = runner.run(candidates, options_for, jobs=args.jobs,
                                  cache=_cache(args, config.common_folder(paths)),
                                  progress=line)
        finally:
            if line:
                line.close()
        source_bytes = None
    failed = any(o.failed for o in outcomes)
    if args.diff:
        return _report_diff(args, outcomes, failed)
    if args.add_noqa:
        return _add_noqa(outcomes, failed)
    if args.write_baseline:
        return _write_baseline(args.baseline, outcomes)
    if recorded is not None:
        hidden, stale = baseline.apply(outcomes, recorded)
        if not (args.quiet or args.silent):
            # "All checks passed!" alone would hide that the baseline hid something.
            print(f"scorelint: {hidden} finding{'s' * (hidden != 1)} hidden by the baseline "
                  f"{args.baseline} (`--show-suppressed` lists them)", file=sys.stderr)
        if stale and not (args.quiet or args.silent):
            print(f"scorelint: {stale} finding{'s' * (stale != 1)} in {args.baseline} no longer "
                  "occur; `--write-baseline` drops them", file=sys.stderr)
    if changed is not None:
        changes.keep_changed(outcomes, changed)
    report_stream = sys.stdout
    if source_bytes is not None:  # `--fix -`: stdout carries the fixed source, the report stderr
        sys.stdout.buffer.write(source_bytes)
        sys.stdout.flush()
        report_stream = sys.stderr
    if args.output_file is not None:  # as Ruff's `-o`: the report only, never the fixed source
        report = _report(args, settings, outcomes, None)
        try:
            with open(args.output_file, "w", encoding="utf-8") as handle:
                handle.write(report)
        except OSError as exc:
            raise UsageError(f"--output-file {args.output_file}: {exc.strerror}") from None
    else:
        report = _report(args, settings, outcomes, report_stream)
        if not args.silent:
            report_stream.write(report)
            report_stream.flush()
    if failed:
        return EXIT_ERROR
    if any(not f.suppressed for o in outcomes for f in o.findings) and not args.exit_zero:
        return EXIT_FINDINGS
    if args.exit_non_zero_on_fix and any(o.fixed for o in outcomes):
        return EXIT_FINDINGS  # Ruff's `--exit-non-zero-on-fix`: a file was changed
    return EXIT_CLEAN


def _show(args: argparse.Namespace, resolver: config.Resolver,
          candidates: Sequence[discovery.Candidate]) -> int:
    """`--show-files` (one file a line, sorted) or `--show-settings` (those of the first
    file, as Ruff prints them); nothing is checked."""
    import json

    from scorelint.engine import wrapping

    files = sorted(c.path for c in candidates if not (c.error or c.skipped))
    if args.show_files:
        sys.stdout.write("".join(f"{os.path.abspath(path)}\n" for path in files))
        return EXIT_CLEAN
    if not files:
        raise UsageError("no file to show the settings of")
    first = files[0]
    own = resolver.settings_for(first)
    found = resolver.nearest(os.path.dirname(os.path.abspath(first)))
    rows = [
        ("config", found.path if found is not None else "(none: the defaults)"),
        ("select", list(own.codes_for(first))),
        ("unsafe-fixes", own.unsafe_fixes),
        ("force-exclude", own.force_exclude),
        ("output-format", own.output_format),
        ("line-length (for fixes)", wrapping.line_length(first)),
    ]
    print(f'Resolved settings for: "{os.path.abspath(first)}"')
    for key, value in rows:
        print(f"{key} = {json.dumps(value)}")
    return EXIT_CLEAN


def _add_noqa(outcomes: Sequence[FileOutcome], failed: bool) -> int:
    """`--add-noqa`: a `# noqa: CODE` on each line with a finding, written in place."""
    from scorelint.base import source
    from scorelint.engine import suppressions
    from scorelint.run import notebook

    added = 0
    for outcome in outcomes:
        if notebook.is_notebook(outcome.path) or not any(
                not f.suppressed for f in outcome.findings):
            continue
        raw = source.read_bytes(outcome.path)
        original = source.decode(raw)
        text, count = suppressions.add_noqa(original.text, outcome.findings)
        if count:
            source.write_atomic(outcome.path, original.to_bytes(text), expected=raw)
            added += count
    print(f"Added {added} noqa directive{'s' * (added != 1)}.", file=sys.stderr)
    return EXIT_ERROR if failed else EXIT_CLEAN


def _cache(args: argparse.Namespace, checked: str) -> cache.Cache | None:
    """The results cache of a check run of the folder `checked` (none with `--no-cache`)."""
    from scorelint.run import cache

    folder = None if args.no_cache else args.cache_dir or cache.default_dir(checked)
    return cache.Cache(folder) if folder else None


def _progress(args: argparse.Namespace, output_format: str) -> progress.Progress | None:
    """The progress line on stderr, for people watching a terminal (the runner tells it
    the work)."""
    from scorelint.frontends import progress

    if args.quiet or args.silent or not progress.wanted(sys.stderr, output_format):
        return None
    return progress.Progress(sys.stderr)


def run_clean(args: argparse.Namespace) -> int:
    """`scorelint clean`: remove the cache folder."""
    from scorelint.run import cache

    folder = args.cache_dir or cache.default_dir()
    try:
        removed = cache.clean(folder) if folder else False
    except OSError as exc:
        raise UsageError(str(exc)) from None
    print(f"Removed {folder}" if removed else f"No cache at {folder}", file=sys.stderr)
    return EXIT_CLEAN


def _check_stdin(args: argparse.Namespace, resolver: config.Resolver
                 ) -> tuple[bytes | None, list[FileOutcome]]:
    """Check the source on standard input; with `--fix`, also the fixed source's bytes."""
    from scorelint.base import source
    from scorelint.frontends import api

    raw = sys.stdin.buffer.read()
    fix = args.fix and not args.diff
    try:
        outcome = api.check_buffer(raw, args.stdin_filename or api.STDIN_PATH, resolver,
                                   fix=fix, diff=args.diff)
        if outcome.text is None:  # not decodable or not checked: passed through as it came
            return (raw if args.fix else None), [outcome]
        # The fixed text in the input's own encoding and BOM.
        return (source.decode(raw).to_bytes(outcome.text) if fix else None), [outcome]
    except BaseException:
        if args.fix:  # an editor replaces its buffer with stdout: give the source back whole
            sys.stdout.buffer.write(raw)
            sys.stdout.flush()
        raise


def _report(args: argparse.Namespace, settings: config.Settings,
            outcomes: Sequence[FileOutcome], stream: object) -> str:
    """The report as text: the findings (or their statistics), `--show-fixes`, the summary."""
    from scorelint import reports as reporters
    from scorelint.reports import fixed, statistics, text

    output_format = settings.output_format
    human = output_format in ("text", "concise")
    report = reporters.Report(
        outcomes, unsafe_fixes=settings.unsafe_fixes, fix=args.fix,
        color=human and color.wanted(args.color, stream),  # type: ignore[arg-type]
        show_suppressed=args.show_suppressed, quiet=args.quiet)
    if args.statistics and not human:
        return statistics.render_json(report)
    if not human:
        if args.show_fixes and not args.quiet:  # stdout stays machine-readable
            sys.stderr.write(fixed.render(report))
        return reporters.render(output_format, report)
    if args.statistics:
        body = statistics.render_text(report)
    else:
        body = reporters.render(output_format, report)
        if args.quiet or not args.show_fixes:
            return body
        import dataclasses

        body = reporters.render(output_format, dataclasses.replace(report, quiet=True))
        body += "\n" if output_format == "text" and body else ""  # text: a blank line, as before
    if args.quiet:
        return body
    return body + (fixed.render(report) if args.show_fixes else "") + text.summary(report) + "\n"


def _report_diff(args: argparse.Namespace, outcomes: Sequence[FileOutcome],
                 failed: bool) -> int:
    """`--diff`: the patch on stdout, how many fixes and what could not be checked on stderr."""
    from scorelint.run import pipeline

    patches = "".join(o.diff for o in sorted(outcomes, key=lambda o: o.path))
    if not args.silent:  # bytes: each file's lines in its own encoding, so the patch applies
        sys.stdout.flush()
        sys.stdout.buffer.write(pipeline.patch_bytes(patches))
        sys.stdout.buffer.flush()  # the patch before the summary on a shared terminal
    would = sum(o.fixed for o in outcomes)
    if not (args.quiet or args.silent):
        print(f"Would fix {would} error{'s' * (would != 1)}.", file=sys.stderr)
    for outcome in outcomes:
        for finding in outcome.findings:
            if finding.code == "SL000" and not args.silent:
                print(f"{finding.path}: {finding.code} {finding.message}", file=sys.stderr)
    return EXIT_ERROR if failed else (EXIT_FINDINGS if would else EXIT_CLEAN)


def _write_baseline(path: str, outcomes: Sequence[FileOutcome]) -> int:
    """`--write-baseline`: record the findings; files that could not be checked fail the run."""
    from scorelint.base.findings import ERROR_CODE
    from scorelint.run import baseline

    count = baseline.write(path, outcomes)
    print(f"Wrote {count} finding{'s' * (count != 1)} to {path}.", file=sys.stderr)
    errors = [f for o in outcomes for f in o.findings if f.code == ERROR_CODE]
    for finding in errors:
        print(f"{finding.path}: {finding.code} {finding.message}", file=sys.stderr)
    return EXIT_ERROR if errors else EXIT_CLEAN


def run_explain(args: argparse.Namespace) -> int:
    from scorelint.engine import suppressions
    from scorelint.engine.registry import find_rule

    if args.code.upper() == suppressions.UNUSED_CODE or args.code == suppressions.UNUSED_NAME:
        sys.stdout.write(suppressions.docs())
        return EXIT_CLEAN
    rule = find_rule(args.code)
    if rule is None:
        raise UsageError(f"no rule {args.code!r}; `scorelint rules` lists them")
    sys.stdout.write(rule.docs())
    return EXIT_CLEAN


def run_rules(args: argparse.Namespace) -> int:
    from scorelint.engine.registry import index

    rows = [{"code": r.code, "name": r.name, "fix": r.fix, "safety": r.safety, "url": r.url,
             "default": r.default} for r in index()]
    if args.output_format == "json":
        import json

        print(json.dumps(rows, indent=2))
        return EXIT_CLEAN
    print(f"{'code':<7} {'name':<34} {'fix':<10} safety")
    for row in rows:
        opt_in = "" if row["default"] else "  (opt-in: select it to enable)"
        print(f"{row['code']:<7} {row['name']:<34} {row['fix']:<10} {row['safety']}{opt_in}")
    return EXIT_CLEAN


def run_version(args: argparse.Namespace) -> int:
    if args.output_format == "json":
        import json

        print(json.dumps({"version": __version__}))
    else:
        print(f"scorelint {__version__}")
    return EXIT_CLEAN


def run_server(args: argparse.Namespace) -> int:
    from scorelint.frontends import server

    server.serve()
    return EXIT_CLEAN


def _unrecognized(extras: Sequence[str], parser: argparse.ArgumentParser) -> str:
    """argparse's complaint about unknown arguments, with the closest real flag of each."""
    described = []
    for extra in extras:
        close = (difflib.get_close_matches(extra.split("=", 1)[0], _options(parser), n=1,
                                           cutoff=0.6) if extra.startswith("--") or
                 (extra.startswith("-") and extra != STDIN) else [])
        described.append(f"{extra} (did you mean {close[0]!r}?)" if close else extra)
    return f"unrecognized arguments: {' '.join(described)}"


def _input_errors() -> tuple[type[Exception], ...]:
    """Exceptions that mean bad input (configuration, baseline, git revision): exit 2."""
    from scorelint.frontends import watch
    from scorelint.run import baseline, changes, config

    return (UsageError, config.ConfigError, baseline.BaselineError, changes.GitError,
            watch.WatchError)


def main(argv: Sequence[str] | None = None) -> int:
    parser, commands = _parser()
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:
            command = commands.get(args.command or "", parser)
            command.error(_unrecognized(extras, command))
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    handlers = {"check": run_check, "clean": run_clean, "explain": run_explain,
                "rules": run_rules,
                "server": run_server, "version": run_version}
    if getattr(sys.stdout, "errors", None) == "strict" and hasattr(sys.stdout, "reconfigure"):
        # File names that are not UTF-8, lone surrogates in a notebook: printable anyway.
        from scorelint.reports import OUTPUT_ERRORS

        sys.stdout.reconfigure(errors=OUTPUT_ERRORS)
    try:
        return handlers[args.command](args)
    except BrokenPipeError:
        return EXIT_CLEAN
    except Exception as exc:  # noqa: BLE001  (the input modules are imported only when needed)
        if isinstance(exc, _input_errors()):
            print(f"scorelint: error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        # Our bug: one line and exit 2, never a traceback and 1.
        print(f"scorelint: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
