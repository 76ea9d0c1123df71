"""The numeric proof harness (DESIGN.md): scorelint fixes a fixture, then both versions run.

A numeric fixture is a module in `fixtures/numeric/` that defines:

- `RULE`: the code whose fix is being proven (e.g. "SL201");
- `FRAMEWORK`: "numpy" (default) or "torch" (inputs become float64 tensors);
- `buggy(*args)`: the code under test, written the wrong way;
- `expected(*args)`: the right answer, computed with `scorelint.reference`;
- `cases()`: yields `(label, args)` ordinary and adversarial inputs (numpy arrays);
  a case with a float32 array is checked to float32 precision (`FLOAT32_RTOL`);
- `fixed(*args)` (report-only rules): the edit the rule's message and docs suggest,
  written by hand. Then scorelint must report `RULE` inside `buggy` and nothing of
  it inside `fixed`, and `fixed` is what is checked against `expected`.

The harness fixes the fixture's source with scorelint's own fixes (unsafe
included), executes the original and the fixed module (our fixtures, never
user code), and checks: the fixed `buggy` agrees with `expected` to `RTOL`
on every case, and the original `buggy` is measurably wrong on at least one.
"""

from __future__ import annotations

import importlib.util
import sys
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scorelint.engine import fixes
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules

ROOT = Path(__file__).resolve().parent.parent
NUMERIC = ROOT / "fixtures" / "numeric"
RTOL = 1e-9
FLOAT32_RTOL = 1e-5


@dataclass
class Proof:
    path: Path
    rule: str
    original: str
    fixed: str
    wrong_cases: list[str] = field(default_factory=list)


def load(source: str, name: str) -> types.ModuleType:
    """Execute one of our own fixture sources as a fresh module."""
    module = types.ModuleType(name)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    exec(compile(source, name, "exec"), module.__dict__)  # noqa: S102  (our fixtures only)
    return module


def to_numpy(value: object) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()  # type: ignore[attr-defined]
    if isinstance(value, (list, tuple)) and value and hasattr(value[0], "detach"):
        value = [to_numpy(v) for v in value]
    return np.asarray(value, dtype=float)


def agrees(got: np.ndarray, want: np.ndarray, rtol: float = RTOL) -> bool:
    """Equal shapes, the same non-finite pattern, finite values within `rtol` relative."""
    if got.shape != want.shape:
        return False
    if not np.array_equal(np.isnan(got), np.isnan(want)):
        return False
    inf = np.isinf(want)
    if not np.array_equal(got[inf], want[inf]):
        return False
    finite = np.isfinite(want)
    if not np.all(np.isfinite(got[finite])):
        return False
    return bool(np.allclose(got[finite], want[finite], rtol=rtol, atol=1e-300))


def prove(path: Path) -> Proof:
    original = path.read_text()
    spec = load(original, path.stem)
    rule = spec.RULE
    findings = engine.lint(original, str(path), all_rules())
    found = {f.code for f in findings}
    assert rule in found, f"{path.name}: scorelint does not report {rule} ({sorted(found)})"
    if hasattr(spec, "fixed"):  # a report-only rule: prove the suggested edit
        _check_suggestion(path, original, rule, findings)
        fixed, text = types.SimpleNamespace(buggy=spec.fixed), original
    else:
        result = fixes.fix_text(original, str(path), all_rules(), unsafe=True)
        assert result.refused is None, result.refused
        assert rule not in {f.code for f in result.remaining}, f"{path.name}: {rule} remains after fix"
        fixed, text = load(result.text, path.stem + "_fixed"), result.text
    proof = Proof(path, rule, original, text)
    convert = _converter(getattr(spec, "FRAMEWORK", "numpy"))
    for label, args in spec.cases():
        want = to_numpy(spec.expected(*args))
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            got = to_numpy(fixed.buggy(*convert(args)))
            try:
                before = to_numpy(spec.buggy(*convert(args)))
            except (ArithmeticError, ValueError):  # math.log(0.0) raises: wrong, loudly
                before = None
        # float32 inputs are checked to float32's precision (eps 1.2e-7), float64 to RTOL.
        rtol = FLOAT32_RTOL if any(getattr(a, "dtype", None) == np.float32 for a in args) else RTOL
        assert agrees(got, want, rtol), (
            f"{path.name} [{label}]: fixed code disagrees with the reference\n"
            f"fixed={got}\nreference={want}")
        if before is None or not agrees(before, want, rtol=1e-6):
            proof.wrong_cases.append(label)
    assert proof.wrong_cases, f"{path.name}: the buggy code was right on every case"
    for label, args in spec.cases():
        for boundary, edge in boundary_cases(args):
            never_worse(spec.buggy, fixed.buggy, convert(edge), f"{path.name} [{label}, {boundary}]")
    return proof


