"""The language server against a hostile byte stream (issue 16, item 10).

Written as the attacks: raw frames written to `python -m scorelint server`'s standard
input (a huge, non-numeric or missing Content-Length, garbage headers, bodies that are
not JSON), requests with wrongly typed or negative positions, and requests sent while a
check is still running. The server must answer every request (a result or a JSON-RPC
error), log what it rejects without a traceback, and keep reading at the next header.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import attrs
import pytest
import pytest_lsp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from scorelint.frontends import lsp, server

BUGGY = "import numpy as np\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
WAIT = 30.0  # a server that never answers fails the test instead of hanging it
INVALID_PARAMS = -32602


def frame(message: dict[str, Any] | bytes) -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def request(msg_id: int, method: str, params: Any) -> bytes:
    return frame({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})


def notification(method: str, params: Any) -> bytes:
    return frame({"jsonrpc": "2.0", "method": method, "params": params})


INITIALIZE = request(1, "initialize", {"capabilities": {}})
GOODBYE = request(99, "shutdown", None) + notification("exit", None)


_HEADER = re.compile(rb"Content-Length: (\d+)\r\n(?:[^\r\n]+\r\n)*\r\n")


def responses(stdout: bytes) -> dict[Any, dict[str, Any]]:
    """The server's responses by id (its notifications left out), parsed from its frames."""
    found: dict[Any, dict[str, Any]] = {}
    at = 0
    while at < len(stdout):
        header = _HEADER.match(stdout, at)
        assert header is not None, stdout[at:at + 200]
        at = header.end() + int(header[1])
        message = json.loads(stdout[header.end():at])
        if "id" in message and "method" not in message:
            found[message["id"]] = message
    return found


