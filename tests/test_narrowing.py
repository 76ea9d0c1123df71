"""Narrowing by function (step 3 of scorelint.engine.narrowing) never changes a finding:
every rule example and every fixture file gives the same findings, fixes included, with
and without it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from scorelint.base.findings import apply_edits
from scorelint.engine import linter as engine
from scorelint.engine import narrowing
from scorelint.engine.registry import all_rules

ROOT = Path(__file__).resolve().parent.parent
RULES = all_rules()
EXAMPLES = [(f"{rule.code}-{kind}{i}", example.code)
            for rule in RULES
            for kind, cases in (("flagged", rule.flagged), ("clean", rule.clean))
            for i, example in enumerate(cases)]
FILES = sorted((ROOT / "fixtures").rglob("*.py"))


def _findings(text: str, on: bool, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    monkeypatch.setattr(engine, "NARROW_FUNCTIONS", on)
    try:
        found = engine.lint(text, "case.py", RULES)
    except engine.LintError as exc:
        return [str(exc)]
    return [(f.code, f.start, f.end, f.message, f.fix, f.extra) for f in found]


@pytest.mark.parametrize("text", [code for _, code in EXAMPLES],
                         ids=[name for name, _ in EXAMPLES])
def test_examples_same_with_and_without_narrowing(text: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert _findings(text, True, monkeypatch) == _findings(text, False, monkeypatch)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_fixtures_same_with_and_without_narrowing(path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    assert _findings(text, True, monkeypatch) == _findings(text, False, monkeypatch)


MODEL = '''import torch


class Scorer:
    def __init__(self, logits):
        self.logits = logits
        self.name = "scorer"

    def probs(self):
        return torch.softmax(self.logits, dim=-1)

    def describe(self):
        return f"{self.name}: {len(self.name)} chars"

    def report(self):
        print(self.describe())

    def score(self):
        return torch.log(self.probs())
'''


def test_a_method_no_rule_needs_is_blanked_in_place() -> None:
    tree = ast.parse(MODEL)
    masked = narrowing.mask(MODEL, tree, set(range(len(tree.body))), RULES, {})
    assert masked is not None and len(masked) == len(MODEL)
    assert masked.count("\n") == MODEL.count("\n")
    assert "def describe" not in masked and "def report" not in masked  # no trigger, no flow
    # The softmax's maker, its reader, and the member they read stay.
    for kept in ("def probs", "def score", "def __init__"):
        assert kept in masked
    ast.parse(masked)  # still Python, with a `pass` where each dropped method began


def test_the_finding_through_a_method_survives_screening() -> None:
    found = engine.lint(MODEL, "m.py", RULES)
    assert [f.code for f in found] == ["SL203"]
    assert found[0].start.row == MODEL.splitlines().index(
        "        return torch.log(self.probs())") + 1


def _kept(text: str) -> set[str]:
    """The names of the functions and methods narrowing keeps for LibCST."""
    tree = ast.parse(text)
    masked = narrowing.mask(text, tree, set(range(len(tree.body))), RULES, {}) or text
    return {node.name for node in ast.walk(ast.parse(masked))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


TRAINER = '''import torch


class Trainer:
    def __init__(self, eps):
        self.eps = eps

    def normalize(self, loss, mask):
        return loss.sum() / mask.shape[0]

    def log_metrics(self, metrics):
        total = sum(metrics.values())
        print(total, len(metrics) / 2)

    def score(self, logits):
        return logits / logits.sum(-1, keepdim=True)
'''


def test_triggers_must_meet_in_one_statement_s_values() -> None:
    kept = _kept(TRAINER)
    # A sum and a division in one method, but no division by a sum: SL101 cannot fire.
    assert "normalize" not in kept and "log_metrics" not in kept
    assert "score" in kept


def test_a_read_sees_the_bindings_before_it_and_around_its_loop() -> None:
    text = '''import numpy as np


def f(x):
    p = np.prod(x)
    y = np.log(p)
    return y


def g(x):
    y = np.log(x)
    x = np.prod(x)
    return x


def h(xs):
    acc = 1.0
    for x in xs:
        out = np.log(acc)
        acc = np.prod(x) * acc
    return out
'''
    kept = _kept(text)
    assert "f" in kept  # the log of a product bound before it (SL201)
    assert "g" not in kept  # the product is bound after the log reads `x`
    assert "h" in kept  # the next turn of the loop reads the product


def test_a_class_inside_a_function_keeps_its_members() -> None:
    text = '''import torch
from torch import nn


def build():
    class M(nn.Module):
        def __init__(self):
            self.crit = nn.BCELoss()

        def forward(self, a, y):
            return self.crit(torch.sigmoid(a), y)
    return M
'''
    assert [f.code for f in engine.lint(text, "m.py", RULES)] == ["SL303"]


def test_a_function_kept_for_a_binding_keeps_only_what_that_binding_rests_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = '''import torch


class Scorer:
    def __init__(self, config):
        self.name = config.name
        print("building", self.name)
        floor = config.floor if config else 1e-8
        self.eps = floor
        for key in config.extra:
            self.extra[key] = 1

    def score(self, logits):
        return torch.log(torch.softmax(logits, -1) + self.eps)
'''
    tree = ast.parse(text)
    masked = narrowing.mask(text, tree, set(range(len(tree.body))), RULES, {})
    assert masked is not None and len(masked) == len(text)
    assert "self.eps = floor" in masked and "floor = config.floor" in masked
    assert "print(" not in masked and "self.name = config.name" not in masked
    assert "self.extra[key]" not in masked
    ast.parse(masked)
    assert _findings(text, True, monkeypatch) == _findings(text, False, monkeypatch)


def test_a_rule_reported_at_an_operation_needs_it_in_the_statement() -> None:
    text = '''import torch
from torch import nn


class Router(nn.Module):
    def forward(self, x):
        return torch.softmax(x)


class Layer(nn.Module):
    def __init__(self):
        self.router = Router()
        self.sm = nn.Softmax(dim=0)

    def route(self, x):
        return self.router(x)

    def normalize(self, out):
        return self.sm(out.logits)
'''
    kept = _kept(text)
    # SL103/SL105 report at a softmax: a value made by one elsewhere is not enough...
    assert "route" not in kept
    # ...but a call of a softmax module is one (SL105 reads its axis).
    assert {"forward", "normalize"} <= kept


def test_each_rule_s_anchor_arguments_name_an_anchor_and_a_known_test() -> None:
    for rule in RULES:
        for anchor, test in rule.anchor_arguments.items():
            assert anchor in rule.anchors and (test in narrowing.ARGUMENT_TESTS or test in narrowing.AROUND_TESTS), rule.code


def test_a_site_s_own_arguments_can_rule_it_out() -> None:
    """SL103 reports a softmax given no axis, SL105 a log-softmax or a softmax over axis 0
    (`Rule.anchor_arguments`): a softmax over the last axis is neither's site."""
    text = '''import torch
import torch.nn.functional as F


def last(x):
    return torch.softmax(x, dim=-1)


def positional_last(x):
    return F.softmax(x, -1)


def guessed(x):
    return F.softmax(x)


def told_none(x):
    return F.softmax(x, dim=None)


def over_batch(out):
    return F.softmax(out.logits, 0)


def unseen(x, **kw):
    return F.softmax(x, **kw)


def module():
    return torch.nn.Softmax()


def module_with_dim():
    return torch.nn.Softmax(1)
'''
    kept = _kept(text)
    assert not {"last", "positional_last", "module_with_dim"} & kept
    assert {"guessed", "told_none", "over_batch", "unseen", "module"} <= kept


