"""`scorelint server`: a language server (LSP over standard input and output), on pygls.

Editors get the findings `scorelint check` reports, while the code is written:

- diagnostics when a document is opened or saved, and after edits once typing
  pauses (`DEBOUNCE_SECONDS`); each has its code, a link to the rule's docs
  and, where the rule traced the value, the lines that made it as related
  information;
- code actions per finding: its fix (unsafe ones labelled), and a
  `# noqa: CODE` for that line; `source.fixAll.scorelint` applies every safe
  fix (unsafe ones too with `unsafeFixes`);
- hover on a flagged span shows the rule's page.

Settings come from the client (`initializationOptions` or
`workspace/didChangeConfiguration`, optionally under a `scorelint` key:
`select`, `extendSelect`, `ignore`, `unsafeFixes`) and override the nearest
`pyproject.toml` as the command line's flags do. Linting goes through
`scorelint.api`, the same path as `scorelint check -`.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from scorelint import api, config, lsp
from scorelint.findings import Finding
from scorelint.version import __version__

# How long typing must pause before a changed document is checked again.
DEBOUNCE_SECONDS = 0.3


@dataclass(frozen=True)
class ClientSettings:
    """What the editor asked for; None leaves the configuration's value."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None

    @classmethod
    def parse(cls, raw: Any) -> ClientSettings:
        """From `{"select": [...], ...}`, also nested under "scorelint" or "settings"."""
        if not isinstance(raw, dict):
            return cls()
        for key in ("settings", "scorelint"):
            if isinstance(raw.get(key), dict):
                raw = raw[key]

        def codes(key: str) -> tuple[str, ...] | None:
            value = raw.get(key)
            if value is None:
                return None
            if isinstance(value, str):
                value = [value]
            return tuple(str(v).strip().upper() for v in value)

        unsafe = raw.get("unsafeFixes", raw.get("unsafe-fixes"))
        return cls(select=codes("select"), extend_select=codes("extendSelect") or (),
                   ignore=codes("ignore") or (),
                   unsafe_fixes=unsafe if isinstance(unsafe, bool) else None)


@dataclass
class Checked:
    """The last check of a document: for code actions and hovers on what is shown."""

    version: int | None
    text: str
    findings: tuple[Finding, ...]


@dataclass
class State:
    settings: ClientSettings = field(default_factory=ClientSettings)
    checked: dict[str, Checked] = field(default_factory=dict)
    pending: dict[str, asyncio.TimerHandle] = field(default_factory=dict)


class ScorelintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("scorelint", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.state = State()

    def path_of(self, uri: str) -> str:
        """The file a document stands for (an unsaved one: in the working directory)."""
        return to_fs_path(uri) or os.path.join(os.getcwd(), "untitled.py")

    def lines(self, text: str) -> lsp.Lines:
        return lsp.Lines(text, self.workspace.position_codec.client_num_units)

    def check(self, uri: str, text: str, fix: bool = False) -> api.CheckResult:
        """Lint through the Python API; raises `config.ConfigError`."""
        settings = self.state.settings
        # A bad selector is named as the editor's setting, not as the command line's flag.
        for given, key in ((settings.select or (), "select"),
                           (settings.extend_select, "extendSelect"), (settings.ignore, "ignore")):
            config.check_selectors(given, f"the editor's `{key}` setting")
        return api.check_source(text, self.path_of(uri), select=settings.select,
                                extend_select=settings.extend_select, ignore=settings.ignore,
                                unsafe_fixes=settings.unsafe_fixes, fix=fix)

    async def publish(self, uri: str) -> None:
        """Check the document as it is now and send its diagnostics."""
        self.state.pending.pop(uri, None)
        document = self.workspace.get_text_document(uri)
        text, version = document.source, document.version
        try:
            # Off the event loop: a large file must not hold up the editor's other requests.
            result = await asyncio.get_running_loop().run_in_executor(None, self.check, uri, text)
        except config.ConfigError as exc:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Error,
                                                             f"scorelint: {exc}"))
            return
        if self.workspace.get_text_document(uri).version != version:
            return  # edited meanwhile; the newer check will publish
        self.state.checked[uri] = Checked(version, text, result.findings)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=version,
            diagnostics=lsp.diagnostics(result.findings, self.lines(text), uri)))

    def schedule(self, uri: str, delay: float) -> None:
        """Check after `delay` seconds, replacing a check already waiting."""
        waiting = self.state.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        loop = asyncio.get_running_loop()
        self.state.pending[uri] = loop.call_later(
            delay, lambda: loop.create_task(self.publish(uri)))

    def current(self, uri: str) -> Checked | None:
        """The last check, if it matches the document as it is now."""
        checked = self.state.checked.get(uri)
        document = self.workspace.get_text_document(uri)
        if checked is None or checked.text != document.source:
            try:
                result = self.check(uri, document.source)
            except config.ConfigError:
                return None
            checked = Checked(document.version, document.source, result.findings)
            self.state.checked[uri] = checked
        return checked


