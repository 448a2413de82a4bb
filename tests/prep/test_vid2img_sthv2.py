"""vid2img_sthv2: every video to a complete frame folder, resumably, with clear failures."""

from __future__ import annotations

import shutil
from pathlib import Path

import av
from PIL import Image

from strg.prep.frames import SETTINGS_FILE, count_frames, partial_dir
from tests.conftest import run_command


def frame_count(video: Path) -> int:
    with av.open(str(video)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_every_video_becomes_a_folder_of_all_its_frames_at_short_side_256(
    synth_dir: Path, frames_dir: Path
) -> None:
    videos = sorted((synth_dir / "videos").glob("*.webm"))
    assert sorted(path.name for path in frames_dir.iterdir()) == sorted(
        video.stem for video in videos
    )
    for video in videos[:12]:
        folder = frames_dir / video.stem
        n_frames = frame_count(video)
        assert sorted(path.name for path in folder.iterdir()) == [
            SETTINGS_FILE,  # how it was extracted, checked on a rerun
            *(f"{index:06d}.jpg" for index in range(1, n_frames + 1)),
        ]
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            source_width, source_height = stream.codec_context.width, stream.codec_context.height
        with Image.open(folder / "000001.jpg") as image:
            assert image.height == 256  # the shorter side (the videos are landscape)
            assert abs(image.width - source_width * 256 / source_height) <= 1


def copy_videos(synth_dir: Path, destination: Path, count: int) -> list[Path]:
    destination.mkdir(parents=True)
    videos = sorted((synth_dir / "videos").glob("*.webm"))[:count]
    return [Path(shutil.copy(video, destination / video.name)) for video in videos]


def test_a_rerun_completes_an_interrupted_extraction_without_redoing_finished_folders(
    synth_dir: Path, tmp_path: Path
) -> None:
    videos = copy_videos(synth_dir, tmp_path / "videos", 4)
    frames = tmp_path / "frames"
    first = run_command(
        ["util_scripts/vid2img_sthv2.py", str(tmp_path / "videos"), str(frames), "--quiet"]
    )
    assert first.returncode == 0, first.stderr
    assert "extracted 4" in first.stdout
    # Simulate an interruption: one folder never started, one half-written in its partial folder.
    shutil.rmtree(frames / videos[0].stem)
    interrupted = frames / videos[1].stem
    interrupted.rename(partial_dir(interrupted))
    (partial_dir(interrupted) / "000003.jpg").unlink()
    kept = {
        path: (path.stat().st_ino, path.stat().st_mtime_ns)
        for video in videos[2:]
        for path in (frames / video.stem).iterdir()
    }

    rerun = run_command(
        ["-m", "util_scripts.vid2img_sthv2", str(tmp_path / "videos"), str(frames), "--quiet"]
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "extracted 2, already complete 2, failed 0" in rerun.stdout
    for video in videos:
        assert count_frames(frames / video.stem) == frame_count(video)
    assert not list(frames.glob(".*"))  # no partial folder left behind
    assert {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in kept} == kept


def test_an_unreadable_video_fails_by_name_and_the_others_are_extracted(
    synth_dir: Path, tmp_path: Path
) -> None:
    videos = copy_videos(synth_dir, tmp_path / "videos", 2)
    corrupt = tmp_path / "videos" / "999.webm"
    corrupt.write_bytes(b"\x1aE\xdf\xa3 this is not a video" * 50)
    truncated = tmp_path / "videos" / "998.webm"
    truncated.write_bytes(videos[0].read_bytes()[:300])
    frames = tmp_path / "frames"
    result = run_command(
        ["-m", "util_scripts.vid2img_sthv2", str(tmp_path / "videos"), str(frames), "--quiet"]
    )
    assert result.returncode == 1
    assert f"FAILED {corrupt}" in result.stdout and f"FAILED {truncated}" in result.stdout
    assert "extracted 2, already complete 0, failed 2" in result.stdout
    for video in videos:
        assert count_frames(frames / video.stem) == frame_count(video)
    assert not (frames / "999").exists() and not partial_dir(frames / "999").exists()


def test_file_names_are_never_read_by_a_shell(synth_dir: Path, tmp_path: Path) -> None:
    source = sorted((synth_dir / "videos").glob("*.webm"))[0]
    odd_dir = tmp_path / "vid eos 100%"
    odd_dir.mkdir()
    odd_name = '-it\'s a "$(touch PWNED)" `touch PWNED2` ;x'
    shutil.copy(source, odd_dir / f"{odd_name}.webm")
    frames = tmp_path / "fra mes $HOME %d"
    result = run_command(
        ["-m", "util_scripts.vid2img_sthv2", str(odd_dir), str(frames), "--quiet"], cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert count_frames(frames / odd_name) == frame_count(source)
    assert not list(tmp_path.rglob("PWNED*"))


def test_missing_video_directory_is_named(tmp_path: Path) -> None:
    result = run_command(
        ["-m", "util_scripts.vid2img_sthv2", str(tmp_path / "nope"), str(tmp_path / "f")]
    )
    assert result.returncode == 2 and str(tmp_path / "nope") in result.stderr


def test_a_frame_directory_that_cannot_be_created_is_named(synth_dir: Path, tmp_path: Path) -> None:
    copy_videos(synth_dir, tmp_path / "videos", 1)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a directory should be")
    result = run_command(
        ["-m", "util_scripts.vid2img_sthv2", str(tmp_path / "videos"), str(blocker / "frames")]
    )
    assert result.returncode == 2 and str(blocker / "frames") in result.stderr
