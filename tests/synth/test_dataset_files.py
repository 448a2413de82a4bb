"""The embedded data set looks like Something-Something v2 to every tool: videos and annotations."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from strg.synth import ACTION_CLASSES
from strg.synth.clip import HEIGHT, WIDTHS
from tests.conftest import VIDEOS_PER_CLASS

SLOT = re.compile(r"\[[Ss]omething\]")


def load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def all_ids(synth_dir: Path) -> list[str]:
    return [
        entry["id"]
        for subset in ("train", "validation", "test")
        for entry in load(synth_dir / f"something-something-v2-{subset}.json")
    ]


def test_labels_file_maps_names_to_index_strings(synth_dir: Path) -> None:
    labels = load(synth_dir / "something-something-v2-labels.json")
    assert len(labels) >= 12
    assert all(isinstance(name, str) and isinstance(index, str) for name, index in labels.items())
    assert sorted(int(index) for index in labels.values()) == list(range(len(labels)))
    assert all("[" not in name and "]" not in name for name in labels)
    assert {"Pushing something from left to right", "Pushing something from right to left"} <= set(
        labels
    )


@pytest.mark.parametrize("subset", ["train", "validation"])
def test_labelled_lists_follow_the_official_schema(synth_dir: Path, subset: str) -> None:
    labels = load(synth_dir / "something-something-v2-labels.json")
    entries = load(synth_dir / f"something-something-v2-{subset}.json")
    assert entries, f"empty {subset} list"
    for entry in entries:
        assert set(entry) == {"id", "label", "template", "placeholders"}
        assert entry["id"].isdigit()
        assert SLOT.search(entry["template"]), entry
        assert entry["template"].replace("[", "").replace("]", "") in labels
        assert len(entry["placeholders"]) == len(SLOT.findall(entry["template"]))
        filled = entry["template"]
        for name in entry["placeholders"]:
            filled = SLOT.sub(name, filled, count=1)
        assert entry["label"] == filled[0].lower() + filled[1:]
    # every class appears in both labelled subsets
    assert {entry["template"] for entry in entries} == {
        action.template for action in ACTION_CLASSES
    }


def test_test_list_has_ids_only_and_ids_are_unique(synth_dir: Path) -> None:
    test_entries = load(synth_dir / "something-something-v2-test.json")
    assert test_entries and all(set(entry) == {"id"} for entry in test_entries)
    ids = all_ids(synth_dir)
    assert len(ids) == len(set(ids)) == VIDEOS_PER_CLASS * len(ACTION_CLASSES)
    assert sorted(path.stem for path in (synth_dir / "videos").glob("*.webm")) == sorted(ids)


def test_box_file_follows_something_else_schema(synth_dir: Path) -> None:
    boxes = load(synth_dir / "bounding_box_smthsmth.json")
    assert sorted(boxes) == sorted(all_ids(synth_dir))
    for video_id, frames in boxes.items():
        for number, frame in enumerate(frames, start=1):
            assert frame["name"] == f"{video_id}/{number:04d}.jpg"
            assert frame["nr_instances"] == len(frame["labels"])
            for label in frame["labels"]:
                assert set(label) == {"box2d", "category", "standard_category"}
                assert set(label["box2d"]) == {"x1", "y1", "x2", "y2"}
                assert label["standard_category"] == "hand" or re.fullmatch(
                    r"\d{4}", label["standard_category"]
                )
            codes = [label["standard_category"] for label in frame["labels"]]
            assert len(codes) == len(set(codes)), f"{video_id} frame {number}: one box per object"


def decode(path: Path) -> np.ndarray:
    """Every frame of a video as T×H×W×3 uint8."""
    with av.open(str(path)) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])


def test_videos_decode_with_pyav_to_the_annotated_frame_count(synth_dir: Path) -> None:
    boxes = load(synth_dir / "bounding_box_smthsmth.json")
    for video_id, frames in boxes.items():
        video = decode(synth_dir / "videos" / f"{video_id}.webm")
        assert video.shape[0] == len(frames)
        assert 36 <= video.shape[0] <= 48
        assert video.shape[1] == HEIGHT and video.shape[2] in WIDTHS


def test_videos_probe_as_vp9_12fps_height_240(synth_dir: Path) -> None:
    boxes = load(synth_dir / "bounding_box_smthsmth.json")
    for video_id in boxes:
        probe = subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-count_frames",
                "-show_entries",
                "stream=codec_name,height,r_frame_rate,nb_read_frames",
                "-of",
                "json",
                str(synth_dir / "videos" / f"{video_id}.webm"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        stream = json.loads(probe.stdout)["streams"][0]
        assert stream["codec_name"] == "vp9"
        assert stream["r_frame_rate"] == "12/1"
        assert stream["height"] == 240
        assert int(stream["nb_read_frames"]) == len(boxes[video_id])