def talk(data: bytes, *then: tuple[set[int], bytes]) -> tuple[int, dict[Any, dict[str, Any]],
                                                               str]:
    """Write `data` to a fresh server and, for each of `then`, wait for the responses
    to those ids before writing its bytes; close its input. Its exit code, every
    response by id, its standard error."""
    proc = subprocess.Popen([sys.executable, "-m", "scorelint", "server"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watchdog = threading.Timer(120, proc.kill)  # a server that never answers fails the test
    watchdog.start()
    try:
        assert proc.stdin is not None and proc.stdout is not None
        seen: dict[Any, dict[str, Any]] = {}
        proc.stdin.write(data)
        proc.stdin.flush()
        for ids, more in then:
            while not ids <= seen.keys():
                header = b""
                while not header.endswith(b"\r\n\r\n"):
                    byte = proc.stdout.read(1)
                    assert byte, f"the server ended before answering {ids - seen.keys()}"
                    header += byte
                seen.update(responses(header + proc.stdout.read(
                    int(re.search(rb"Content-Length: (\d+)", header)[1]))))
            proc.stdin.write(more)
            proc.stdin.flush()
        stdout, stderr = proc.communicate()
    finally:
        watchdog.cancel()
    return proc.returncode, {**seen, **responses(stdout)}, stderr.decode(errors="replace")


def assert_clean(stderr: str) -> None:
    assert "Traceback" not in stderr and "MemoryError" not in stderr, stderr[-2000:]


ATTACKS = {
    "huge-content-length": b"Content-Length: 100000000000\r\n\r\n{}",
    "huge-content-length-then-a-frame": b"Content-Length: 100000000000\r\n\r\n",
    "five-thousand-digits": b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n{}",
    "negative-content-length": b"Content-Length: -5\r\n\r\n{}",
    "non-numeric-content-length": b"Content-Length: abc\r\n\r\n{}",
    "missing-content-length": b"Content-Type: application/json\r\n\r\n{}",
    "garbage-header-line": b"GARBAGE\r\n\r\n",
    "endless-header-line": b"A" * 1_000_000,
    "body-not-json": frame(b"hello"),
    "body-not-utf8": frame(b'{"jsonrpc": "2.0", "id": 7, "method": "\xff\xfe"}'),
    "json-nested-deeper-than-the-stack": frame(b"[" * 200_000),
    "json-not-an-object": frame(b"[1, 2, 3]"),
}


@pytest.mark.slow
@pytest.mark.parametrize("attack", list(ATTACKS.values()), ids=list(ATTACKS))
def test_a_malformed_frame_is_rejected_and_the_next_request_answered(attack: bytes) -> None:
    code, answers, stderr = talk(attack + INITIALIZE + GOODBYE)
    assert "capabilities" in answers[1]["result"]
    assert answers[99] == {"jsonrpc": "2.0", "id": 99, "result": None}
    assert code == 0
    assert_clean(stderr)
    assert "scorelint server:" in stderr  # the rejection is logged, on one line


@pytest.mark.slow
def test_a_real_body_over_the_bound_is_refused_unread() -> None:
    """A well-formed message one byte over the server's bound (a document too big)."""
    huge = notification("textDocument/didOpen", {"textDocument": {
        "uri": "file:///huge.py", "languageId": "python", "version": 1, "text": ""}})
    padding = server.MAX_MESSAGE_BYTES + 1 - len(huge.split(b"\r\n\r\n", 1)[1])
    huge = notification("textDocument/didOpen", {"textDocument": {
        "uri": "file:///huge.py", "languageId": "python", "version": 1, "text": "#" * padding}})
    assert huge.startswith(b"Content-Length: %d\r\n" % (server.MAX_MESSAGE_BYTES + 1))
    code, answers, stderr = talk(huge + INITIALIZE + GOODBYE)
    assert "capabilities" in answers[1]["result"] and code == 0
    assert_clean(stderr)
    assert f"over the bound of {server.MAX_MESSAGE_BYTES}" in stderr


@pytest.mark.slow
def test_wrongly_typed_params_get_invalid_params_without_a_traceback(tmp_path: Path) -> None:
    uri = (tmp_path / "score.py").as_uri()
    opened = notification("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": BUGGY}})
    attack = (
        request(2, "textDocument/hover", {"textDocument": 5, "position": "here"})
        + request(3, "textDocument/codeAction", {
            "textDocument": {"uri": uri},
            "range": {"start": {"line": -1, "character": -5}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": []}})
        + request(4, "textDocument/hover", None)
        + notification("textDocument/didOpen", {"textDocument": 5})  # a notification: logged
        + frame({"jsonrpc": "1.0", "id": 5, "method": "textDocument/hover", "params": {}})
        + request(6, "textDocument/hover", {"textDocument": {"uri": uri},
                                            "position": {"line": 3, "character": 15}}))
    code, answers, stderr = talk(INITIALIZE + opened + attack, ({2, 3, 4, 5, 6}, GOODBYE))
    for msg_id in (2, 3, 4):
        assert answers[msg_id]["error"]["code"] == INVALID_PARAMS, answers[msg_id]
    assert answers[5]["error"]["code"] == -32600  # not JSON-RPC 2.0: an invalid request
    assert "log-of-product (SL201)" in answers[6]["result"]["contents"]["value"]
    assert answers[99]["result"] is None and code == 0
    assert_clean(stderr)


@pytest.mark.slow
def test_a_request_before_initialize_and_after_shutdown_is_answered() -> None:
    uri = "file:///nowhere/x.py"
    hover = {"textDocument": {"uri": uri}, "position": {"line": 3, "character": 15}}
    early = notification("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": BUGGY}})
    early += request(2, "textDocument/hover", hover)
    late = request(3, "textDocument/hover", hover)
    code, answers, stderr = talk(early + INITIALIZE + request(4, "textDocument/hover", hover),
                                 ({1, 2, 4}, request(99, "shutdown", None) + late
                                  + notification("exit", None)))
    assert answers[2]["error"]["code"] == -32002  # ServerNotInitialized
    assert answers[4]["result"] is None  # its didOpen came before initialize: dropped
    assert answers[3]["error"]["code"] == -32600  # InvalidRequest: shutting down
    assert code == 0
    assert_clean(stderr)


# The frame reader itself, in process: the bounds and the resynchronisation.

def read_all(data: bytes, **limits: int) -> list[bytes | server.Rejected]:
    reader = server.FrameReader(io.BufferedReader(io.BytesIO(data)), **limits)  # type: ignore[arg-type]
    frames: list[bytes | server.Rejected] = []
    while (item := reader.read()) is not None:
        frames.append(item)
    return frames


def test_a_body_over_the_bound_is_rejected_unread_and_the_next_frame_read() -> None:
    frames = read_all(frame(b"x" * 101) + frame(b"y" * 100), max_body=100)
    assert isinstance(frames[0], server.Rejected) and "101" in frames[0].reason
    assert frames[1:] == [b"y" * 100]


def test_a_frame_right_after_a_length_over_the_bound_is_read() -> None:
    frames = read_all(b"Content-Length: 100000000000\r\n\r\n" + frame(b"[1]"), max_body=100)
    assert isinstance(frames[0], server.Rejected)
    assert frames[1:] == [b"[1]"]


def test_a_header_over_the_bound_is_rejected() -> None:
    frames = read_all(b"X-Padding: " + b"p" * 500 + b"\r\n" + frame(b"{}"), max_header=100)
    assert isinstance(frames[0], server.Rejected)
    assert frames[1:] == [b"{}"]


def test_a_header_run_into_the_previous_body_is_found_again() -> None:
    """A Content-Length that undercounts its body leaves bytes before the next header."""
    frames = read_all(b"Content-Length: 2\r\n\r\n{}}}" + frame(b"[1]") + b"\r\n" + frame(b"[2]"))
    assert frames[0] == b"{}"
    assert isinstance(frames[1], server.Rejected)
    assert frames[2:] == [b"[1]", b"[2]"]


def test_header_names_are_case_insensitive_and_other_headers_ignored() -> None:
    data = (b"content-length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8"
            b"\r\n\r\n{}")
    assert read_all(data) == [b"{}"]


def test_a_truncated_last_frame_ends_the_stream() -> None:
    assert read_all(frame(b"{}") + b"Content-Length: 10\r\n\r\n{") == [b"{}"]


# Garbage from pieces of headers, so that it often looks almost like one.
GARBAGE = st.lists(st.sampled_from([b"\r\n", b"\n", b":", b": ", b"X", b"Content-Type", b"7",
                                    b"\xff", b"{}", b"Content-", b"Length"])
                   | st.binary(max_size=8), max_size=40).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(garbage=GARBAGE)
def test_any_garbage_before_a_frame_is_refused_and_the_frame_read(garbage: bytes) -> None:
    assume(b"content-length:" not in garbage.lower())
    frames = read_all(garbage + frame(b'{"ok": 1}'), max_header=64)
    assert frames[-1] == b'{"ok": 1}'
    assert all(isinstance(f, server.Rejected) for f in frames[:-1])


def test_a_long_position_is_converted_in_linear_steps() -> None:
    """An out-of-range column on a long line: clamped, without a quadratic scan."""
    lines = lsp.Lines("x" * 200_000)
    calls = []

    def units(text: str) -> int:
        calls.append(len(text))
        return len(text)

    lines.units = units
    position = lines.from_lsp(types.Position(line=5, character=10**9))
    assert (position.row, position.column) == (1, 200_001)
    assert sum(calls) <= 2 * 200_000


# The same attacks through a real LSP client.

@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "scorelint",
                                                              "server"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


async def open_document(client: LanguageClient, uri: str, text: str) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    await asyncio.wait_for(client.wait_for_notification(
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), WAIT)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_code_action_at_a_negative_position_gets_a_reply(client: LanguageClient,
                                                                 tmp_path: Path) -> None:
    uri = (tmp_path / "score.py").as_uri()
    await open_document(client, uri, BUGGY)
    with attrs.validators.disabled():  # the client's own types refuse to build it
        where = types.Range(types.Position(-1, -5), types.Position(-1, -1))
    with pytest.raises(JsonRpcException) as raised:
        await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri), range=where,
            context=types.CodeActionContext(diagnostics=[]))), WAIT)
    assert raised.value.code == INVALID_PARAMS
    # Past the end of the document: clamped to it, answered.
    far = types.Range(types.Position(10**6, 10**9), types.Position(10**6, 10**9))
    actions = await asyncio.wait_for(client.text_document_code_action_async(
        types.CodeActionParams(text_document=types.TextDocumentIdentifier(uri), range=far,
                               context=types.CodeActionContext(diagnostics=[]))), WAIT)
    assert actions is None or all(a.title for a in actions)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_wrongly_typed_hover_gets_invalid_params(client: LanguageClient,
                                                         tmp_path: Path) -> None:
    uri = (tmp_path / "score.py").as_uri()
    await open_document(client, uri, BUGGY)
    with attrs.validators.disabled():
        where = types.Position(line="four", character=[15])  # type: ignore[arg-type]
    with pytest.raises(JsonRpcException) as raised:
        await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri), position=where)), WAIT)
    assert raised.value.code == INVALID_PARAMS
    assert "position" in raised.value.message
    hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri), position=types.Position(3, 15))), WAIT)
    assert hover is not None  # the server goes on


