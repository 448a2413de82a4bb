"""Temporal samplers: the original's crops (with its defects fixed), segments, loop padding."""

from __future__ import annotations

import itertools

import pytest
import torch

from strg.data.temporal import (
    EvenCrop,
    SegmentSampler,
    SlidingWindow,
    TemporalCrop,
    build_temporal_sampler,
    loop_pad,
)


def g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_loop_padding_of_a_short_video() -> None:
    assert loop_pad([4, 5, 6], 8) == [4, 5, 6, 4, 5, 6, 4, 5]
    for position in ("random", "center", "begin"):
        (clip,) = TemporalCrop(8, position=position)(range(3), g())
        assert clip == [0, 1, 2, 0, 1, 2, 0, 1]
    (clip,) = TemporalCrop(4, stride=2)(range(5), g())  # frames 0, 2, 4 at stride 2
    assert clip == [0, 2, 4, 0]
    with pytest.raises(ValueError, match="empty"):
        loop_pad([], 4)


def test_centre_crop_matches_the_original() -> None:
    (clip,) = TemporalCrop(16, position="center")(range(100), g())
    assert clip == list(range(42, 58))  # 1-based 43..58, as the original
    (clip,) = TemporalCrop(32, stride=2, position="center")(range(100), g())
    assert clip == list(range(19, 82, 2))  # dense 32×2 around the centre


def test_random_crop_reaches_every_start_including_the_last() -> None:
    starts = {TemporalCrop(16)(range(20), g(seed))[0][0] for seed in range(200)}
    assert starts == set(range(5))  # 0..4: the original never drew 4
    clip = TemporalCrop(32, stride=2)(range(100), g(3))[0]
    assert len(clip) == 32 and all(b - a == 2 for a, b in itertools.pairwise(clip))
    assert TemporalCrop(16)(range(100), g(5)) == TemporalCrop(16)(range(100), g(5))


def test_even_crop_for_validation() -> None:
    clips = EvenCrop(16, 3)(range(100), g())
    assert [clip[0] for clip in clips] == [0, 42, 84] and all(len(c) == 16 for c in clips)
    assert clips[2][-1] == 99
    (short,) = EvenCrop(16, 3)(range(10), g())  # a single looped clip
    assert short == loop_pad(list(range(10)), 16)
    (single,) = EvenCrop(16, 1)(range(100), g())  # n_val_samples=1 used to divide by zero
    assert single == list(range(42, 58))
    strided = EvenCrop(8, 2, stride=2)(range(40), g())
    assert strided[0] == list(range(0, 16, 2)) and strided[1][1] - strided[1][0] == 2


def test_sliding_window_for_inference() -> None:
    clips = SlidingWindow(16, 16)(range(100), g())
    assert [clip[0] for clip in clips] == list(range(0, 100, 16))
    assert clips[-1] == loop_pad(list(range(96, 100)), 16)
    assert all(len(clip) == 16 for clip in clips)
    assert [c[0] for c in SlidingWindow(16, 0)(range(40), g())] == [0, 16, 32]


def test_segment_sampling() -> None:
    sampler = SegmentSampler(8, random=True)
    for seed in range(20):
        (clip,) = sampler(range(40), g(seed))
        assert [frame // 5 for frame in clip] == list(range(8))  # one frame per segment
    assert len({tuple(sampler(range(40), g(s))[0]) for s in range(5)}) > 1
    (centre,) = SegmentSampler(8, random=False)(range(40), g())
    assert centre == [2, 7, 12, 17, 22, 27, 32, 37]
    (short,) = SegmentSampler(8, random=False)(range(4), g())  # fewer frames than segments
    assert short == [0, 0, 1, 1, 2, 2, 3, 3]
    clips = SegmentSampler(4, random=False, n_samples=2)(range(40), g())
    assert clips == [[2, 12, 22, 32], [7, 17, 27, 37]]


def test_builder_maps_phases_and_flags() -> None:
    assert build_temporal_sampler("train", 16, train_t_crop="center") == TemporalCrop(
        16, 1, "center"
    )
    assert build_temporal_sampler("val", 16, 2, n_val_samples=1) == EvenCrop(16, 1, 2)
    assert build_temporal_sampler("inference", 8, inference_stride=4) == SlidingWindow(8, 4)
    assert build_temporal_sampler("train", 8, temporal_sampling="segment") == SegmentSampler(8)
    with pytest.raises(ValueError, match="valid: train, val, inference"):
        build_temporal_sampler("test", 16)
    with pytest.raises(ValueError, match="valid: random, center, begin"):
        build_temporal_sampler("train", 16, train_t_crop="middle")
