"""The region graph's statistics over a subset, through a trained STRG checkpoint, and --stats."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
import torch
from torch import nn

from strg.cli.visualize_graph import main
from strg.engine.checkpoint import load_checkpoint
from strg.engine.trained import TrainedRun
from strg.models import build_model
from strg.viz.graph import load_strg_checkpoint
from strg.viz.graph_stats import (
    GraphStatistics,
    forward_edge_flags,
    global_cosines,
    graph_statistics,
    logit_spreads,
    row_entropy_ratios,
    same_step_cosines,
)
from tests.conftest import run_command

STEPS, N, VALIDATION_VIDEOS = 2, 4, 14  # the tiny STRG of tests/viz/conftest.py


@pytest.fixture(scope="module")
def checkpoint(strg_run: Path) -> Path:
    return strg_run / "save_1.pth"


@pytest.fixture(scope="module")
def statistics(checkpoint: Path) -> GraphStatistics:
    return graph_statistics(checkpoint, progress=False)


def test_statistics_of_the_tiny_checkpoint_are_in_range(
    statistics: GraphStatistics, checkpoint: Path
) -> None:
    s = statistics
    assert (s.checkpoint, s.epoch, s.subset) == (str(checkpoint), 1, "validation")
    assert (s.videos, s.clips, s.skipped) == (VALIDATION_VIDEOS, VALIDATION_VIDEOS, 0)
    assert (s.steps, s.boxes_per_step) == (STEPS, N)
    assert s.graphs == ("similarity", "spatial_temporal") and s.use_global
    figures = s.as_dict()
    numbers = [value for value in figures.values() if isinstance(value, float)]
    assert len(numbers) == 10 and all(math.isfinite(value) for value in numbers)
    assert 0 < s.entropy_min <= s.entropy_p10 <= 1 + 1e-9
    assert s.entropy_min <= s.entropy_mean <= 1 + 1e-9
    assert -1 <= s.node_node_cosine <= 1 and -1 <= s.node_global_cosine <= 1
    assert 0 <= s.forward_edge_share <= 1 and 0 <= s.clips_without_boxes <= 1
    assert s.graph_logit_std >= 0 and s.global_logit_std > 0
    assert s.logit_ratio == pytest.approx(s.graph_logit_std / s.global_logit_std)
    assert json.loads(json.dumps(figures)) == figures  # JSON as it is
    text = str(s).splitlines()
    assert text == s.lines() and len(text) == 8
    assert f"similarity row entropy: {s.entropy_mean:.4f} of uniform" in text[3]
    assert f"{VALIDATION_VIDEOS} videos, {VALIDATION_VIDEOS} clips, T'=2 steps × N=4" in text[1]


def test_a_uniform_graph_and_a_zero_graph_half_give_exact_values(checkpoint: Path) -> None:
    trained = load_strg_checkpoint(checkpoint)
    model = trained.model
    with torch.no_grad():
        model.similarity.theta.weight.zero_()  # every logit 0: each row uniform over valid nodes
        model.fc.weight[:, : model.graph_dim].zero_()
    s = graph_statistics(trained, max_videos=3, batch_size=2, progress=False)
    assert (s.videos, s.clips) == (3, 3)
    assert s.entropy_mean == pytest.approx(1.0, abs=1e-6)  # float32 softmax
    assert s.entropy_min == pytest.approx(1.0, abs=1e-6)  # float32 softmax
    assert s.graph_logit_std == 0.0 and s.logit_ratio == 0.0
    assert s.global_logit_std > 0


@pytest.mark.parametrize(
    ("options", "missing"),
    [
        ({"graphs": ("spatial_temporal",), "use_global": False}, "no similarity graph"),
        ({"graphs": ("similarity",)}, "no spatial-temporal graphs"),
    ],
)
def test_a_checkpoint_without_a_graph_or_the_global_branch(
    checkpoint: Path, options: dict, missing: str
) -> None:
    trained = load_strg_checkpoint(checkpoint)
    tiny = {"model_depth": 10, "no_max_pool": True, "nrois": N, "reduce_dim": 32}
    model = build_model("resnet", strg=True, n_classes=14, gcn_layers=1, **tiny, **options)
    run = dataclasses.replace(trained, model=model.eval())
    s = graph_statistics(run, max_videos=2, progress=False)
    assert s.graphs == model.graphs and s.use_global == model.use_global
    if "similarity" in s.graphs:
        assert s.entropy_mean is not None and s.forward_edge_share is None
    else:
        assert s.entropy_mean is s.entropy_min is s.entropy_p10 is None
        assert s.global_logit_std is None and s.logit_ratio is None
        assert "global half not available (no global branch)" in str(s)
    assert f"not available ({missing})" in str(s)
    assert -1 <= s.node_global_cosine <= 1  # the reduced map's mean exists without the branch


def test_per_clip_units_on_hand_built_tensors() -> None:
    # clip 0: nodes 0, 1, 2 valid of M = 4 (T' = 2, N = 2); clip 1: one valid node
    valid = torch.tensor([[[True, True], [True, False]], [[True, False], [False, False]]])
    node_valid = valid.flatten(1)
    similarity = torch.zeros(2, 4, 4)
    similarity[0, 0, :3] = 1 / 3  # uniform over the 3 valid nodes: 1
    similarity[0, 1, 0] = 1.0  # one-hot: 0
    similarity[0, 2, :2] = 0.5  # two of three: log 2 / log 3
    similarity[1, 0, 0] = 1.0  # the only valid node of its clip: left out
    torch.testing.assert_close(
        row_entropy_ratios(similarity, node_valid),
        torch.tensor([1.0, 0.0, math.log(2) / math.log(3)], dtype=torch.float64),
    )

    nodes = torch.zeros(2, 4, 2)
    nodes[0, 0], nodes[0, 1], nodes[0, 2], nodes[0, 3] = (
        torch.tensor([1.0, 0.0]),
        torch.tensor([1.0, 1.0]),
        torch.tensor([0.0, 3.0]),
        torch.tensor([5.0, 5.0]),  # padded: in no pair
    )
    nodes[1, 0] = torch.tensor([0.0, -2.0])
    half = 1 / math.sqrt(2)
    torch.testing.assert_close(  # the only pair of one step: (0, 1) both ways
        same_step_cosines(nodes, valid), torch.tensor([half, half], dtype=torch.float64)
    )
    global_feature = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    torch.testing.assert_close(
        global_cosines(nodes, node_valid, global_feature),
        torch.tensor([1.0, half, 0.0, -1.0], dtype=torch.float64),
    )

    forward = torch.zeros(2, 4, 4)
    forward[0, 0, 2] = 1.0  # node 0 (step 0) links to node 2 (step 1); node 1 has no edge
    assert forward_edge_flags(forward, valid).tolist() == [True, False, False]

    fc = nn.Linear(3, 3, bias=True)
    with torch.no_grad():
        fc.weight.copy_(torch.tensor([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [-1.0, 0.0, -2.0]]))
        fc.bias.fill_(7.0)  # the bias belongs to neither half
    graph_std, global_std = logit_spreads(fc, 2, torch.tensor([[3.0, 9.0]]), torch.tensor([[1.5]]))
    # graph logits (3, 0, -3) and global logits (3, 0, -3): std sqrt(6) each
    torch.testing.assert_close(graph_std, torch.tensor([math.sqrt(6)], dtype=torch.float64))
    torch.testing.assert_close(global_std, graph_std)
    assert logit_spreads(fc, 3, torch.ones(1, 3), None)[1] is None


def test_command_prints_and_writes_the_statistics(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "figures" / "stats.json"
    result = run_command(
        ["-m", "util_scripts.visualize_graph", "--resume_path", str(checkpoint), "--stats",
         "--max_videos", "3", "--batch_size", "2", "--json", str(out)]
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "similarity row entropy:" in result.stdout and "node-to-node cosine" in result.stdout
    assert "subset: validation, 3 videos, 3 clips" in result.stdout
    assert f"wrote {out}" in result.stdout
    written = json.loads(out.read_text())
    assert written["videos"] == 3 and written["graphs"] == ["similarity", "spatial_temporal"]
    assert 0 < written["entropy_mean"] <= 1 and "logit_ratio" in written
    assert not list(out.parent.glob(".*.tmp")), "a temporary file was left behind"


def test_command_refuses_bad_input(
    checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def error(*argv: str) -> str:
        assert main(argv) == 2
        message = capsys.readouterr().err
        assert message.startswith("error: ") and message.count("\n") == 1
        return message

    stats = ("--resume_path", str(checkpoint), "--stats")
    missing = tmp_path / "missing.pth"
    assert str(missing) in error("--resume_path", str(missing), "--stats")
    assert "max_videos must be >= 1" in error(*stats, "--max_videos", "0")
    assert "--video_id, --edges" in error(*stats, "--video_id", "v", "--edges", "2")
    assert "--json cannot be used without --stats" in error(
        "--resume_path", str(checkpoint), "--video_id", "v", "--json", "x.json"
    )
    assert "--video_id is required" in error("--resume_path", str(checkpoint))
    assert str(tmp_path / "nowhere") in error(*stats, "--video_path", str(tmp_path / "nowhere"))
    saved = load_checkpoint(checkpoint)  # the weights saying they were trained without --strg
    saved["config"] = {**saved["config"], "strg": False, "model": "resnet"}
    torch.save(saved, tmp_path / "backbone.pth")
    assert "no region-graph head" in error(
        "--resume_path", str(tmp_path / "backbone.pth"), "--stats"
    )
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0 and "--stats" in capsys.readouterr().out


def test_a_trained_run_must_be_strg(checkpoint: Path) -> None:
    trained = load_strg_checkpoint(checkpoint)
    with pytest.raises(ValueError, match="not an STRG model"):
        graph_statistics(TrainedRun(trained.path, nn.Identity(), trained.config, 1, 8))