# A test-only seam: the server as shipped, except that checking a document holding
# `# slow` blocks until the client sends `test/release`; `test/checks` counts those
# checks, once the first has started.
SLOW_SERVER = textwrap.dedent("""
    import asyncio
    import threading
    from scorelint.frontends import server

    started, release = threading.Event(), threading.Event()
    checks = []
    check = server.ScorelintServer.check

    def slow_check(self, uri, text, *args, **kwargs):
        if "# slow" in text:
            checks.append(uri)
            started.set()
            release.wait(120)
        return check(self, uri, text, *args, **kwargs)

    server.ScorelintServer.check = slow_check

    @server.server.feature("test/release")
    def _release(ls, params):
        release.set()

    @server.server.feature("test/checks")
    async def _checks(ls, params):
        # Once a slow check has started (its thread may not have reached it yet).
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 120)
        return len(checks)

    server.serve()
""")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-c",
                                                              SLOW_SERVER]))
async def slow_client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


async def slow_checks(client: LanguageClient) -> int:
    return await asyncio.wait_for(client.protocol.send_request_async("test/checks", {}), WAIT)


def hover_at(client: LanguageClient, uri: str, line: int, character: int) -> asyncio.Future:
    return asyncio.ensure_future(client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri), position=types.Position(line, character))))


