"""Configuration: `[tool.scorelint]` in the nearest pyproject.toml, merged with the command line.

As in Ruff, every file is governed by the nearest `pyproject.toml` above it
that has a `[tool.scorelint]` table (a pyproject.toml without one is passed
over); `--config PATH` makes one file govern everything. Patterns in a
discovered file are relative to its folder; patterns in a `--config` file
and on the command line are relative to the working directory (Ruff's rule).

Rule selection is resolved in layers, the file first and then the command
line. In each layer `select` (when given) starts over, `extend-select` adds,
`ignore` removes, and the more specific selector wins (`SL201` beats `SL2`
beats `SL` beats `ALL`); at equal specificity `ignore` wins.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scorelint.engine.registry import index
from scorelint.engine.suppressions import UNUSED_CODE
from scorelint.reports.output_formats import FORMATS
from scorelint.run import discovery

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

TABLE = "tool.scorelint"
KEYS = (
    "select", "extend-select", "ignore", "per-file-ignores", "exclude", "extend-exclude",
    "force-exclude", "unsafe-fixes", "output-format", "docs-url",
)
# Bytes of a configuration file read at most (it comes with the checkout).
CONFIG_FILE_LIMIT = 4 * 1024 * 1024
# Ruff's idea of folders that never hold the project's own code; `exclude`
# replaces this list and `extend-exclude` adds to it.
DEFAULT_EXCLUDE = (*sorted(discovery.SKIP_DIRS), "*.egg-info")


class ConfigError(Exception):
    """A configuration file or option that cannot be used; the message says where and why."""


def selectable_codes() -> tuple[str, ...]:
    """Codes `select`/`ignore` act on: every rule, plus unused-suppression reports."""
    return tuple(sorted({r.code for r in index()} | {UNUSED_CODE}))


def _selectors() -> list[str]:
    """Every valid selector: ALL, each code, and each prefix of a code (`SL`, `SL2`, `SL20`)."""
    found = {"ALL"}
    for code in selectable_codes():
        found.update(code[:n] for n in range(2, len(code) + 1))
    return sorted(found)


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; expected one of {', '.join(repr(c) for c in choices[:12])}"


def check_selectors(selectors: Iterable[str], where: str) -> tuple[str, ...]:
    """Upper-cased selectors, or a `ConfigError` naming the closest valid one."""
    valid = _selectors()
    result = []
    for selector in selectors:
        upper = selector.strip().upper()
        if upper not in valid:
            # The whole list: a cut one would hide the very prefix the user wanted.
            close = difflib.get_close_matches(upper, valid, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else "."
            raise ConfigError(f"{where}: unknown rule selector {selector!r}{hint} "
                              f"Valid selectors: {', '.join(valid)}")
        result.append(upper)
    return tuple(result)


@dataclass(frozen=True)
class Layer:
    """One source of rule selection (a config file or the command line); None = not set."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


def _specificity(selector: str) -> int:
    return 0 if selector == "ALL" else len(selector)


