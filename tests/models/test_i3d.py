"""I3D ResNet: the published size, res5 strides, the inflation pattern and inflation itself."""

from __future__ import annotations

import pytest
import torch
import torchvision

from strg.models import build_model
from strg.models.i3d import I3DResNet, inflate_pattern
from strg.models.inflate import inflate_from_2d, inflate_state_dict


def _n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_i3d_r50_has_the_published_28_0m_parameters() -> None:
    net = build_model("i3d", model_depth=50, n_classes=400)
    assert abs(_n_params(net) - 28.0e6) <= 0.1e6


def test_inflation_pattern_of_the_paper() -> None:
    net = I3DResNet(50)
    kernels = [
        [getattr(net, f"layer{s}")[i].conv1.kernel_size[0] for i in range(n)]
        for s, n in zip((1, 2, 3, 4), (3, 4, 6, 3), strict=True)
    ]
    assert kernels == [[3, 3, 3], [3, 1, 3, 1], [3, 1, 3, 1, 3, 1], [1, 3, 1]]
    assert all(net.layer4[i].conv2.kernel_size == (1, 3, 3) for i in range(3))
    assert net.conv1.kernel_size == (5, 7, 7) and net.conv1.stride == (1, 2, 2)
    r101 = inflate_pattern(101)
    assert len(r101[2]) == 23 and sum(r101[2]) == 12  # every other block of res4


def test_nonlocal_variant_has_five_blocks_at_the_paper_positions() -> None:
    net = I3DResNet(50, nonlocal_blocks=True)
    assert sorted(net.layer2.nl) == ["1", "3"] and sorted(net.layer3.nl) == ["1", "3", "5"]
    assert not net.layer1.nl and not net.layer4.nl
    block = net.layer2.nl["1"]
    assert block.theta.out_channels == 256 and block.bn.weight.abs().sum() == 0  # γ = 0
    clip = torch.randn(2, 3, 8, 32, 32)
    plain = I3DResNet(50).eval()
    state = {k: v for k, v in net.state_dict().items() if ".nl." not in k}
    plain.load_state_dict(state)
    with torch.no_grad():  # γ = 0: a fresh non-local block is the identity
        torch.testing.assert_close(net.eval().forward_features(clip), plain.forward_features(clip))


@torch.no_grad()
def test_res5_map_at_32x224_for_stride_1_and_2() -> None:
    clip = torch.randn(1, 3, 32, 224, 224)
    stride1 = build_model("i3d", res5_stride=1).eval()
    stride2 = build_model("i3d", res5_stride=2).eval()
    assert stride1.forward_features(clip).shape == (1, 2048, 16, 14, 14)
    assert stride2.forward_features(clip).shape == (1, 2048, 16, 7, 7)
    assert (stride1.spatial_stride, stride2.spatial_stride, stride1.temporal_stride) == (16, 32, 2)
    # Under STRG, res5 stride 1 is the default (14×14 at 224).
    assert build_model("i3d", strg=True).backbone.spatial_stride == 16


def _random_2d_resnet50(classes: int) -> torchvision.models.ResNet:
    torch.manual_seed(0)
    net = torchvision.models.resnet50(num_classes=classes)
    for m in net.modules():  # non-trivial BN statistics, so BN is part of what is compared
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.1, 0.1)
    return net.double().eval()


@torch.no_grad()
def test_inflated_network_on_identical_frames_gives_the_2d_logits() -> None:
    net2d = _random_2d_resnet50(7)
    net3d = inflate_from_2d(I3DResNet(50, n_classes=7), net2d.state_dict()).double().eval()
    frame = torch.randn(1, 3, 64, 64, dtype=torch.float64)
    clip = frame.unsqueeze(2).expand(1, 3, 40, 64, 64).contiguous()
    features = net3d.forward_features(clip)  # 1×2048×20×2×2
    # Zero temporal padding makes the border steps differ; the centre step's receptive field
    # (about ±16 frames) lies inside the clip, so there the 3D network is the 2D one.
    centre = features[:, :, 10:11]
    torch.testing.assert_close(net3d.head(centre), net2d(frame), rtol=0, atol=1e-4)
    assert not torch.allclose(features[:, :, :1], centre, atol=1e-2)  # the border does differ


def test_inflation_from_a_file_and_its_errors(tmp_path) -> None:
    net2d = torchvision.models.resnet50(num_classes=1000)
    path = tmp_path / "resnet50.pth"
    torch.save(net2d.state_dict(), path)
    net3d = inflate_from_2d(I3DResNet(50, n_classes=174, nonlocal_blocks=True), path)
    w2, w3 = net2d.layer1[0].conv1.weight, net3d.layer1[0].conv1.weight  # 64×64×1×1 → ×3×1×1
    assert w3.shape == (64, 64, 3, 1, 1)
    torch.testing.assert_close(w3.sum(dim=2), w2)  # 3 taps of w/3 sum back to w
    torch.testing.assert_close(w3[:, :, 1], w2 / 3)
    assert net3d.fc.weight.shape == (174, 2048)  # ImageNet's 1000-way fc is not forced in
    state = dict(net2d.state_dict())
    del state["layer3.2.bn1.running_var"]
    state["layer9.weight"] = torch.zeros(1)
    with pytest.raises(ValueError, match=r"layer3\.2\.bn1\.running_var.*layer9\.weight"):
        inflate_state_dict(I3DResNet(50), state)
    small = torchvision.models.resnet18().state_dict()
    with pytest.raises(ValueError, match=r"layer1\.0\.conv1\.weight: 2D \(64, 64, 3, 3\)"):
        inflate_state_dict(I3DResNet(50), small)


def test_both_temporal_pool_kernels_keep_the_reported_temporal_stride() -> None:
    clip = torch.randn(1, 3, 8, 32, 32)
    for kernel in (2, 3):
        net = I3DResNet(50, n_classes=3, temporal_pool_kernel=kernel).eval()
        with torch.no_grad():
            steps = net.forward_features(clip).shape[2]
        assert steps == 8 // net.temporal_stride == 4, kernel


def test_r101_non_local_blocks_sit_where_the_authors_code_puts_them() -> None:
    net = I3DResNet(101, nonlocal_blocks=True)
    assert sorted(map(int, net.layer2.nl)) == [1, 3]
    assert sorted(map(int, net.layer3.nl)) == [6, 13, 20]
