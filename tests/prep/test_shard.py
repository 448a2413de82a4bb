"""--shard I/N: disjoint, deterministic shares that together cover everything."""

from __future__ import annotations

import pytest

from strg.prep.shard import Shard, parse_shard, select, shard_of

KEYS = [f"class {k % 7}/video_{k:05d}" for k in range(500)] + ["Ünïcødé 動画", "a b"]


@pytest.mark.parametrize("count", [1, 2, 3, 8])
def test_shares_are_disjoint_cover_everything_and_keep_order(count: int) -> None:
    shares = [select(KEYS, Shard(index, count), key=str) for index in range(count)]
    assert sorted(key for share in shares for key in share) == sorted(KEYS)
    assert sum(len(share) for share in shares) == len(KEYS)
    for share in shares:
        assert share == [key for key in KEYS if key in set(share)]  # original order
        if count > 1:
            assert len(share) > len(KEYS) / count / 2  # roughly balanced


def test_the_assignment_depends_only_on_the_key() -> None:
    # sha1-based: the same in every process and on every machine (unlike hash()).
    assert shard_of("abc", 4) == int("a9993e364706816a", 16) % 4
    assert select(list(reversed(KEYS)), Shard(1, 3), key=str) == list(
        reversed(select(KEYS, Shard(1, 3), key=str))
    )


def test_parse_and_errors() -> None:
    assert parse_shard("0/4") == Shard(0, 4) and str(parse_shard("3/4")) == "3/4"
    for bad in ["4/4", "-1/2", "1", "a/b", "1/0", ""]:
        with pytest.raises(ValueError, match="shard"):
            parse_shard(bad)


def test_vid2img_sthv2_shards_split_the_videos(synth_dir, tmp_path) -> None:
    import shutil

    from tests.conftest import run_command

    videos = tmp_path / "videos"
    videos.mkdir()
    for video in sorted((synth_dir / "videos").glob("*.webm"))[:4]:
        shutil.copy(video, videos / video.name)
    frames = tmp_path / "frames"
    counts = []
    for shard in ("0/2", "1/2"):
        result = run_command(["-m", "util_scripts.vid2img_sthv2", str(videos), str(frames),
                              "--size", "32", "--quiet", "--shard", shard])  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "already complete 0" in result.stdout
        counts.append(int(result.stdout.split("extracted ")[1].split(",")[0]))
    assert sum(counts) == 4 and sorted(p.name for p in frames.iterdir()) == sorted(
        video.stem for video in videos.iterdir()
    )
