"""generate_video_jpgs and generate_video_hdf5: the original's layouts, resumable, shardable."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from strg.prep.frames import SETTINGS_FILE, count_frames, partial_dir
from strg.prep.hdf5 import MissingDependencyError, import_h5py
from tests.conftest import run_command
from tests.prep.media import ODD_NAME, convert, decoded_frames, synth_videos

JPGS = "util_scripts/generate_video_jpgs.py"


@pytest.fixture(scope="module")
def kinetics_videos(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SRC/<class>/<video>.mp4 and SRC/test/<video>.mp4, 10 frames each, one odd name."""
    root = tmp_path_factory.mktemp("kinetics") / "videos"
    sources = synth_videos(synth_dir)
    convert(sources[0], root / "air drumming" / "abc_000010_000020.mp4")
    convert(sources[1], root / "air drumming" / f"{ODD_NAME}.mp4")
    convert(sources[2], root / "zumba" / "def_000000_000010.mp4", max_frames=7)
    convert(sources[3], root / "test" / "ghi_000005_000015.mp4", max_frames=8)
    (root / "zumba" / "README.txt").write_text("not a video")
    return root


EXPECTED = {
    "air drumming/abc_000010_000020": 10,
    f"air drumming/{ODD_NAME}": 10,
    "zumba/def_000000_000010": 7,
    "test/ghi_000005_000015": 8,
}


