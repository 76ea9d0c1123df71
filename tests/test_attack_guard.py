"""Issue 16, items 4, 5, 6 and 9: no file downs the run, and its cost is bounded.

Each test is an attack from the issue: a file nested past the default stack, a
fault in any stage of one file's check, nesting that cost 2^n, a file past its
time or memory budget, a file with too many findings, a worker killed by its
file, and a run killed with kill -9 while its workers wait for work. Runs that
can kill the interpreter (an abort) go through a subprocess.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from scorelint.base import limits
from scorelint.base.findings import ERROR_CODE
from scorelint.engine import fixes, narrowing
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.frontends.cli import main
from scorelint.run import pipeline, runner
from scorelint.run.discovery import Candidate

BUGGY = "import numpy as np\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
FIXED = "import numpy as np\n\ndef score(p):\n    return np.sum(np.log(p), axis=-1)\n"
# The file: 400 nested lambdas overflowed the default stack in narrowing's shapes.
LAMBDAS = "f = " + "lambda: " * 400 + "0\n"
# A file the tests below make fail on purpose (the fault is injected where it names it).
VICTIM = "# VICTIM\n" + BUGGY
ALL = tuple(r.code for r in all_rules())


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    code = main(["check", "--no-cache", "--output-format", "json", "-j", "1", *args])
    return code, json.loads(capsys.readouterr().out)


def scorelint(*args: str, stdin: bytes | None = None, timeout: float = 120,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """The CLI in a process of its own; `timeout` turns a hang into a failure."""
    return subprocess.run([sys.executable, "-m", "scorelint", *args], input=stdin,
                          capture_output=True, check=False, timeout=timeout,
                          env={**os.environ, **(env or {})})


def by_file(found: list[dict]) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    for finding in found:
        files.setdefault(Path(finding["filename"]).name, []).append(finding["code"])
    return {name: sorted(codes) for name, codes in files.items()}


# -- item 4: one file's failure is its own SL000 ----------------------------------------


def test_400_nested_lambdas_do_not_hide_the_other_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "lambdas.py").write_text(BUGGY + LAMBDAS)
    (tmp_path / "other.py").write_text(BUGGY)
    code, found = run_json([str(tmp_path)], capsys)
    assert code == 1
    assert by_file(found) == {"lambdas.py": ["SL201"], "other.py": ["SL201"]}


def test_400_nested_lambdas_under_fix_still_report_the_other_files_fixes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "lambdas.py").write_text(BUGGY + LAMBDAS)
    (tmp_path / "other.py").write_text(BUGGY)
    code = main(["check", "--no-cache", "-j", "1", "--fix", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Fixed 2 errors" in out
    assert (tmp_path / "other.py").read_text() == FIXED
    assert (tmp_path / "lambdas.py").read_text() == FIXED + LAMBDAS


def test_fix_from_stdin_with_400_nested_lambdas_prints_the_fixed_source() -> None:
    done = scorelint("check", "--no-cache", "--fix", "-", stdin=(BUGGY + LAMBDAS).encode())
    assert done.returncode == 0, done.stderr
    assert done.stdout == (FIXED + LAMBDAS).encode()


# Each stage of one file's check, made to fail for the victim file only.
def _failing(real: object, exc: BaseException, text_arg: int = 0) -> object:
    def stage(*args: object, **kwargs: object) -> object:
        if "# VICTIM" in str(args[text_arg]):
            raise exc
        return real(*args, **kwargs)  # type: ignore[operator]
    return stage


@pytest.mark.parametrize("module, name, text_arg", [
    (limits, "cpython_check", 0),  # the gate (CPython's parser)
    (narrowing, "mask", 0),  # narrowing's shapes
    (engine, "parse", 0),  # LibCST
    (engine, "_run_rules", 1),  # the rules
    (fixes, "fix_text", 0),  # the fixes
])
@pytest.mark.parametrize("exc, reason", [
    (RecursionError("maximum recursion depth exceeded"), "too deeply nested to analyse"),
    (MemoryError(), "out of memory while checking it"),
    (RuntimeError("a bug of ours"), "internal error while checking it: RuntimeError: a bug"),
])
def test_a_failure_in_any_stage_is_one_sl000_and_the_others_are_fixed(
    module: object, name: str, text_arg: int, exc: BaseException, reason: str,
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module, name, _failing(getattr(module, name), exc, text_arg))
    (tmp_path / "victim.py").write_text(VICTIM)
    (tmp_path / "other.py").write_text(BUGGY)
    code, found = run_json(["--fix", str(tmp_path)], capsys)
    assert code == 2
    assert by_file(found) == {"victim.py": [ERROR_CODE]}
    [error] = found
    assert error["message"].startswith(reason)
    assert (tmp_path / "other.py").read_text() == FIXED  # fixed, and reported as fixed
    assert (tmp_path / "victim.py").read_text() == VICTIM


def test_fix_from_stdin_prints_the_source_when_the_check_fails(
    monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.setattr(narrowing, "mask", _failing(narrowing.mask, RecursionError()))
    monkeypatch.setattr(sys, "stdin", _stdin(VICTIM.encode()))
    assert main(["check", "--no-cache", "--fix", "-"]) == 2
    out, err = capfdbinary.readouterr()
    assert out == VICTIM.encode()
    assert b"SL000" in err


def test_fix_from_stdin_prints_the_source_even_when_scorelint_itself_fails(
    monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    from scorelint.frontends import api

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug outside the per-file guard")

    monkeypatch.setattr(api, "check_buffer", broken)
    monkeypatch.setattr(sys, "stdin", _stdin(BUGGY.encode()))
    assert main(["check", "--no-cache", "--fix", "-"]) == 2
    out, err = capfdbinary.readouterr()
    assert out == BUGGY.encode()
    assert b"internal error" in err


def _stdin(data: bytes) -> object:
    import io

    return io.TextIOWrapper(io.BytesIO(data))


# -- item 5: analyses linear in the code, and a time budget ------------------------------


def _nested(depth: int, wrap: str, base: str = "0") -> str:
    code = base
    for i in range(depth):
        code = wrap.format(i=i, inner=code)
    return code


# Each doubled per level (narrowing walked the inner part twice): 2^30 steps.
NESTINGS = {
    "walrus": "x = " + _nested(30, "(v{i} := {inner})"),
    "lambda defaults": "f = " + _nested(30, "lambda a{i}={inner}: 0"),
    "comprehensions": "x = " + _nested(30, "[v{i} for v{i} in {inner}]", "xs"),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(NESTINGS))
def test_30_nested_levels_take_linear_time_and_the_bug_beside_is_found(
    kind: str, tmp_path: Path
) -> None:
    path = tmp_path / "nested.py"
    path.write_text(BUGGY + NESTINGS[kind] + "\n")
    done = scorelint("check", "--no-cache", "--output-format", "json", str(path), timeout=60)
    assert done.returncode == 1, done.stderr
    assert [f["code"] for f in json.loads(done.stdout)] == ["SL201"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_file_past_its_time_budget_is_one_sl000_and_the_rest_is_reported(
    jobs: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    names = [f"m{i:02}.py" for i in range(runner.POOL_THRESHOLD)] + ["slow.py"]
    for name in names:
        (tmp_path / name).write_text(BUGGY)

    def options(path: str) -> pipeline.Options:  # the slow file's budget: next to nothing
        return pipeline.Options(codes=ALL, time_budget=1e-9 if path.endswith("slow.py") else None)

    outcomes = runner.run([Candidate(str(tmp_path / n)) for n in names], options, jobs=jobs)
    found = {Path(o.path).name: [(f.code, f.message) for f in o.findings] for o in outcomes}
    assert found.pop("slow.py") == [(ERROR_CODE, (
        "took longer than 1e-09 s to check (scorelint's limit per file, "
        "$SCORELINT_TIME_BUDGET)"))]
    assert {codes[0][0] for codes in found.values()} == {"SL201"}
    assert len(found) == runner.POOL_THRESHOLD


def test_the_clock_is_read_at_the_first_check_and_then_every_few(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check_time` reads the clock on its first call in a deadline and then once every
    `CLOCK_EVERY` calls: a deadline that passes mid-file stops it within that many nodes."""
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    with limits.deadline(10):
        for _ in range(3 * limits.CLOCK_EVERY):
            limits.check_time()
        now[0] = 200.0  # the deadline has passed
        with pytest.raises(limits.OverBudget):
            for _ in range(limits.CLOCK_EVERY):
                limits.check_time()
    with limits.deadline(10), pytest.raises(limits.OverBudget):
        now[0] += 11
        limits.check_time()  # a new deadline's first check reads the clock


