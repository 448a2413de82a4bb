"""sthv2_json: the official v2 files and the frame folders become the 3D-ResNets annotation JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from strg.prep.frames import count_frames
from tests.conftest import run_command

OFFICIAL = ["train", "validation", "test"]


def official_copy(synth_dir: Path, destination: Path, with_labels_json: bool = True) -> Path:
    destination.mkdir(parents=True)
    for subset in OFFICIAL:
        name = f"something-something-v2-{subset}.json"
        shutil.copy(synth_dir / name, destination / name)
    labels = json.loads((synth_dir / "something-something-v2-labels.json").read_text())
    if with_labels_json:
        shutil.copy(synth_dir / "something-something-v2-labels.json", destination)
    else:
        ordered = sorted(labels, key=lambda name: int(labels[name]))
        (destination / "category.txt").write_text("\n".join(ordered) + "\n")
    return destination


def test_json_matches_the_official_files_and_the_frames_on_disk(
    synth_dir: Path, frames_dir: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "out" / "sthv2.json"
    result = run_command(
        ["-m", "util_scripts.sthv2_json", str(synth_dir), str(frames_dir), str(destination)]
    )
    assert result.returncode == 0, result.stderr
    annotation = json.loads(destination.read_text())
    labels = json.loads((synth_dir / "something-something-v2-labels.json").read_text())
    assert annotation["labels"] == sorted(labels, key=lambda name: int(labels[name]))
    database = annotation["database"]
    expected_subsets = {"train": "training", "validation": "validation", "test": "testing"}
    n_entries = 0
    for official, subset in expected_subsets.items():
        for entry in json.loads(
            (synth_dir / f"something-something-v2-{official}.json").read_text()
        ):
            record = database[entry["id"]]
            n_entries += 1
            assert record["subset"] == subset
            assert record["video_path"] == str(frames_dir / entry["id"])
            n_frames = count_frames(frames_dir / entry["id"])
            assert n_frames > 0 and record["annotations"]["segment"] == [1, n_frames + 1]
            if subset == "testing":
                assert "label" not in record["annotations"]
            else:
                assert record["annotations"]["label"] == entry["template"].replace("[", "").replace(
                    "]", ""
                )
    assert len(database) == n_entries


def test_category_txt_works_in_place_of_the_labels_json(
    synth_dir: Path, frames_dir: Path, tmp_path: Path
) -> None:
    with_json = tmp_path / "a.json"
    with_txt = tmp_path / "b.json"
    official_txt = official_copy(synth_dir, tmp_path / "official", with_labels_json=False)
    assert (
        run_command(
            ["-m", "util_scripts.sthv2_json", str(synth_dir), str(frames_dir), str(with_json)]
        ).returncode
        == 0
    )
    result = run_command(
        ["util_scripts/sthv2_json.py", str(official_txt), str(frames_dir), str(with_txt)]
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(with_json.read_text()) == json.loads(with_txt.read_text())


def test_videos_without_frames_are_listed_and_nothing_is_overwritten(
    synth_dir: Path, frames_dir: Path, tmp_path: Path
) -> None:
    frames = tmp_path / "frames"
    shutil.copytree(frames_dir, frames)
    missing_id = json.loads((synth_dir / "something-something-v2-validation.json").read_text())[0][
        "id"
    ]
    shutil.rmtree(frames / missing_id)
    destination = tmp_path / "sthv2.json"
    destination.write_text("previous contents")
    result = run_command(
        ["-m", "util_scripts.sthv2_json", str(synth_dir), str(frames), str(destination)]
    )
    assert result.returncode == 1
    assert f"validation {missing_id}: {frames / missing_id}" in result.stderr
    assert destination.read_text() == "previous contents"

    skipped = run_command(
        [
            "-m",
            "util_scripts.sthv2_json",
            str(synth_dir),
            str(frames),
            str(destination),
            "--skip_missing",
        ]
    )
    assert skipped.returncode == 0, skipped.stderr
    assert missing_id in skipped.stderr
    database = json.loads(destination.read_text())["database"]
    assert missing_id not in database and len(database) == len(list(frames.iterdir()))


def test_an_unknown_class_or_a_missing_list_is_an_error_naming_the_file(
    synth_dir: Path, frames_dir: Path, tmp_path: Path
) -> None:
    official = official_copy(synth_dir, tmp_path / "official")
    train_path = official / "something-something-v2-train.json"
    entries = json.loads(train_path.read_text())
    entries[0]["template"] = "Juggling [something]"
    train_path.write_text(json.dumps(entries))
    result = run_command(
        ["-m", "util_scripts.sthv2_json", str(official), str(frames_dir), str(tmp_path / "x.json")]
    )
    assert result.returncode == 2
    assert str(train_path) in result.stderr and entries[0]["id"] in result.stderr
    assert not (tmp_path / "x.json").exists()

    shutil.copy(synth_dir / train_path.name, train_path)
    (official / "something-something-v2-validation.json").unlink()
    result = run_command(
        ["-m", "util_scripts.sthv2_json", str(official), str(frames_dir), str(tmp_path / "x.json")]
    )
    assert result.returncode == 2 and "something-something-v2-validation.json" in result.stderr
