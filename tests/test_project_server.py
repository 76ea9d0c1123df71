"""The language server shows a finding that needs a second file: the open buffer is
checked as the file it stands for, and the modules it imports are read from disk."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

MODEL = """\
import torch
from torch import nn


class Net(nn.Module):
    def forward(self, x):
        return torch.sigmoid(x)
"""
TRAIN = """\
from torch import nn

from .model import Net


def step(x, y):
    return nn.BCELoss()(Net()(x), y)
"""
# Bounded waits: a server that never answers fails the test instead of hanging it.
WAIT = 30.0


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "scorelint",
                                                              "server"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


async def _published(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    await asyncio.wait_for(client.wait_for_notification(
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), WAIT)
    return list(client.diagnostics[uri])


@pytest.mark.asyncio
async def test_an_open_buffer_gets_a_finding_from_the_module_it_imports(
        client: LanguageClient, tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "model.py").write_text(MODEL)  # only on disk: never opened in the editor
    uri = (package / "train.py").as_uri()  # the buffer is not saved: it exists only here
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=TRAIN)))
    (diag,) = await _published(client, uri)
    assert diag.code == "SL303" and diag.range.start.line == 6
    # The clean twin, typed into the same buffer: the loss that takes logits.
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(
            text=TRAIN.replace("nn.BCELoss()(Net()(x), y)", "nn.MSELoss()(Net()(x), y)"))]))
    assert await _published(client, uri) == []
