"""main.py end to end on data sets built without extraction (--file_type video), and on a list
data set with its own frame names and several labels per video (--frame_pattern, --multi_label)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from strg.cli import list_json, sthv2_json
from strg.cli.main import main
from tests.engine.conftest import tiny_run
from tests.prep.media import copy_frames


def validation_ids(annotation: Path) -> set[str]:
    database = json.loads(annotation.read_text())["database"]
    return {video for video, entry in database.items() if entry["subset"] == "validation"}


def test_train_and_infer_from_webm_files(synth_dir: Path, tmp_path: Path) -> None:
    videos = synth_dir / "videos"
    annotation = tmp_path / "webm.json"
    assert sthv2_json.main([str(synth_dir), str(videos), str(annotation),
                            "--video_type", "webm"]) == 0  # fmt: skip
    results = tmp_path / "results"
    arguments = tiny_run(videos, annotation, results, "--file_type", "video", "--n_epochs", "1",
                         "--sample_duration", "8", "--inference", "--n_test_clips", "3",
                         "--inference_no_average", "--batch_size", "7")[1:]  # fmt: skip
    assert main(arguments) == 0
    assert (results / "train.log").read_text().splitlines()[1].split("\t")[0] == "1"
    predictions = json.loads((results / "val.json").read_text())["results"]
    assert set(predictions) == validation_ids(annotation)
    database = json.loads(annotation.read_text())["database"]
    for video_id, entries in predictions.items():  # three clips per video, within the video
        _, end = database[video_id]["annotations"]["segment"]
        assert len(entries) == 3 and all(1 <= e["segment"][0] < e["segment"][1] <= end
                                         for e in entries)  # fmt: skip


def test_multi_label_list_with_its_own_frame_names(
    frames_dir: Path, tmp_path: Path, capsys
) -> None:
    root = tmp_path / "rawframes"
    lines = {"training": [], "validation": []}
    for number, folder in enumerate(sorted(frames_dir.iterdir())[:6]):
        name = f"video_{number}"
        copy_frames(folder, root / name, 12, name="img_{:05d}.jpg")
        labels = f"{number % 3} {(number + 1) % 3}"
        lines["training" if number < 4 else "validation"].append(f"{name} {labels}")
    for subset, subset_lines in lines.items():
        (tmp_path / f"{subset}.txt").write_text("\n".join(subset_lines) + "\n")
    annotation = tmp_path / "list.json"
    assert list_json.main([str(tmp_path / "training.txt"), str(root), str(annotation),
                           "--val_list", str(tmp_path / "validation.txt"), "--multi_label",
                           "--frame_pattern", "img_{:05d}.jpg"]) == 0  # fmt: skip
    results = tmp_path / "results"
    common = ["--dataset", "kinetics", "--n_classes", "3", "--n_epochs", "1", "--sample_duration",
              "8", "--batch_size", "2", "--inference", "--output_topk", "3"]  # fmt: skip
    arguments = tiny_run(root, annotation, results, *common)[1:]
    capsys.readouterr()
    # the data set's default frame names do not exist: a one-line error naming the file
    assert main(arguments) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert re.search(rf"{re.escape(str(root))}/video_\d/image_\d{{5}}\.jpg does not exist$", last)
    assert main([*arguments, "--frame_pattern", "img_{:05d}.jpg", "--multi_label"]) == 0
    options = json.loads((results / "opts.json").read_text())
    assert options["multi_label"] is True and options["frame_pattern"] == "img_{:05d}.jpg"
    predictions = json.loads((results / "val.json").read_text())["results"]
    assert set(predictions) == validation_ids(annotation)
    for labels in predictions.values():  # sigmoid scores per class, not a softmax over classes
        assert len(labels) == 3
        assert not math.isclose(sum(label["score"] for label in labels), 1.0, abs_tol=1e-3)
