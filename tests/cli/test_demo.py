"""The README's first command, reduced: the whole demo pipeline on a tiny embedded data set."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_command


def test_demo_trains_compares_and_draws(tmp_path: Path) -> None:
    work = tmp_path / "demo dir"
    result = run_command(
        ["-m", "strg.cli", "demo", "--workdir", str(work), "--videos-per-class", "2", "--epochs",
         "1", "--stage2_epochs", "1", "--sample_size", "32", "--n_jobs", "2"]
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    # every step is a public command, printed before it runs
    # (the installed modules, so that the demo runs from a wheel as well as from a checkout)
    for command in ("strg.synth", "strg.cli.vid2img_sthv2", "strg.cli.sthv2_json",
                    "strg.cli.import_boxes", "strg.cli.main", "strg.cli.eval_accuracy",
                    "strg.cli.visualize_graph"):  # fmt: skip
        assert f" {command} " in result.stdout or f"/{command} " in result.stdout, command
    table = (work / "results.md").read_text().splitlines()
    assert table[2].startswith("| backbone |") and table[3].startswith("| STRG |")
    for row in table[2:4]:
        top1, top5 = (float(cell) for cell in row.strip("|").split("|")[1:])
        assert 0 <= top1 <= top5 <= 100
    assert "== comparison" in result.stdout and table[3] in result.stdout
    # both arms on the same validation videos: the paired difference with its interval
    paired = re.search(
        r"paired difference STRG - backbone: ([+-]\d+\.\d) points \(95 % interval over the "
        r"(\d+) validation videos ([+-]\d+\.\d) to ([+-]\d+\.\d)\)",
        table[5],
    )
    assert paired is not None, table
    top1 = {row.split("|")[1].strip(): float(row.split("|")[2]) for row in table[2:4]}
    assert float(paired[1]) == pytest.approx(top1["STRG"] - top1["backbone"], abs=0.11)
    assert float(paired[3]) <= float(paired[1]) <= float(paired[4])
    assert paired[0] in result.stdout
    statistics = json.loads((work / "graph_stats.json").read_text())
    assert statistics["videos"] == int(paired[2])
    sizes = {"curves.png": (1200, 450)}
    for name in ("curves.png", "confusion_backbone.png", "confusion_strg.png", "graph.png"):
        with Image.open(work / "pictures" / name) as image:
            pixels = np.asarray(image.convert("RGB"))
        if name in sizes:
            assert image.size == sizes[name]
        assert min(image.size) >= 300, (name, image.size)
        assert pixels.std() > 10 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20, name
