"""The project index: bugs that need a second file, found from the file that has the bug.

`tests/data/project/` holds small projects, one per way of importing: relative
imports in a package, a `src/` layout, re-exports through `__init__.py`, star
imports with `__all__` (re-exported, and in the checked file itself), an import
cycle, a module that cannot be parsed. Each
checked file (train*, run*, main*) marks its expected findings `# expect: SL303`
and has a clean twin; each file is checked alone, as pre-commit or an editor
checks it, its imports read from disk.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from scorelint.engine import project
from scorelint.engine.registry import all_rules
from scorelint.frontends import api
from scorelint.run import cache, pipeline, runner
from scorelint.run.discovery import Candidate

DATA = Path(__file__).resolve().parent / "data" / "project"
CHECKED = sorted(p for p in DATA.rglob("*.py") if re.match(r"(train|run|main)", p.name))
EXPECT = re.compile(r"#\s*expect:\s*(SL\d{3}(?:\s*,\s*SL\d{3})*)")
OPTIONS = pipeline.Options(codes=tuple(r.code for r in all_rules()))

MODEL_LINEAR = """\
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, x):
        return self.fc(x)
"""
MODEL_SIGMOID = MODEL_LINEAR.replace("return self.fc(x)", "return self.fc(x).sigmoid()")
TRAIN = """\
from torch import nn

from model import Net

model = Net()
criterion = nn.BCELoss()


def step(x, y):
    return criterion(model(x), y)
"""


def _expected(text: str) -> set[tuple[int, str]]:
    return {(row, code.strip()) for row, line in enumerate(text.splitlines(), start=1)
            if (m := EXPECT.search(line)) for code in m.group(1).split(",")}


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(DATA)))
def test_a_file_checked_alone_sees_what_its_imports_make(path: Path) -> None:
    text = path.read_text()
    found = api.check_source(text, str(path)).findings
    assert {(f.start.row, f.code) for f in found} == _expected(text)
    for finding in found:  # the trace names the other file and the line there
        notes = [step["note"] for step in finding.extra.get("trace", ())]  # type: ignore[union-attr]
        assert any(re.search(r"returns a \w+: \S+\.py:\d+$", n) for n in notes), notes


def test_the_trace_names_the_other_file_and_its_line() -> None:
    path = DATA / "relative" / "pkg" / "train.py"
    (finding, *_) = api.check_source(path.read_text(), str(path)).findings
    (step,) = finding.extra["trace"]  # type: ignore[misc]
    assert step["note"] == "`Net` returns a sigmoid: model.py:13"  # type: ignore[index]


def _project(tmp_path: Path, model: str) -> tuple[Path, Path]:
    (tmp_path / "model.py").write_text(model)
    (tmp_path / "train.py").write_text(TRAIN)
    return tmp_path / "model.py", tmp_path / "train.py"


def _codes(train: Path, store: cache.Cache) -> list[str]:
    (outcome,) = runner.run([Candidate(str(train))], OPTIONS, jobs=1, cache=store)
    return [f.code for f in outcome.findings]


def test_a_warm_run_checks_train_again_when_model_changes(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    model, train = _project(tmp_path / "src", MODEL_LINEAR)
    store = cache.Cache(tmp_path / "cache")
    assert _codes(train, store) == []  # cold: stored, resting on model.py
    assert _codes(train, store) == []  # warm
    model.write_text(MODEL_SIGMOID)  # train.py unchanged: its entry is stale all the same
    assert _codes(train, store) == ["SL303"]
    assert _codes(train, store) == ["SL303"]  # and that result is cached in turn
    model.write_text(MODEL_LINEAR)
    assert _codes(train, store) == []


def test_an_outcome_records_the_modules_it_read(tmp_path: Path) -> None:
    model, train = _project(tmp_path, MODEL_SIGMOID)
    outcome = pipeline.check_file(str(train), OPTIONS)
    assert [f.code for f in outcome.findings] == ["SL303"]
    assert [path for path, _ in outcome.depends] == [str(model)]
    assert not project.changed(outcome.depends)
    model.write_text(MODEL_LINEAR)
    assert project.changed(outcome.depends)


def test_a_chain_longer_than_the_budget_is_unknown(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-exports followed up to `MAX_DEPTH` modules, then unknown: no finding, no error."""
    _project(tmp_path, MODEL_SIGMOID)
    (tmp_path / "model.py").rename(tmp_path / "net0.py")
    for i in (1, 2):
        (tmp_path / f"net{i}.py").write_text(f"from net{i - 1} import Net\n")
    (tmp_path / "model.py").write_text("from net2 import Net\n")  # 4 modules to `Net`
    train = tmp_path / "train.py"
    assert [f.code for f in api.check_source(TRAIN, str(train)).findings] == ["SL303"]
    monkeypatch.setattr(project, "MAX_DEPTH", 3)
    project._exports.clear()
    assert api.check_source(TRAIN, str(train)).findings == ()
    monkeypatch.setattr(project, "MAX_DEPTH", 8)
    monkeypatch.setattr(project, "MAX_MODULES", 3)  # one file's check reads at most 3
    project._exports.clear()
    assert api.check_source(TRAIN, str(train)).findings == ()


