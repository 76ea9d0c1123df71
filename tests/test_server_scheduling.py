"""The language server checks an edit at once (issue 19): no pause to wait for, at most
one check running per document while the user types, then only the newest version, and
diagnostics only for the version the editor holds.

A real client over stdio (raw JSON-RPC frames, as `benchmarks/speed.py::LspClient`)
drives the server as shipped but for a seam: it records the version each check saw, and
holds a check of a text holding `# hold` until the client sends `test/release`. The
assertions are on versions, order and counts of checks, never on time.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

BUGGY = "import numpy as np\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
WAIT = 30.0  # a server that never answers fails the test instead of hanging it

SEAM = textwrap.dedent("""
    import asyncio
    import re
    import threading
    from scorelint.frontends import server

    started, release = threading.Event(), threading.Event()
    versions = []  # the version (its `# vN` line) of each text checked, in order
    check = server.ScorelintServer.check

    def recording_check(self, uri, text, *args, **kwargs):
        versions.append(int(re.search(r"# v(\\d+)", text).group(1)))
        if "# hold" in text:
            started.set()
            release.wait(120)
        return check(self, uri, text, *args, **kwargs)

    server.ScorelintServer.check = recording_check

    @server.server.feature("test/release")
    def _release(ls, params):
        release.set()

    @server.server.feature("test/checks")
    async def _checks(ls, params):
        # Once a held check has started (its thread may not have reached the seam yet).
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 30)
        return list(versions)

    @server.server.feature("test/pieces")
    def _pieces(ls, params):
        from scorelint.engine import reparse
        return None if reparse._active is None else [reparse._active.parsed,
                                                     reparse._active.reused]

    server.serve()
