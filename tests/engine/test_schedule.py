"""The learning-rate schedule: values by hand, and resume-exactness by construction."""

from __future__ import annotations

import math

import pytest
import torch

from strg.engine.schedule import LearningRateSchedule


def test_multistep_divides_by_ten_after_each_milestone() -> None:
    schedule = LearningRateSchedule(base_lr=0.1, milestones=[2, 4])
    assert [round(schedule.rate(epoch), 6) for epoch in range(1, 7)] == [
        0.1, 0.1, 0.01, 0.01, 0.001, 0.001
    ]  # fmt: skip


def test_cosine_with_warmup() -> None:
    schedule = LearningRateSchedule(
        base_lr=1.0, kind="cosine", n_epochs=10, warmup_epochs=1, iterations_per_epoch=4
    )
    assert schedule.rate(1, 0) == 0.0
    assert schedule.rate(1, 2) == pytest.approx(0.5 * 0.5 * (1 + math.cos(math.pi * 0.05)))
    assert schedule.rate(6, 0) == pytest.approx(0.5)  # half-way through the run
    assert schedule.rate(10, 4) == pytest.approx(0.0)


def test_plateau_decays_after_patience_and_its_state_round_trips() -> None:
    schedule = LearningRateSchedule(base_lr=0.1, kind="plateau", plateau_patience=1)
    for loss in (1.0, 0.9, 0.95, 0.97):  # two epochs without improvement > patience 1
        schedule.end_epoch(loss)
    assert schedule.rate(5) == pytest.approx(0.01)
    restored = LearningRateSchedule(base_lr=0.1, kind="plateau", plateau_patience=1)
    restored.load_state_dict(schedule.state_dict())
    assert restored.rate(5) == schedule.rate(5) and restored.plateau_best == 0.9


def test_milestones_come_from_the_checkpoint_unless_overwritten() -> None:
    saved = LearningRateSchedule(base_lr=0.1, milestones=[3]).state_dict()
    resumed = LearningRateSchedule(base_lr=0.1, milestones=[1])
    resumed.load_state_dict(saved)
    assert resumed.rate(2) == pytest.approx(0.1)
    overwritten = LearningRateSchedule(base_lr=0.1, milestones=[1])
    overwritten.load_state_dict(saved, overwrite_milestones=True)
    assert overwritten.rate(2) == pytest.approx(0.01)


def test_apply_sets_every_group_with_its_scale() -> None:
    params = [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))]
    optimizer = torch.optim.SGD([{"params": params[:1]}, {"params": params[1:]}], lr=1.0)
    schedule = LearningRateSchedule(base_lr=0.2, group_scales=[1.0, 0.1])
    assert schedule.apply(optimizer, 1) == pytest.approx(0.2)
    assert [group["lr"] for group in optimizer.param_groups] == pytest.approx([0.2, 0.02])


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="cosine"):
        LearningRateSchedule(base_lr=0.1, kind="linear")