def test_the_collector_rests_through_a_check_and_comes_back_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A check makes millions of short-lived objects; the cyclic collector walking them
    again and again was 15-20% of a cold check. It is off while a file is checked and on
    again after, also when the check fails."""
    seen: list[bool] = []
    real = engine.lint

    def spy(*args: object) -> object:
        seen.append(gc.isenabled())
        return real(*args)

    monkeypatch.setattr(engine, "lint", spy)
    path = tmp_path / "s.py"
    path.write_text("import numpy as np\np = np.exp(x) / np.exp(x).sum()\n", encoding="utf-8")
    options = pipeline.Options(codes=tuple(r.code for r in all_rules()))
    assert gc.isenabled()
    pipeline.check_file(str(path), options)
    assert seen == [False] and gc.isenabled()

    def broken(*args: object) -> object:
        raise ValueError("boom")

    monkeypatch.setattr(engine, "lint", broken)
    assert pipeline.check_file(str(path), options).findings[0].code == ERROR_CODE
    assert gc.isenabled()


def test_threads_pausing_the_collector_do_not_turn_it_back_on_under_each_other() -> None:
    """The language server checks in threads: the first one out must not turn the
    collector on while another is still inside; a caller that had it off keeps it off."""
    inside, leave = threading.Event(), threading.Event()

    def long_check() -> None:
        with limits.collector_paused():
            inside.set()
            leave.wait(10)

    other = threading.Thread(target=long_check)
    other.start()
    inside.wait(10)
    with limits.collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread is still inside
    leave.set()
    other.join()
    assert gc.isenabled()
    gc.disable()
    try:
        with limits.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_time_budget_comes_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORELINT_TIME_BUDGET", "1e-9")
    (tmp_path / "a.py").write_text(BUGGY)
    code, found = run_json([str(tmp_path)], capsys)
    assert code == 2
    assert [(f["code"], f["message"].split(" (")[0]) for f in found] == [
        (ERROR_CODE, "took longer than 1e-09 s to check")]


# -- item 6: memory bounded, a worker that dies costs only its file ----------------------


def test_a_dense_file_stops_at_the_findings_cap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_FINDINGS", 50)
    dense = tmp_path / "dense.py"
    dense.write_text("import numpy as np\n" + "".join(
        f"s{i} = np.log(np.prod(p{i}, axis=-1))\n" for i in range(80)))
    (tmp_path / "other.py").write_text(BUGGY)
    code, found = run_json(["--fix", str(tmp_path)], capsys)
    assert code == 2
    assert by_file(found) == {"dense.py": [ERROR_CODE] + ["SL201"] * 50}  # other.py: fixed
    error = next(f for f in found if f["code"] == ERROR_CODE)
    assert error["message"] == ("more than 50 findings (scorelint's limit per file): "
                                "the rest of the file is not checked")
    assert all(f["fix"] is None for f in found)
    assert (tmp_path / "other.py").read_text() == FIXED
    assert "s0 = np.log(np.prod(p0" in dense.read_text()  # nothing fixed in a capped file


def _run_in_subprocess(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`script` in a Python of its own (an abort there must not end the test run)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=tmp_path,
                          capture_output=True, text=True, check=False, timeout=300)


def test_a_worker_killed_by_its_file_costs_that_file_and_the_pool_goes_on(
    tmp_path: Path,
) -> None:
    # The victim is the largest file, so it is checked first: every other file is
    # still to do when its worker dies. They go to a new pool, not one process each.
    for i in range(40):
        (tmp_path / f"m{i:02}.py").write_text(BUGGY)
    (tmp_path / "victim.py").write_text(VICTIM + "# padding\n" * 200)
    done = _run_in_subprocess("""
        import os, sys
        from pathlib import Path
        from scorelint.engine import linter as engine
        from scorelint.run import pipeline, runner
        from scorelint.run.discovery import Candidate
        from scorelint.engine.registry import all_rules

        real_parse = engine.parse
        def parse(text, *args, **kwargs):  # a native crash in the parser, for one file
            if "# VICTIM" in text:
                os.abort()
            return real_parse(text, *args, **kwargs)
        engine.parse = parse  # the workers are forked: they see it
        os.cpu_count = lambda: 2
        alone = []
        real_alone = runner._alone
        def counted(path, options, *known):
            alone.append(Path(path).name)
            return real_alone(path, options, *known)
        runner._alone = counted
        paths = sorted(str(p) for p in Path(".").iterdir())
        outcomes = runner.run([Candidate(p) for p in paths],
                              pipeline.Options(codes=tuple(r.code for r in all_rules())),
                              jobs=2)
        for o in outcomes:
            print(Path(o.path).name, *[f.code for f in o.findings])
        print("alone", len(alone), "victim.py" in alone)
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "alone 2 True" or lines[-1] == "alone 1 True"
    found = dict(line.split(" ", 1) for line in lines[:-1])
    assert found.pop("victim.py") == ERROR_CODE
    assert set(found.values()) == {"SL201"}
    assert len(found) == 40


