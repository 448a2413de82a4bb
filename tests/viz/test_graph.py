"""The graph picture of one video through a trained STRG checkpoint, and its command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from strg.cli.visualize_graph import main
from strg.engine.checkpoint import load_checkpoint
from strg.viz import GraphSample, plot_graph, sample_graph
from strg.viz.figure import DPI
from strg.viz.graph_plot import EDGE_STYLES, graph_size_inches
from tests.conftest import run_command
from tests.viz.conftest import assert_picture

STEPS, N, SIZE = 2, 4, 32  # the tiny STRG: T' = 16 frames / stride 8, --nrois 4, 32² clips
PICTURE = tuple(round(inches * DPI) for inches in graph_size_inches(STEPS))


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _colour_pixels(pixels: np.ndarray, colour: tuple[int, int, int]) -> int:
    return int((np.abs(pixels.astype(int) - colour).max(-1) <= 8).sum())


@pytest.fixture(scope="module")
def video_id(annotation_json: Path) -> str:
    database = json.loads(annotation_json.read_text())["database"]
    return next(v for v, entry in database.items() if entry["subset"] == "validation")


@pytest.fixture(scope="module")
def sample(strg_run: Path, video_id: str) -> GraphSample:
    return sample_graph(strg_run / "save_1.pth", video_id)


def test_sample_is_what_inference_saw(
    sample: GraphSample, strg_run: Path, annotation_json: Path, video_id: str
) -> None:
    # the same clips, crop and boxes as main.py --inference: the same top-3 and scores
    written = json.loads((strg_run / "val.json").read_text())["results"][video_id]
    assert [name for name, _ in sample.top(3)] == [entry["label"] for entry in written]
    assert [score for _, score in sample.top(3)] == pytest.approx(
        [entry["score"] for entry in written], abs=1e-4
    )
    truth = json.loads(annotation_json.read_text())["database"][video_id]["annotations"]
    assert sample.labels == [truth["label"]]
    assert sample.subset == "validation" and sample.video_id == video_id
    assert sample.frames.shape == (STEPS, SIZE, SIZE, 3) and sample.frames.dtype == np.uint8
    assert sample.frames.std() > 5  # real frames, not a blank clip
    assert sample.boxes.shape == (STEPS, N, 4) and sample.valid.shape == (STEPS, N)
    assert sample.valid.any()
    inside = sample.boxes[sample.valid]
    assert (inside >= 0).all() and (inside <= SIZE).all()
    # somethingv2 samples segments: the steps' frames are increasing, not 8 apart
    assert len(sample.frame_indices) == STEPS
    assert sample.frame_indices[0] < sample.frame_indices[1]
    m = STEPS * N
    assert set(sample.matrices) == {"similarity", "forward", "backward"}
    assert all(matrix.shape == (m, m) for matrix in sample.matrices.values())
    torch.testing.assert_close(
        sample.matrices["similarity"].sum(-1), sample.valid.flatten().float()
    )


def test_picture_shows_frames_boxes_and_edges(sample: GraphSample, tmp_path: Path) -> None:
    drawn = plot_graph(sample, tmp_path / "graph.png", edges=5)
    pixels = assert_picture(tmp_path / "graph.png", PICTURE, min_colours=50)
    bare = plot_graph(sample, tmp_path / "bare.png", edges=0)
    bare_pixels = assert_picture(tmp_path / "bare.png", PICTURE, min_colours=50)
    assert bare == {"similarity": [], "forward": []}

    assert 0 < len(drawn["similarity"]) <= 5
    assert all(edge.source < edge.target for edge in drawn["similarity"])
    weights = [edge.weight for edge in drawn["similarity"]]
    assert weights == sorted(weights, reverse=True)
    assert len(drawn["forward"]) <= 5
    assert all(edge.target // N == edge.source // N + 1 for edge in drawn["forward"])
    # every drawn edge joins valid nodes
    valid = sample.valid.flatten()
    assert all(valid[e.source] and valid[e.target] for edges in drawn.values() for e in edges)
    # the edges are visible: more pixels of their colour than in the picture without edges
    for name, edges in drawn.items():
        colour = _hex_rgb(EDGE_STYLES[name][0])
        if edges:
            assert _colour_pixels(pixels, colour) > _colour_pixels(bare_pixels, colour) + 20, name
    # each box index has its colour (matplotlib's C0..C3) around its box in the frames
    cycle = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40)]
    for index in torch.nonzero(sample.valid.any(0)).flatten().tolist():
        assert _colour_pixels(bare_pixels, cycle[index]) > 20, index


def test_command_writes_the_picture(strg_run: Path, video_id: str, tmp_path: Path) -> None:
    out = tmp_path / "pics" / "graph.png"
    result = run_command(
        ["-m", "util_scripts.visualize_graph", "--resume_path", str(strg_run / "save_1.pth"),
         "--video_id", video_id, "--out", str(out), "--edges", "3"]
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout and f"video {video_id}" in result.stdout
    assert_picture(out, PICTURE, min_colours=50)


def test_command_default_output_and_errors(
    strg_run: Path, video_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = strg_run / "save_1.pth"
    assert main(["--resume_path", str(checkpoint), "--video_id", video_id, "--phase", "val"]) == 0
    assert_picture(strg_run / f"graph_{video_id}.png", PICTURE, min_colours=50)
    capsys.readouterr()

    def error(*argv: str) -> str:
        assert main(["--resume_path", str(checkpoint), "--video_id", video_id, *argv]) == 2
        return capsys.readouterr().err

    assert main(["--resume_path", str(checkpoint), "--video_id", "no_such_video"]) == 2
    message = capsys.readouterr().err
    assert "'no_such_video'" in message and "annotation" in message.lower()
    missing = tmp_path / "missing.pth"
    assert main(["--resume_path", str(missing), "--video_id", video_id]) == 2
    assert str(missing) in capsys.readouterr().err
    assert str(tmp_path / "nowhere") in error("--video_path", str(tmp_path / "nowhere"))
    empty_store = tmp_path / "store"
    empty_store.mkdir()
    message = error("--proposal_path", str(empty_store))
    assert video_id in message and "proposals" in message
    assert "--edges" in error("--edges", "-1")

    # a checkpoint of the backbone alone: the same weights file saying it was trained without --strg
    saved = load_checkpoint(checkpoint)
    saved["config"] = {**saved["config"], "strg": False, "model": "resnet"}
    saved["arch"] = "resnet-10"
    backbone = tmp_path / "backbone.pth"
    torch.save(saved, backbone)
    assert main(["--resume_path", str(backbone), "--video_id", video_id]) == 2
    message = capsys.readouterr().err
    assert str(backbone) in message and "no region-graph head" in message