def test_star_imports_in_a_circle_and_a_missing_name_are_unknown(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from b import *\n")
    (tmp_path / "b.py").write_text("from a import *\nfrom a import Net\n")
    (tmp_path / "model.py").write_text("from a import Net\n")
    train = tmp_path / "train.py"
    assert api.check_source(TRAIN, str(train)).findings == ()


def test_a_module_importing_itself_and_a_class_calling_itself(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(
        "from model import Net as Other\nfrom torch import nn\n\n\n"
        "class Net(nn.Module):\n    def forward(self, x):\n        return Other()(x)\n")
    train = tmp_path / "train.py"
    assert api.check_source(TRAIN, str(train)).findings == ()


def test_nothing_outside_the_project_is_read(tmp_path: Path) -> None:
    """`import torch` is not looked for in site-packages: only the project's folders."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "pyproject.toml").write_text("")
    (tmp_path / "model.py").write_text(MODEL_SIGMOID)  # above the project's root
    outcome = pipeline.check_file(str(work / "train.py"), OPTIONS, TRAIN)
    assert outcome.findings == [] and outcome.depends == ()


def test_a_copied_package_keeps_its_findings(tmp_path: Path) -> None:
    """The fixtures' findings come from the files themselves, not from where they sit."""
    shutil.copytree(DATA / "relative", tmp_path / "relative")
    path = tmp_path / "relative" / "pkg" / "train.py"
    assert [f.code for f in api.check_source(path.read_text(), str(path)).findings] == [
        "SL303", "SL301", "SL203"]


def test_a_layer_built_outside_init_is_followed(tmp_path: Path) -> None:
    """Narrowing's tokens of a class count every method that binds a member."""
    (tmp_path / "model.py").write_text(
        "from torch import nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n\n    def build(self):  # called by the trainer\n"
        "        self.head = nn.Sequential(nn.Linear(4, 1), nn.Sigmoid())\n\n"
        "    def forward(self, x):\n        return self.head(x)\n")
    train = tmp_path / "train.py"
    assert [f.code for f in api.check_source(TRAIN, str(train)).findings] == ["SL303"]


def test_the_names_a_file_imports_are_found_without_parsing_their_modules(
        tmp_path: Path) -> None:
    """`Index.names` asks only whether the modules are there: grpo_trainer.py's check
    parsed 12 modules for it, though origins asked about none of their names."""
    import libcst as cst

    _project(tmp_path, MODEL_SIGMOID)
    (tmp_path / "helpers.py").write_text("def unused():\n    return 1\n")
    train = tmp_path / "train.py"
    text = TRAIN + "from helpers import unused\nimport helpers as h\n"
    project.begin()
    names = project.Index(str(train)).names(cst.parse_module(text))
    assert names == {"Net", "unused", "h"}
    assert project.used() == ()  # nothing read, nothing parsed
    assert str(tmp_path / "helpers.py") not in project._modules
    # What a name makes is still read when a rule asks: the finding stands.
    assert [f.code for f in api.check_source(text, str(train)).findings] == ["SL303"]


def test_the_collector_rests_while_a_module_is_parsed_and_summarised(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module's `ast` tree (no cycles: freed as it goes) made the cyclic collector walk
    it and everything the process holds, again and again: a quarter of the index's time
    on transformers' trainer.py. It is paused for that, and back on after, also when the
    module cannot be parsed; a collector the caller turned off stays off."""
    import gc

    summarise = project._summarise
    seen: list[bool] = []

    def watched(*args: object) -> project.Module:
        seen.append(gc.isenabled())
        return summarise(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(project, "_summarise", watched)
    model, _ = _project(tmp_path, MODEL_SIGMOID)
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n")
    project.begin()
    assert project.load(str(model)) is not None
    assert seen == [False] and gc.isenabled()
    assert project.load(str(broken)) is None and gc.isenabled()
    gc.disable()
    try:
        (tmp_path / "other.py").write_text("x = 1\n")
        assert project.load(str(tmp_path / "other.py")) is not None
        assert seen == [False, False] and not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("twice", [False, True], ids=["aliases-once", "an-alias-bound-twice"])
def test_a_summary_maps_the_aliases_a_class_holds_as_a_walk_of_the_whole_module(
        twice: bool) -> None:
    """A top-level class's own statement is no longer walked for its tokens (its calls
    are read from `models`); the from-import aliases it holds still map every other
    statement's calls back, as `statement_tokens` of the whole module does, also when
    one alias is bound two ways (the last binding's, in the walk's order)."""
    import ast

    from scorelint.engine import narrowing

    text = (
        "from torch import sigmoid as act\n\n\n"
        "class A:\n"
        "    from torch.nn.functional import softmax as sm\n\n"
        "    class Inner:\n"
        "        from torch import prod as pr\n\n"
        "    def f(self):\n"
        "        from torch import exp as ex\n"
        "        self.x = 1\n\n"
        "    def f(self):\n"
        "        return 2\n\n\n"
        "def g(x):\n"
        "    return sm(x) + ex(x) + act(x) + pr(x)\n\n\n"
        "class B:\n"
        "    def h(self):\n"
        f"        from torch import {'log' if twice else 'sigmoid'} as act\n\n\n"
        "h = lambda x: act(x)\n")
    tree = ast.parse(text)
    module = project._summarise("m.py", "0", tree)
    whole = narrowing.statement_tokens(tree)
    kept = [i for i, stmt in enumerate(tree.body) if not isinstance(stmt, ast.ClassDef)]
    assert [module.tokens[i] for i in kept] == [whole[i] for i in kept]
    assert {"softmax", "exp", "prod", "log" if twice else "sigmoid"} <= module.tokens[kept[1]]