def _matches(selector: str, code: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def resolve_codes(layers: Sequence[Layer]) -> frozenset[str]:
    """The codes enabled after applying each layer in turn (see the module docstring)."""
    universe = selectable_codes()
    # Nothing configured: every rule but the opt-in ones.
    enabled = set(universe) - {r.code for r in index() if not r.default}
    for layer in layers:
        current = set() if layer.select is not None else set(enabled)
        entries = [(s, True) for s in (*(layer.select or ()), *layer.extend_select)]
        entries += [(s, False) for s in layer.ignore]
        # Less specific first so the more specific selector has the last word;
        # at equal specificity the ignore comes last.
        for selector, on in sorted(entries, key=lambda e: (_specificity(e[0]), not e[1])):
            hit = {c for c in universe if _matches(selector, c)}
            current = current | hit if on else current - hit
        enabled = current
    return frozenset(enabled)


@dataclass(frozen=True)
class FileConfig:
    """The validated `[tool.scorelint]` table of one file; None means the key was not set."""

    path: str
    root: str  # the folder its patterns are relative to
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    force_exclude: bool | None = None
    unsafe_fixes: bool | None = None
    output_format: str | None = None
    docs_url: str | None = None  # a mirror of the documentation site (scorelint.base.urls)


@dataclass(frozen=True)
class Overrides:
    """What the command line said; None (or empty) leaves the configuration's value."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    force_exclude: bool | None = None
    unsafe_fixes: bool | None = None
    output_format: str | None = None


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list) or not all(
        isinstance(item, str) for item in value
    ):
        raise ConfigError(f"{where} must be a list of strings, not {_describe(value)}")
    return tuple(value)


def _describe(value: Any) -> str:
    kinds = {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
             list: "a list", dict: "a table"}
    kind = next((name for t, name in kinds.items() if type(value) is t), type(value).__name__)
    return f"{kind} ({value!r})" if not isinstance(value, (list, dict)) else kind


def _patterns(value: Any, where: str) -> tuple[str, ...]:
    """A list of gitignore-style patterns; one that cannot be used names the key."""
    patterns = _string_list(value, where)
    for pattern in patterns:
        _check_pattern(pattern, where)
    return patterns


def _check_pattern(pattern: str, where: str) -> None:
    try:
        discovery.Patterns.of([pattern], strict=True)
    except discovery.PatternError as exc:
        raise ConfigError(f"{where}: bad pattern {pattern!r}: {exc}") from None


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, not {_describe(value)}")
    return value


def _docs_url(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise ConfigError(f"{where} must be an http(s) address, not {_describe(value)}")
    return value


def _output_format(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, not {_describe(value)}")
    if value not in FORMATS:
        raise ConfigError(f"{where}: unknown output format {value!r}"
                          f"{_suggest(value, FORMATS)}")
    return value


def parse_table(table: Mapping[str, Any], path: str, root: str) -> FileConfig:
    """Validate a `[tool.scorelint]` table; the error names the key and the closest valid one."""
    where = f"{path}: [{TABLE}]"
    for key in table:
        if key not in KEYS:
            raise ConfigError(f"{where} unknown key {key!r}{_suggest(key, KEYS)}")

    def selectors(key: str) -> tuple[str, ...]:
        return check_selectors(_string_list(table[key], f"{where} {key}"), f"{where} {key}")

    per_file: list[tuple[str, tuple[str, ...]]] = []
    if "per-file-ignores" in table:
        value = table["per-file-ignores"]
        if not isinstance(value, dict):
            raise ConfigError(f"{where} per-file-ignores must be a table of pattern = [codes], "
                              f"not {_describe(value)}")
        for pattern, codes in value.items():
            key = f"{where} per-file-ignores.{pattern!r}"
            _check_pattern(pattern.lstrip("!"), key)
            per_file.append((pattern, check_selectors(_string_list(codes, key), key)))
    return FileConfig(
        path=path,
        root=root,
        select=selectors("select") if "select" in table else None,
        extend_select=selectors("extend-select") if "extend-select" in table else (),
        ignore=selectors("ignore") if "ignore" in table else (),
        per_file_ignores=tuple(per_file),
        exclude=_patterns(table["exclude"], f"{where} exclude") if "exclude" in table else None,
        extend_exclude=(_patterns(table["extend-exclude"], f"{where} extend-exclude")
                        if "extend-exclude" in table else ()),
        force_exclude=(_bool(table["force-exclude"], f"{where} force-exclude")
                       if "force-exclude" in table else None),
        unsafe_fixes=(_bool(table["unsafe-fixes"], f"{where} unsafe-fixes")
                      if "unsafe-fixes" in table else None),
        output_format=(_output_format(table["output-format"], f"{where} output-format")
                       if "output-format" in table else None),
        docs_url=(_docs_url(table["docs-url"], f"{where} docs-url")
                  if "docs-url" in table else None),
    )


def load(path: str, root: str | None = None) -> FileConfig | None:
    """Read a config file: `[tool.scorelint]` of a pyproject.toml, else the whole table.

    Returns None for a pyproject.toml without a `[tool.scorelint]` table.
    """
    try:
        data = tomllib.loads(discovery.read_bounded(path, CONFIG_FILE_LIMIT).decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except discovery.Unreadable as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: not UTF-8 (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
    folder = root if root is not None else os.path.dirname(os.path.abspath(path))
    if os.path.basename(path) != "pyproject.toml":
        return parse_table(data, path, folder)
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: [tool] must be a table, not {_describe(tool)}")
    table = tool.get("scorelint")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{TABLE}] must be a table")
    return parse_table(table, path, folder)


@dataclass(frozen=True)
class _Patterns:
    """Gitignore-style patterns relative to one folder (matched in linear time: they
    come from the checkout)."""

    root: str
    spec: discovery.Patterns = field(compare=False)

    @classmethod
    def of(cls, root: str, lines: Iterable[str]) -> _Patterns:
        return cls(root, discovery.Patterns.of(lines, strict=True))

    def match(self, path: str, is_dir: bool = False) -> bool:
        """Does the path (or a folder above it, below `root`) match?"""
        absolute = os.path.abspath(path)
        rel = os.path.relpath(absolute, self.root)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
            rel = os.path.basename(absolute)  # outside the root: only name patterns can match
        rel = rel.replace(os.sep, "/")
        if rel == ".":
            return False
        return self.spec.match(rel, is_dir)


@dataclass(frozen=True)
class Settings:
    """Configuration and command line merged, for the files one configuration governs."""

    codes: frozenset[str]
    per_file_ignores: tuple[tuple[_Patterns, bool, tuple[str, ...]], ...]
    exclude: tuple[_Patterns, ...]
    force_exclude: bool = False
    unsafe_fixes: bool = False
    output_format: str = "text"
    docs_url: str | None = None

    def codes_for(self, path: str) -> tuple[str, ...]:
        """The codes enabled for one file, after `per-file-ignores`."""
        ignored: set[str] = set()
        for patterns, negated, selectors in self.per_file_ignores:
            if patterns.match(path) != negated:
                ignored.update(c for c in self.codes if any(_matches(s, c) for s in selectors))
        return tuple(sorted(self.codes - ignored))

    def excluded(self, path: str, is_dir: bool) -> bool:
        """Is the file or folder excluded by `exclude` / `extend-exclude`?"""
        return any(p.match(path, is_dir) for p in self.exclude)


class Resolver:
    """Finds and caches the settings for each folder (nearest config wins)."""

    def __init__(self, overrides: Overrides = Overrides(), config: str | None = None,
                 cwd: str | None = None) -> None:
        self.overrides = overrides
        self.cwd = os.path.abspath(cwd or os.getcwd())
        self._configs: dict[str, FileConfig | None] = {}
        self._settings: dict[str | None, Settings] = {}
        self.forced: FileConfig | None = None
        if config is not None:
            if not os.path.lexists(config):
                raise ConfigError(f"--config {config}: no such file")
            self.forced = load(config, root=self.cwd) or FileConfig(path=config, root=self.cwd)
        check_selectors(overrides.select or (), "--select")
        check_selectors(overrides.extend_select, "--extend-select")
        check_selectors(overrides.ignore, "--ignore")
        for pattern in overrides.exclude or ():
            _check_pattern(pattern, "--exclude")
        for pattern in overrides.extend_exclude:
            _check_pattern(pattern, "--extend-exclude")
        if overrides.output_format is not None:
            _output_format(overrides.output_format, "--output-format")

    def nearest(self, folder: str) -> FileConfig | None:
        """The config governing files in `folder`: `--config`, else the nearest one above."""
        if self.forced is not None:
            return self.forced
        folder = os.path.abspath(folder)
        seen = []
        found: FileConfig | None = None
        while True:
            if folder in self._configs:
                found = self._configs[folder]
                break
            seen.append(folder)
            candidate = os.path.join(folder, "pyproject.toml")
            if os.path.isfile(candidate):
                found = load(candidate)
                if found is not None:
                    break
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
        for visited in seen:
            self._configs[visited] = found
        return found

    def settings_for(self, path: str) -> Settings:
        """Settings for a file (or folder), from the config of the folder holding it."""
        config = self.nearest(os.path.dirname(os.path.abspath(path)) or self.cwd)
        return self._merged(config)

    def for_run(self, paths: Sequence[str]) -> Settings:
        """Settings for the run as a whole (output format): those of the checked paths' folder."""
        return self._merged(self.nearest(common_folder(paths)))

    def excluded(self, path: str, is_dir: bool) -> bool:
        """The predicate file discovery uses."""
        return self.settings_for(path).excluded(path, is_dir)

    def _merged(self, config: FileConfig | None) -> Settings:
        key = config.path if config is not None else None
        if key not in self._settings:
            self._settings[key] = self._merge(config)
        return self._settings[key]

    def _merge(self, config: FileConfig | None) -> Settings:
        over = self.overrides
        layers = [Layer(over.select, over.extend_select, over.ignore)]
        if config is not None:
            layers.insert(0, Layer(config.select, config.extend_select, config.ignore))
        base = config or FileConfig(path="", root=self.cwd)
        per_file = []
        for pattern, selectors in base.per_file_ignores:
            negated = pattern.startswith("!")
            per_file.append((_Patterns.of(base.root, [pattern.lstrip("!")]), negated, selectors))
        # `exclude` replaces the defaults, `extend-exclude` adds; the command line
        # version of each is relative to the working directory.
        if over.exclude is not None:
            exclude = [_Patterns.of(self.cwd, over.exclude)]
        elif base.exclude is not None:
            exclude = [_Patterns.of(base.root, base.exclude)]
        else:
            exclude = [_Patterns.of(self.cwd, DEFAULT_EXCLUDE)]
        exclude.append(_Patterns.of(base.root, base.extend_exclude))
        exclude.append(_Patterns.of(self.cwd, over.extend_exclude))
        return Settings(
            codes=resolve_codes(layers),
            per_file_ignores=tuple(per_file),
            exclude=tuple(p for p in exclude if p.spec.patterns),
            force_exclude=_first(over.force_exclude, base.force_exclude, False),
            unsafe_fixes=_first(over.unsafe_fixes, base.unsafe_fixes, False),
            output_format=_first(over.output_format, base.output_format, "text"),
            docs_url=base.docs_url,
        )


def common_folder(paths: Sequence[str]) -> str:
    """The deepest existing folder holding every path (the working directory for none)."""
    folders = []
    for path in paths or ["."]:
        folder = os.path.abspath(path)
        while not os.path.isdir(folder) and os.path.dirname(folder) != folder:
            folder = os.path.dirname(folder)
        folders.append(folder)
    try:
        return os.path.commonpath(folders)
    except ValueError:  # different drives
        return os.getcwd()


def _first(*values: Any) -> Any:
    return next(v for v in values if v is not None)