def test_a_fill_is_sl402_s_site_only_when_it_fills_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SL402 reports a fill of log-probs with 1 (`masked_fill(pad, 1.0)`, `where(keep, lp,
    1)`): a fill with 0 or `True`, or given by keyword, is not its site."""
    text = '''import torch


def fills_one(logits, ids, pad):
    tok = torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)
    return tok.masked_fill(pad, 1.0)


def keeps_one(logits, ids, keep):
    tok = torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)
    return torch.where(keep, tok, 1)


def fills_zero(logits, ids, pad):
    tok = torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)
    return tok.masked_fill(pad, 0.0)


def keeps_zero(logits, ids, keep):
    tok = torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)
    return torch.where(keep, tok, 0)


def by_keyword(logits, ids, pad):
    tok = torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)
    return tok.masked_fill(mask=pad, value=1.0)


def fills_true(logits, ids, pad):
    tok = torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)
    return tok.masked_fill(pad, True)
'''
    _assert_screened("SL402", text, {"fills_one", "keeps_one"}, 2, monkeypatch)


def test_a_site_spread_over_its_statement_is_judged_on_the_statement() -> None:
    """SL401 reports a model given hand-shifted `labels=`, a same-module helper given logits
    and ids, and `lp[t, ids[t]]`: sites whose operands are the whole statement. A
    statement reading log-probs with none of its sites is not one."""
    text = '''import torch


def logps(logits, ids):
    return torch.log_softmax(logits, -1).gather(-1, ids[..., None])


def double_shift(model, ids):
    lp = torch.log_softmax(model(ids).logits, -1)
    return model(ids[:, :-1], labels=ids[:, 1:]).loss


def helper_call(model, ids):
    return logps(model(ids).logits, ids)


def by_index(model, ids, t):
    lp = torch.log_softmax(model(ids).logits, -1)
    return lp[0, t, ids[0, t]]


def no_site(model, ids):
    lp = torch.log_softmax(model(ids).logits, -1)
    return lp.argmax(-1)
'''
    (rule,) = [r for r in RULES if r.code == "SL401"]
    tree = ast.parse(text)
    masked = narrowing.mask(text, tree, set(range(len(tree.body))), [rule], {}) or text
    kept = {node.name for node in ast.walk(ast.parse(masked)) if isinstance(node, ast.FunctionDef)}
    assert {"logps", "double_shift", "helper_call", "by_index"} <= kept
    assert "no_site" not in kept


def test_a_site_can_need_a_name_to_reach_it() -> None:
    """SL104 reads a temperature by name (`Rule.named`): in the divisor itself, through the
    name bound to it, as an attribute or as a string key; a softmax divided by anything
    else is not its site."""
    text = '''import torch


def by_norm(x):
    p = torch.softmax(x, -1)
    return p / p.norm()


def by_parameter(x, temperature):
    return torch.softmax(x, -1) / temperature


def by_bound_name(x, args):
    scale = args.temp
    return torch.softmax(x, -1) / scale


def by_key(x, cfg):
    return torch.softmax(x, -1) * (1 / cfg["tau"])
'''
    (rule,) = [r for r in RULES if r.code == "SL104"]
    tree = ast.parse(text)
    masked = narrowing.mask(text, tree, set(range(len(tree.body))), [rule], {}) or text
    kept = {node.name for node in ast.walk(ast.parse(masked)) if isinstance(node, ast.FunctionDef)}
    assert kept == {"by_parameter", "by_bound_name", "by_key"}


def test_an_operator_site_can_need_the_literal_one_beside_it() -> None:
    """SL207 reports `1 - exp(a)` and `exp(a) - 1`, never `exp(a) - b`."""
    text = '''import torch


def shifted(a, b):
    return torch.exp(a) - b


def complement(lp):
    return 1 - torch.exp(lp)


def expm1_by_hand(lp):
    return torch.exp(lp) - 1.0
'''
    assert _kept(text) == {"complement", "expm1_by_hand"}


def test_the_closure_carries_tokens_through_chains_and_loops() -> None:
    """Each key gets the tokens of every key it reads, directly or not; keys that read
    each other (a loop of bindings) share one set; a key read by none still closes."""
    tokens = {("a",): {"exp"}, ("b",): {"sum"}, ("c",): {"/"}, ("d",): set(), ("e",): {"log"}}
    reads = {("a",): {("b",)}, ("b",): {("c",)}, ("c",): {("b",)}, ("d",): {("a",), ("e",)}}
    bits = {"exp": 1, "sum": 2, "/": 4, "log": 8}
    masks = narrowing._closure_masks(tokens, reads, bits)
    closed = {key: {name for name, bit in bits.items() if mask & bit} for key, mask in masks.items()}
    assert closed[("a",)] == {"exp", "sum", "/"}
    assert closed[("b",)] == closed[("c",)] == {"sum", "/"}
    assert closed[("d",)] == {"exp", "sum", "/", "log"}
    assert closed[("e",)] == {"log"}


def test_libcst_parses_the_kept_lines_and_findings_land_on_the_file_s_offsets() -> None:
    """LibCST parses the narrowed text without the lines narrowing blanked; the finding
    and its fix are still placed on the file's own rows, columns and offsets."""
    unrelated = "".join(f"def helper_{i}(x):\n    y = x + {i}\n    return y\n\n\n"
                        for i in range(30))
    text = ("import torch\n\n\n" + unrelated
            + "def score(logits):\n    return torch.log(torch.softmax(logits, dim=-1))\n")
    tree = ast.parse(text)
    narrowed = narrowing.narrow(text, tree, RULES)
    assert narrowed is not None
    assert len(narrowed.text) == len(text)  # offsets are the file's
    # The blanked helpers' lines are not parsed (the file's own empty lines are).
    assert "helper_" not in narrowed.parsed
    assert narrowed.parsed.count("\n") == text.count("\n") - 3 * 30
    (found,) = [f for f in engine.lint(text, "case.py", RULES) if f.code == "SL203"]
    row = text.count("\n", 0, text.index("return torch.log")) + 1
    assert (found.start.row, found.start.column) == (row, len("    return ") + 1)
    assert found.fix is not None
    fixed = apply_edits(text, list(found.fix.edits))
    assert fixed.startswith("import torch\n\n\n" + unrelated)
    assert "log_softmax(logits, dim=-1)" in fixed.splitlines()[row - 1]


