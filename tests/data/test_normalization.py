"""Normalisation: presets, the per-clip formula, and whole batches on any device."""

from __future__ import annotations

import pytest
import torch

import strg.data.normalization
from strg.data.normalization import Normalization, mean_std, normalize


def test_normalisation_presets() -> None:
    mean, std = mean_std("kinetics", value_scale=255)
    assert mean == pytest.approx([0.4345 * 255, 0.4051 * 255, 0.3775 * 255])
    assert std == pytest.approx([0.2768 * 255, 0.2713 * 255, 0.2737 * 255])
    assert mean_std("activitynet", no_mean_norm=True, no_std_norm=True) == ([0.0] * 3, [1.0] * 3)
    assert mean_std("0.5", n_channels=2) == ([0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="valid: kinetics"):
        mean_std("imagenet")
    video = torch.full((3, 2, 4, 4), 255, dtype=torch.uint8)
    mean, std = mean_std("kinetics")
    out = normalize(video, mean, std)
    assert out.shape == (3, 2, 4, 4) and out.dtype == torch.float32
    assert out[2, 1, 3, 3].item() == pytest.approx((1 - 0.3775) / 0.2737, rel=1e-5)
    assert out[0, 0, 0, 0].item() == pytest.approx((1 - 0.4345) / 0.2768, rel=1e-5)
    mean, std = mean_std("kinetics", value_scale=255)
    scaled = normalize(video, mean, std, value_scale=255)
    torch.testing.assert_close(scaled, out)


@pytest.mark.parametrize(
    "options",
    [
        {"mean_dataset": "kinetics"},
        {"mean_dataset": "activitynet", "value_scale": 255},
        {"mean_dataset": "0.5", "value_scale": 3.5},
        {"no_mean_norm": True},
        {"no_std_norm": True, "value_scale": 255},
        {"no_mean_norm": True, "no_std_norm": True},
        {"n_channels": 2},
    ],
)
def test_normalize_matches_the_reference_formula(
    options: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``normalize`` equals ``(x / 255 · value_scale − mean) / std`` for contiguous and
    channels-last clips (what the resize gives), into a fresh or a given output."""
    value_scale = options.get("value_scale", 1)
    mean, std = mean_std(**options)
    channels = len(mean)
    generator = torch.Generator().manual_seed(0)
    # chunks of 3 frames: 40 frames make 13 full chunks and a partial one
    monkeypatch.setattr(strg.data.normalization, "_NORMALIZE_CHUNK", 3 * 37 * 53 + 5)
    # T×H×W×C memory seen as C×T×H×W, as the collate sees a resized clip
    channels_last = torch.randint(
        0, 256, (40, 37, 53, channels), dtype=torch.uint8, generator=generator
    )
    for video in (
        channels_last.permute(3, 0, 1, 2),
        channels_last.permute(3, 0, 1, 2).contiguous(),
    ):
        expected = (
            video.double() / 255 * value_scale
            - torch.tensor(mean, dtype=torch.float64).view(-1, 1, 1, 1)
        ) / torch.tensor(std, dtype=torch.float64).view(-1, 1, 1, 1)
        out = normalize(video, mean, std, value_scale)
        assert out.dtype == torch.float32 and out.shape == video.shape and out.is_contiguous()
        torch.testing.assert_close(out.double(), expected, rtol=1e-6, atol=1e-5)
        batch = torch.full((2, *video.shape), float("nan"))
        assert (
            normalize(video, mean, std, value_scale, out=batch[1]).data_ptr() == batch[1].data_ptr()
        )
        assert torch.equal(batch[1], out) and batch[0].isnan().all()
    with pytest.raises(ValueError, match="must be"):
        normalize(channels_last, mean, std)
    with pytest.raises(ValueError, match="out must be"):
        normalize(video, mean, std, out=torch.empty(video.shape, dtype=torch.float64))


def test_batches_normalise_like_clips_with_numpy_or_torch() -> None:
    """A batch normalises clip by clip as :func:`normalize` does; the torch path (used on a GPU)
    gives the same float32 values bit for bit."""
    generator = torch.Generator().manual_seed(1)
    frames = torch.randint(0, 256, (3, 3, 5, 17, 19), dtype=torch.uint8, generator=generator)
    mean, std = mean_std("activitynet", value_scale=255)
    normalization = Normalization(tuple(mean), tuple(std), 255)
    out = normalization(frames)
    assert out.dtype == torch.float32 and out.shape == frames.shape and out.is_contiguous()
    for row in range(3):
        assert torch.equal(out[row], normalize(frames[row], mean, std, 255))
    assert torch.equal(strg.data.normalization.normalize_with_torch(frames, mean, std, 255), out)
    with pytest.raises(ValueError, match="B×C×T×H×W uint8"):
        normalization(frames.float())
    with pytest.raises(ValueError, match="B×C×T×H×W uint8"):
        normalization(frames[0])
