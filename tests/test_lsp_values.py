"""Findings as LSP values (scorelint.frontends.lsp), without a server: trace, positions, noqa."""

from __future__ import annotations

from lsprotocol import types

from scorelint.base.findings import Finding, Position
from scorelint.engine import suppressions
from scorelint.frontends import lsp

URI = "file:///project/score.py"


def finding(**extra: object) -> Finding:
    return Finding("score.py", "SL201", "log-of-product", "`np.log(np.prod(p))` underflows",
                   Position(5, 12), Position(5, 30), noqa_row=5, extra=dict(extra))


def test_the_why_trace_becomes_related_information() -> None:
    text = "import numpy as np\n\ndef f(x):\n    p = np.exp(x)\n    return np.log(np.prod(p))\n"
    trace = [{"row": 4, "column": 5, "note": "`p` is made here by `np.exp(x)`"},
             {"row": 5, "column": 19, "note": "and multiplied out here"}]
    diag = lsp.diagnostic(finding(trace=trace), lsp.Lines(text), URI)
    assert diag.related_information == [
        types.DiagnosticRelatedInformation(
            types.Location(URI, types.Range(types.Position(3, 4), types.Position(3, 4))),
            "`p` is made here by `np.exp(x)`"),
        types.DiagnosticRelatedInformation(
            types.Location(URI, types.Range(types.Position(4, 18), types.Position(4, 18))),
            "and multiplied out here"),
    ]
    assert lsp.diagnostic(finding(), lsp.Lines(text), URI).related_information is None


def test_columns_count_utf16_units_for_the_client() -> None:
    text = 'x = "\U0001f600"; y = 1\n'
    lines = lsp.Lines(text)
    # The emoji is one code point but two UTF-16 units: `;` is column 8, character 8.
    assert lines.to_lsp(Position(1, 8)) == types.Position(0, 8)
    assert lines.from_lsp(types.Position(0, 8)) == Position(1, 8)
    utf32 = lsp.Lines(text, len)
    assert utf32.to_lsp(Position(1, 8)) == types.Position(0, 7)


def test_noqa_action_appends_or_joins_a_comment() -> None:
    text = "\n\n\n\n    return np.log(np.prod(p))\n"
    (edit,) = lsp.noqa_action(finding(), lsp.Lines(text), URI, None).edit.changes[URI]
    assert (edit.range.start, edit.new_text) == (types.Position(4, 29), "  # noqa: SL201")
    joined = "\n\n\n\n    return np.log(np.prod(p))  # noqa: E501\n"
    (edit,) = lsp.noqa_action(finding(), lsp.Lines(joined), URI, None).edit.changes[URI]
    assert (edit.range.start, edit.new_text) == (types.Position(4, 43), ", SL201")
    bare = "\n\n\n\n    return np.log(np.prod(p))  # noqa\n"
    assert lsp.noqa_action(finding(), lsp.Lines(bare), URI, None) is None


def test_noqa_action_is_the_add_noqa_edit_and_never_lands_in_a_string() -> None:
    """The quick fix and `--add-noqa` are one edit: a row that ends inside a string gets
    no comment, since it would become part of the string."""
    text = ('import numpy as np\n\ndef f(p):\n    doc = """\n'
            '    return np.log(np.prod(p))\n    """\n')
    assert lsp.noqa_action(finding(), lsp.Lines(text), URI, None) is None
    code = "import numpy as np\n\ndef f(p):\n    q = p\n    return np.log(np.prod(q))\n"
    (edit,) = lsp.noqa_action(finding(), lsp.Lines(code), URI, None).edit.changes[URI]
    fixed, added = suppressions.add_noqa(code, [finding()])
    assert added == 1 and fixed == code.replace("(q))\n", "(q))" + edit.new_text + "\n")


def test_client_settings_take_the_shapes_editors_send() -> None:
    from scorelint.frontends.server import ClientSettings

    neovim = {"settings": {"select": ["sl2"], "unsafeFixes": True}}  # init_options
    assert ClientSettings.parse(neovim) == ClientSettings(select=("SL2",), unsafe_fixes=True)
    vscode = {"scorelint": {"ignore": "SL201", "extendSelect": ["SL1"]}}  # didChangeConfiguration
    assert ClientSettings.parse(vscode) == ClientSettings(extend_select=("SL1",), ignore=("SL201",))
    assert ClientSettings.parse(None) == ClientSettings()