def test_a_file_no_rule_can_fire_in_goes_no_further() -> None:
    """Its triggers are there (a softmax, a division) but no statement is a site any rule
    reports at: nothing is left for LibCST to parse, not even the imports."""
    quiet = ("import torch\n\n\ndef attend(q, k):\n"
             "    return torch.softmax(q @ k.T / 8, dim=-1)\n")
    assert narrowing.candidates(RULES, narrowing.text_tokens(quiet, RULES))
    assert narrowing.narrow(quiet, ast.parse(quiet), RULES) is None
    guessed = quiet.replace(", dim=-1", "")  # SL103's site: a softmax given no axis
    narrowed = narrowing.narrow(guessed, ast.parse(guessed), RULES)
    assert narrowed is not None and "def attend" in narrowed.text


def test_only_the_rules_that_can_fire_somewhere_go_on_to_libcst() -> None:
    """Every rule the text gate let through would walk every kept node; those that fire in
    no statement are left behind with the statements they cannot fire in."""
    guessed = ("import torch\n\n\ndef attend(q, k):\n"
               "    return torch.softmax(q @ k.T / 8)\n")
    gated = narrowing.candidates(RULES, narrowing.text_tokens(guessed, RULES))
    narrowed = narrowing.narrow(guessed, ast.parse(guessed), RULES)
    assert narrowed is not None
    assert [r.code for r in narrowed.rules] == ["SL103"]  # a softmax given no axis
    assert len(gated) > len(narrowed.rules)
    whole = narrowing.narrow(guessed, ast.parse(guessed), RULES, functions=False)
    assert whole is not None and whole.rules == gated  # without step 3, nothing to judge by