server = ScorelintServer()


@server.feature(types.INITIALIZE)
def initialize(ls: ScorelintServer, params: types.InitializeParams) -> None:
    ls.state.settings = ClientSettings.parse(params.initialization_options)


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: ScorelintServer,
                                   params: types.DidChangeConfigurationParams) -> None:
    ls.state.settings = ClientSettings.parse(params.settings)
    for uri in list(ls.workspace.text_documents):
        await ls.publish(uri)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: ScorelintServer, params: types.DidOpenTextDocumentParams) -> None:
    await ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: ScorelintServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, DEBOUNCE_SECONDS)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: ScorelintServer, params: types.DidSaveTextDocumentParams) -> None:
    await ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: ScorelintServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    waiting = ls.state.pending.pop(uri, None)
    if waiting is not None:
        waiting.cancel()
    ls.state.checked.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _wanted(only: list[str] | None, kind: str) -> bool:
    """Does the client's `only` filter ask for this kind (or a parent of it)?"""
    return only is None or any(kind == k or kind.startswith(k + ".") for k in only)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.QuickFix, lsp.FIX_ALL_KIND], resolve_provider=False))
def code_action(ls: ScorelintServer, params: types.CodeActionParams
                ) -> list[types.CodeAction] | None:
    uri = params.text_document.uri
    checked = ls.current(uri)
    if checked is None:
        return None
    lines = ls.lines(checked.text)
    only = params.context.only
    actions: list[types.CodeAction] = []
    if _wanted(only, types.CodeActionKind.QuickFix):
        first = lines.from_lsp(params.range.start)
        last = lines.from_lsp(params.range.end)
        for finding in checked.findings:
            if finding.suppressed or finding.end < first or finding.start > last:
                continue
            diag = lsp.diagnostic(finding, lines, uri)
            actions.extend(a for a in (lsp.fix_action(finding, lines, uri, diag),
                                       lsp.noqa_action(finding, lines, uri, diag)) if a)
    if _wanted(only, lsp.FIX_ALL_KIND):
        try:
            fixed = ls.check(uri, checked.text, fix=True).text
        except config.ConfigError:
            fixed = checked.text
        action = lsp.fix_all_action(uri, lines, fixed)
        if action is not None:
            actions.append(action)
    return actions or None


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: ScorelintServer, params: types.HoverParams) -> types.Hover | None:
    checked = ls.current(params.text_document.uri)
    if checked is None:
        return None
    lines = ls.lines(checked.text)
    at = lines.from_lsp(params.position)
    for finding in checked.findings:
        if not finding.suppressed and lsp.contains(finding, at):
            return types.Hover(
                contents=types.MarkupContent(types.MarkupKind.Markdown,
                                             lsp.hover_markdown(finding)),
                range=lines.range(finding.start, finding.end))
    return None


def serve() -> None:
    """Speak LSP on standard input and output until the client says exit."""
    server.start_io()
