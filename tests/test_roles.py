"""Unit tests of the roles layer (scorelint/model/roles.py): what a value is for in sequence
scoring, read from how it is made, with names only as hints."""

from __future__ import annotations

import libcst as cst
import pytest
from probe import used

from scorelint.model import patterns, roles
from scorelint.model.context import FileContext


def _subject(code: str) -> tuple[FileContext, cst.BaseExpression]:
    """The context of `code` and the argument of its last `use(...)` call."""
    return used(code)


# -- token ids and labels ------------------------------------------------------------------

@pytest.mark.parametrize(("code", "kind", "evidence"), [
    ("def f(model, ids):\n    model(ids, attention_mask=m).logits\n    use(ids)", roles.IDS, True),
    ("def f(model, ids):\n    out = model(ids)\n    out.logits\n    use(ids)", roles.IDS, True),
    ("def f(batch):\n    use(batch['input_ids'])", roles.IDS, True),
    ("def f(batch):\n    use(batch['chosen_labels'])", roles.LABELS, True),
    ("def f(tok, t):\n    enc = tok(t)\n    use(enc.input_ids)", roles.IDS, True),
    ("def f(model, x, y):\n    model(x, labels=y)\n    use(y)", roles.LABELS, True),
    ("def f(ids, pad):\n    use(ids.masked_fill(ids == pad, -100))", roles.LABELS, True),
    ("def f(tok, t):\n    use(tok.encode(t))", roles.IDS, True),
    ("def f(input_ids):\n    use(input_ids.clone())", roles.IDS, False),  # a name: a hint
])
def test_ids_and_labels_from_how_they_are_made(code: str, kind: str, evidence: bool) -> None:
    ctx, subject = _subject(code)
    found = roles.ids_role(ctx, subject)
    assert found is not None and (found.kind, found.evidence) == (kind, evidence)


def test_an_unknown_call_taking_labels_is_not_a_model() -> None:
    # `shift_tokens_right(labels, pad, start)` is not a language model reading tokens.
    ctx, subject = _subject("def f(labels, pad):\n    shift_tokens_right(labels, pad, 0)\n"
                            "    use(labels)")
    found = roles.ids_role(ctx, subject)
    assert found is not None and not found.evidence


def test_ids_carry_their_window() -> None:
    ctx, subject = _subject("def f(model, ids):\n    model(ids).logits\n    use(ids[:, 1:])")
    found = roles.ids_role(ctx, subject)
    assert found is not None and found.positions is not None
    assert found.positions.window == patterns.Window(patterns.Bound("", 1), patterns.Bound("end", 0))


# -- masks ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("expr", "keep"), [
    ("ids != tokenizer.pad_token_id", True),
    ("ids.ne(pad_token_id)", True),
    ("labels == -100", False),
    ("labels != -100", True),
    ("~(labels != -100)", False),
    ("1 - (ids != pad_id).float()", False),
    ("torch.arange(T)[None, :] < lengths[:, None]", True),
    ("torch.arange(T)[None, :] >= lengths[:, None]", False),
    ("lengths[:, None] > torch.arange(T)[None, :]", True),
    ("batch['attention_mask']", True),
    ("batch['completion_mask'][:, 1:].float()", True),
    ("enc.attention_mask", True),
])
def test_masks_and_their_polarity_from_how_they_are_made(expr: str, keep: bool) -> None:
    ctx, subject = _subject(f"import torch\ndef f(ids, labels, batch, enc, lengths, T, "
                            f"tokenizer, pad_token_id, pad_id):\n    use({expr})")
    found = roles.mask_role(ctx, subject)
    assert found is not None and found.evidence and found.keep is keep, expr


def test_a_mask_passed_to_a_model_is_a_mask_by_evidence() -> None:
    ctx, subject = _subject("def f(model, ids, m):\n    model(ids, attention_mask=m)\n    use(m)")
    found = roles.mask_role(ctx, subject)
    assert found is not None and found.evidence and found.keep


def test_a_bare_name_is_only_a_hint() -> None:
    ctx, subject = _subject("def f(mask):\n    use(mask)")
    found = roles.mask_role(ctx, subject)
    assert found is not None and not found.evidence
    assert roles.masks_in_scope(ctx, subject) == []


