"""``util_scripts.ablate``: configurations × seeds through the public commands, and its table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from strg.cli.ablate import ablation_table
from tests.conftest import run_command


def test_table_is_mean_and_sample_std_over_seeds() -> None:
    scores = {
        "backbone": {0: {1: 0.10, 5: 0.50}, 1: {1: 0.30, 5: 0.70}},
        "both": {0: {1: 0.25, 5: 0.75}},
    }
    lines = ablation_table(scores, "tiny", n_seeds=2).splitlines()
    assert lines[0].startswith("| configuration (tiny, 2 seeds) |")
    assert lines[2] == "| backbone only | 20.0 ± 14.1 | 60.0 ± 14.1 | 10.0 30.0 |"
    assert lines[3] == "| + both (3 layers, end fusion) | 25.0 ± 0.0 | 75.0 ± 0.0 | 25.0 |"


def test_ablation_runs_every_configuration_and_seed_then_reuses_them(tmp_path: Path) -> None:
    work = tmp_path / "ablation work"
    command = [
        "-m", "util_scripts.ablate", "--workdir", str(work), "--videos-per-class", "2",
        "--epochs", "1", "--stage2_epochs", "1", "--sample_size", "32", "--n_jobs", "2",
        "--seeds", "0", "1", "--configurations", "similarity", "backbone",
    ]  # fmt: skip
    result = run_command(command)
    assert result.returncode == 0, result.stderr[-3000:]
    out = work / "ablation"
    for seed in (0, 1):
        assert (out / f"seed{seed}" / "stage1_backbone" / "save_1.pth").is_file()
        # the graph run really had the similarity graph only, the baseline no graph at all
        similarity = json.loads((out / f"seed{seed}" / "similarity" / "opts.json").read_text())
        assert similarity["strg"] and similarity["graphs"] == ["similarity"]
        assert similarity["manual_seed"] == seed
        assert not json.loads((out / f"seed{seed}" / "backbone" / "opts.json").read_text())["strg"]
    measured = json.loads((out / "ablation.json").read_text())
    assert list(measured) == ["backbone only", "+ similarity"]  # table order, not typed order
    for name, key in (("backbone only", "backbone"), ("+ similarity", "similarity")):
        for seed in ("0", "1"):
            top1 = float((out / f"seed{seed}" / key / "top1.txt").read_text())
            assert measured[name][seed]["1"] == top1
    table = (out / "ablation.md").read_text()
    assert table == ablation_table(
        {key: {int(s): {int(k): v for k, v in by_k.items()} for s, by_k in by_seed.items()}
         for key, by_seed in zip(("backbone", "similarity"), measured.values(), strict=True)},
        "1 + 1 epochs, 16×32², r3d-10 at half width", 2,
    )  # fmt: skip
    assert table in result.stdout
    with Image.open(out / "ablation.png") as image:
        pixels = np.asarray(image.convert("RGB"))
    assert min(image.size) >= 200 and pixels.std() > 10

    again = run_command(command)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count(": reused from") == 6  # 2 seeds × (stage 1 + 2 configurations)
    assert "main.py" not in again.stdout.split("== report")[1]  # nothing trained again
    assert (out / "ablation.md").read_text() == table

    # another stage-2 budget must not pass off the finished runs as its own
    assert command[8:10] == ["--stage2_epochs", "1"]
    other = run_command([*command[:9], "2", *command[10:]])
    assert other.returncode != 0
    assert f"{out / 'seed0' / 'backbone'} was made by other commands" in other.stderr
    assert (out / "ablation.md").read_text() == table
