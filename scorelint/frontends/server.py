"""`scorelint server`: a language server (LSP over standard input and output), on pygls.

Editors get the findings `scorelint check` reports, while the code is written:

- diagnostics when a document is opened, changed or saved; each has its code,
  a link to the rule's docs and, where the rule traced the value, the lines
  that made it as related information;
- code actions per finding: its fix (unsafe ones labelled), and a
  `# noqa: CODE` for that line; `source.fixAll.scorelint` applies every safe
  fix (unsafe ones too with `unsafeFixes`);
- hover on a flagged span shows the rule's page.

Settings come from the client (`initializationOptions` or
`workspace/didChangeConfiguration`, optionally under a `scorelint` key:
`select`, `extendSelect`, `ignore`, `unsafeFixes`) and override the nearest
`pyproject.toml` as the command line's flags do. Linting goes through
`scorelint.frontends.api`, the same path as `scorelint check -`.

The byte stream is not trusted (an editor's plugin, or whatever writes to our
standard input): `FrameReader` reads `Content-Length` frames within bounds and
resynchronises at the next header after a bad one; `ScorelintProtocol` answers
every request, with a JSON-RPC error for one it cannot take; checks run off the
event loop, one at a time per document, cached per version, and a check of a
version already replaced is dropped.

An edit is checked at once, with no pause to wait for (as Ruff's server does): a
change while no check of the document runs starts one; a change while one runs
only marks the document, and when that check ends the newest version is checked
and published. So typing keeps at most one check running per document and one
more owed, however fast the changes come, and an isolated edit is answered after
one check. Diagnostics go out only for the version the editor holds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TypeVar

import cattrs
from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCProtocol, LanguageServerProtocol
from pygls.protocol.json_rpc import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    JsonRPCResponseMessage,
)
from pygls.uris import to_fs_path

from scorelint.base.findings import Finding
from scorelint.engine import reparse
from scorelint.frontends import api, lsp
from scorelint.run import config
from scorelint.version import __version__

# The largest message body read; a longer one is refused unread (an editor sends a whole
# document in one message: 64 MiB is far past any source file worth checking).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# All header lines of one message together (LSP has two short headers).
MAX_HEADER_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
# Where a frame may begin: a resynchronisation looks for the next one.
_HEADER_START = re.compile(rb"content-length:", re.IGNORECASE)
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # a header's name (RFC 9110)
_DIGITS = 20  # a Content-Length of more digits is over any bound anyway

logger = logging.getLogger("scorelint.frontends.server")
T = TypeVar("T")


@dataclass(frozen=True)
class Rejected:
    """A frame refused by `FrameReader` (the stream is then at the next header)."""

    reason: str


class FrameReader:
    """LSP messages (`Content-Length` framing) from a byte stream, in bounded memory.

    A frame whose header is malformed (no colon, no or a non-decimal Content-Length,
    longer than `max_header`) or whose body is over `max_body` bytes is refused
    without reading its body into memory: `read` returns `Rejected` and the next
    `read` starts at the next `Content-Length:` in the stream (which may sit in the
    middle of a line, right after a body whose length was miscounted).
    """

    def __init__(self, stream: BinaryIO, max_body: int = MAX_MESSAGE_BYTES,
                 max_header: int = MAX_HEADER_BYTES) -> None:
        self.stream = stream
        self.max_body = max_body
        self.max_header = max_header
        self.buffer = bytearray()

    def _fill(self, size: int = _CHUNK) -> bool:
        """Append what the stream has (waiting for at least a byte); False at its end."""
        chunk = self.stream.read1(size)  # type: ignore[attr-defined]
        self.buffer += chunk
        return bool(chunk)

    def read(self) -> bytes | Rejected | None:
        """The next message body, a `Rejected` frame, or None at the end of the stream."""
        header = self._header()
        if isinstance(header, Rejected):
            self._resync(skip=1)  # past the start of the header refused
            return header
        if header is None:
            return None
        if header > self.max_body:
            self._resync(skip=0)  # the header is consumed: the next may follow at once
            return Rejected(f"a message of {header} bytes is over the bound of "
                            f"{self.max_body}")
        while len(self.buffer) < header:
            if not self._fill(min(_CHUNK, header - len(self.buffer))):
                return None  # cut short by the end of the stream
        body = bytes(self.buffer[:header])
        del self.buffer[:header]
        return body

    def _header(self) -> int | Rejected | None:
        """The Content-Length of the header at the start of the buffer, consumed."""
        length: int | None = None
        at = 0
        while True:
            newline = self.buffer.find(b"\n", at)
            if newline < 0:
                if len(self.buffer) > self.max_header:
                    return Rejected(f"a header longer than {self.max_header} bytes")
                if not self._fill():
                    return None
                continue
            line = bytes(self.buffer[at:newline]).strip()
            if not line and at == 0:  # blank lines between messages: skipped
                del self.buffer[:newline + 1]
                continue
            at = newline + 1
            if at > self.max_header:
                return Rejected(f"a header longer than {self.max_header} bytes")
            if not line:
                break
            name, colon, value = line.partition(b":")
            if not colon or not _TOKEN.fullmatch(name):
                return Rejected(f"a malformed header line {line[:80]!r}")
            if name.strip().lower() == b"content-length":
                value = value.strip()
                if length is not None or not value.isdigit() or len(value) > _DIGITS:
                    return Rejected(f"a bad Content-Length {value[:40]!r}")
                length = int(value)
        if length is None:
            return Rejected("a message without Content-Length")
        del self.buffer[:at]
        return length

    def _resync(self, skip: int) -> None:
        """Drop bytes up to the next `Content-Length:`, `skip` bytes on at least."""
        del self.buffer[:skip]
        keep = len(_HEADER_START.pattern) - 1  # a header start split between two reads
        while (found := _HEADER_START.search(self.buffer)) is None:
            del self.buffer[:max(0, len(self.buffer) - keep)]
            if not self._fill():
                self.buffer.clear()
                return
        del self.buffer[:found.start()]


def in_thread(function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    """`function(*args)` in a daemon thread, as a future of the running loop.

    Not an executor: a check that takes long must not hold up exit (an executor's
    threads are joined at exit), and a waiter cancelled meanwhile must not break it.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return  # the waiter was cancelled
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def work() -> None:
        result, error = None, None
        try:
            result = function(*args)
        except Exception as exc:  # noqa: BLE001  (handed to the waiter)
            error = exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:
            pass  # the loop is closed: the server is exiting

    threading.Thread(target=work, daemon=True, name="scorelint-server").start()
    return future


