"""The second motivating case end to end: `fixtures/multiple_choice_scoring.py` (issue 8).

Before: the evaluator picks the wrong answer. scorelint reports the unshifted targets
(SL401, fixed with `--unsafe-fixes`) and the unmasked padded sum (SL402); with the mask
applied as SL402 suggests, it reports the raw sums compared across lengths (SL403); with
that suggestion applied too, the evaluator picks the reference's answer.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from proof import load, torch_available

from scorelint import reference
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.frontends.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "fixtures" / "multiple_choice_scoring.py"
TORCH_SCRIPT = ROOT / "fixtures" / "multiple_choice_scoring_torch.py"

# The edits the report-only findings suggest, as a reader of the messages would make them.
MASK_EDIT = ("return tok[:, start:].sum(-1)",
             "return (tok * attention_mask[:, 1:])[:, start - 1:].sum(-1)")
LENGTH_EDIT = ("return int(np.argmax(totals))",
               "return int(np.argmax(totals / np.array([len(a) for a in answers])))")


def _codes(text: str) -> list[tuple[str, bool]]:
    return sorted((f.code, f.fix is not None) for f in engine.lint(text, "mc.py", all_rules()))


def reference_choice(table: np.ndarray, question: list[int], answers: list[list[int]],
                     normalize: str = "mean") -> int:
    per_answer = []
    for answer in answers:
        ids = np.array(question + answer)
        lp = reference.token_logprobs(table[ids], ids, shift=True)
        per_answer.append(lp[len(question) - 1:])  # the answer's tokens only
    return reference.rank_candidates(per_answer, normalize=normalize)[0]


@pytest.fixture(scope="module")
def fixed_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    copy = tmp_path_factory.mktemp("fix") / SCRIPT.name
    shutil.copyfile(SCRIPT, copy)
    assert main(["check", "--fix", "--unsafe-fixes", str(copy)]) == 1  # SL402 remains
    return copy.read_text()


def _steps(source: str) -> list[str]:
    masked = source.replace(*MASK_EDIT)
    assert masked != source
    normalized = masked.replace(*LENGTH_EDIT)
    assert normalized != masked
    return [masked, normalized]


def test_original_reports_the_shift_with_a_fix_and_the_padding(tmp_path) -> None:
    assert _codes(SCRIPT.read_text()) == [("SL401", True), ("SL402", False)]


def test_each_suggested_edit_uncovers_the_next_and_the_last_is_clean(fixed_source) -> None:
    assert _codes(fixed_source) == [("SL402", False)]
    masked, normalized = _steps(fixed_source)
    assert _codes(masked) == [("SL403", False)]
    assert _codes(normalized) == []


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_wrong_choice_before_and_the_references_after(fixed_source, seed) -> None:
    original = load(SCRIPT.read_text(), "mc_original")
    table = original.example_table(seed=seed)
    question, answers = original.QUESTION, original.ANSWERS
    want = reference_choice(table, question, answers)
    assert want == 0  # the long answer the model predicts well at every step
    assert original.choose(question, answers, table) != want
    masked, normalized = (load(s, f"mc_step{i}") for i, s in enumerate(_steps(fixed_source)))
    # Masked but raw: the one-token answer wins, as the reference's raw ranking says.
    assert masked.choose(question, answers, table) == reference_choice(
        table, question, answers, normalize="none") != want
    assert normalized.choose(question, answers, table) == want


def test_fixed_scores_match_reference_to_float64_precision(fixed_source) -> None:
    masked = load(_steps(fixed_source)[0], "mc_masked")
    table = masked.example_table(seed=5)
    question, answers = masked.QUESTION, masked.ANSWERS
    ids, attention_mask = masked.pad_batch([question + a for a in answers])
    got = masked.answer_logprobs(ids, attention_mask, table, len(question))
    for row, answer in enumerate(answers):
        one = np.array(question + answer)
        want = reference.token_logprobs(table[one], one, shift=True)[len(question) - 1:].sum()
        assert got[row] == pytest.approx(want, rel=1e-9)


@pytest.mark.skipif(not torch_available(), reason="torch is not installed")
def test_torch_twin_wrong_before_and_reference_after(tmp_path) -> None:
    copy = tmp_path / TORCH_SCRIPT.name
    shutil.copyfile(TORCH_SCRIPT, copy)
    original = load(TORCH_SCRIPT.read_text(), "mc_torch_original")
    assert _codes(TORCH_SCRIPT.read_text()) == [("SL401", True), ("SL402", False)]
    assert main(["check", "--fix", "--unsafe-fixes", str(copy)]) == 1
    masked, normalized = _steps(copy.read_text())
    assert _codes(masked) == [("SL403", False)] and _codes(normalized) == []
    table = load(SCRIPT.read_text(), "mc_np").example_table()
    want = reference_choice(table, original.QUESTION, original.ANSWERS)
    assert original.choose(original.QUESTION, original.ANSWERS, table) != want
    assert load(normalized, "mc_torch_fixed").choose(original.QUESTION, original.ANSWERS, table) == want