# Inputs at the edges the original code may handle: probabilities that round to 0 or 1
# (1 - 1e-9 is 1.0 in float32, 1e-50 is 0.0), and logits at +/-20 (a float32 sigmoid
# is exactly 1.0 at 20) and +/-100, each in float32 and float64.
BOUNDARIES = {
    "probabilities": (0.0, 1.0, 1 - 1e-9, 1e-50, 0.5),
    "logits": (20.0, -20.0, 100.0, -100.0, 0.0),
}


def boundary_cases(args: tuple) -> list[tuple[str, tuple]]:
    """The case's float arrays refilled with edge values, in float32 and float64: an array
    whose values are all in [0, 1] is a probability, any other float array logits or
    log-probabilities; a mask (only 0s and 1s) stays as given. Each edge value fills the arrays alone, then all of them cycled
    through the array; other arguments stay as given."""
    families = [_family(a) for a in args]
    if not any(families):
        return []
    out = []
    for dtype in (np.float32, np.float64):
        for k in range(len(BOUNDARIES["logits"]) + 1):
            def fill(a: np.ndarray, family: str) -> np.ndarray:
                values = BOUNDARIES[family]
                chosen = values if k == len(values) else (values[k],)
                return np.resize(np.asarray(chosen, dtype=dtype), a.shape)

            edge = tuple(a if family is None else fill(a, family)
                         for a, family in zip(args, families))
            name = "mixed" if k == len(BOUNDARIES["logits"]) else f"value {k}"
            out.append((f"{name} {np.dtype(dtype).name}", edge))
    return out


def _family(a: object) -> str | None:
    if not (isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size):
        return None
    if np.isin(a, (0.0, 1.0)).all():
        return None  # a mask: its edges are not these
    return "probabilities" if 0 <= a.min() and a.max() <= 1 else "logits"


def never_worse(buggy, fixed, args: tuple, where: str) -> None:
    """Wherever the original gives a finite number, the fixed code gives one too: an unsafe
    fix may change the numbers, never turn a finite result into `inf` or `nan`."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            before = to_numpy(buggy(*args))
        except (ArithmeticError, ValueError, RuntimeError, IndexError):
            return  # the original does not handle these inputs
        try:
            after = to_numpy(fixed(*args))
        except (ArithmeticError, ValueError, RuntimeError, IndexError) as exc:
            raise AssertionError(f"{where}: the fixed code raises {exc!r} where the original "
                                 f"gave {before}") from exc
    if before.shape != after.shape:
        return  # judged by the ordinary cases
    worse = np.isfinite(before) & ~np.isfinite(after)
    assert not worse.any(), (
        f"{where}: the fix is non-finite where the original was finite\n"
        f"original={before}\nfixed={after}")


def _check_suggestion(path: Path, source: str, rule: str, findings: list) -> None:
    """`rule` is reported inside `buggy` and never inside the hand-written `fixed`."""
    import ast

    spans = {node.name: (node.lineno, node.end_lineno or node.lineno)
             for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}
    rows = [f.start.row for f in findings if f.code == rule]
    assert "buggy" in spans and "fixed" in spans, f"{path.name}: needs `buggy` and `fixed`"
    assert any(spans["buggy"][0] <= r <= spans["buggy"][1] for r in rows), (
        f"{path.name}: {rule} is not reported inside `buggy`")
    assert not any(spans["fixed"][0] <= r <= spans["fixed"][1] for r in rows), (
        f"{path.name}: {rule} is still reported inside `fixed`, the suggested edit")


def _converter(framework: str):
    if framework == "numpy":
        return lambda args: args
    if framework == "torch":
        import torch

        return lambda args: tuple(
            torch.from_numpy(np.asarray(a)) if isinstance(a, np.ndarray) else a for a in args
        )
    raise ValueError(f"unknown FRAMEWORK {framework!r}")


def numeric_fixtures() -> list[Path]:
    return sorted(NUMERIC.glob("*.py"))


def framework_of(path: Path) -> str:
    for line in path.read_text().splitlines():
        if line.startswith("FRAMEWORK"):
            return line.split("=", 1)[1].strip().strip("\"'")
    return "numpy"


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None
