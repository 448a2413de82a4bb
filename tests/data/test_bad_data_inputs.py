"""Bad proposal files and annotations: each refused with one line naming the file, video, frame
or box, through the library and through main.py (exit status 2, no traceback)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from strg.cli.main import main
from strg.data.builder import build_video_dataset
from strg.data.proposal_store import ProposalStore, ProposalStoreError, from_frame_lists
from strg.data.records import DataError, build_records
from tests.data.conftest import make_jpg_dataset


def _store_with(tmp_path: Path, **arrays) -> ProposalStore:
    """A store whose video ``v`` has the sample arrays, with ``arrays`` replaced."""
    fields = {
        "frame_indices": np.array([0, 2], np.int64),
        "boxes": np.array([[[1, 2, 10, 20]], [[3, 4, 12, 22]]], np.float32),
        "scores": np.ones((2, 1), np.float32),
        "counts": np.array([1, 1], np.int64),
        "object_ids": np.full((2, 1), -1, np.int64),
        "frame_size": np.array([48, 64], np.int64),
    }
    fields.update(arrays)
    fields["boxes"] = np.asarray(fields["boxes"], np.float32)
    (tmp_path / "store").mkdir(exist_ok=True)
    np.savez(tmp_path / "store" / "v.npz", **fields)
    return ProposalStore(tmp_path / "store")


def _damaged(tmp_path: Path, how: str) -> ProposalStore:
    store = _store_with(tmp_path)
    path = store.path("v")
    data = path.read_bytes()
    path.write_bytes({"empty": b"", "truncated": data[: len(data) // 2],
                      "random": os.urandom(300)}[how])  # fmt: skip
    return store


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda tmp: _damaged(tmp, "empty"), "is not a valid .npz file (the file is empty)"),
        (lambda tmp: _damaged(tmp, "truncated"), "is not a valid .npz file (truncated or damaged"),
        (lambda tmp: _damaged(tmp, "random"), "is not a valid .npz file (it is not a zip archive)"),
        (lambda tmp: _store_with(tmp, frame_size=np.array([0, 0])),
         "frame_size must be a positive"),
        (lambda tmp: _store_with(tmp, boxes=np.array([[[1, 2, np.nan, 20]], [[3, 4, 12, 22]]])),
         "frame 0 box 0 [1.0, 2.0, nan, 20.0] is not finite"),
        (lambda tmp: _store_with(tmp, boxes=np.array([[[1, 2, 10, 20]], [[30, 4, 12, 22]]])),
         "frame 2 box 0 [30.0, 4.0, 12.0, 22.0] is inverted"),
        (lambda tmp: _store_with(tmp, boxes=np.array([[[1, 2, 10, 20]], [[3, 4, 90, 22]]])),
         "frame 2 box 0 [3.0, 4.0, 90.0, 22.0] lies outside the 64x48"),
        (lambda tmp: _store_with(tmp, frame_indices=np.zeros(0, np.int64),
                                 boxes=np.zeros((0, 1, 4)), scores=np.zeros((0, 1)),
                                 counts=np.zeros(0, np.int64),
                                 object_ids=np.zeros((0, 1), np.int64)),
         "video v: "),
    ],
    ids=["empty", "truncated", "random", "frame_size_0", "nan", "inverted", "outside", "no_frames"],
)  # fmt: skip
def test_a_bad_proposal_file_is_refused_naming_it(make, expected: str, tmp_path: Path) -> None:
    store = make(tmp_path)
    with pytest.raises(ProposalStoreError) as raised:
        store.load("v")
    message = str(raised.value)
    assert expected in message and str(store.path("v")) in message and "\n" not in message


def test_a_store_file_written_with_invalid_boxes_is_refused(tmp_path: Path) -> None:
    bad = from_frame_lists([0], [np.array([[5.0, 5, 1, 9]])], frame_size=(48, 64))
    with pytest.raises(
        ProposalStoreError, match=r"frame 0 box 0 \[5\.0, 5\.0, 1\.0, 9\.0\] is inverted"
    ):
        ProposalStore(tmp_path).save("v", bad)
    assert not list(tmp_path.iterdir())


def test_stored_frames_past_the_video_end_warn_and_none_inside_is_an_error(
    tmp_path: Path,
) -> None:
    store = _store_with(tmp_path, frame_indices=np.array([0, 40], np.int64))
    with pytest.warns(UserWarning, match=r"video v: .*v\.npz stores boxes up to frame 40, but the "
                      r"video ends at frame 11"):  # fmt: skip
        store.load("v", last_frame=11)
    late = _store_with(tmp_path, frame_indices=np.array([30, 40], np.int64))
    with pytest.raises(ProposalStoreError, match="no stored frame lies inside the video"):
        late.load("v", last_frame=11)


def _annotation(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"labels": ["a"], "database": {"v1": ["training", "a"]}}',
         "video v1: expected an object"),
        ('{"labels": ["a"], "database": {"v1": {"subset": "training", "annotations": '
         '{"label": "a", "segment": "1-12"}}}}', "video v1: 'segment' must be two frame numbers"),
        ('{"labels": ["a"], "database": {"v1": {"subset": "training", "annotations": '
         '{"label": "a", "segment": ["1", "12"]}}}}', "'segment' must be two frame numbers"),
        ('{"labels": ["a"], "database": {"v1": {"subset": "training"}, '
         '"v1": {"subset": "validation"}}}', "'v1' is listed twice"),
    ],
    ids=["entry_list", "segment_text", "segment_strings", "duplicate_id"],
)  # fmt: skip
def test_a_malformed_annotation_is_refused_naming_file_and_video(
    text: str, expected: str, tmp_path: Path
) -> None:
    path = _annotation(tmp_path, text)
    (tmp_path / "a" / "v1").mkdir(parents=True)
    with pytest.raises(DataError) as raised:
        build_records(path, tmp_path, "training")
    assert expected in str(raised.value) and str(path) in str(raised.value)


def test_missing_videos_name_the_flag_and_an_empty_subset_names_itself(tmp_path: Path) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=2)
    with pytest.raises(DataError, match="pass --skip_missing to leave them out"):
        build_records(annotation, tmp_path / "elsewhere", "training")
    with pytest.raises(DataError) as raised:
        build_video_dataset("val", annotation, tmp_path / "frames")
    assert str(raised.value) == f"{annotation} has no video in subset validation"
    with pytest.raises(DataError, match=r"has no video in subset training \(2 left out by "):
        build_video_dataset("train", annotation, tmp_path / "elsewhere", skip_missing=True)


TINY = ["--dataset", "somethingv2", "--n_classes", "3", "--model", "resnet", "--model_depth", "10",
        "--resnet_widen_factor", "0.25", "--sample_size", "16", "--sample_duration", "8",
        "--n_threads", "0", "--n_epochs", "1", "--no_val", "--batch_size", "2",
        "--no_cuda"]  # fmt: skip


def test_main_py_turns_a_zero_byte_proposal_file_into_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=2)
    (tmp_path / "props" / "v1.npz").write_bytes(b"")
    status = main(["--video_path", str(tmp_path / "frames"), "--annotation_path", str(annotation),
                   "--result_path", str(tmp_path / "run"), "--proposal_path",
                   str(tmp_path / "props"), "--strg", "--nrois", "2", "--reduce_dim", "8",
                   "--gcn_layers", "1", "--no_max_pool", *TINY])  # fmt: skip
    assert status == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith("error: ") and "Traceback" not in "\n".join(error)
    assert (
        f"{tmp_path / 'props' / 'v1.npz'} is not a valid .npz file (the file is empty)"
        in (error[-1])
    )


def test_main_py_turns_a_list_entry_into_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    annotation = make_jpg_dataset(tmp_path, n_videos=2)
    content = json.loads(annotation.read_text())
    content["database"]["v1"] = ["training", "Other"]
    annotation.write_text(json.dumps(content))
    status = main(["--video_path", str(tmp_path / "frames"), "--annotation_path", str(annotation),
                   "--result_path", str(tmp_path / "run"), *TINY])  # fmt: skip
    assert status == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and len(error.splitlines()) == 1
    assert f"{annotation}: video v1: expected an object" in error
