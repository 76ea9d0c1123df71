"""The motivating case end to end: `fixtures/support_reply_scoring.py` (issue 2)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import libcst as cst
import numpy as np
import pytest
from proof import agrees, load

from scorelint import reference
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.frontends.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "fixtures" / "support_reply_scoring.py"


@pytest.fixture(scope="module")
def fixed_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    copy = tmp_path_factory.mktemp("fix") / SCRIPT.name
    shutil.copyfile(SCRIPT, copy)
    # Exit 1: one report-only finding remains (see the test of the fixed copy).
    assert main(["check", "--fix", "--unsafe-fixes", str(copy)]) == 1
    return copy.read_text()


@pytest.fixture(scope="module")
def original():
    return load(SCRIPT.read_text(), "support_reply_scoring")


@pytest.fixture(scope="module")
def fixed(fixed_source: str):
    return load(fixed_source, "support_reply_scoring_fixed")


def test_check_reports_both_bugs_with_fixes_and_exits_1() -> None:
    run = subprocess.run([sys.executable, "-m", "scorelint", "check", str(SCRIPT)],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    assert run.returncode == 1, run.stderr
    out = run.stdout
    assert "SL101" in out and "SL201" in out
    assert "fix (unsafe): Replace with `np.exp(logits - np.max(logits, axis=-1" in out
    assert "fix (safe): Replace with `np.sum(np.log(token_probs))`" in out


def test_fixed_copy_parses_and_only_the_cross_function_log_remains(fixed_source: str) -> None:
    cst.parse_module(fixed_source)
    compile(fixed_source, "fixed.py", "exec")
    # Beyond ~sharpness 100 the fixed script still logs a softmax (written out by SL101's
    # fix) that was gathered in another function; the data flow follows it there and
    # reports it, without a fix (it would have to change three functions).
    (left,) = engine.lint(fixed_source, "fixed.py", all_rules())
    assert left.code == "SL203" and left.fix is None
    assert "np.log(token_probs)" in left.message
    notes = [step["note"] for step in left.extra["trace"]]
    assert notes == ["returned by `next_token_distribution` here", "`probs` is bound here",
                     "returned by `reply_token_probs` here", "`token_probs` is bound here"]


def test_fixed_logprob_matches_reference_where_original_is_minus_inf(original, fixed) -> None:
    model = original.ToyBigramLM.create(len(original.VOCAB))
    rng = np.random.default_rng(2)
    reply = list(rng.integers(2, len(original.VOCAB), size=2000))
    logits = model.step_logits([0], reply)
    want = reference.sequence_logprob(logits, np.array(reply), shift=False)
    with np.errstate(all="ignore"):
        before = original.reply_logprob(logits, reply)
    assert not np.isfinite(before)  # the product underflowed (or went negative)
    assert agrees(np.array(fixed.reply_logprob(logits, reply)), np.array(want))


# Beyond ~sharpness 100 the fixed script still logs a softmax that underflows across a
# function boundary (`log` of a gathered `softmax`): SL203 reports it, without a fix.
@pytest.mark.parametrize("sharpness", [1.0, 10.0, 30.0])
def test_fixed_scores_and_ranking_match_reference(original, fixed, sharpness: float) -> None:
    prompt = "hi your order has shipped"
    replies = ["thanks for reaching out . your order will arrive tomorrow .",
               "sorry for the delay . we will refund you .", "hello .",
               "please send your order number . i can help with that ."]
    model = fixed.ToyBigramLM.create(len(fixed.VOCAB), sharpness=sharpness)
    prompt_ids = [0, *fixed.encode(prompt)]
    per_token = []
    for text in replies:
        ids = [*fixed.encode(text), fixed.TOKEN_ID["<eos>"]]
        logits = model.step_logits(prompt_ids, ids)
        per_token.append(reference.token_logprobs(logits, np.array(ids), shift=False))
        got = fixed.reply_logprob(logits, ids)
        assert agrees(np.array(got), np.array(reference.sum_logprobs(per_token[-1])))
    want_order = [replies[i] for i in reference.rank_candidates(per_token, normalize="mean")]
    got_order = [s.text for s in fixed.score_replies(model, prompt, replies)]
    assert got_order == want_order
    with np.errstate(all="ignore"):
        before = original.score_replies(original.ToyBigramLM.create(
            len(original.VOCAB), sharpness=sharpness), prompt, replies)
    broken = [s for s in before if not np.isfinite(s.total_logprob)]
    assert broken or [s.text for s in before] != want_order


def test_preference_softmax_no_longer_overflows(original, fixed) -> None:
    scores = np.array([1000.0, 999.0, -5.0])
    with np.errstate(all="ignore"):
        assert np.isnan(original.preference_probabilities(scores)).any()
    assert agrees(fixed.preference_probabilities(scores), reference.softmax(scores))
