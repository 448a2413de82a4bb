"""The README's Kinetics commands, verbatim, on a 3-class tree with the official CSV names, run
from a directory that is not the repository (``python -m util_scripts.X`` from anywhere)."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

from strg.prep.frames import count_frames
from tests.conftest import run_command

CLASSES = ["abseiling", "air drumming", "zumba"]
HEADER = ["label", "youtube_id", "time_start", "time_end", "split"]


def tiny_video(path: Path, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", "testsrc=size=48x32:rate=12", "-t", str(seconds), "-c:v", "mpeg4", str(path)],
        check=True,
    )  # fmt: skip


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def test_generate_video_jpgs_then_kinetics_json_on_a_subset_of_kinetics_700(tmp_path: Path) -> None:
    videos, csv_dir = tmp_path / "mp4_videos", tmp_path / "csv_dir"
    csv_dir.mkdir()
    train, val, expected = [HEADER], [HEADER], {}
    for number, label in enumerate(CLASSES):
        for split, rows, subset in (("train", train, "training"), ("val", val, "validation")):
            youtube_id = f"{split}{number}"
            video_id = f"{youtube_id}_000010_000020"
            tiny_video(videos / label / f"{video_id}.mp4", seconds=1 + number / 2)
            rows.append([label, youtube_id, "10", "20", split])
            expected[video_id] = (subset, label, 12 + 6 * number)
    tiny_video(videos / "test" / "tst_000000_000010.mp4", seconds=1)
    write_csv(csv_dir / "kinetics-700_train.csv", train)
    write_csv(csv_dir / "kinetics-700_val.csv", val)
    test_rows = [["youtube_id", "time_start", "time_end", "split"], ["tst", "0", "10", "test"]]
    write_csv(csv_dir / "kinetics-700_test.csv", test_rows)

    # the README's lines, run in tmp_path (not the repository)
    extracted = run_command(["-m", "util_scripts.generate_video_jpgs", "mp4_videos", "jpg_videos",
                             "kinetics", "--n_jobs", "2"], cwd=tmp_path)  # fmt: skip
    assert extracted.returncode == 0, extracted.stderr
    assert "extracted 7, already complete 0, failed 0" in extracted.stdout
    built = run_command(["-m", "util_scripts.kinetics_json", "csv_dir", "700", "jpg_videos", "jpg",
                         "kinetics.json"], cwd=tmp_path)  # fmt: skip
    assert built.returncode == 0, built.stderr
    warning = [line for line in built.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "kinetics-700_train.csv has 3 classes, not the 700" in warning[0]
    assert "--n_classes 3" in warning[0]

    annotation = json.loads((tmp_path / "kinetics.json").read_text())
    assert annotation["labels"] == CLASSES
    database = annotation["database"]
    assert set(database) == {*expected, "tst_000000_000010"}
    for video_id, (subset, label, n_frames) in expected.items():
        assert database[video_id] == {
            "subset": subset, "annotations": {"label": label, "segment": [1, n_frames + 1]},
        }  # fmt: skip
        assert count_frames(tmp_path / "jpg_videos" / label / video_id) == n_frames
    assert database["tst_000000_000010"]["subset"] == "testing"
    assert database["tst_000000_000010"]["annotations"] == {"segment": [1, 13]}

    # the README's training line on it, with a tiny model and one epoch
    from strg.cli.main import main

    status = main(["--root_path", str(tmp_path), "--video_path", "jpg_videos",
                   "--annotation_path", "kinetics.json", "--result_path", "results",
                   "--dataset", "kinetics", "--model", "resnet", "--model_depth", "10",
                   "--n_classes", "3", "--batch_size", "3", "--n_threads", "0", "--checkpoint", "1",
                   "--n_epochs", "1", "--sample_size", "32", "--sample_duration", "8",
                   "--resnet_widen_factor", "0.25"])  # fmt: skip
    assert status == 0
    assert (tmp_path / "results" / "save_1.pth").is_file()
    assert len((tmp_path / "results" / "val.log").read_text().splitlines()) == 2  # header, epoch 1
