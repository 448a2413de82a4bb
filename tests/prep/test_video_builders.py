"""Annotation builders straight from videos: the same databases as from the frames the project's
own extraction writes, and the list builder (multi-label, any frame naming)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from strg.cli import generate_video_jpgs, kinetics_json, list_json, sthv2_json, ucf101_json
from strg.data.video_probe import probe_video
from tests.prep.media import ODD_NAME, convert, copy_frames, synth_videos
from tests.prep.test_annotation_json import kinetics_csvs


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def without_video_path(annotation: dict) -> dict:
    return {
        video_id: {key: value for key, value in entry.items() if key != "video_path"}
        for video_id, entry in annotation["database"].items()
    }


def test_sthv2_webm_directory_gives_the_database_of_its_extracted_frames(
    synth_dir: Path, frames_dir: Path, tmp_path: Path
) -> None:
    videos = synth_dir / "videos"
    assert sthv2_json.main([str(synth_dir), str(frames_dir), str(tmp_path / "jpg.json")]) == 0
    assert sthv2_json.main([str(synth_dir), str(videos), str(tmp_path / "webm.json"),
                            "--video_type", "webm"]) == 0  # fmt: skip
    from_frames, from_videos = read(tmp_path / "jpg.json"), read(tmp_path / "webm.json")
    assert from_videos["labels"] == from_frames["labels"]
    assert without_video_path(from_videos) == without_video_path(from_frames)
    for video_id, entry in from_videos["database"].items():
        assert entry["video_path"] == str(videos / f"{video_id}.webm")
        # vid2img_sthv2 extracted exactly the frames the decoder delivers
        n_frames = len(list((frames_dir / video_id).glob("*.jpg")))
        assert entry["annotations"]["segment"] == [1, n_frames + 1]


def test_ucf101_and_kinetics_video_directories_match_generate_video_jpgs(
    synth_dir: Path, tmp_path: Path
) -> None:
    sources = synth_videos(synth_dir)
    # UCF-101 layout, .avi
    ucf = tmp_path / "ucf"
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "classInd.txt").write_text("1 Jump\n2 Run\n")
    (lists / "trainlist01.txt").write_text("Jump/v_Jump_g01_c01.avi 1\nRun/v_Run_g01_c01.avi 2\n")
    (lists / "testlist01.txt").write_text("Run/v_Run_g02_c01.avi\n")
    for name, source, count in zip(
        ["Jump/v_Jump_g01_c01", "Run/v_Run_g01_c01", "Run/v_Run_g02_c01"], sources, [9, 6, 7],
        strict=False,
    ):  # fmt: skip
        convert(source, ucf / f"{name}.avi", max_frames=count)
    frames = tmp_path / "ucf_frames"
    assert generate_video_jpgs.main([str(ucf), str(frames), "ucf101", "--size", "32",
                                     "--n_jobs", "2", "--quiet"]) == 0  # fmt: skip
    for mode, root in (("jpg", frames), ("avi", ucf)):
        out = tmp_path / f"ucf_{mode}"
        assert ucf101_json.main([str(lists), str(root), str(out), "--video_type", mode]) == 0
    from_frames = read(tmp_path / "ucf_jpg" / "ucf101_01.json")
    from_videos = read(tmp_path / "ucf_avi" / "ucf101_01.json")
    assert from_videos == from_frames
    segments = [entry["annotations"]["segment"] for entry in from_videos["database"].values()]
    assert segments == [[1, 10], [1, 7], [1, 8]]

    # Kinetics layout, .mp4, with a test video (explicit video_path) and an odd name
    kinetics_csvs(tmp_path / "csv", "kinetics-2")
    videos = tmp_path / "kinetics"
    names = [("zumba", "aaa_000010_000020"), ("air drumming", f"{ODD_NAME}_000000_000010"),
             ("zumba", "bbb_000005_000015"), ("air drumming", "ccc_000001_000011"),
             ("test", "ddd_000000_000010")]  # fmt: skip
    for (label, name), source, count in zip(names, sources, [3, 4, 5, 6, 7], strict=False):
        convert(source, videos / label / f"{name}.mp4", max_frames=count)
    frames = tmp_path / "kinetics_frames"
    assert generate_video_jpgs.main([str(videos), str(frames), "kinetics", "--size", "32",
                                     "--n_jobs", "2", "--quiet"]) == 0  # fmt: skip
    for mode, root in (("jpg", frames), ("mp4", videos)):
        arguments = [str(tmp_path / "csv"), "2", str(root), mode, str(tmp_path / f"k_{mode}.json")]
        assert kinetics_json.main(arguments) == 0
    from_frames, from_videos = read(tmp_path / "k_jpg.json"), read(tmp_path / "k_mp4.json")
    assert without_video_path(from_videos) == without_video_path(from_frames)
    test_entry = from_videos["database"]["ddd_000000_000010"]
    assert test_entry["video_path"] == str(videos / "test" / "ddd_000000_000010.mp4")
    for (label, name), count in zip(names, [3, 4, 5, 6, 7], strict=True):
        assert from_videos["database"][name]["annotations"]["segment"] == [1, count + 1]
        assert len(list((frames / label / name).glob("*.jpg"))) == count


def test_undecodable_video_is_listed_with_its_reason(
    synth_dir: Path, tmp_path: Path, capsys
) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    for source in synth_videos(synth_dir):
        shutil.copy(source, videos / source.name)
    broken = sorted(videos.iterdir())[0]
    broken.write_bytes(broken.read_bytes()[: broken.stat().st_size // 2])
    destination = tmp_path / "out.json"
    status = sthv2_json.main([str(synth_dir), str(videos), str(destination),
                              "--video_type", "webm"])  # fmt: skip
    assert status == 1 and not destination.exists()
    assert f"{broken} is truncated" in capsys.readouterr().err


def test_list_builder_multi_label_and_custom_frame_names(
    synth_dir: Path, frames_dir: Path, tmp_path: Path, capsys
) -> None:
    root = tmp_path / "root"
    source = sorted(frames_dir.iterdir())[0]
    copy_frames(source, root / "cls a" / "clip one", 5, name="img_{:05d}.jpg")
    (root / "b").mkdir()
    shutil.copy(synth_videos(synth_dir)[1], root / "b" / "v2.webm")
    shutil.copy(synth_videos(synth_dir)[2], root / "b" / "v3.webm")
    train = tmp_path / "train.txt"
    train.write_text('"cls a/clip one" 0 2\nb/v2.webm 1\n')
    test = tmp_path / "test.txt"
    test.write_text("b/v3.webm\n")
    destination = tmp_path / "list.json"
    arguments = [str(train), str(root), str(destination), "--test_list", str(test)]
    pattern = ["--frame_pattern", "img_{:05d}.jpg"]
    assert list_json.main([*arguments, *pattern, "--multi_label"]) == 0
    n2, n3 = (probe_video(root / "b" / f"v{k}.webm").n_frames for k in (2, 3))
    assert read(destination) == {
        "labels": ["0", "1", "2"],
        "database": {
            "cls a/clip one": {"subset": "training",
                               "annotations": {"label": ["0", "2"], "segment": [1, 6]},
                               "video_path": str(root / "cls a" / "clip one")},
            "b/v2": {"subset": "training",
                     "annotations": {"label": ["1"], "segment": [1, n2 + 1]},
                     "video_path": str(root / "b" / "v2.webm")},
            "b/v3": {"subset": "testing", "annotations": {"segment": [1, n3 + 1]},
                     "video_path": str(root / "b" / "v3.webm")},
        },
    }  # fmt: skip
    capsys.readouterr()
    # two labels on a line without the switch: an error naming the line
    assert list_json.main([*arguments, *pattern]) == 2
    assert f"{train}:1: 2 labels on one line need --multi_label" in capsys.readouterr().err
    # frames named otherwise than the pattern: listed, nothing written
    destination.unlink()
    assert list_json.main([*arguments, "--multi_label"]) == 1 and not destination.exists()
    assert "no image_00001.jpg (frame 1): name the layout with --frame_pattern" in (
        capsys.readouterr().err
    )