""")


def text(version: int, hold: bool = False) -> str:
    return BUGGY + f"# v{version}\n" + ("# hold\n" if hold else "")


class Client:
    """An LSP client over the server's standard input and output; it keeps the version of
    every `publishDiagnostics` in the order they came."""

    def __init__(self, *argv: str, cwd: Path | None = None) -> None:
        self.proc = subprocess.Popen([sys.executable, *(argv or ("-c", SEAM))],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd=cwd)
        self.inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.published: list[int] = []
        self.ids = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        while True:
            length = 0
            while (line := stdout.readline()).strip():
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if not length:
                self.inbox.put(None)  # the server closed its output
                return
            self.inbox.put(json.loads(stdout.read(length)))

    def send(self, method: str, params: Any, msg_id: int | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if msg_id is not None:
            message["id"] = msg_id
        body = json.dumps(message).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def wait_for(self, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        while True:
            message = self.inbox.get(timeout=WAIT)
            assert message is not None, "the server ended"
            if message.get("method") == "textDocument/publishDiagnostics":
                self.published.append(message["params"]["version"])
            if match(message):
                return message

    def request(self, method: str, params: Any = None) -> Any:
        self.ids += 1
        ident = self.ids
        self.send(method, params, ident)
        return self.wait_for(lambda m: m.get("id") == ident and "method" not in m)["result"]

    def diagnostics(self, version: int) -> list[dict[str, Any]]:
        """The diagnostics published for `version` (waiting for them)."""
        return self.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                             and m["params"]["version"] == version)["params"]["diagnostics"]

    def open(self, uri: str, version: int, hold: bool = False, body: str | None = None) -> None:
        self.send("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": version,
            "text": text(version, hold) if body is None else body}})

    def change(self, uri: str, version: int, hold: bool = False, body: str | None = None) -> None:
        self.send("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"text": text(version, hold) if body is None else body}]})

    def close(self) -> None:
        try:
            self.request("shutdown")
            self.send("exit", None)
            self.proc.wait(timeout=WAIT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def started(talking: Client) -> Client:
    talking.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    talking.send("initialized", {})
    return talking


@pytest.fixture
def client() -> Iterator[Client]:
    talking = started(Client())
    try:
        yield talking
    finally:
        talking.close()


@pytest.mark.slow
def test_an_edit_is_checked_at_once_not_after_a_pause(client: Client, tmp_path: Path) -> None:
    """Two changes sent back to back: the first is checked at once (with a pause to wait
    for, the second would have replaced it unchecked); the second waits for that check
    and is the one published."""
    uri = (tmp_path / "score.py").as_uri()
    client.open(uri, 1)
    assert [d["code"] for d in client.diagnostics(1)] == ["SL201"]
    client.change(uri, 2, hold=True)
    client.change(uri, 3)
    assert client.request("test/checks") == [1, 2]  # version 2 is being checked
    client.send("test/release", None)
    assert [d["code"] for d in client.diagnostics(3)] == ["SL201"]
    assert client.request("test/checks") == [1, 2, 3]
    assert client.published == [1, 3]  # version 2 was replaced: its check is dropped


@pytest.mark.slow
def test_a_burst_of_changes_is_one_check_in_flight_then_the_newest(client: Client,
                                                                   tmp_path: Path) -> None:
    uri = (tmp_path / "typed.py").as_uri()
    client.open(uri, 1, hold=True)
    assert client.request("test/checks") == [1]
    for version in range(2, 10):  # typed while version 1 is checked
        client.change(uri, version)
    # Answered after every change was handled: none of them started a second check.
    assert client.request("test/checks") == [1]
    client.send("test/release", None)
    assert [d["code"] for d in client.diagnostics(9)] == ["SL201"]
    assert client.request("test/checks") == [1, 9]  # versions 2 to 8 were never checked
    client.change(uri, 10)  # an isolated edit afterwards: one check, published
    client.diagnostics(10)
    assert client.request("test/checks") == [1, 9, 10]
    # Only versions the editor held when they went out, newest last.
    assert client.published == [9, 10]


def _as_json(diagnostic: dict[str, Any]) -> tuple[Any, ...]:
    """A diagnostic as `check --output-format json` places it (ASCII text: UTF-16 units
    are characters)."""
    start, end = diagnostic["range"]["start"], diagnostic["range"]["end"]
    return (diagnostic["code"], diagnostic["message"], start["line"] + 1,
            start["character"] + 1, end["line"] + 1, end["character"] + 1)


@pytest.mark.slow
def test_edits_in_a_row_leave_the_findings_of_a_fresh_check(tmp_path: Path) -> None:
    """The server reuses the trees of unchanged statements from version to version
    (`scorelint.engine.reparse`): after several edits its diagnostics and its fix-all
    are those of `scorelint check -` on the final text."""
    from test_reparse import document_versions

    versions = document_versions()
    uri = (tmp_path / "model.py").as_uri()
    talking = started(Client("-m", "scorelint", "server", cwd=tmp_path))
    try:
        talking.open(uri, 1, body=versions[0])
        talking.diagnostics(1)
        for version, body in enumerate(versions[1:], start=2):
            talking.change(uri, version, body=body)
            diagnostics = talking.diagnostics(version)
        everything = {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}
        (fix_all,) = talking.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": everything,
            "context": {"diagnostics": [], "only": ["source.fixAll.scorelint"]}})
    finally:
        talking.close()
    final = versions[-1]
    checked = subprocess.run([sys.executable, "-m", "scorelint", "check", "--no-cache",
                              "--exit-zero", "--output-format", "json", "-"], input=final,
                             capture_output=True, text=True, cwd=tmp_path, check=True)
    fresh = [(f["code"], f["message"], f["location"]["row"], f["location"]["column"],
              f["end_location"]["row"], f["end_location"]["column"])
             for f in json.loads(checked.stdout)]
    assert len(fresh) >= 2
    assert sorted(_as_json(d) for d in diagnostics) == sorted(fresh)
    fixed = subprocess.run([sys.executable, "-m", "scorelint", "check", "--no-cache",
                            "--exit-zero", "--fix", "-"], input=final, capture_output=True,
                           text=True, cwd=tmp_path, check=True).stdout
    (edit,) = fix_all["edit"]["changes"][uri]
    assert edit["newText"] == fixed != final


@pytest.mark.slow
def test_an_edit_parses_again_only_what_it_changed(client: Client, tmp_path: Path) -> None:
    """The server turns on `scorelint.engine.reparse`: after an edit of one method, LibCST
    parses that method and the piece holding the changed last line, and reuses the rest."""
    methods = "".join(f"    def m{i}(self, p):\n        return np.log(np.prod(p)) * {i}\n\n"
                      for i in range(6))
    document = BUGGY + "\n\nclass Model:\n" + methods

    def body(version: int, edited: bool = False) -> str:
        typed = document.replace("* 3\n", "* 3  # typed\n") if edited else document
        return typed + f"# v{version}\n"

    uri = (tmp_path / "model.py").as_uri()
    client.open(uri, 1, body=body(1))
    assert len(client.diagnostics(1)) == 7
    parsed, reused = client.request("test/pieces")
    client.change(uri, 2, body=body(2, edited=True))
    assert len(client.diagnostics(2)) == 7
    parsed_after, reused_after = client.request("test/pieces")
    assert parsed_after - parsed == 2  # `m3`, and `m5` with the `# vN` line after it
    assert reused_after - reused >= 5