@pytest.mark.slow
@pytest.mark.asyncio
async def test_requests_are_answered_while_a_check_runs(slow_client: LanguageClient,
                                                        tmp_path: Path) -> None:
    client = slow_client
    fast, slow = (tmp_path / "fast.py").as_uri(), (tmp_path / "slow.py").as_uri()
    await open_document(client, fast, BUGGY)
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=slow, language_id="python", version=1, text=BUGGY + "# slow\n")))
    waiting = hover_at(client, slow, 3, 15)  # needs the slow check: waits for it
    other = await asyncio.wait_for(hover_at(client, fast, 3, 15), WAIT)
    assert other is not None and "SL201" in other.contents.value
    assert not waiting.done()
    assert await slow_checks(client) == 1  # the hover waits on the running check, not a second
    client.protocol.notify("test/release", {})
    hover = await asyncio.wait_for(waiting, WAIT)
    assert hover is not None and "SL201" in hover.contents.value
    actions = await asyncio.wait_for(client.text_document_code_action_async(
        types.CodeActionParams(text_document=types.TextDocumentIdentifier(slow),
                               range=hover.range, context=types.CodeActionContext(
                                   diagnostics=[], only=[types.CodeActionKind.QuickFix]))), WAIT)
    assert any(a.title.startswith("SL201: Replace") for a in actions)
    assert await slow_checks(client) == 1  # hover and code action reused the version's check


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_newer_version_supersedes_a_running_check(slow_client: LanguageClient,
                                                          tmp_path: Path) -> None:
    client = slow_client
    uri = (tmp_path / "edited.py").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=BUGGY + "# slow\n")))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=BUGGY)]))
    published = asyncio.ensure_future(client.wait_for_notification(
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS))
    assert await slow_checks(client) == 1
    client.protocol.notify("test/release", {})
    diagnostics = await asyncio.wait_for(published, WAIT)
    assert diagnostics.version == 2  # version 1's findings were never published
    assert [d.code for d in diagnostics.diagnostics] == ["SL201"]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-c",
                                                              SLOW_SERVER]))
async def slow_client_left_to_the_test(lsp_client: LanguageClient):
    """As `slow_client`, but the test itself shuts the server down."""
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities()))
    yield


@pytest.mark.slow
@pytest.mark.asyncio
async def test_shutdown_and_exit_while_a_check_runs(slow_client_left_to_the_test: LanguageClient,
                                                    tmp_path: Path) -> None:
    client = slow_client_left_to_the_test
    uri = (tmp_path / "stuck.py").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=BUGGY + "# slow\n")))
    assert await slow_checks(client) == 1
    # The check is never released: shutdown is answered, and exit does not wait for it.
    assert await asyncio.wait_for(client.shutdown_async(None), WAIT) is None
    client.exit(None)
    assert await asyncio.wait_for(client._server.wait(), WAIT) == 0


@pytest.mark.slow
@pytest.mark.asyncio
async def test_wrongly_typed_settings_are_left_out(client: LanguageClient, tmp_path: Path) -> None:
    """Settings are any JSON: a list where a string belongs is ignored, not a traceback."""
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"scorelint": {"select": 5, "ignore": [1, {"a": 2}], "unsafeFixes": "yes"}}))
    uri = (tmp_path / "score.py").as_uri()
    await open_document(client, uri, BUGGY)
    assert [d.code for d in client.diagnostics[uri]] == ["SL201"]
    assert client.messages == []  # pygls shows "Error in server" when a handler raises


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_bad_configuration_is_shown_and_requests_still_answered(
        client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.scorelint]\nselect = ["NOPE1"]\n')
    uri = (tmp_path / "score.py").as_uri()
    shown = asyncio.ensure_future(client.wait_for_notification(types.WINDOW_SHOW_MESSAGE))
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=BUGGY)))
    message = await asyncio.wait_for(shown, WAIT)
    assert message.type == types.MessageType.Error and "NOPE1" in message.message
    hover = await asyncio.wait_for(hover_at(client, uri, 3, 15), WAIT)
    assert hover is None
