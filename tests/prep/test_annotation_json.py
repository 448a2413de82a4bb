"""The annotation builders: official files in, hand-computed JSON out."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import run_command
from tests.prep.media import ODD_NAME, convert, copy_frames, synth_videos


@pytest.fixture(scope="module")
def frames_source(frames_dir: Path) -> Path:
    """One real extracted frame folder to copy frames from."""
    return sorted(frames_dir.iterdir())[0]


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)


# -- Kinetics -------------------------------------------------------------------------------------


def kinetics_csvs(directory: Path, prefix: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    header = ["label", "youtube_id", "time_start", "time_end", "split"]
    write_csv(directory / f"{prefix}_train.csv", [
        header,
        ["zumba", "aaa", "10", "20", "train"],
        ["air drumming", ODD_NAME, "0", "10", "train"],
        ["zumba", "bbb", "5", "15", "train"],
    ])  # fmt: skip
    write_csv(directory / f"{prefix}_val.csv", [header, ["air drumming", "ccc", "1", "11", "val"]])
    write_csv(directory / f"{prefix}_test.csv", [
        ["youtube_id", "time_start", "time_end", "split"], ["ddd", "0", "10", "test"],
    ])  # fmt: skip


def kinetics_frames(root: Path, source: Path) -> None:
    copy_frames(source, root / "zumba" / "aaa_000010_000020", 3)
    copy_frames(source, root / "air drumming" / f"{ODD_NAME}_000000_000010", 4)
    copy_frames(source, root / "zumba" / "bbb_000005_000015", 5)
    copy_frames(source, root / "air drumming" / "ccc_000001_000011", 6)
    copy_frames(source, root / "test" / "ddd_000000_000010", 7)


@pytest.mark.parametrize("prefix", ["kinetics-2", "kinetics"])
def test_kinetics_both_csv_names(prefix: str, frames_source: Path, tmp_path: Path) -> None:
    kinetics_csvs(tmp_path / "csv", prefix)
    frames = tmp_path / "frames"
    kinetics_frames(frames, frames_source)
    destination = tmp_path / "kinetics.json"
    result = run_command(["-m", "util_scripts.kinetics_json", str(tmp_path / "csv"), "2",
                          str(frames), "jpg", str(destination)])  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert read(destination) == {
        "labels": ["zumba", "air drumming"],  # the train CSV's order of first appearance
        "database": {
            "aaa_000010_000020": {"subset": "training",
                                  "annotations": {"label": "zumba", "segment": [1, 4]}},
            f"{ODD_NAME}_000000_000010": {
                "subset": "training", "annotations": {"label": "air drumming", "segment": [1, 5]}
            },
            "bbb_000005_000015": {"subset": "training",
                                  "annotations": {"label": "zumba", "segment": [1, 6]}},
            "ccc_000001_000011": {"subset": "validation",
                                  "annotations": {"label": "air drumming", "segment": [1, 7]}},
            "ddd_000000_000010": {"subset": "testing", "annotations": {"segment": [1, 8]},
                                  "video_path": str(frames / "test" / "ddd_000000_000010")},
        },
    }  # fmt: skip


def test_kinetics_hdf5_segments_are_0_based(
    synth_dir: Path, frames_source: Path, tmp_path: Path
) -> None:
    kinetics_csvs(tmp_path / "csv", "kinetics-2")
    videos = tmp_path / "videos"
    for (label, name), source, n_frames in zip(
        [("zumba", "aaa_000010_000020"), ("air drumming", f"{ODD_NAME}_000000_000010"),
         ("zumba", "bbb_000005_000015"), ("air drumming", "ccc_000001_000011"),
         ("test", "ddd_000000_000010")],
        synth_videos(synth_dir), [3, 4, 5, 6, 7], strict=False,
    ):  # fmt: skip
        convert(source, videos / label / f"{name}.mp4", max_frames=n_frames)
    hdf5 = tmp_path / "hdf5"
    made = run_command(["-m", "util_scripts.generate_video_hdf5", str(videos), str(hdf5),
                        "kinetics", "--size", "32", "--quiet"])  # fmt: skip
    assert made.returncode == 0, made.stderr
    destination = tmp_path / "k.json"
    result = run_command(["-m", "util_scripts.kinetics_json", str(tmp_path / "csv"), "2",
                          str(hdf5), "hdf5", str(destination)])  # fmt: skip
    assert result.returncode == 0, result.stderr
    database = read(destination)["database"]
    assert [entry["annotations"]["segment"] for entry in database.values()] == [
        [0, 3],
        [0, 4],
        [0, 5],
        [0, 6],
        [0, 7],
    ]


def test_kinetics_missing_frames_are_listed_and_class_count_checked(
    frames_source: Path, tmp_path: Path
) -> None:
    kinetics_csvs(tmp_path / "csv", "kinetics-2")
    frames = tmp_path / "frames"
    kinetics_frames(frames, frames_source)
    for path in (frames / "zumba" / "bbb_000005_000015").iterdir():
        path.unlink()
    destination = tmp_path / "k.json"
    args = ["-m", "util_scripts.kinetics_json", str(tmp_path / "csv"), "2", str(frames), "jpg",
            str(destination)]  # fmt: skip
    result = run_command(args)
    assert result.returncode == 1 and not destination.exists()
    assert f"training bbb_000005_000015: {frames / 'zumba' / 'bbb_000005_000015'}" in result.stderr
    skipped = run_command([*args, "--skip_missing"])
    assert skipped.returncode == 0 and "bbb_000005_000015" in skipped.stderr
    assert "bbb_000005_000015" not in read(destination)["database"]
    assert len(read(destination)["database"]) == 4
    wrong = run_command([*args[:3], "400", *args[4:]])
    assert wrong.returncode == 2 and "kinetics-400_train.csv" in wrong.stderr


# -- UCF-101 and HMDB-51 --------------------------------------------------------------------------


def test_ucf101_one_json_per_split(frames_source: Path, tmp_path: Path) -> None:
    lists = tmp_path / "ucfTrainTestlist"
    lists.mkdir()
    (lists / "classInd.txt").write_text("1 ApplyEyeMakeup\n2 Band Marching\n")
    (lists / "trainlist01.txt").write_text(
        f"ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\nBand Marching/v_{ODD_NAME}.avi 2\n"
    )
    (lists / "testlist01.txt").write_text("ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi\n")
    (lists / "trainlist02.txt").write_text("ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi 1\n")
    (lists / "testlist02.txt").write_text("ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi\n")
    frames = tmp_path / "jpg"
    copy_frames(frames_source, frames / "ApplyEyeMakeup" / "v_ApplyEyeMakeup_g08_c01", 3)
    copy_frames(frames_source, frames / "ApplyEyeMakeup" / "v_ApplyEyeMakeup_g01_c01", 2)
    copy_frames(frames_source, frames / "Band Marching" / f"v_{ODD_NAME}", 4)
    out = tmp_path / "json"
    result = run_command(["util_scripts/ucf101_json.py", str(lists), str(frames), str(out)])
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in out.iterdir()) == ["ucf101_01.json", "ucf101_02.json"]
    labels = ["ApplyEyeMakeup", "Band Marching"]
    assert read(out / "ucf101_01.json") == {
        "labels": labels,
        "database": {
            "v_ApplyEyeMakeup_g08_c01": {"subset": "training",
                "annotations": {"label": "ApplyEyeMakeup", "segment": [1, 4]}},
            f"v_{ODD_NAME}": {"subset": "training",
                "annotations": {"label": "Band Marching", "segment": [1, 5]}},
            "v_ApplyEyeMakeup_g01_c01": {"subset": "validation",
                "annotations": {"label": "ApplyEyeMakeup", "segment": [1, 3]}},
        },
    }  # fmt: skip
    assert read(out / "ucf101_02.json")["database"] == {
        "v_ApplyEyeMakeup_g01_c01": {"subset": "training",
            "annotations": {"label": "ApplyEyeMakeup", "segment": [1, 3]}},
        "v_ApplyEyeMakeup_g08_c01": {"subset": "validation",
            "annotations": {"label": "ApplyEyeMakeup", "segment": [1, 4]}},
    }  # fmt: skip
    (lists / "trainlist01.txt").write_text("ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 2\n")
    wrong = run_command(["-m", "util_scripts.ucf101_json", str(lists), str(frames), str(out)])
    assert wrong.returncode == 2 and f"{lists / 'trainlist01.txt'}:1" in wrong.stderr


def test_hmdb51_one_json_per_split(frames_source: Path, tmp_path: Path) -> None:
    splits = tmp_path / "splits"
    splits.mkdir()
    (splits / "wave_test_split1.txt").write_text("w1.avi 1\nw2.avi 2\nw3.avi 0\n")
    (splits / "brush_hair_test_split1.txt").write_text(f"{ODD_NAME}.avi 2 \nb2.avi 1\n")
    (splits / "wave_test_split2.txt").write_text("w1.avi 2\nw2.avi 0\nw3.avi 1\n")
    (splits / "brush_hair_test_split2.txt").write_text(f"{ODD_NAME}.avi 0\nb2.avi 0\n")
    frames = tmp_path / "jpg"
    for label, name, count in [("wave", "w1", 2), ("wave", "w2", 3), ("wave", "w3", 4),
                               ("brush_hair", ODD_NAME, 5), ("brush_hair", "b2", 6)]:  # fmt: skip
        copy_frames(frames_source, frames / label / name, count)
    out = tmp_path / "json"
    result = run_command(["-m", "util_scripts.hmdb51_json", str(splits), str(frames), str(out)])
    assert result.returncode == 0, result.stderr
    assert read(out / "hmdb51_1.json") == {
        "labels": ["brush_hair", "wave"],  # sorted
        "database": {
            ODD_NAME: {"subset": "validation",
                       "annotations": {"label": "brush_hair", "segment": [1, 6]}},
            "b2": {"subset": "training", "annotations": {"label": "brush_hair", "segment": [1, 7]}},
            "w1": {"subset": "training", "annotations": {"label": "wave", "segment": [1, 3]}},
            "w2": {"subset": "validation", "annotations": {"label": "wave", "segment": [1, 4]}},
        },
    }  # fmt: skip
    assert read(out / "hmdb51_2.json")["database"] == {
        "w1": {"subset": "validation", "annotations": {"label": "wave", "segment": [1, 3]}},
        "w3": {"subset": "training", "annotations": {"label": "wave", "segment": [1, 5]}},
    }
    assert not (out / "hmdb51_3.json").exists()


# -- Moments in Time ------------------------------------------------------------------------------


def test_mit(frames_source: Path, tmp_path: Path) -> None:
    release = tmp_path / "Moments_in_Time"
    release.mkdir()
    write_csv(release / "moments_categories.txt", [["walking", "0"], ["clapping", "1"]])
    write_csv(release / "trainingSet.csv", [
        ["clapping/yt-a.mp4", "clapping", "3", "0"],
        [f"walking/{ODD_NAME}.mp4", "walking", "3", "0"],
    ])  # fmt: skip
    write_csv(release / "validationSet.csv", [["walking/yt-b.mp4", "walking", "3", "0"]])
    write_csv(release / "testingSet.csv", [["yt-c.mp4"]])
    frames = tmp_path / "jpg"
    for folder, count in [("clapping/yt-a", 2), (f"walking/{ODD_NAME}", 3),
                          ("walking/yt-b", 4), ("test/yt-c", 5)]:  # fmt: skip
        copy_frames(frames_source, frames / folder, count)
    destination = tmp_path / "mit.json"
    result = run_command(["-m", "util_scripts.mit_json", str(release), str(frames),
                          str(destination)])  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert read(destination) == {
        "labels": ["walking", "clapping"],  # the categories file's order
        "database": {
            "yt-a": {"subset": "training", "annotations": {"label": "clapping", "segment": [1, 3]}},
            ODD_NAME: {"subset": "training",
                       "annotations": {"label": "walking", "segment": [1, 4]}},
            "yt-b": {"subset": "validation",
                     "annotations": {"label": "walking", "segment": [1, 5]}},
            "yt-c": {"subset": "testing", "annotations": {"segment": [1, 6]},
                     "video_path": str(frames / "test" / "yt-c")},
        },
    }  # fmt: skip


# -- Something-Something v1 -----------------------------------------------------------------------


def test_sthv1(frames_source: Path, tmp_path: Path) -> None:
    release = tmp_path / "v1"
    release.mkdir()
    (release / "something-something-v1-labels.csv").write_text(
        "Holding something\nPushing something from left to right\n"
    )
    (release / "something-something-v1-train.csv").write_text(
        "100;Pushing something from left to right\n7;Holding something\n"
    )
    (release / "something-something-v1-validation.csv").write_text("55;Holding something\n")
    (release / "something-something-v1-test.csv").write_text("9\n")
    frames = tmp_path / "20bn-something-something-v1"
    for video_id, count in [("100", 2), ("7", 3), ("55", 4), ("9", 5)]:
        copy_frames(frames_source, frames / video_id, count, name="{:05d}.jpg")
    destination = tmp_path / "sthv1.json"
    result = run_command(["util_scripts/sthv1_json.py", str(release), str(frames),
                          str(destination)])  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert read(destination) == {
        "labels": ["Holding something", "Pushing something from left to right"],
        "database": {
            "100": {"subset": "training", "video_path": str(frames / "100"), "annotations": {
                "label": "Pushing something from left to right", "segment": [1, 3]}},
            "7": {"subset": "training", "video_path": str(frames / "7"),
                  "annotations": {"label": "Holding something", "segment": [1, 4]}},
            "55": {"subset": "validation", "video_path": str(frames / "55"),
                   "annotations": {"label": "Holding something", "segment": [1, 5]}},
            "9": {"subset": "testing", "video_path": str(frames / "9"),
                  "annotations": {"segment": [1, 6]}},
        },
    }  # fmt: skip
    (release / "something-something-v1-validation.csv").write_text("55;Juggling something\n")
    wrong = run_command(["-m", "util_scripts.sthv1_json", str(release), str(frames),
                         str(destination)])  # fmt: skip
    assert wrong.returncode == 2
    assert "something-something-v1-validation.csv:1" in wrong.stderr
    assert "Juggling something" in wrong.stderr


# -- Charades -------------------------------------------------------------------------------------


def test_charades_label_sets_and_segments(frames_source: Path, tmp_path: Path) -> None:
    release = tmp_path / "Charades"
    release.mkdir()
    (release / "Charades_v1_classes.txt").write_text(
        "c000 Holding some clothes\nc001 Putting clothes somewhere\nc002 Taking a towel\n"
    )
    header = ["id", "subject", "scene", "quality", "relevance", "verified", "script", "objects",
              "descriptions", "actions", "length"]  # fmt: skip
    write_csv(release / "Charades_v1_train.csv", [
        header,
        ["46GP8", "HR43", "Kitchen", "6", "7", "Yes", "A person, cooking", "towel", "d",
         "c002 11.90 21.20;c000 0.00 12.60;c002 25.00 30.50", "33.67"],
        ["N11GT", "0KZ7", "Stairs", "6", "7", "Yes", "s", "", "d", "", "30.33"],
    ])  # fmt: skip
    write_csv(release / "Charades_v1_test.csv", [
        header, ["YSKX3", "1", "Bedroom", "5", "7", "No", "s", "", "d", "c001 1.5 4.25", "12.0"],
    ])  # fmt: skip
    frames = tmp_path / "Charades_v1_rgb"
    for video_id, count in [("46GP8", 3), ("N11GT", 2), ("YSKX3", 4)]:
        copy_frames(frames_source, frames / video_id, count, name=video_id + "-{:06d}.jpg")
    destination = tmp_path / "charades.json"
    result = run_command(["-m", "util_scripts.charades_json", str(release), str(frames),
                          str(destination)])  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert read(destination) == {
        "labels": ["Holding some clothes", "Putting clothes somewhere", "Taking a towel"],
        "database": {
            "46GP8": {"subset": "training", "video_path": str(frames / "46GP8"), "annotations": {
                "label": ["Holding some clothes", "Taking a towel"],
                "class_indices": [0, 2],
                "actions": [
                    {"label": "Taking a towel", "class_index": 2, "segment": [11.9, 21.2]},
                    {"label": "Holding some clothes", "class_index": 0, "segment": [0.0, 12.6]},
                    {"label": "Taking a towel", "class_index": 2, "segment": [25.0, 30.5]},
                ],
                "fps": 24.0, "segment": [1, 4]}},
            "N11GT": {"subset": "training", "video_path": str(frames / "N11GT"), "annotations": {
                "label": [], "class_indices": [], "actions": [], "fps": 24.0,
                "segment": [1, 3]}},
            "YSKX3": {"subset": "validation", "video_path": str(frames / "YSKX3"), "annotations": {
                "label": ["Putting clothes somewhere"], "class_indices": [1],
                "actions": [{"label": "Putting clothes somewhere", "class_index": 1,
                             "segment": [1.5, 4.25]}],
                "fps": 24.0, "segment": [1, 5]}},
        },
    }  # fmt: skip
    rows = (release / "Charades_v1_test.csv").read_text().replace("c001 1.5", "c157 1.5")
    (release / "Charades_v1_test.csv").write_text(rows)
    wrong = run_command(["-m", "util_scripts.charades_json", str(release), str(frames),
                         str(destination)])  # fmt: skip
    assert wrong.returncode == 2 and "Charades_v1_test.csv:2" in wrong.stderr
    assert "c157" in wrong.stderr


# -- ActivityNet ----------------------------------------------------------------------------------


def test_add_fps_into_activitynet_json(synth_dir: Path, tmp_path: Path) -> None:
    videos = tmp_path / "videos"
    convert(synth_dir / "videos" / synth_videos(synth_dir)[0].name, videos / "v_abc.mp4", 4)
    convert(synth_videos(synth_dir)[1], videos / f"v_{ODD_NAME}.mp4", 4)
    convert(synth_videos(synth_dir)[2], videos / "v_extra.mp4", 4)
    official = {
        "version": "VERSION 1.3",
        "taxonomy": [{"nodeId": 1, "nodeName": "Root", "parentId": None}],
        "database": {
            "abc": {"subset": "training", "duration": 1.0, "annotations": [
                {"segment": [0.1, 0.3], "label": "Drinking coffee"}]},
            ODD_NAME: {"subset": "validation", "duration": 1.0, "annotations": []},
            "gone": {"subset": "training", "duration": 1.0, "annotations": []},
        },
    }  # fmt: skip
    source = tmp_path / "activity_net.v1-3.min.json"
    source.write_text(json.dumps(official))
    destination = tmp_path / "with_fps.json"
    args = ["-m", "util_scripts.add_fps_into_activitynet_json", str(videos), str(source),
            str(destination), "--quiet"]  # fmt: skip
    result = run_command(args)
    assert result.returncode == 1 and not destination.exists()
    assert "gone: no video" in result.stderr and "v_extra.mp4" in result.stderr
    result = run_command([*args, "--skip_missing"])
    assert result.returncode == 0, result.stderr
    expected = json.loads(json.dumps(official))
    expected["database"]["abc"]["fps"] = 12.0
    expected["database"][ODD_NAME]["fps"] = 12.0
    assert read(destination) == expected
