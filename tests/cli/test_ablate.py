"""``util_scripts.ablate``: configurations × seeds through the public commands, and its table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from strg.cli.ablate import ablation_record, ablation_table, paired_differences, paired_lines
from strg.evaluation.accuracy import top_k_hits
from strg.evaluation.files import read_ground_truth, read_results
from tests.conftest import run_command

#: The printed line of issue #12, item 5.
PAIRED_LINE = (
    r"paired difference {} - backbone: [+-]\d+\.\d points "
    r"\(95 % interval [+-]\d+\.\d to [+-]\d+\.\d\)"
)


def _right(*videos: int) -> dict[str, bool]:
    """Top-1 verdicts on 20 validation videos, right on ``videos``."""
    return {f"v{n:02d}": n in videos for n in range(20)}


#: 20 videos, 2 seeds: the backbone right on 2 then 6 (10, 30 %), the full model on 5 then 7
#: (25, 35 %), each time on a superset of the backbone's.
HITS = {
    "backbone": {0: _right(0, 1), 1: _right(0, 1, 2, 3, 4, 5)},
    "both": {0: _right(0, 1, 2, 3, 4), 1: _right(0, 1, 2, 3, 4, 5, 6)},
}
SCORES = {
    "backbone": {0: {1: 0.10, 5: 0.50}, 1: {1: 0.30, 5: 0.70}},
    "both": {0: {1: 0.25, 5: 0.75}, 1: {1: 0.35, 5: 0.75}},
}


def test_table_is_mean_and_sample_std_over_seeds_and_paired_differences() -> None:
    lines = ablation_table(SCORES, paired_differences(HITS), "tiny", 2, 20).splitlines()
    assert lines[0].startswith("| configuration (tiny, 2 seeds, 20 validation videos) |")
    assert lines[0].count("|") == lines[1].count("|") == lines[2].count("|") == 8
    assert lines[2] == "| backbone only | 20.0 ± 14.1 | 60.0 ± 14.1 | 10.0 30.0 | — | — | — |"
    # per seed +15, +5: mean +10, s = 7.071, ± 12.706 · 7.071 / √2 = ± 63.53 over seeds;
    # per video (mean of 2 seeds) 50 on v02, v03, v04, v06 and 0 on 16: s² = (4·40² + 16·10²) / 19
    # = 421.05, ± t(19) 2.0930 · √(421.05 / 20) = ± 9.60 over videos
    assert lines[3] == (
        "| + both (3 layers, end fusion) | 30.0 ± 7.1 | 75.0 ± 0.0 | 25.0 35.0 "
        "| +10.0 (-53.5 to +73.5) | +15.0 +5.0 | +0.4 to +19.6 |"
    )


def test_paired_lines_give_the_seed_interval_then_the_per_video_one() -> None:
    lines = paired_lines(paired_differences(HITS))
    assert lines == [
        "paired difference both - backbone: +10.0 points (95 % interval -53.5 to +73.5)",
        "  per-video paired difference over 2 seeds × 20 videos: +10.0 points "
        "(95 % interval +0.4 to +19.6)",
    ]
    assert re.fullmatch(PAIRED_LINE.format("both"), lines[0])
    one_seed = {key: {0: by_seed[0]} for key, by_seed in HITS.items()}
    one_seed["similarity"] = {0: HITS["backbone"][0]}
    # one seed: 100 on v02, v03, v04 and 0 on 17 videos, mean 15; s² = (3·85² + 17·15²) / 19
    # = 1342.1, ± 2.0930 · √(1342.1 / 20) = ± 17.15; arms that agree everywhere: exactly 0
    assert paired_lines(paired_differences(one_seed)) == [
        "paired difference both - backbone: +15.0 points (one seed: no interval)",
        "  per-video paired difference over 1 seed × 20 videos: +15.0 points "
        "(95 % interval -2.1 to +32.1)",
        "paired difference similarity - backbone: +0.0 points (one seed: no interval)",
        "  per-video paired difference over 1 seed × 20 videos: +0.0 points "
        "(95 % interval +0.0 to +0.0)",
    ]


def test_without_the_backbone_nothing_is_paired() -> None:
    paired = paired_differences({"both": HITS["both"]})
    assert paired == {} and paired_lines(paired) == []
    table = ablation_table({"both": SCORES["both"]}, paired, "tiny", 2, 20)
    assert table.splitlines()[2].endswith("| 25.0 35.0 | — | — | — |")


def test_record_holds_the_accuracies_and_both_intervals() -> None:
    record = json.loads(json.dumps(ablation_record(SCORES, paired_differences(HITS), 20)))
    assert record["validation videos"] == 20
    assert record["accuracy"]["backbone only"]["1"] == {"1": 0.30, "5": 0.70}
    both = record["paired difference from the backbone"]["+ both (3 layers, end fusion)"]
    assert both["per seed"] == {"0": pytest.approx(15.0), "1": pytest.approx(5.0)}
    assert both["mean"] == pytest.approx(10.0)
    assert both["95 % interval over seeds"] == pytest.approx([10 - 63.531, 10 + 63.531], abs=1e-3)
    assert both["95 % interval over videos"] == pytest.approx([10 - 9.603, 10 + 9.603], abs=1e-3)


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
    record = json.loads((out / "ablation.json").read_text())
    measured = record["accuracy"]
    assert list(measured) == ["backbone only", "+ similarity"]  # table order, not typed order
    for name, key in (("backbone only", "backbone"), ("+ similarity", "similarity")):
        for seed in ("0", "1"):
            top1 = float((out / f"seed{seed}" / key / "top1.txt").read_text())
            assert measured[name][seed]["1"] == top1
    # the paired differences are those of the top-1 files, seed by seed
    truth = read_ground_truth(work / "sthv2.json", "val")
    assert record["validation videos"] == len(truth.video_labels) > 0
    similarity = record["paired difference from the backbone"]["+ similarity"]
    for seed in ("0", "1"):
        graph, alone = measured["+ similarity"][seed]["1"], measured["backbone only"][seed]["1"]
        assert similarity["per seed"][seed] == pytest.approx(100 * (graph - alone), abs=1e-9)
    # the per-video verdicts, read back from the runs' val.json, make the table's paired columns
    hits = {
        key: {seed: top_k_hits(truth, read_results(out / f"seed{seed}" / key / "val.json"), 1)
              for seed in (0, 1)}
        for key in ("backbone", "similarity")
    }  # fmt: skip
    table = (out / "ablation.md").read_text()
    assert table == ablation_table(
        {key: {int(s): {int(k): v for k, v in by_k.items()} for s, by_k in by_seed.items()}
         for key, by_seed in zip(("backbone", "similarity"), measured.values(), strict=True)},
        paired_differences(hits), "1 + 1 epochs, 16×32², r3d-10 at half width", 2,
        len(truth.video_labels),
    )  # fmt: skip
    assert table in result.stdout
    assert re.search(PAIRED_LINE.format("similarity") + "\n", result.stdout)
    assert re.search(
        rf"\n  per-video paired difference over 2 seeds × {len(truth.video_labels)} videos: "
        r"[+-]\d+\.\d points \(95 % interval [+-]\d+\.\d to [+-]\d+\.\d\)\n",
        result.stdout,
    )
    with Image.open(out / "ablation.png") as image:
        pixels = np.asarray(image.convert("RGB"))
    assert min(image.size) >= 200 and pixels.std() > 10

    again = run_command(command)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count(": reused from") == 6  # 2 seeds × (stage 1 + 2 configurations)
    assert "strg.cli.main" not in again.stdout.split("== report")[1]  # nothing trained again
    assert (out / "ablation.md").read_text() == table

    # another stage-2 budget must not pass off the finished runs as its own
    assert command[8:10] == ["--stage2_epochs", "1"]
    other = run_command([*command[:9], "2", *command[10:]])
    assert other.returncode != 0
    assert f"{out / 'seed0' / 'backbone'} was made by other commands" in other.stderr
    assert (out / "ablation.md").read_text() == table
