"""The region-graph options of main.py: finer backbone strides, a stage 2 that starts from the
stage-1 model (zero graph half, the stage-1 classifier in the global half), the head's own
learning rate, and the warning for clips left without boxes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch

from strg.engine.checkpoint import load_checkpoint
from strg.engine.distributed import Process
from strg.engine.loops import Precision, validate_epoch
from strg.engine.trained import load_trained_run
from strg.models import build_model
from strg.structures import Batch
from tests.conftest import run_command
from tests.engine.conftest import tiny_run

#: 8-frame clips with stage strides giving T' = 4 feature steps (the default would give T' = 1).
FINE = ["--no_max_pool", "--sample_duration", "8", "--temporal_strides", "1", "2", "1", "1",
        "--spatial_strides", "1", "2", "2", "1", "--batch_size", "7"]  # fmt: skip
HEAD = ["--strg", "--nrois", "4", "--reduce_dim", "32", "--gcn_layers", "1"]
INFER = ["--no_train", "--no_val", "--inference", "--output_topk", "0"]


def _scores(result: Path) -> dict[str, dict[str, float]]:
    results = json.loads((result / "val.json").read_text())["results"]
    return {video: {e["label"]: e["score"] for e in labels} for video, labels in results.items()}


def test_stage_two_starts_from_the_stage_one_model(
    frames_dir: Path, annotation_json: Path, proposal_store: Path, tmp_path: Path
) -> None:
    def main(result: Path, *extra: str):
        run = run_command(tiny_run(frames_dir, annotation_json, tmp_path / result, *FINE, *extra))
        assert run.returncode == 0, run.stderr[-2000:]
        return run

    main(Path("stage1"), "--n_epochs", "1", "--no_val")
    stage1 = tmp_path / "stage1" / "save_1.pth"
    trained = load_trained_run(stage1)
    assert trained.model.temporal_stride == 2 and trained.model.spatial_stride == 8
    main(Path("stage1"), "--resume_path", str(stage1), *INFER)

    pretrained = ["--proposal_path", str(proposal_store), "--pretrain_path", str(stage1),
                  "--n_pretrain_classes", "14", *HEAD, "--global_from_backbone"]  # fmt: skip
    main(Path("kept"), *pretrained, "--keep_classifier", *INFER)
    main(Path("fresh"), *pretrained, *INFER)
    stage1_scores, kept = _scores(tmp_path / "stage1"), _scores(tmp_path / "kept")
    assert kept.keys() == stage1_scores.keys()
    for video, scores in stage1_scores.items():  # the graph half is zero: stage 1's logits
        for label, score in scores.items():
            assert abs(kept[video][label] - score) < 1e-5, (video, label)
    assert _scores(tmp_path / "fresh") != stage1_scores

    trained_two = main(
        Path("two"), *pretrained, "--keep_classifier", "--n_epochs", "1", "--no_val",
        "--learning_rate", "0.001", "--head_lr_multiplier", "10",
    )  # fmt: skip
    # random crops down to a quarter of the frame lose every box of some clips, and it is said
    lost = re.search(
        r"epoch 1: warning: (\d+) of 14 training clips had no valid box", trained_two.stderr
    )
    assert lost is not None and 1 <= int(lost.group(1)) < 14, trained_two.stderr[-500:]
    groups = load_checkpoint(tmp_path / "two" / "save_1.pth")["optimizer"]["param_groups"]
    assert [group["lr"] for group in groups] == [0.001, 0.01]  # backbone, head
    options = json.loads((tmp_path / "two" / "opts.json").read_text())
    assert options["temporal_strides"] == [1, 2, 1, 1] and options["global_from_backbone"]
    assert load_trained_run(tmp_path / "two" / "save_1.pth").feature_step == 2


def test_clips_without_boxes_are_counted_and_named() -> None:
    torch.manual_seed(0)
    model = build_model("resnet", strg=True, model_depth=10, n_classes=3, no_max_pool=True,
                        resnet_widen_factor=0.25, nrois=2, reduce_dim=8)  # fmt: skip
    boxes = torch.tensor([4.0, 4.0, 20.0, 20.0]).expand(3, 2, 2, 4).clone()  # B×T'×N×4
    mask = torch.ones(3, 2, 2, dtype=torch.bool)
    mask[1] = False  # every box of the second clip was cropped away
    batch = Batch(
        frames=torch.randn(3, 3, 16, 32, 32), targets=torch.tensor([0, 1, 2]),
        video_ids=["a", "b", "c"], video_index=torch.arange(3), segments=[[1, 17]] * 3,
        boxes=boxes, box_mask=mask,
    )  # fmt: skip
    process = Process(device=torch.device("cpu"))
    result = validate_epoch(model, [batch], 1, process, Precision(torch.device("cpu")))
    assert result.clips == 3 and result.clips_without_boxes == 1
    warning = result.boxless_warning("validation")
    assert warning is not None and "1 of 3 validation clips had no valid box" in warning
    mask[1] = True
    assert (
        validate_epoch(model, [batch], 1, process, Precision(torch.device("cpu"))).boxless_warning(
            "validation"
        )
        is None
    )
