"""Messages are true for the numbers the code runs in (issue 10, item 3)."""

from __future__ import annotations

import pytest

from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.frontends.cli import main


def _messages(code: str) -> list[str]:
    return [f.message for f in engine.lint(code, "m.py", all_rules())]


def test_float32_is_quoted_first_when_the_dtype_is_not_shown() -> None:
    (message,) = _messages("import numpy as np\ndef f(z):\n    e = np.exp(z)\n"
                           "    return e / e.sum()\n")
    assert "~88.72 in float32 (~709.8 in float64)" in message and "overflows" in message


@pytest.mark.parametrize(("cast", "quoted"), [
    ("z.half()", "~11.09 (float16)"),
    ("z.to(torch.bfloat16)", "~88.72 (bfloat16)"),
    ("z.double()", "~709.8 (float64)"),
    ("torch.as_tensor(z, dtype=torch.float32)", "~88.72 (float32)"),
])
def test_the_dtype_the_code_shows_is_the_one_quoted(cast: str, quoted: str) -> None:
    code = (f"import torch\ndef f(z):\n    x = {cast}\n    e = torch.exp(x)\n"
            "    return e / e.sum(-1, keepdim=True)\n")
    (message,) = _messages(code)
    assert quoted in message


def test_a_softmax_of_very_negative_inputs_is_described_as_underflow() -> None:
    (message,) = _messages("import numpy as np\ndef f(log_lik):\n    w = np.exp(log_lik)\n"
                           "    return w / w.sum()\n")
    assert "underflows to `0 / 0 = nan`" in message and "overflow" not in message
    assert "~-103.3 in float32 (~-745.1 in float64)" in message


def test_messages_name_only_the_users_expressions() -> None:
    (message,) = _messages("import numpy as np\ndef f(logp):\n    return np.log(1 - np.exp(logp))\n")
    assert "`logp` near 0" in message and "`a`" not in message


@pytest.mark.parametrize("code", ["SL102", "SL204", "SL206"])
def test_explain_pages_quote_float32(code: str, capsys) -> None:
    assert main(["explain", code]) == 0
    page = capsys.readouterr().out
    assert "88.7" in page and "float32" in page


def test_explain_sl102_describes_underflow(capsys) -> None:
    assert main(["explain", "SL102"]) == 0
    page = capsys.readouterr().out
    assert "underflows to 0" in page and "0 / 0 = nan" in page and "bfloat16" in page


_SHIFTED = """import torch
def seq_logps(model, input_ids, attention_mask):
    logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, :-1]
    tok = torch.log_softmax(logits, -1).gather(-1, input_ids[:, 1:, None]).squeeze(-1)
    return tok.sum(-1)
"""
# Scores from a helper already aligned with the completion: no shift to advise.
_ALIGNED = """import torch
def stats(self, prompt_mask, completion_mask):
    logprobs, ref_logprobs = self._forward(completion_mask)
    logprobs = torch.log_softmax(logprobs, -1).gather(-1, self.ids[..., None]).squeeze(-1)
    return logprobs.sum(1).mean()
"""


@pytest.mark.parametrize(("code", "advice"), [
    (_SHIFTED, "multiply by the mask shifted like the targets first"),
    (_ALIGNED, "multiply by the mask aligned with these log-probs first"),
])
def test_an_unmasked_sum_advises_the_mask_its_scores_need(code: str, advice: str) -> None:
    messages = [m for m in _messages(code) if "padding too" in m]
    assert messages and all(advice in m and "a mask is in scope (" in m for m in messages)