def test_conventional_mask_names_count_where_the_value_cannot_be_read() -> None:
    ctx, subject = _subject("def f(attention_mask):\n    use(attention_mask)")
    found = roles.mask_role(ctx, subject)
    assert found is not None and found.evidence
    ctx, subject = _subject("def f(g):\n    ids, completion_mask = g()\n    use(completion_mask)")
    assert [m.why for m in roles.masks_in_scope(ctx, subject)] == ["`completion_mask`"]
    # Bound to a value we can read, the value decides (a float is no mask).
    ctx, subject = _subject("def f():\n    attention_mask = 0.5\n    use(attention_mask)")
    assert roles.mask_role(ctx, subject) is None


def test_a_comparison_of_unknown_values_is_no_mask() -> None:
    ctx, subject = _subject("def f(a, b):\n    use(a != b)")
    assert roles.mask_role(ctx, subject) is None


def test_masks_in_scope_include_a_tokenizer_padding_the_batch() -> None:
    ctx, subject = _subject("def f(tok, texts, model):\n    enc = tok(texts, padding=True)\n"
                            "    use(model(**enc))")
    assert [m.why for m in roles.masks_in_scope(ctx, subject)] == ["inputs padded by a tokenizer"]
    ctx, subject = _subject("def f(tok, texts, model):\n    enc = tok(texts, padding=False)\n"
                            "    use(model(**enc))")
    assert roles.masks_in_scope(ctx, subject) == []


# -- lengths ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("expr", "unit"), [
    ("(ids != pad_id).sum(-1)", "tokens"),
    ("batch['attention_mask'].sum(-1).clamp(min=1)", "tokens"),
    ("tok.shape[-1]", "padded"),
    ("tok.size(1)", "padded"),
    ("len(text.encode('utf-8'))", "bytes"),
    ("len(text.split())", "words"),
    ("len(batch['input_ids'])", "tokens"),
])
def test_lengths_say_what_they_count(expr: str, unit: str) -> None:
    ctx, subject = _subject(f"def f(ids, pad_id, batch, tok, text):\n    use({expr})")
    found = roles.length_role(ctx, subject)
    assert found is not None and found.unit == unit, expr


# -- logits -------------------------------------------------------------------------------------

def test_logits_of_a_model_output_with_their_window() -> None:
    ctx, subject = _subject("def f(model, ids):\n    out = model(ids)\n"
                            "    use(out.logits[:, :-1] / 0.7)")
    found = roles.logits_role(ctx, subject)
    assert found is not None and found.kind == roles.LOGITS and found.evidence
    assert found.call is not None and found.positions is not None
    assert found.positions.window.upper == patterns.Bound("end", -1)


def test_log_softmax_of_logits_is_log_probs_and_names_are_hints() -> None:
    ctx, subject = _subject("import torch\ndef f(model, ids):\n"
                            "    use(torch.log_softmax(model(ids)['logits'], -1))")
    found = roles.logits_role(ctx, subject)
    assert found is not None and found.kind == roles.LOGPROBS and found.evidence
    ctx, subject = _subject("def f(logits):\n    use(logits)")
    found = roles.logits_role(ctx, subject)
    assert found is not None and not found.evidence


def test_a_model_output_consumed_as_logits() -> None:
    ctx, subject = _subject("import mlx.core as mx\ndef f(model, x):\n    z = model(x)\n"
                            "    p = mx.softmax(z[-1], axis=-1)\n    use(z)")
    found = roles.logits_role(ctx, subject)
    assert found is not None and not found.evidence and roles.consumed_as_logits(ctx, found)
    ctx, subject = _subject("def f(model, x):\n    z = model(x)\n    use(z)")
    found = roles.logits_role(ctx, subject)
    assert found is not None and not roles.consumed_as_logits(ctx, found)


# -- per-token scores -------------------------------------------------------------------------

def test_gathered_log_softmax_is_token_log_probs_with_targets() -> None:
    ctx, subject = _subject("def f(model, ids):\n    lp = model(ids).logits[:, :-1].log_softmax(-1)\n"
                            "    use(lp.gather(-1, ids[:, 1:, None]).squeeze(-1))")
    found = roles.token_scores(ctx, subject)
    assert found is not None and found.kind == roles.TOKEN_LOGPROBS and not found.masked
    assert found.targets is not None and found.targets.kind == roles.IDS
    assert found.target_positions is not None
    assert found.target_positions.window.lower == patterns.Bound("", 1)