SLICED = '''import torch


class Scorer:
    def __init__(self, config):
        print("building")
        print("named", config.name)
        self.eps = config.floor
        if config.verbose:
            print("verbose")
            print("very")
        else:
            self.eps = 1e-6
        self.warned = False

    def describe(self):
        return "scorer"

    def report(self):
        print(self.describe())

    def score(self, logits):
        return torch.log(torch.softmax(logits, -1) + self.eps)
'''


def test_statements_blanked_together_leave_one_pass_only_where_a_body_needs_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    tree = ast.parse(SLICED)
    masked = narrowing.mask(SLICED, tree, set(range(len(tree.body))), RULES, {})
    assert masked is not None and len(masked) == len(SLICED)
    assert "self.eps = config.floor" in masked and "print(" not in masked
    assert "def describe" not in masked and "def report" not in masked
    # `__init__` and the class keep statements: only the `if` branch emptied needs one.
    assert [line.strip() for line in masked.splitlines() if line.strip() == "pass"] == ["pass"]
    assert "        if config.verbose:\n            pass" in masked
    ast.parse(masked)
    assert _findings(SLICED, True, monkeypatch) == _findings(SLICED, False, monkeypatch)
    alone = "class Helper:\n    def a(self):\n        return 1\n\n    def b(self):\n        return 2\n"
    tree = ast.parse(alone + SLICED)
    masked = narrowing.mask(alone + SLICED, tree, set(range(len(tree.body))), RULES, {})
    assert masked is not None and "class Helper" not in masked  # no rule needs it at all


