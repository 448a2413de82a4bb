"""The relational gate, run as a user runs it, on a reduced size: relations must matter on the
relational variant and hardly on the motion variant."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run_command

LAST_LINE = re.compile(
    r"relational gap: (-?\d+\.\d) points \(relational (\d+\.\d), non-relational (\d+\.\d)\)"
)
#: 30 training and 15 validation clips per class: 210 validation clips, so one top-1 figure has
#: a standard error of about 3.5 points and a gap (two figures) about 5.
REDUCED = ["--train-per-class", "30", "--val-per-class", "15", "--epochs", "40", "--seed", "1"]


def gate(variant: str) -> tuple[float, float, float]:
    """(gap, relational, non-relational) from the last line of the gate's output."""
    result = run_command(["benchmarks/relational_gate.py", "--variant", variant, *REDUCED])
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    match = LAST_LINE.fullmatch(last)
    assert match, last
    gap, relational, non_relational = (float(value) for value in match.groups())
    assert gap == pytest.approx(relational - non_relational, abs=0.11)
    return gap, relational, non_relational


def test_relations_decide_the_relational_variant_and_hardly_the_motion_one() -> None:
    relational_gap, relational, non_relational = gate("relational")
    motion_gap, motion_relational, _ = gate("motion")
    # Full size: a 44-point gap on the relational variant, 2 on the motion one; at this size
    # about 50 and 6. 25 points is five standard errors below the first and far above the
    # second; the motion variant stays within three standard errors of no gap.
    assert relational_gap >= 25, (relational, non_relational)
    assert relational >= 65
    assert motion_gap <= 15
    assert relational_gap >= motion_gap + 15
    # Own motion alone tells the motion variant's classes apart: the oracle is not crippled.
    assert motion_relational >= 80