@pytest.mark.parametrize(("line", "kind"), [
    ("use(out.logits.gather(-1, ids[..., None]))", roles.TOKEN_LOGITS),
    ("use(out.logits.gather(-1, ids[..., None]) - out.logits.logsumexp(-1))", roles.TOKEN_LOGPROBS),
    ("use(-F.cross_entropy(out.logits.transpose(1, 2), ids, reduction='none'))",
     roles.TOKEN_LOGPROBS),
])
def test_per_token_scores_in_each_spelling(line: str, kind: str) -> None:
    ctx, subject = _subject("import torch.nn.functional as F\ndef f(model, ids):\n"
                            f"    out = model(ids)\n    {line}")
    found = roles.token_scores(ctx, subject)
    assert found is not None and found.kind == kind


def test_a_token_loss_is_masked_by_construction_only_on_labels() -> None:
    code = ("import torch.nn.functional as F\ndef f(model, batch):\n"
            "    logits = model(input_ids=batch['input_ids']).logits\n"
            "    use(F.cross_entropy(logits.transpose(1, 2), batch['{key}'], reduction='none'))")
    ctx, subject = _subject(code.format(key="labels"))
    found = roles.token_scores(ctx, subject)
    assert found is not None and found.ignored  # -100 labels are ignored by default
    ctx, subject = _subject(code.format(key="input_ids"))
    found = roles.token_scores(ctx, subject)
    assert found is not None and not found.masked  # raw ids: padding is scored


def test_mlx_cross_entropy_reduces_nothing_by_default() -> None:
    ctx, subject = _subject("import mlx.nn as nn\ndef f(model, x, y):\n"
                            "    use(nn.losses.cross_entropy(model(x), y))")
    found = roles.token_scores(ctx, subject)
    assert found is not None and found.kind == roles.TOKEN_LOGPROBS and not found.masked


def test_masks_applied_on_the_way_and_their_polarity() -> None:
    base = ("import torch\ndef f(model, ids, pad_id):\n"
            "    tok = model(ids).logits.log_softmax(-1).gather(-1, ids[..., None]).squeeze(-1)\n"
            "    use({expr})")
    for expr, inverted in (("tok * (ids != pad_id)", False),
                           ("tok.masked_fill(ids == pad_id, 0.0)", False),
                           ("tok.masked_fill(ids != pad_id, 0.0)", True),
                           ("torch.where(ids == pad_id, tok, 0.0)", True),
                           ("torch.where(ids != pad_id, tok, torch.zeros_like(tok))", False),
                           ("tok[ids != pad_id]", False)):
        ctx, subject = _subject(base.format(expr=expr))
        found = roles.token_scores(ctx, subject)
        assert found is not None and len(found.applied) == 1, expr
        assert found.applied[0].inverted is inverted, expr
        assert found.masked is not inverted, expr


def test_a_helper_returning_log_probs_first_in_a_tuple() -> None:
    ctx, subject = _subject("import torch\n"
                            "def logps(logits, ids):\n"
                            "    return torch.log_softmax(logits, -1).gather(-1, ids[..., None]), ids\n"
                            "def f(x, y):\n    use(logps(x, y))")
    found = roles.token_scores(ctx, subject)
    assert found is not None and found.kind == roles.TOKEN_LOGPROBS


def test_log_ratios_are_masked_only_where_both_sides_are() -> None:
    base = ("import torch\ndef f(a, b, ids, pad_id):\n"
            "    lp = torch.log_softmax(a, -1).gather(-1, ids[..., None]) * (ids != pad_id)\n"
            "    ref = torch.log_softmax(b, -1).gather(-1, ids[..., None]){tail}\n"
            "    use(lp - ref)")
    ctx, subject = _subject(base.format(tail=""))
    found = roles.token_scores(ctx, subject)
    assert found is not None and not found.masked
    ctx, subject = _subject(base.format(tail=" * (ids != pad_id)"))
    found = roles.token_scores(ctx, subject)
    assert found is not None and found.masked


# -- sequence scores --------------------------------------------------------------------------