def test_kinetics_layout_with_odd_names_short_side_and_1_based_names(
    kinetics_videos: Path, tmp_path: Path
) -> None:
    out = tmp_path / "jpg $(x) ü"
    result = run_command(
        ["-m", "util_scripts.generate_video_jpgs", str(kinetics_videos), str(out), "kinetics",
         "--size", "96", "--n_jobs", "2", "--quiet"],
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "extracted 4, already complete 0, failed 0" in result.stdout
    assert "ignored 1" in result.stderr and "README.txt" in result.stderr
    assert not list(tmp_path.rglob("PWNED*"))
    folders = {f"{path.parent.name}/{path.name}" for path in out.glob("*/*")}
    assert folders == set(EXPECTED)
    for key, n_frames in EXPECTED.items():
        names = sorted(path.name for path in (out / key).iterdir())
        assert names == [SETTINGS_FILE, *(f"image_{i:05d}.jpg" for i in range(1, n_frames + 1))]
    with Image.open(out / "zumba/def_000000_000010/image_00001.jpg") as image:
        # the synth videos are 320×240 or 426×240: the short side becomes 96, aspect kept
        assert image.height == 96 and image.width in (128, 170, 171)


def test_a_rerun_redoes_only_missing_and_partial_folders(
    kinetics_videos: Path, tmp_path: Path
) -> None:
    out = tmp_path / "jpg"
    args = ["-m", "util_scripts.generate_video_jpgs", str(kinetics_videos), str(out), "kinetics",
            "--size", "64", "--quiet"]  # fmt: skip
    assert run_command(args).returncode == 0
    shutil.rmtree(out / "zumba/def_000000_000010")
    interrupted = out / "test/ghi_000005_000015"
    interrupted.rename(partial_dir(interrupted))
    (partial_dir(interrupted) / "image_00004.jpg").unlink()
    kept = out / "air drumming/abc_000010_000020/image_00001.jpg"
    before = kept.stat().st_mtime_ns
    rerun = run_command(args)
    assert rerun.returncode == 0, rerun.stderr
    assert "extracted 2, already complete 2, failed 0" in rerun.stdout
    assert count_frames(out / "zumba/def_000000_000010") == 7
    assert count_frames(interrupted) == 8 and not partial_dir(interrupted).exists()
    assert kept.stat().st_mtime_ns == before


def test_shards_are_disjoint_and_together_do_everything(
    kinetics_videos: Path, tmp_path: Path
) -> None:
    out = tmp_path / "jpg"
    done = []
    for shard in ("0/2", "1/2"):
        result = run_command(
            [JPGS, str(kinetics_videos), str(out), "kinetics", "--size", "64", "--quiet",
             "--shard", shard]
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        first_line = result.stdout.splitlines()[0]
        assert first_line.startswith(f"shard {shard}: ")
        done.append(int(result.stdout.split("extracted ")[1].split(",")[0]))
        assert "already complete 0" in result.stdout  # nothing of the other shard is visited
    assert sum(done) == 4
    assert {f"{p.parent.name}/{p.name}" for p in out.glob("*/*")} == set(EXPECTED)
    bad = run_command([JPGS, str(kinetics_videos), str(out), "kinetics", "--shard", "2/2"])
    assert bad.returncode == 2 and "2/2" in bad.stderr


def test_flat_activitynet_and_avi_ucf101_layouts_fps_and_failures(
    synth_dir: Path, tmp_path: Path
) -> None:
    sources = synth_videos(synth_dir)
    flat = tmp_path / "anet"
    convert(sources[0], flat / "v_abc.mp4", max_frames=12)
    (flat / "v_broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not really" * 20)
    result = run_command(
        [JPGS, str(flat), str(tmp_path / "anet_jpg"), "activitynet", "--fps", "6", "--quiet"]
    )
    assert result.returncode == 1
    assert f"FAILED {flat / 'v_broken.mp4'}: ffmpeg" in result.stdout
    assert "extracted 1, already complete 0, failed 1" in result.stdout
    assert count_frames(tmp_path / "anet_jpg" / "v_abc") == 6  # 12 frames at 12 fps -> 6 fps
    assert not (tmp_path / "anet_jpg" / "v_broken").exists()

    ucf = tmp_path / "ucf"
    convert(sources[1], ucf / "ApplyEyeMakeup" / "v_ApplyEyeMakeup_g01_c01.avi", max_frames=5)
    result = run_command(["-m", "util_scripts.generate_video_jpgs", str(ucf),
                          str(tmp_path / "ucf_jpg"), "ucf101", "--quiet"])  # fmt: skip
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "ucf_jpg" / "ApplyEyeMakeup" / "v_ApplyEyeMakeup_g01_c01"
    assert count_frames(folder) == 5
    with Image.open(folder / "image_00005.jpg") as image:
        assert image.height == 240  # the original's default --size


def test_hdf5_holds_the_same_jpegs_as_the_frame_folders(
    kinetics_videos: Path, tmp_path: Path
) -> None:
    h5py = import_h5py()
    jpg, hdf5 = tmp_path / "jpg", tmp_path / "hdf5"
    common = [str(kinetics_videos), "kinetics", "--size", "64", "--quiet"]
    assert run_command([JPGS, common[0], str(jpg), *common[1:]]).returncode == 0
    result = run_command(["-m", "util_scripts.generate_video_hdf5", common[0], str(hdf5),
                          *common[1:]])  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "extracted 4" in result.stdout
    assert {f"{p.parent.name}/{p.name}" for p in hdf5.glob("*/*")} == {
        f"{key}.hdf5" for key in EXPECTED
    }  # no frames folder or temporary file left
    for key, n_frames in EXPECTED.items():
        with h5py.File(hdf5 / f"{key}.hdf5", "r") as handle:
            video = handle["video"]
            assert video.shape == (n_frames,) and video.dtype.kind == "O"
            assert video.dtype.metadata["vlen"] == np.uint8
            for index in (0, n_frames - 1):  # entry i is image_{i+1:05d}.jpg
                frame = jpg / key / f"image_{index + 1:05d}.jpg"
                assert video[index].tobytes() == frame.read_bytes()
    rerun = run_command(["-m", "util_scripts.generate_video_hdf5", common[0], str(hdf5),
                         *common[1:]])  # fmt: skip
    assert "extracted 0, already complete 4, failed 0" in rerun.stdout


def test_missing_h5py_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'strg\[hdf5\]'"):
        import_h5py()


def test_bad_input_is_named(kinetics_videos: Path, tmp_path: Path) -> None:
    missing = run_command([JPGS, str(tmp_path / "nope"), str(tmp_path / "o"), "kinetics"])
    assert missing.returncode == 2 and str(tmp_path / "nope") in missing.stderr
    empty = tmp_path / "empty"
    (empty / "class").mkdir(parents=True)
    none = run_command([JPGS, str(empty), str(tmp_path / "o"), "hmdb51"])
    assert none.returncode == 2 and f"{empty}/<class>/*.avi" in none.stderr
    wrong = run_command([JPGS, str(kinetics_videos), str(tmp_path / "o"), "kinetcs"])
    assert wrong.returncode == 2 and "kinetcs" in wrong.stderr


def test_decoded_frame_counts_match_the_sources(kinetics_videos: Path) -> None:
    for key, n_frames in EXPECTED.items():
        assert decoded_frames(kinetics_videos / f"{key}.mp4") == n_frames
