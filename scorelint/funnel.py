"""Counting what passes each stage of the engine (for `benchmarks/speed.py`).

The engine reports each file that reaches a stage with `reached(stage, lines)`;
nothing is recorded unless a `Recorder` is installed, so a normal run pays one
global lookup per stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Recorder:
    """Files and lines that reached each stage, in the order stages were first seen."""

    stages: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add(self, stage: str, lines: int) -> None:
        files, total = self.stages.get(stage, (0, 0))
        self.stages[stage] = (files + 1, total + lines)


RECORDER: Recorder | None = None


def reached(stage: str, text: str) -> None:
    """Record that a file (or the part of it kept) with `text` reached `stage`."""
    if RECORDER is not None:
        RECORDER.add(stage, text.count("\n") + (not text.endswith("\n") and bool(text)))


def reached_code(stage: str, text: str) -> None:
    """As `reached`, counting only the lines that are not blank (what was kept of a file)."""
    if RECORDER is not None:
        RECORDER.add(stage, sum(1 for line in text.splitlines() if line.strip()))
