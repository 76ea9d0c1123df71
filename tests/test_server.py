"""`scorelint server` end to end: a real LSP client (pytest-lsp) drives it over stdio."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

BUGGY = "import numpy as np\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
FIXED = "import numpy as np\n\ndef score(p):\n    return np.sum(np.log(p), axis=-1)\n"
# Bounded waits: a server that never answers fails the test instead of hanging it.
WAIT = 30.0


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "scorelint",
                                                              "server"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP text edits (ASCII text: UTF-16 columns are characters)."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(pos: types.Position) -> int:
        return starts[pos.line] + pos.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


async def open_and_wait(client: LanguageClient, uri: str, text: str) -> list[types.Diagnostic]:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    await asyncio_wait(client)
    return list(client.diagnostics[uri])


async def asyncio_wait(client: LanguageClient) -> None:
    await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS),
                           WAIT)


@pytest.mark.asyncio
async def test_diagnostic_code_action_and_clean_after_the_edit(client: LanguageClient,
                                                               tmp_path: Path) -> None:
    uri = (tmp_path / "score.py").as_uri()
    (diag,) = await open_and_wait(client, uri, BUGGY)
    assert diag.code == "SL201" and diag.source == "scorelint"
    assert "underflows" in diag.message
    assert diag.range == types.Range(types.Position(3, 11), types.Position(3, 38))
    assert diag.code_description is not None and "SL201" in diag.code_description.href.upper()

    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri), range=diag.range,
        context=types.CodeActionContext(diagnostics=[diag])))
    titles = [a.title for a in actions]
    assert "SL201: Replace with `np.sum(np.log(p), axis=-1)`" in titles
    assert "SL201: Disable for this line" in titles
    fix = next(a for a in actions if a.title.startswith("SL201: Replace"))
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    fixed = apply_edits(BUGGY, fix.edit.changes[uri])
    assert fixed == FIXED

    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)]))
    await asyncio_wait(client)
    assert list(client.diagnostics[uri]) == []


# Two findings: SL201 (a safe fix) and SL101 (an unsafe one).
BOTH = BUGGY + "\ndef norm(logits):\n    return logits / logits.sum(-1, keepdims=True)\n"


@pytest.fixture
def ignoring_sl201(tmp_path: Path) -> Path:
    """A project whose pyproject.toml ignores SL201."""
    (tmp_path / "pyproject.toml").write_text('[tool.scorelint]\nignore = ["SL201"]\n')
    return tmp_path


@pytest.mark.asyncio
async def test_pyproject_selection_is_honoured(client: LanguageClient,
                                               ignoring_sl201: Path) -> None:
    diagnostics = await open_and_wait(client, (ignoring_sl201 / "both.py").as_uri(), BOTH)
    assert [d.code for d in diagnostics] == ["SL101"]


@pytest.mark.asyncio
async def test_client_settings_override_the_configuration(client: LanguageClient,
                                                          ignoring_sl201: Path) -> None:
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"scorelint": {"select": ["SL2"]}}))
    diagnostics = await open_and_wait(client, (ignoring_sl201 / "both.py").as_uri(), BOTH)
    assert [d.code for d in diagnostics] == ["SL201"]


@pytest.mark.asyncio
async def test_unsafe_fix_is_labelled_fix_all_and_hover(client: LanguageClient,
                                                        tmp_path: Path) -> None:
    uri = (tmp_path / "two.py").as_uri()
    diagnostics = await open_and_wait(client, uri, BOTH)
    logits = next(d for d in diagnostics if d.code == "SL101")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri), range=logits.range,
        context=types.CodeActionContext(diagnostics=[logits],
                                        only=[types.CodeActionKind.QuickFix])))
    unsafe = next(a for a in actions if a.title.startswith("SL101: Replace"))
    assert "(unsafe fix" in unsafe.title and not unsafe.is_preferred

    (fix_all,) = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri),
        range=types.Range(types.Position(0, 0), types.Position(0, 0)),
        context=types.CodeActionContext(diagnostics=[], only=["source.fixAll.scorelint"])))
    assert fix_all.kind == "source.fixAll.scorelint"
    fixed = apply_edits(BOTH, fix_all.edit.changes[uri])
    assert "np.sum(np.log(p), axis=-1)" in fixed and "logits.sum" in fixed  # safe fixes only

    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri), position=types.Position(3, 15)))
    assert hover is not None and hover.contents.value.startswith("# log-of-product (SL201)")
    assert "## Why is this bad?" in hover.contents.value
