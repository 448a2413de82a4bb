"""The README's recipe end to end on the embedded data set: boxes, STRG training, resume,
inference and both evaluation scripts, each run as a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from strg.engine.checkpoint import load_checkpoint
from tests.conftest import run_command
from tests.engine.conftest import tiny_run

STRG = ["--strg", "--no_max_pool", "--sample_duration", "16", "--nrois", "4", "--gcn_layers", "1",
        "--reduce_dim", "32", "--batch_size", "7"]  # fmt: skip


def test_train_resume_infer_evaluate(
    frames_dir: Path, annotation_json: Path, proposal_store: Path, tmp_path: Path
) -> None:
    # the paper's stage 1: the backbone alone
    stage1 = tmp_path / "stage1"
    backbone = ["--no_max_pool", "--sample_duration", "16", "--batch_size", "7", "--n_epochs", "1"]
    first = run_command(tiny_run(frames_dir, annotation_json, stage1, *backbone, "--no_val"))
    assert first.returncode == 0, first.stderr
    # stage 2: the graph head on the stage-1 backbone, at a lower rate
    results = tmp_path / "results"  # does not exist yet: main.py creates it
    pretrained = ["--pretrain_path", str(stage1 / "save_1.pth"), "--n_pretrain_classes", "14",
                  "--ft_begin_module", "reduce", "--learning_rate", "0.001"]  # fmt: skip
    common = [*STRG, "--proposal_path", str(proposal_store), *pretrained]
    first = run_command(tiny_run(frames_dir, annotation_json, results, *common, "--n_epochs", "1"))
    assert first.returncode == 0, first.stderr
    # the backbone came from stage 1 and, frozen by --ft_begin_module, is still exactly it
    stage1_weights = load_checkpoint(stage1 / "save_1.pth")["state_dict"]
    stage2_weights = load_checkpoint(results / "save_1.pth")["state_dict"]
    for name, value in stage1_weights.items():
        if not name.startswith("fc."):
            assert torch.equal(stage2_weights[f"backbone.{name}"], value), name
    options = json.loads((results / "opts.json").read_text())
    assert options["arch"] == "resnet_strg-10" and options["strg"] is True
    assert options["n_classes"] == 14 and options["device"] == "cpu"

    second = run_command(tiny_run(frames_dir, annotation_json, results, *common, "--n_epochs", "2",
                                  "--resume_path", str(results / "save_1.pth")))  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert load_checkpoint(results / "save_2.pth")["epoch"] == 2
    assert [line.split("\t")[0] for line in (results / "train.log").read_text().splitlines()] == [
        "epoch", "1", "2"
    ]  # fmt: skip

    only_inference = ["--no_train", "--no_val", "--inference", "--output_topk", "3"]
    inference = run_command(tiny_run(frames_dir, annotation_json, results, *common, *only_inference,
                                     "--resume_path", str(results / "save_2.pth")))  # fmt: skip
    assert inference.returncode == 0, inference.stderr
    predictions = json.loads((results / "val.json").read_text())["results"]
    truth = json.loads(annotation_json.read_text())["database"]
    validation = {video for video, entry in truth.items() if entry["subset"] == "validation"}
    assert set(predictions) == validation
    assert all(len(labels) == 3 for labels in predictions.values())
    correct = sum(
        predictions[v][0]["label"] == truth[v]["annotations"]["label"] for v in validation
    )

    accuracy = run_command(["-m", "util_scripts.eval_accuracy", str(annotation_json),
                            str(results / "val.json"), "--subset", "val", "-k", "1"])  # fmt: skip
    assert accuracy.returncode == 0, accuracy.stderr
    assert accuracy.stdout.splitlines()[-1] == f"top-1 accuracy: {correct / len(validation)}"
    mean_ap = run_command(
        ["util_scripts/eval_map.py", str(annotation_json), str(results / "val.json")]
    )
    assert mean_ap.returncode == 0, mean_ap.stderr
    assert 0.0 < float(mean_ap.stdout.split("mAP: ")[1].split()[0]) <= 1.0

    # 2 clips x 3 crops per video, one result per view
    views = ["--n_test_clips", "2", "--inference_crop", "three", "--inference_no_average"]
    resume = ["--resume_path", str(results / "save_2.pth")]
    per_view = run_command(
        tiny_run(frames_dir, annotation_json, results, *common, *only_inference, *views, *resume)
    )
    assert per_view.returncode == 0, per_view.stderr
    clips = json.loads((results / "val.json").read_text())["results"]
    assert set(clips) == validation and all(len(entries) == 6 for entries in clips.values())
    entries = next(iter(clips.values()))
    assert all(len(entry["result"]) == 3 and len(entry["segment"]) == 2 for entry in entries)


def test_bad_inputs_are_named(frames_dir: Path, annotation_json: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    trained = run_command(tiny_run(frames_dir, annotation_json, results, "--n_epochs", "1",
                                   "--batch_size", "7", "--no_val"))  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    checkpoint = str(results / "save_1.pth")

    resume = ["--resume_path", checkpoint, "--no_train"]
    wrong_classes = run_command(
        tiny_run(frames_dir, annotation_json, tmp_path / "b", *resume, "--n_classes", "20")
    )
    assert wrong_classes.returncode == 2
    assert f"--n_classes 20 contradicts {checkpoint}, trained with --n_classes 14" in (
        wrong_classes.stderr
    )

    other_arch = run_command(tiny_run(frames_dir, annotation_json, tmp_path / "c", "--resume_path",
                                      checkpoint, "--model_depth", "18", "--no_train"))  # fmt: skip
    assert other_arch.returncode == 2
    assert "--model_depth 18 contradicts" in other_arch.stderr
    assert "trained with --model_depth 10" in other_arch.stderr

    evil = tmp_path / "evil.pth"
    evil.write_bytes(b"\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00touch PWNEDq\x01\x85q\x02Rq\x03.")
    refused = run_command(tiny_run(frames_dir, annotation_json, tmp_path / "d", "--resume_path",
                                   str(evil), "--no_train"), cwd=tmp_path)  # fmt: skip
    assert refused.returncode == 2 and "refused to load" in refused.stderr
    assert not (tmp_path / "PWNED").exists()

    not_json = tmp_path / "annotation.json"
    not_json.write_text("{]")
    broken = run_command(tiny_run(frames_dir, not_json, tmp_path / "e", "--n_epochs", "1"))
    assert broken.returncode == 2 and str(not_json) in broken.stderr