OWN_LOG = '''import torch


class Trainer:
    def log(self, logs):
        print(logs)

    def probs(self, x):
        return torch.softmax(x, dim=-1)

    def step(self, x):
        self.log(self.probs(x))
'''


def test_a_call_of_an_own_method_is_not_the_operation_it_is_named_after() -> None:
    """`self.log(m)` in a class defining `log` calls that method (the vocabulary never
    reads a `self.` call as array math): no `log` token, no site, nothing kept for it."""
    (tokens,) = narrowing.statement_tokens(ast.parse(OWN_LOG))[-1:]
    assert "log" not in tokens and "softmax" in tokens
    assert narrowing.narrow(OWN_LOG, ast.parse(OWN_LOG), RULES) is None
    # The same call on anything else, or of a method the class lacks, is still a log.
    for text in (OWN_LOG.replace("self.log(self.probs(x))", "torch.log(self.probs(x))"),
                 OWN_LOG.replace("self.log(self.probs(x))", "self.probs(x).log()"),
                 OWN_LOG.replace("def log(self, logs)", "def write(self, logs)")):
        narrowed = narrowing.narrow(text, ast.parse(text), RULES)
        assert narrowed is not None and "def step" in narrowed.text, text


def test_a_module_whose_calls_are_own_methods_borrows_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The text gate sees `log(`, so SL203 could borrow a softmax from what the file
    imports; its statements show no log at all, so the project is not read."""
    from scorelint.engine import project

    (tmp_path / "model.py").write_text("import torch\n\n\ndef net(x):\n"
                                       "    return torch.softmax(x, -1)\n", encoding="utf-8")
    text = OWN_LOG.replace("import torch\n", "import torch\nfrom model import net\n") \
        .replace("torch.softmax(x, dim=-1)", "net(x)")
    read: list[str] = []
    monkeypatch.setattr(project, "lent_tokens", lambda *a: read.append(a[0]) or {})
    assert not engine.lint(text, str(tmp_path / "trainer.py"), RULES)
    assert not read
    borrowing = text.replace("self.log(self.probs(x))", "torch.log(self.probs(x))")
    engine.lint(borrowing, str(tmp_path / "trainer.py"), RULES)
    assert read


def _kept_by(code: str, text: str) -> set[str]:
    """The functions and methods narrowing keeps for one rule."""
    rules = [rule for rule in RULES if rule.code == code]
    tree = ast.parse(text)
    masked = narrowing.mask(text, tree, set(range(len(tree.body))), rules, {}) or text
    if masked == narrowing.NONE_CAN_FIRE:
        return set()
    return {node.name for node in ast.walk(ast.parse(masked))
            if isinstance(node, ast.FunctionDef) and not _emptied(node)}


def _emptied(function: ast.FunctionDef) -> bool:
    return all(isinstance(stmt, ast.Pass) for stmt in function.body)


def _assert_screened(code: str, text: str, kept: set[str], found: int,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Narrowing keeps the functions `kept` for rule `code`, which finds `found` findings
    in `text`, the same narrowed as whole."""
    assert _kept_by(code, text) == kept
    assert [f.code for f in engine.lint(text, "case.py", RULES)].count(code) == found
    assert _findings(text, True, monkeypatch) == _findings(text, False, monkeypatch)