def test_a_big_file_checked_one_by_one_dies_alone(tmp_path: Path) -> None:
    # Under a memory limit LibCST's parser aborts the process: a sequential run ended
    # with exit 134 and no output. Files this big are checked in a worker of their own.
    (tmp_path / "a.py").write_text(BUGGY)
    (tmp_path / "victim.py").write_text(VICTIM + "# padding\n" * 200)
    (tmp_path / "z.py").write_text(BUGGY)
    done = _run_in_subprocess("""
        import os
        from pathlib import Path
        from scorelint.engine import linter as engine
        from scorelint.run import pipeline, runner
        from scorelint.run.discovery import Candidate
        from scorelint.engine.registry import all_rules

        real_parse = engine.parse
        def parse(text, *args, **kwargs):
            if "# VICTIM" in text:
                os.abort()
            return real_parse(text, *args, **kwargs)
        engine.parse = parse
        runner.ISOLATE_BYTES = 1000
        paths = sorted(str(p) for p in Path(".").iterdir())
        outcomes = runner.run([Candidate(p) for p in paths],
                              pipeline.Options(codes=tuple(r.code for r in all_rules())),
                              jobs=1)
        for o in outcomes:
            print(Path(o.path).name, *[f.code for f in o.findings])
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["a.py SL201", "victim.py SL000", "z.py SL201"]


def test_a_file_that_allocates_past_the_memory_budget_is_sl000_in_its_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORELINT_MEMORY_BUDGET", "512")  # MiB, in the workers
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    real = narrowing.mask

    def greedy(text: str, *args: object, **kwargs: object) -> object:
        if "# VICTIM" in text:
            # 2 GiB of zeros: allowed without a budget (the pages are never touched).
            bytes(2 * 1024 ** 3)
        return real(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(narrowing, "mask", greedy)  # the workers are forked: they see it
    names = [f"m{i:02}.py" for i in range(runner.POOL_THRESHOLD)] + ["victim.py"]
    for name in names:
        (tmp_path / name).write_text(VICTIM if name == "victim.py" else BUGGY)
    outcomes = runner.run([Candidate(str(tmp_path / n)) for n in names],
                          pipeline.Options(codes=ALL), jobs=2)
    found = {Path(o.path).name: [(f.code, f.message) for f in o.findings] for o in outcomes}
    assert found.pop("victim.py") == [(ERROR_CODE, "out of memory while checking it")]
    assert {codes[0][0] for codes in found.values()} == {"SL201"}


# -- item 9: workers exit when the run is killed -----------------------------------------


def _children(pid: int) -> set[int]:
    """The live processes whose parent is `pid` (zombies, already dead, left out)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after the command name
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="-j 2 needs two cores")
def test_workers_exit_when_the_run_is_killed(tmp_path: Path) -> None:
    dense = "import numpy as np\n" + "".join(
        f"s{i} = np.log(np.prod(p{i}, axis=-1))\n" for i in range(200))
    for i in range(40):
        (tmp_path / f"m{i:02}.py").write_text(dense)
    run = subprocess.Popen([sys.executable, "-m", "scorelint", "check", "--no-cache", "-j", "2",
                            str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and run.poll() is None and time.monotonic() < deadline:
            workers |= _children(run.pid)
            time.sleep(0.02)
        assert len(workers) >= 2, "the pool never started"
        run.send_signal(signal.SIGKILL)
        run.wait()
        deadline = time.monotonic() + 20
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)], "workers outlived the run"
    finally:
        for worker in workers:  # the ones this test started, by their ids
            if _alive(worker):
                os.kill(worker, signal.SIGKILL)
        if run.poll() is None:
            run.kill()
