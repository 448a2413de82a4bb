"""Preparation on bad input: truncated videos fail, reruns with other settings keep the frames,
ffmpeg dies with its extractor, ids listed twice and invalid boxes are refused by name."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from strg.cli import generate_video_jpgs, import_boxes, sthv2_json, vid2img_sthv2
from strg.data.proposal_store import ProposalStore
from strg.prep.extract import truncation
from strg.prep.frames import count_frames
from tests.conftest import REPO_ROOT


def encode(path: Path, codec: str, *extra: str) -> Path:
    """A 3 s, 12 fps, 64×48 test-pattern video (36 frames)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", "testsrc=size=64x48:rate=12", "-t", "3", "-c:v", codec, *extra, str(path)],
        check=True,
    )  # fmt: skip
    return path


def cut_in_half(source: Path, destination: Path) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    data = source.read_bytes()
    destination.write_bytes(data[: len(data) // 2])
    return destination


@pytest.fixture(scope="module")
def webm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return encode(tmp_path_factory.mktemp("webm") / "good.webm", "libvpx-vp9", "-deadline",
                  "realtime")  # fmt: skip


def test_truncated_webm_and_mp4_fail_and_the_good_ones_are_extracted(
    webm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "good.webm").write_bytes(webm.read_bytes())
    cut_in_half(webm, videos / "cut.webm")
    assert vid2img_sthv2.main([str(videos), str(tmp_path / "frames"), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "extracted 1, already complete 0, failed 1" in out
    assert "FAILED" in out and "cut.webm: the file is truncated" in out
    assert count_frames(tmp_path / "frames" / "good") == 36
    assert not (tmp_path / "frames" / "cut").exists()  # no short clip left to train on

    # an MP4 with its index at the front (faststart), cut in half: ffmpeg exits 0 on it
    mp4 = encode(tmp_path / "mp4" / "x.mp4", "mpeg4", "-movflags", "+faststart")
    cut_in_half(mp4, tmp_path / "kinetics" / "zumba" / "cut.mp4")
    os.replace(mp4, tmp_path / "kinetics" / "zumba" / "good.mp4")
    jpgs = tmp_path / "jpg"
    assert generate_video_jpgs.main([str(tmp_path / "kinetics"), str(jpgs), "kinetics",
                                     "--quiet"]) == 1  # fmt: skip
    out = capsys.readouterr().out
    assert "extracted 1, already complete 0, failed 1" in out and "cut.mp4: the file is" in out
    assert count_frames(jpgs / "zumba" / "good") == 36 and not (jpgs / "zumba" / "cut").exists()


def test_a_short_decode_without_a_complaint_is_caught_by_the_header(webm: Path) -> None:
    assert truncation(webm, 36, "") == ""
    assert "decoded 12 of the 36 frames its header declares" in truncation(webm, 12, "")


def test_a_rerun_with_another_size_keeps_the_frames_and_says_so(
    webm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "a.webm").write_bytes(webm.read_bytes())
    frames = tmp_path / "frames"
    assert vid2img_sthv2.main([str(videos), str(frames), "--quiet", "--size", "48"]) == 0
    before = {path.name: path.stat().st_mtime_ns for path in (frames / "a").iterdir()}
    capsys.readouterr()
    assert vid2img_sthv2.main([str(videos), str(frames), "--quiet", "--size", "24"]) == 1
    out = capsys.readouterr().out
    assert "failed 1" in out and "size 48 (this run: 24)" in out and str(frames / "a") in out
    assert {path.name: path.stat().st_mtime_ns for path in (frames / "a").iterdir()} == before
    assert vid2img_sthv2.main([str(videos), str(frames), "--quiet", "--size", "48"]) == 0
    assert "already complete 1" in capsys.readouterr().out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie is dead, waiting for its new parent to reap it


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_ffmpeg_children_die_with_a_killed_extractor(tmp_path: Path) -> None:
    # the extractor's own runner, in worker threads as extract_all uses it, on a long child
    script = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from strg.prep.ffmpeg import run\n"
        "with ThreadPoolExecutor(2) as pool:\n"
        "    list(pool.map(lambda _: run(['sleep', '60']), range(2)))\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    parent = subprocess.Popen([sys.executable, "-c", script], env=environment)
    children: list[int] = []
    deadline = time.monotonic() + 20
    while len(children) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        listed = Path(f"/proc/{parent.pid}/task/{parent.pid}/children")
        children = [int(pid) for pid in listed.read_text().split()] if listed.exists() else []
        children += [
            int(pid)
            for task in Path(f"/proc/{parent.pid}/task").iterdir()
            for pid in (task / "children").read_text().split()
            if int(pid) not in children
        ]
        children = sorted(set(children))
    assert len(children) == 2, "the extractor did not start its children"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = [pid for pid in children if _alive(pid)]
    for pid in survivors:  # leave nothing running when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not survivors, "ffmpeg outlived its killed extractor"


def test_sthv2_json_refuses_an_id_in_train_and_validation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    official = tmp_path / "sthv2"
    official.mkdir()
    (official / "something-something-v2-labels.json").write_text('{"Pushing something": "0"}')
    entry = {"label": "pushing a cup", "template": "Pushing [something]", "placeholders": ["cup"]}
    for name, ids in (("train", ["1", "2"]), ("validation", ["2", "3"])):
        listed = [{**entry, "id": video_id} for video_id in ids]
        (official / f"something-something-v2-{name}.json").write_text(json.dumps(listed))
    frames = tmp_path / "frames"
    for video_id in "123":
        (frames / video_id).mkdir(parents=True)
        (frames / video_id / "000001.jpg").write_bytes(b"\xff\xd8")
    destination = tmp_path / "out.json"
    assert sthv2_json.main([str(official), str(frames), str(destination)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "Traceback" not in error
    assert "video 2 is listed twice" in error
    assert "something-something-v2-validation.json" in error and "-train.json" in error
    assert not destination.exists()


def _box_file(path: Path, boxes: dict[str, list[list[float]]]) -> Path:
    content = {
        video_id: [
            {"name": f"{video_id}/{i + 1:04d}.jpg",
             "labels": [{"box2d": dict(zip(("x1", "y1", "x2", "y2"), box, strict=True)),
                         "category": "cup", "standard_category": "0000"}]}
            for i, box in enumerate(frame_boxes)
        ]
        for video_id, frame_boxes in boxes.items()
    }  # fmt: skip
    # json.dumps writes NaN as the bare NaN literal that json.loads reads back
    path.write_text(json.dumps(content))
    return path


def test_import_boxes_refuses_nan_and_inverted_boxes_and_clips_outside_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box_file = _box_file(tmp_path / "boxes.json", {
        "good": [[1, 2, 30, 40], [2, 3, 31, 41]],
        "nan": [[1, 2, 30, 40], [float("nan"), 3, 31, 41]],
        "inverted": [[30, 2, 1, 40]],
        "outside": [[-5, 2, 70, 40], [1, 2, 30, 50]],
    })  # fmt: skip
    store = tmp_path / "store"
    status = import_boxes.main([str(box_file), str(store), "--frame_size", "48", "64", "--quiet"])
    assert status == 1
    out = capsys.readouterr().out
    assert "imported 4 boxes of 2 videos, failed 2" in out
    assert "FAILED nan:" in out and "nan/0002.jpg: box [nan, 3.0, 31.0, 41.0] is not finite" in out
    assert "FAILED inverted:" in out and "inverted/0001.jpg: box [30.0, 2.0, 1.0, 40.0]" in out
    assert "clipped 2 boxes reaching outside the frame to it, in 1 videos: outside (2)" in out
    assert sorted(path.name for path in store.iterdir()) == ["good.npz", "outside.npz"]
    loaded = ProposalStore(store).load("outside")
    np.testing.assert_array_equal(loaded.boxes[:, 0], [[0, 2, 64, 40], [1, 2, 30, 48]])