def test_a_gather_or_token_loss_is_sl401_s_site_only_at_ids_its_model_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SL401 reports a gather or a token loss whose targets stand where the ids its
    model read stand (`TARGETS_FED`): labels a caller passed, moved to a device or
    reshaped, are not such targets, whether the loss is a function or a module called."""
    text = '''import torch
import torch.nn.functional as F
from torch import nn


def unshifted(model, ids):
    lp = F.log_softmax(model(ids).logits, -1)
    return lp.gather(-1, ids[..., None])


def unshifted_loss(model, batch):
    ids = batch["input_ids"].to(model.device)
    logits = model(input_ids=ids).logits
    loss_fct = nn.CrossEntropyLoss()
    return loss_fct(logits.view(-1, logits.size(-1)), ids.view(-1))


def given_labels(model, ids, labels):
    logits = model(ids).logits
    return F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1))


class Classifier(nn.Module):
    def __init__(self, body, head):
        super().__init__()
        self.body, self.head = body, head
        self.loss_fct = nn.CrossEntropyLoss()

    def forward(self, input_ids, labels=None):
        logits = self.head(self.body(input_ids)[0])
        labels = labels.to(logits.device)
        return self.loss_fct(logits.view(-1, logits.size(-1)), labels.view(-1))
'''
    _assert_screened("SL401", text, {"unshifted", "unshifted_loss"}, 2, monkeypatch)


def test_a_token_loss_is_sl402_s_site_only_near_a_pad_id_or_a_padding_tokenizer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SL402 reports a token cross-entropy over padded ids (`PAD_IN_SCOPE`): its function
    reads a pad id, or a tokenizer padded the targets. A loss elsewhere, a loss module
    made without being called, or a loss of labels (given to no model as its ids) is not
    its site."""
    text = '''import torch.nn.functional as F
from torch import nn


def with_pad_id(logits, input_ids, pad_token_id):
    return F.cross_entropy(logits.view(-1, logits.size(-1)), input_ids.view(-1))


def tokenizer_padded(model, tokenizer, texts):
    ids = tokenizer(texts, padding=True, return_tensors="pt")["input_ids"]
    logits = model(ids).logits
    return F.cross_entropy(logits.view(-1, logits.size(-1)), ids.view(-1))


def no_pad(logits, input_ids):
    return F.cross_entropy(logits.view(-1, logits.size(-1)), input_ids.view(-1))


def made_only(pad_token_id):
    return nn.CrossEntropyLoss(reduction="sum")


def labels_near_pad(model, input_ids, labels, pad_token_id):
    decoder_ids = shift_right(labels, pad_token_id)
    logits = model(input_ids, decoder_input_ids=decoder_ids).logits
    labels = labels.to(logits.device)
    return F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1))
'''
    _assert_screened("SL402", text, {"with_pad_id", "tokenizer_padded"}, 2, monkeypatch)


def test_a_division_is_sl101_s_site_only_by_a_sum_of_what_it_divides(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SL101 reports logits divided by their own sum (`DIVIDED_BY_ITSELF`), also through a
    name or a comprehension's variable; a division by the sum of something else is not its
    site."""
    text = '''import numpy as np


def by_own_sum(scores):
    return scores / scores.sum(-1, keepdims=True)


def through_a_name(logits):
    total = np.sum(logits, axis=-1, keepdims=True)
    return np.divide(logits, total)


def over_a_list(scores):
    return [s / sum(scores) for s in scores]


def by_other_sum(logits, counts):
    return logits / counts.sum()


def a_mean(losses, mask):
    return (losses * mask).sum() / mask.sum()
'''
    _assert_screened("SL101", text, {"by_own_sum", "through_a_name", "over_a_list"}, 3, monkeypatch)


def test_a_log_is_sl207_s_site_only_of_one_apart_from_a_value(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SL207 reports `log(1 - p)` and `log(1 + p)` (`ONE_APART`), also under an epsilon
    guard or through a name; a log of anything else is not its site."""
    text = '''import torch


def complement(logits):
    p = torch.sigmoid(logits).clamp(max=0.5)
    return torch.log(1 - torch.softmax(logits, -1))


def guarded(logits):
    q = 1 - torch.softmax(logits, -1)
    return torch.log(torch.clamp(q, min=1e-8))


def plain(logits):
    return torch.log(torch.softmax(logits, -1) + 1e-8)


def other(x, y):
    return torch.log(x - y)
'''
    _assert_screened("SL207", text, {"complement", "guarded"}, 2, monkeypatch)