def _message_id(data: dict[str, Any]) -> int | str | None:
    """The request's id, if it is one a response can carry."""
    msg_id = data.get("id")
    return msg_id if isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool) else None


def _problems(exc: Exception) -> str:
    """What was wrong with a message, in one line (cattrs names each bad field)."""
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc))[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


class ScorelintProtocol(LanguageServerProtocol):
    """pygls' protocol, taking messages as bytes: every request gets a result or an error.

    pygls parses and types a message inside `json.loads` and, when that fails, logs a
    traceback and drops it, so a request with a wrongly typed field is never answered.
    Here a body that is not JSON, is not a JSON-RPC 2.0 message, or does not fit its
    method's types is refused with the JSON-RPC error for it when it has an id, else
    logged in one line.
    """

    def handle_body(self, body: bytes) -> None:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:  # not UTF-8 or not JSON; nested too deep
            self.refuse(None, types.ErrorCodes.ParseError,
                        f"a message that is not JSON ({type(exc).__name__}: {exc})"[:300])
            return
        if not isinstance(data, dict):
            self.refuse(None, types.ErrorCodes.InvalidRequest, "a message that is not an object")
            return
        msg_id, method = _message_id(data), data.get("method")
        is_request = msg_id is not None and "method" in data
        if data.get("jsonrpc") != JsonRPCProtocol.VERSION or (
                "method" in data and not isinstance(method, str)):
            self.refuse(msg_id if is_request else None, types.ErrorCodes.InvalidRequest,
                        "not a JSON-RPC 2.0 message")
            return
        if (self._workspace is None and "method" in data
                and method not in (types.INITIALIZE, types.EXIT)):
            # A notification before initialize is dropped (LSP), a request answered.
            self.refuse(msg_id if is_request else None, types.ErrorCodes.ServerNotInitialized,
                        f"{method} before initialize")
            return
        if is_request and self._shutdown:
            self.refuse(msg_id, types.ErrorCodes.InvalidRequest,
                        f"{method} after shutdown")
            return
        try:
            message = self._converter.structure(data, self._message_type(data))
        except Exception as exc:  # noqa: BLE001  (cattrs raises many kinds for bad input)
            # The id, method and version were checked above: what is left is the params.
            self.refuse(msg_id if is_request else None, types.ErrorCodes.InvalidParams,
                        f"{method or 'a response'}: {_problems(exc)}")
            return
        self.handle_message(message)

    def _message_type(self, data: dict[str, Any]) -> type:
        """The type of a message, as pygls' `structure_message` picks it."""
        if "method" not in data:  # a response to one of our requests
            if "error" in data:
                return types.ResponseErrorMessage
            return (self._result_types.pop(data.get("id"), None)  # type: ignore[arg-type]
                    or JsonRPCResponseMessage)
        fallback = JsonRPCRequestMessage if "id" in data else JsonRPCNotification
        return self.get_message_type(data["method"]) or fallback

    def refuse(self, msg_id: int | str | None, code: types.ErrorCodes, reason: str) -> None:
        """An error response to the request `msg_id`; without an id, only logged."""
        logger.error("scorelint server: %s", reason)
        if msg_id is not None:
            self._send_response(msg_id, error=types.ResponseError(code, reason))
        else:
            self.notify(types.WINDOW_LOG_MESSAGE, types.LogMessageParams(
                types.MessageType.Error, f"scorelint: {reason}"))


@dataclass(frozen=True)
class ClientSettings:
    """What the editor asked for; None leaves the configuration's value."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None

    @classmethod
    def parse(cls, raw: Any) -> ClientSettings:
        """From `{"select": [...], ...}`, also nested under "scorelint" or "settings";
        a value of the wrong type is left out, as if not given."""
        if not isinstance(raw, dict):
            return cls()
        for key in ("settings", "scorelint"):
            if isinstance(raw.get(key), dict):
                raw = raw[key]

        def codes(key: str) -> tuple[str, ...] | None:
            value = raw.get(key)
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return None
            return tuple(v.strip().upper() for v in value)

        unsafe = raw.get("unsafeFixes", raw.get("unsafe-fixes"))
        return cls(select=codes("select"), extend_select=codes("extendSelect") or (),
                   ignore=codes("ignore") or (),
                   unsafe_fixes=unsafe if isinstance(unsafe, bool) else None)


@dataclass(frozen=True)
class Key:
    """What a check's result depends on: the text (at its version) and the settings."""

    version: int | None
    text: str
    settings: ClientSettings


@dataclass
class Checked:
    """One check of a document: its diagnostics, and the code actions and hovers on it."""

    key: Key
    findings: tuple[Finding, ...]
    lines: lsp.Lines
    diagnostics: list[types.Diagnostic]
    error: str | None = None  # the configuration's error: nothing was checked
    fixing: asyncio.Task[str] | None = None  # the text with every fix (fix-all), on demand


@dataclass
class Job:
    """The check of a document running (or waiting for the one before it to end)."""

    key: Key
    task: asyncio.Task[Checked | None]


@dataclass
class State:
    settings: ClientSettings = field(default_factory=ClientSettings)
    checked: dict[str, Checked] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    # Documents changed while their check ran: their newest version is published next.
    owed: set[str] = field(default_factory=set)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)  # publishing, in flight