def test_sequence_scores_and_their_normalization() -> None:
    base = ("def f(model, batch):\n"
            "    m = batch['attention_mask'][:, 1:]\n"
            "    lp = model(batch['input_ids']).logits[:, :-1].log_softmax(-1)\n"
            "    tok = lp.gather(-1, batch['input_ids'][:, 1:, None]).squeeze(-1)\n"
            "    use({expr})")
    cases = {"(tok * m).sum(-1)": ("sum", False, None),
             "(tok * m).sum(-1) / m.sum(-1)": ("sum", True, "tokens"),
             "(tok * m).sum(-1) / tok.shape[-1]": ("sum", True, "padded"),
             "tok.mean(-1)": ("mean", True, None)}
    for expr, (reduction, normalized, unit) in cases.items():
        ctx, subject = _subject(base.format(expr=expr))
        score = roles.sequence_score(ctx, subject)
        assert score is not None, expr
        assert (score.reduction, score.normalized) == (reduction, normalized), expr
        assert (score.length.unit if score.length is not None else None) == unit, expr


def test_a_running_sum_over_positions() -> None:
    ctx, subject = _subject("import numpy as np\ndef f(table, ids):\n    s = 0.0\n"
                            "    for t, tok in enumerate(ids):\n        s += np.log(table[t, tok])\n"
                            "    use(s)")
    score = roles.sequence_score(ctx, subject)
    assert score is not None and score.reduction == "sum" and not score.normalized


def test_positions_in_one_frame_and_a_misaligned_mask() -> None:
    code = ("def f(model, input_ids, attention_mask):\n"
            "    logits = model(input_ids, attention_mask=attention_mask).logits[:, :-1]\n"
            "    tok = logits.log_softmax(-1).gather(-1, input_ids[:, 1:, None]).squeeze(-1)\n"
            "    use(tok * attention_mask[:, {window}])")
    ctx, subject = _subject(code.format(window=":-1"))
    found = roles.token_scores(ctx, subject)
    assert found is not None and roles.misaligned(ctx, found) is not None
    ctx, subject = _subject(code.format(window="1:"))
    found = roles.token_scores(ctx, subject)
    assert found is not None and roles.misaligned(ctx, found) is None


def test_batch_keys_share_a_frame_only_with_their_prefix() -> None:
    ctx, _ = _subject("def f(b):\n    use(b)")
    parse = cst.parse_expression
    same = roles.same_frame
    assert same(ctx, parse('b["chosen_input_ids"]'), parse('b["chosen_attention_mask"]'))
    assert same(ctx, parse('b["input_ids"]'), parse('b["labels"]'))
    assert not same(ctx, parse('b["chosen_input_ids"]'), parse('b["rejected_attention_mask"]'))


def test_the_role_facade() -> None:
    ctx, subject = _subject("def f(batch):\n    use(batch['attention_mask'].sum(-1))")
    found = roles.role(ctx, subject)
    assert found is not None and found.kind == roles.LENGTH and found.unit == "tokens"
    ctx, subject = _subject("def f(model, ids):\n    lp = model(ids).logits.log_softmax(-1)\n"
                            "    use(lp.gather(-1, ids[..., None]).sum(-1))")
    found = roles.role(ctx, subject)
    assert found is not None and found.kind == roles.SEQUENCE_SCORE


# -- time slices compose; the slice taken after gathering -------------------------------------

_W = patterns.Window
_B = patterns.Bound


@pytest.mark.parametrize(("outer", "inner", "want"), [
    (_W(_B("", 1), _B("end", 0)), _W(_B("", 1), _B("end", 0)), _W(_B("", 2), _B("end", 0))),
    (_W(_B("", 0), _B("end", -1)), _W(_B("", 0), _B("end", -1)), _W(_B("", 0), _B("end", -2))),
    (_W(_B("n", 0), _B("end", 0)), _W(_B("", 1), _B("end", 0)), _W(_B("n", 1), _B("end", 0))),
    (_W(_B("", 0), _B("", 3)), _W(_B("", 2), _B("end", 0)), _W(_B("", 2), _B("", 5))),
    (_W(_B("n", 0), _B("end", 0)), _W(_B("k", 0), _B("end", 0)), None),  # a name plus a name
])
def test_compose_adds_offsets(outer, inner, want) -> None:
    assert patterns.compose(outer, inner) == want


def test_positions_follow_two_slices() -> None:
    # Was None (two slices were left alone): the double shift could not be seen.
    ctx, subject = _subject("def f(model, ids):\n    model(ids).logits\n    labels = ids[:, 1:]\n"
                            "    use(labels[:, 1:])")
    traced = patterns.trace_positions(ctx, subject)
    assert traced is not None and traced.window == _W(_B("", 2), _B("end", 0))


