"""Options beyond the original, in one small run: bf16 autocast, accumulation, AdamW, cosine
schedule with warm-up, and TensorBoard with the real learning rate."""

from __future__ import annotations

import math
from pathlib import Path

from tests.conftest import run_command
from tests.engine.conftest import tiny_run

# Shapes clear of both known-bad CPU bf16 convolutions (strg.engine.cpu_bf16), so that the test
# does not lean on the guard: 8 frames, not tiny_run's 4 (the 7×7×7 stem's backward on 4 frames
# corrupts the heap on AVX512-BF16 CPUs), and no max-pool (with it, layer4 of a 32² clip has
# output width 1 at stride 2, where oneDNN's bf16 forward is wrong: pytorch#169688).
RUN = ["--n_epochs", "2", "--batch_size", "2", "--no_val", "--amp", "bf16", "--accumulate_steps",
       "2", "--optimizer", "adamw", "--lr_scheduler", "cosine", "--warmup_epochs", "1",
       "--tensorboard", "--sample_duration", "8", "--no_max_pool",
       "--resnet_widen_factor", "0.25"]  # fmt: skip


def test_bf16_accumulation_cosine_warmup_and_tensorboard(
    frames_dir: Path, annotation_json: Path, tmp_path: Path
) -> None:
    result = run_command(
        tiny_run(frames_dir, annotation_json, tmp_path, *RUN, "--learning_rate", "0.01")
    )
    assert result.returncode == 0, result.stderr
    rows = [
        line.split("\t") for line in (tmp_path / "train_batch.log").read_text().splitlines()[1:]
    ]
    batches_per_epoch = 7  # 14 training clips, 2 per batch
    assert len(rows) == 2 * batches_per_epoch
    steps_per_epoch = math.ceil(batches_per_epoch / 2)  # 2 batches per optimiser step
    # the logged rate of a batch is the one its optimiser step uses: linear warm-up in epoch 1
    # (times the cosine), then the cosine alone
    for row in rows:
        epoch, batch = int(row[0]), int(row[1])
        step = (batch - 1) // 2
        progress = (epoch - 1) + step / steps_per_epoch
        expected = 0.01 * 0.5 * (1 + math.cos(math.pi * progress / 2)) * min(1.0, progress)
        assert math.isclose(float(row[5]), expected, rel_tol=1e-6, abs_tol=1e-12), row
    assert all(math.isfinite(float(row[3])) for row in rows)

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path))
    events.Reload()
    logged = {event.step: event.value for event in events.Scalars("train/lr")}
    train_log = [line.split("\t") for line in (tmp_path / "train.log").read_text().splitlines()[1:]]
    expected_rates = {int(row[0]): float(row[3]) for row in train_log}
    assert logged.keys() == expected_rates.keys()
    assert all(math.isclose(logged[e], expected_rates[e], rel_tol=1e-6) for e in logged)  # float32
    assert logged[2] != float(train_log[1][2])  # the rate, not the accuracy (the original's bug)
