"""Two processes (gloo, CPU) train like one process with the same total batch, whether torchrun
or main.py itself starts them, and score the videos of inference between them as one does."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from strg.engine.checkpoint import load_checkpoint
from strg.engine.distributed import gather_to_main, setup_process, teardown
from strg.engine.loops import VideoScores, merge_scores
from tests.conftest import run_command
from tests.engine.conftest import tiny_run

# BatchNorm in eval mode: with batch statistics, 2 clips per process would not normalise like 4.
# Every label's score in the result file: a tie at the top-5 boundary cannot reorder the lists.
SETTINGS = ["--n_epochs", "1", "--batch_size", "4", "--manual_seed", "3", "--freeze_bn",
            "--inference", "--output_topk", "0"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def odd_annotation(annotation_json: Path, path: Path) -> tuple[Path, int]:
    """The annotation without its last validation video: an odd count splits unevenly."""
    annotation = json.loads(annotation_json.read_text())
    database = annotation["database"]
    validation = [key for key, entry in database.items() if entry["subset"] == "validation"]
    del database[validation[-1]]
    path.write_text(json.dumps(annotation))
    assert (len(validation) - 1) % 2 == 1
    return path, len(validation) - 1


def scores_by_label(result: Path) -> dict[str, dict[str, float]]:
    results = json.loads(result.read_text())["results"]
    return {video: {row["label"]: row["score"] for row in rows} for video, rows in results.items()}


def test_two_processes_from_torchrun_or_main_py_match_one_process(
    frames_dir: Path, annotation_json: Path, tmp_path: Path
) -> None:
    annotation, n_val = odd_annotation(annotation_json, tmp_path / "odd.json")
    single = run_command(tiny_run(frames_dir, annotation, tmp_path / "one", *SETTINGS))
    assert single.returncode == 0, single.stderr
    launcher = ["-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={free_port()}"]
    torchrun = run_command([*launcher, *tiny_run(frames_dir, annotation, tmp_path / "torchrun",
                                                 *SETTINGS, "--distributed")])  # fmt: skip
    assert torchrun.returncode == 0, torchrun.stderr
    # plain main.py starts the two processes itself
    two = run_command(tiny_run(frames_dir, annotation, tmp_path / "two", *SETTINGS,
                               "--nproc_per_node", "2"))  # fmt: skip
    assert two.returncode == 0, two.stderr

    for run, result in ((torchrun, tmp_path / "torchrun"), (two, tmp_path / "two")):
        # only rank 0 wrote: one checkpoint, one row per epoch, one progress line per epoch
        assert sorted(path.name for path in result.iterdir()) == sorted(
            path.name for path in (tmp_path / "one").iterdir()
        )
        assert len((result / "train.log").read_text().splitlines()) == 2
        assert run.stdout.count("epoch 1:") == 1
        assert run.stdout.count(f"inference: {n_val} videos") == 1
        options = json.loads((result / "opts.json").read_text())
        assert options["world_size"] == 2 and options["batch_size_per_process"] == 2
        assert options["distributed"] and options["dist_timeout"] == 30

    # the same clips per step and gradients averaged over the ranks: the same training
    one = load_checkpoint(tmp_path / "one" / "save_1.pth")["state_dict"]
    by_torchrun = load_checkpoint(tmp_path / "torchrun" / "save_1.pth")["state_dict"]
    by_main = load_checkpoint(tmp_path / "two" / "save_1.pth")["state_dict"]
    for name in ("conv1.weight", "layer4.0.conv2.weight", "fc.weight", "fc.bias"):
        torch.testing.assert_close(by_torchrun[name], one[name], rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(by_main[name], by_torchrun[name], rtol=1e-6, atol=1e-8)

    def val_row(result: str) -> list[str]:
        return (tmp_path / result / "val.log").read_text().splitlines()[1].split("\t")

    assert val_row("two") == val_row("torchrun")
    assert abs(float(val_row("one")[2]) - float(val_row("two")[2])) <= 1 / n_val  # one disagrees

    # inference on both ranks (7 + 6 videos), gathered: one process's file, up to rounding
    one_scores = scores_by_label(tmp_path / "one" / "val.json")
    two_scores = scores_by_label(tmp_path / "two" / "val.json")
    assert list(two_scores) == list(one_scores) and len(one_scores) == n_val  # same order
    for video, scores in one_scores.items():
        assert two_scores[video].keys() == scores.keys()
        for label, score in scores.items():
            assert abs(two_scores[video][label] - score) < 1e-5, (video, label)
    assert scores_by_label(tmp_path / "torchrun" / "val.json") == two_scores


def test_a_process_group_has_the_timeout_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    one_rank = {"RANK": "0", "WORLD_SIZE": "1", "LOCAL_WORLD_SIZE": "1",
                "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port())}  # fmt: skip
    for name, value in one_rank.items():
        monkeypatch.setenv(name, value)
    process = setup_process(True, no_cuda=True, timeout_minutes=7)
    try:
        backend = dist.distributed_c10d._get_default_group()._get_backend(torch.device("cpu"))
        assert backend.options._timeout == timedelta(minutes=7)
        assert gather_to_main({"rank": 0}, process) == [{"rank": 0}]
    finally:
        teardown(process)


def test_shares_of_the_videos_merge_into_one_process_order() -> None:
    def part(*videos: str) -> VideoScores:
        scores = {video: torch.full((3,), float(ord(video[-1]))) for video in videos}
        clips = {video: [([1, 5], scores[video])] for video in videos}
        return VideoScores(videos=scores, clips=clips)

    # rank 0 took items 0, 2, 4 and rank 1 items 1, 3; item 3 (v3, unreadable) was replaced by v4
    order = ["v0", "v1", "v2", "v3", "v4"]
    merged = merge_scores([part("v0", "v2", "v4"), part("v1", "v4")], order)
    assert list(merged.videos) == ["v0", "v1", "v2", "v4"]
    assert torch.equal(merged.videos["v4"], torch.full((3,), float(ord("4"))))
    assert [len(merged.clips[video]) for video in merged.clips] == [1, 1, 1, 2]
    # without clip scores (per-video output), the videos alone; unknown ids last, not lost
    merged = merge_scores([VideoScores(videos=part("x9").videos), VideoScores()], ["v0"])
    assert list(merged.videos) == ["x9"] and merged.clips == {}