def test_slice_after_gathering_is_kept_apart() -> None:
    ctx, subject = _subject(
        "import torch\ndef f(model, ids, n):\n"
        "    lp = torch.log_softmax(model(ids).logits[:, :-1], -1)\n"
        "    tok = lp.gather(-1, ids[:, 1:, None])[..., 0]\n"
        "    use(tok[:, n:])")
    found = roles.token_scores(ctx, subject)
    assert found is not None and found.target_positions is not None
    assert found.after == _W(_B("n", 0), _B("end", 0))
    assert found.target_positions.window == _W(_B("", 1), _B("end", 0))


# -- per-token scores through a scale, a difference and a helper's parameter -----------------

@pytest.mark.parametrize("expr", ["-self.beta * kl", "beta * kl", "kl * float(beta)",
                                  "kl * (self.beta / 2)"])
def test_a_scalar_factor_keeps_per_token_scores(expr: str) -> None:
    ctx, subject = _subject(
        "import torch\nclass T:\n    def f(self, logits, ref, ids, beta=0.1):\n"
        "        lp = torch.log_softmax(logits, -1).gather(-1, ids[..., None])\n"
        "        rp = torch.log_softmax(ref, -1).gather(-1, ids[..., None])\n"
        f"        kl = lp - rp\n        use({expr})")
    found = roles.token_scores(ctx, subject)
    assert found is not None and found.kind == roles.TOKEN_LOGPROBS


def test_a_tensor_factor_made_by_the_code_is_not_a_scale() -> None:
    ctx, subject = _subject(
        "import torch\ndef f(logits, ids):\n"
        "    lp = torch.log_softmax(logits, -1).gather(-1, ids[..., None])\n"
        "    w = torch.softmax(logits, -1)\n    use(w * lp)")
    assert roles.token_scores(ctx, subject) is None


def test_a_mask_on_a_difference_masks_both_sides() -> None:
    # Was unmasked: `((lp - ref) * mask).sum(-1)` was reported by SL402.
    ctx, subject = _subject(
        "import torch\ndef f(logits, ref, ids, attention_mask):\n"
        "    lp = torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)\n"
        "    rp = torch.log_softmax(ref, -1).gather(-1, ids[..., None]).squeeze(-1)\n"
        "    use((lp - rp) * attention_mask)")
    found = roles.token_scores(ctx, subject)
    assert found is not None and found.masked


_HELPER = (
    "import torch\ndef total(token_lp, mask):\n    use(token_lp)\n"
    "def score(model, ids, attention_mask):\n"
    "    m = attention_mask[:, 1:]\n"
    "    lp = torch.log_softmax(model(ids).logits[:, :-1], -1)\n"
    "    tok = lp.gather(-1, ids[:, 1:, None]).squeeze(-1)\n")


@pytest.mark.parametrize(("calls", "masked"), [
    ("    return total(tok, m)", False),
    ("    return total(tok * m, m)", True),
    ("    a = total(tok * m, m)\n    return a + total(token_lp=tok, mask=m)", False),
])
def test_a_parameter_holds_what_every_caller_passes(calls: str, masked: bool) -> None:
    ctx, _ = _subject(_HELPER + calls)
    subject = _first_use(ctx)
    found = roles.token_scores(ctx, subject)
    assert found is not None and found.kind == roles.TOKEN_LOGPROBS and found.masked is masked


def test_a_parameter_one_caller_fills_with_something_else_is_unknown() -> None:
    ctx, _ = _subject(_HELPER + "    return total(tok, m) + total(ids.float(), m)")
    assert roles.token_scores(ctx, _first_use(ctx)) is None


def _first_use(ctx: FileContext) -> cst.BaseExpression:
    found: list[cst.BaseExpression] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Name) and node.func.value == "use":
                found.append(node.args[0].value)

    ctx.module.visit(Finder())
    return found[0]


# -- what a length counts ---------------------------------------------------------------------

@pytest.mark.parametrize(("code", "unit"), [
    ("def f(tok, text):\n    tok(text, return_tensors='pt')\n    use(len(text))", "chars"),
    ("def f(text: str):\n    use(len(text))", "chars"),
    ("def f(text):\n    use(len(text.strip()))", "chars"),
    ("def f(text):\n    use(len(text.encode('utf-8')))", "bytes"),
    ("def f(text):\n    use(len(text.split()))", "words"),
    ("def f(items):\n    use(len(items))", "items"),
])
def test_length_units(code: str, unit: str) -> None:
    ctx, subject = _subject(code)
    found = roles.length_role(ctx, subject)
    assert found is not None and found.unit == unit