class ScorelintServer(LanguageServer):
    protocol: ScorelintProtocol

    def __init__(self, max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        super().__init__("scorelint", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=ScorelintProtocol)
        self.max_message_bytes = max_message_bytes
        self.state = State()

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve on standard input and output: pygls' loop, with `FrameReader` reading."""
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        reader = FrameReader(stdin or sys.stdin.buffer, self.max_message_bytes)
        try:
            asyncio.run(self._read(reader))
        except BrokenPipeError:
            logger.error("scorelint server: the client has gone")
        except (KeyboardInterrupt, SystemExit):
            pass  # `exit` from the client
        finally:
            self.shutdown()

    async def _read(self, reader: FrameReader) -> None:
        assert self._stop_event is not None
        while not self._stop_event.is_set():
            try:
                frame = await in_thread(reader.read)
            except OSError as exc:
                logger.error("scorelint server: standard input: %s", exc)
                return
            if frame is None:
                return
            if isinstance(frame, Rejected):
                self.protocol.refuse(None, types.ErrorCodes.ParseError, frame.reason)
            else:
                self.protocol.handle_body(frame)

    def path_of(self, uri: str) -> str:
        """The file a document stands for (an unsaved one: in the working directory)."""
        return to_fs_path(uri) or os.path.join(os.getcwd(), "untitled.py")

    def lines(self, text: str) -> lsp.Lines:
        return lsp.Lines(text, self.workspace.position_codec.client_num_units)

    def check(self, uri: str, text: str, fix: bool = False,
              settings: ClientSettings | None = None) -> api.CheckResult:
        """Lint through the Python API; raises `config.ConfigError`."""
        settings = settings or self.state.settings
        # A bad selector is named as the editor's setting, not as the command line's flag.
        for given, key in ((settings.select or (), "select"),
                           (settings.extend_select, "extendSelect"), (settings.ignore, "ignore")):
            config.check_selectors(given, f"the editor's `{key}` setting")
        return api.check_source(text, self.path_of(uri), select=settings.select,
                                extend_select=settings.extend_select, ignore=settings.ignore,
                                unsafe_fixes=settings.unsafe_fixes, fix=fix)

    def key_of(self, uri: str) -> Key | None:
        """The document as it is now; None if the client has not opened it (a document
        the client never sent is not read from disk)."""
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return None
        return Key(document.version, document.source, self.state.settings)

    async def checked(self, uri: str, fresh: bool = False) -> Checked | None:
        """The check of the document as it is now; None if it is not open, or was
        edited again before its check could start.

        A version's check is reused unless `fresh` (on open and save, where the
        configuration on disk may have changed). It runs in a thread, one at a time
        per document: a thread cannot be stopped, so a check of a replaced version
        runs to its end, its result dropped, and the next one waits for it rather
        than piling up threads as the user types.
        """
        key = self.key_of(uri)
        if key is None:
            return None
        cached = self.state.checked.get(uri)
        if not fresh and cached is not None and cached.key == key:
            return cached
        job = self._job(uri, key, fresh)
        # Shielded: a cancelled request (`$/cancelRequest`) leaves the check to the others.
        return await asyncio.shield(job.task)

    def _job(self, uri: str, key: Key, fresh: bool) -> Job:
        """The check of `key`: the one running or waiting, unless `fresh`; else a new one,
        after the one before it (registered at once, so a change that comes next sees it)."""
        job = self.state.jobs.get(uri)
        if job is None or fresh or job.key != key:
            task = asyncio.get_running_loop().create_task(
                self._run(uri, key, job.task if job is not None else None))
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
            job = self.state.jobs[uri] = Job(key, task)
        return job

    async def _run(self, uri: str, key: Key, previous: asyncio.Task[Any] | None
                   ) -> Checked | None:
        try:
            if previous is not None:
                await asyncio.wait([previous])
            if self.key_of(uri) != key:
                return None  # replaced while waiting: its own check comes next
            checked = await in_thread(self._diagnose, uri, key)
            if self.key_of(uri) == key:
                self.state.checked[uri] = checked
            return checked
        finally:
            job = self.state.jobs.get(uri)
            if job is not None and job.task is asyncio.current_task():
                del self.state.jobs[uri]
                if uri in self.state.owed:  # edited while it ran: the newest version now
                    self.state.owed.discard(uri)
                    self.check_now(uri)

    def _diagnose(self, uri: str, key: Key) -> Checked:
        """Check, and make the diagnostics (in a worker: both take time on a long file)."""
        lines = self.lines(key.text)
        try:
            findings = self.check(uri, key.text, False, key.settings).findings
        except config.ConfigError as exc:
            return Checked(key, (), lines, [], error=str(exc))
        return Checked(key, findings, lines, lsp.diagnostics(findings, lines, uri))

    async def fixed(self, uri: str, checked: Checked) -> str:
        """The checked text with every applicable fix: made once per check, off the loop."""
        if checked.fixing is None:
            checked.fixing = asyncio.get_running_loop().create_task(self._fix(uri, checked.key))
        return await asyncio.shield(checked.fixing)

    async def _fix(self, uri: str, key: Key) -> str:
        try:
            return (await in_thread(self.check, uri, key.text, True, key.settings)).text
        except config.ConfigError:
            return key.text

    async def publish(self, uri: str, fresh: bool = True) -> None:
        """Check the document as it is now and send its diagnostics."""
        checked = await self.checked(uri, fresh)
        if checked is None or self.key_of(uri) != checked.key:
            return  # edited meanwhile; the newer check will publish
        if checked.error is not None:
            self.window_show_message(types.ShowMessageParams(
                types.MessageType.Error, f"scorelint: {checked.error}"))
            return
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=checked.key.version,
            diagnostics=checked.diagnostics))

    def changed(self, uri: str) -> None:
        """The document was edited: check it now or, while a check of it runs, when that
        check ends (then only the newest version: those between are never checked)."""
        if uri in self.state.jobs:
            self.state.owed.add(uri)
        else:
            self.check_now(uri)

    def check_now(self, uri: str) -> None:
        """Start the check of the document as it is now, and publish it when done."""
        key = self.key_of(uri)
        if key is None:
            return
        cached = self.state.checked.get(uri)
        if cached is None or cached.key != key:  # (a request may have had it checked)
            self._job(uri, key, fresh=False)
        self.spawn(self.publish(uri, fresh=False))  # waits for that job

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` on the loop, holding it until done (the loop keeps only a weak
        reference to a task)."""
        task = asyncio.get_running_loop().create_task(work)
        self.state.tasks.add(task)
        task.add_done_callback(self.state.tasks.discard)


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
    ls.changed(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: ScorelintServer, params: types.DidSaveTextDocumentParams) -> None:
    await ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: ScorelintServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.state.owed.discard(uri)
    ls.state.checked.pop(uri, None)
    ls.state.jobs.pop(uri, None)  # a check still running finds the document gone
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _wanted(only: list[str] | None, kind: str) -> bool:
    """Does the client's `only` filter ask for this kind (or a parent of it)?"""
    return only is None or any(kind == k or kind.startswith(k + ".") for k in only)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.QuickFix, lsp.FIX_ALL_KIND], resolve_provider=False))
async def code_action(ls: ScorelintServer, params: types.CodeActionParams
                      ) -> list[types.CodeAction] | None:
    uri = params.text_document.uri
    checked = await ls.checked(uri)
    if checked is None or checked.error is not None:
        return None
    lines = checked.lines
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
        action = lsp.fix_all_action(uri, lines, await ls.fixed(uri, checked))
        if action is not None:
            actions.append(action)
    return actions or None


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def hover(ls: ScorelintServer, params: types.HoverParams) -> types.Hover | None:
    checked = await ls.checked(params.text_document.uri)
    if checked is None or checked.error is not None:
        return None
    lines = checked.lines
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
    reparse.reuse()  # an edit re-parses only the statements it changed
    server.start_io()
