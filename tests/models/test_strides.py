"""Stage strides of the 3D-ResNet family: map shapes, reported strides, keys, RoIAlign's scale."""

from __future__ import annotations

import math

import pytest
import torch

from strg.models import preresnet, resnet, resnet2p1d, resnext, wideresnet
from strg.models.region_features import region_features
from strg.models.strg import STRG
from tests.models.conftest import random_boxes

#: The recipe's finer map: T' = 8 and 7×7 at 16×56² without max pool.
FINE = {"temporal_strides": (1, 2, 1, 1), "spatial_strides": (1, 2, 2, 1)}
#: The same map, time halved in layer4 instead of layer2: 2.0x the default backbone FLOPs, not 1.7x.
LATE = {"temporal_strides": (1, 1, 1, 2), "spatial_strides": (1, 2, 2, 1)}


def _r3d10(**options) -> resnet.ResNet:
    torch.manual_seed(0)
    return resnet.generate_model(10, n_classes=4, widen_factor=0.5, **options)


@pytest.mark.parametrize(
    ("options", "shape", "temporal_stride", "spatial_stride"),
    [
        ({"no_max_pool": True}, (2, 4, 4), 8, 16),  # today's recipe: the map issue #12 names
        ({"no_max_pool": True, **FINE}, (8, 7, 7), 2, 8),
        ({"no_max_pool": True, **LATE}, (8, 7, 7), 2, 8),
        ({"max_pool_t_stride": 1, "temporal_strides": (1, 1, 2, 2)}, (4, 2, 2), 4, 32),
        ({}, (1, 2, 2), 16, 32),  # the default with its max pool: T' = 1 at 16 frames
    ],
)
def test_map_shape_and_reported_strides_at_16x56(
    options: dict, shape: tuple, temporal_stride: int, spatial_stride: int
) -> None:
    net = _r3d10(**options).eval()
    with torch.no_grad():
        features = net.forward_features(torch.randn(1, 3, 16, 56, 56))
    assert features.shape[2:] == shape
    assert (net.temporal_stride, net.spatial_stride) == (temporal_stride, spatial_stride)
    # One cell per stride, rounded up as the padded strided convs do.
    assert shape == (math.ceil(16 / temporal_stride), *(2 * (math.ceil(56 / spatial_stride),)))


@pytest.mark.parametrize(
    ("module", "depth", "extra"),
    [
        (resnet, 10, {"shortcut_type": "A"}),
        (preresnet, 10, {}),
        (resnet2p1d, 10, {}),
        (wideresnet, 50, {"k": 1}),
        (resnext, 50, {"cardinality": 8}),
    ],
)
def test_every_family_takes_the_strides_and_keeps_its_keys(module, depth, extra) -> None:
    with torch.device("meta"):
        default = module.generate_model(depth, n_classes=4, **extra)
        fine = module.generate_model(depth, n_classes=4, no_max_pool=True, **FINE, **extra)
    # Strides move within convs whose weights do not depend on them: a checkpoint of the
    # default layout loads into the finer one.
    shapes = {k: v.shape for k, v in default.state_dict().items()}
    assert {k: v.shape for k, v in fine.state_dict().items()} == shapes
    torch.manual_seed(0)
    fine = module.generate_model(depth, n_classes=4, no_max_pool=True, **FINE, **extra).eval()
    with torch.no_grad():
        features = fine.forward_features(torch.randn(1, 3, 8, 32, 32))
    assert (fine.temporal_stride, fine.spatial_stride) == (2, 8)
    assert features.shape[2:] == (4, 4, 4)


def test_bad_strides_are_named() -> None:
    with pytest.raises(ValueError, match=r"temporal_strides must be 4 strides.*\(1, 2, 2\)"):
        _r3d10(temporal_strides=(1, 2, 2))
    with pytest.raises(ValueError, match=r"spatial_strides must be 4 strides.*\(1, 3, 2, 2\)"):
        _r3d10(spatial_strides=(1, 3, 2, 2))
    with pytest.raises(ValueError, match="max_pool_t_stride must be 1 or 2, got 4"):
        _r3d10(max_pool_t_stride=4)


def test_roialign_scale_follows_the_strides() -> None:
    backbone = _r3d10(no_max_pool=True, **FINE)
    model = STRG(backbone, n_classes=4, nrois=2, reduce_dim=8).eval()
    assert model.spatial_scale == 1 / 8 == 1 / backbone.spatial_stride
    generator = torch.Generator().manual_seed(0)
    clip = torch.randn(1, 3, 16, 56, 56, generator=generator)
    boxes = random_boxes(1, 8, 2, 56, generator)  # one box set per feature step: T' = 8
    valid = torch.ones(1, 8, 2, dtype=torch.bool)
    with torch.no_grad():
        assert model(clip, boxes, valid).shape == (1, 4)
    # A 7×7 map whose cells hold their centres' input-pixel x, (i + 0.5) · 8: at the backbone's
    # scale RoIAlign reads back a box's pixels (the max over the grid: its last bin's centre).
    centres = (torch.arange(7.0) + 0.5) * 8
    ramp = centres.view(1, 1, 1, 1, 7).expand(1, 1, 8, 7, 7)
    box = torch.tensor([8.0, 4.0, 36.0, 50.0]).expand(1, 8, 1, 4)
    nodes = region_features(ramp, box, torch.ones(1, 8, 1, dtype=torch.bool), model.spatial_scale)
    torch.testing.assert_close(nodes, torch.full((1, 8, 1), 8 + 6.5 * 28 / 7))
