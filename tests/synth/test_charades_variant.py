"""The multi-label variant in the Charades layout: official files, frames, determinism, and the
Charades path end to end (charades_json -> main.py with BCE -> eval_map)."""

from __future__ import annotations

import csv
import filecmp
import json
import re
from itertools import pairwise
from pathlib import Path

import pytest
from PIL import Image

from strg.synth import ACTION_CLASSES, CharadesOptions, generate_charades
from strg.synth.charades import CLASSES_FILE, FRAME_DIR, HEADER, SUBSET_FILES
from tests.conftest import run_command
from tests.engine.conftest import tiny_run

ACTION = re.compile(r"c(\d{3}) (\d+\.\d{2}) (\d+\.\d{2})")
#: The module's data set: 2 videos led by each class (one train, one test) and 3 without action.
OPTIONS = CharadesOptions(
    videos_per_class=2, seed=11, min_frames=16, max_frames=20, empty_fraction=0.1
)
N_EMPTY = 3
OFFICIAL_FILES = [CLASSES_FILE, *SUBSET_FILES.values()]


@pytest.fixture(scope="module")
def charades_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small Charades-format data set (read-only for tests)."""
    out = tmp_path_factory.mktemp("charades") / "Charades"
    assert generate_charades(out, OPTIONS, workers=2, progress=False)
    return out


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of an official CSV, checking its header."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == HEADER
        return list(reader)


def parse_actions(text: str) -> list[tuple[int, float, float]]:
    """``cXXX start end;...`` -> (class, start, end); every item must have the official format."""
    actions = []
    for item in filter(None, text.split(";")):
        match = ACTION.fullmatch(item)
        assert match, f"{item!r} is not 'cXXX start end'"
        actions.append((int(match[1]), float(match[2]), float(match[3])))
    return actions


def test_classes_file_lists_every_class_in_order(charades_dir: Path) -> None:
    lines = (charades_dir / CLASSES_FILE).read_text(encoding="utf-8").splitlines()
    assert lines == [f"c{k:03d} {action.name}" for k, action in enumerate(ACTION_CLASSES)]


def test_csvs_have_the_official_header_and_actions_inside_the_video(charades_dir: Path) -> None:
    counts: dict[str, dict[int, int]] = {}
    ids: list[str] = []
    empty = 0
    for subset, file_name in SUBSET_FILES.items():
        counts[subset] = {}
        for row in read_rows(charades_dir / file_name):
            ids.append(row["id"])
            assert re.fullmatch(r"[0-9A-Z]{5}", row["id"])
            length = float(row["length"])
            actions = parse_actions(row["actions"])
            if not actions:
                empty += 1
                continue
            assert len(actions) >= 2, row
            assert len({k for k, _, _ in actions}) == len(actions)  # distinct classes
            for class_index, start, end in actions:
                assert 0 <= class_index < len(ACTION_CLASSES)
                assert 0.0 <= start < end <= length, row
                counts[subset][class_index] = counts[subset].get(class_index, 0) + 1
            # the actions follow each other from the first frame to the last
            assert actions[0][1] == 0.0 and actions[-1][2] == length
            assert all(a[2] == b[1] for a, b in pairwise(actions))
    assert len(ids) == len(set(ids)) == 2 * len(ACTION_CLASSES) + N_EMPTY
    assert empty == N_EMPTY
    for subset in SUBSET_FILES:  # every class is scored in validation and trained on
        assert sorted(counts[subset]) == list(range(len(ACTION_CLASSES))), subset


def test_frames_are_in_the_official_layout_with_the_video_length(charades_dir: Path) -> None:
    frame_root = charades_dir / FRAME_DIR
    rows = [row for name in SUBSET_FILES.values() for row in read_rows(charades_dir / name)]
    assert sorted(path.name for path in frame_root.iterdir()) == sorted(row["id"] for row in rows)
    for row in rows:
        video_id = row["id"]
        names = sorted(path.name for path in (frame_root / video_id).iterdir())
        n_frames = round(float(row["length"]) * 24)
        assert names == [f"{video_id}-{k:06d}.jpg" for k in range(1, n_frames + 1)]
        assert 2 * OPTIONS.min_frames <= n_frames <= OPTIONS.max_actions * OPTIONS.max_frames
    with Image.open(frame_root / video_id / f"{video_id}-000001.jpg") as image:
        assert image.format == "JPEG" and image.height == 240


def test_same_seed_gives_identical_files_and_the_cli_reruns_idempotently(tmp_path: Path) -> None:
    options = CharadesOptions(videos_per_class=1, seed=4, min_frames=12, max_frames=12)
    generate_charades(tmp_path / "library", options, workers=1, progress=False)
    cli = tmp_path / "cli"
    args = ["-m", "strg.synth", "--format", "charades", "--out", str(cli), "--quiet"]
    args += ["--videos-per-class", "1", "--seed", "4", "--min-frames", "12", "--max-frames", "12"]
    first = run_command([*args, "--workers", "2"])
    assert first.returncode == 0, first.stderr
    comparison = filecmp.dircmp(tmp_path / "library", cli)
    assert not comparison.left_only and not comparison.right_only and not comparison.diff_files
    for name in OFFICIAL_FILES:
        assert filecmp.cmp(tmp_path / "library" / name, cli / name, shallow=False), name
    videos = sorted((cli / FRAME_DIR).iterdir())
    assert len(videos) == len(ACTION_CLASSES) + 1  # one video without action
    for video in videos:
        _, mismatch, errors = filecmp.cmpfiles(
            video,
            tmp_path / "library" / FRAME_DIR / video.name,
            [path.name for path in video.iterdir()],
            shallow=False,
        )
        assert not mismatch and not errors, video.name

    stamps = {path: path.stat().st_mtime_ns for path in cli.rglob("*")}
    again = run_command(args)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert {path: path.stat().st_mtime_ns for path in cli.rglob("*")} == stamps

    other = run_command([*args[:-4], "--min-frames", "12", "--max-frames", "13"])
    assert other.returncode == 2 and "--overwrite" in other.stderr
    wrong_flag = run_command([*args, "--test-fraction", "0.1"])
    assert wrong_flag.returncode == 2 and "--test-fraction" in wrong_flag.stderr


def test_another_seed_gives_other_videos(tmp_path: Path) -> None:
    options = CharadesOptions(videos_per_class=1, seed=5, min_frames=8, max_frames=8)
    generate_charades(tmp_path / "a", options, progress=False)
    other = CharadesOptions(videos_per_class=1, seed=6, min_frames=8, max_frames=8)
    generate_charades(tmp_path / "b", other, progress=False)
    train = SUBSET_FILES["train"]
    assert (tmp_path / "a" / train).read_text() != (tmp_path / "b" / train).read_text()


def test_charades_path_end_to_end(charades_dir: Path, tmp_path: Path) -> None:
    """charades_json -> main.py --dataset charades (BCE, 1 epoch, all class scores) -> eval_map."""
    frames = charades_dir / FRAME_DIR
    annotation = tmp_path / "charades.json"
    built = run_command(
        ["-m", "util_scripts.charades_json", str(charades_dir), str(frames), str(annotation)]
    )
    assert built.returncode == 0, built.stderr
    database = json.loads(annotation.read_text())["database"]
    validation = {key for key, entry in database.items() if entry["subset"] == "validation"}
    test_ids = {row["id"] for row in read_rows(charades_dir / SUBSET_FILES["test"])}
    assert validation == test_ids

    results = tmp_path / "results"
    # tiny_run's --dataset somethingv2 is overridden: argparse keeps an option's last value.
    charades = ["--dataset", "charades", "--sample_duration", "8", "--batch_size", "4"]
    run = run_command(
        tiny_run(frames, annotation, results, *charades, "--n_epochs", "1", "--inference",
                 "--output_topk", "0")
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    log = (results / "train.log").read_text().splitlines()
    assert log[0].split("\t")[0] == "epoch" and log[1].split("\t")[0] == "1"
    scores = json.loads((results / "val.json").read_text())["results"]
    assert set(scores) == validation  # the videos without action too
    assert all(len(entries) == len(ACTION_CLASSES) for entries in scores.values())

    evaluated = run_command(
        ["-m", "util_scripts.eval_map", str(annotation), str(results / "val.json")]
    )
    assert evaluated.returncode == 0, evaluated.stderr
    match = re.search(r"^mAP: (\S+)$", evaluated.stdout, flags=re.MULTILINE)
    assert match, evaluated.stdout
    assert 0.0 <= float(match[1]) <= 1.0
