"""The STRG head: RoIAlign values, graphs, GCN, gradients, padding and input checks."""

from __future__ import annotations

import pytest
import torch

from strg.models import build_model
from strg.models.gcn import GraphConvolutionStack
from strg.models.graphs import SimilarityGraph, iou_graphs
from strg.models.region_features import region_features
from strg.models.strg import STRG
from tests.models.conftest import random_boxes


def _ramp(stride: int, size: int, steps: int = 2) -> torch.Tensor:
    """``1×2×T'×h×w`` map whose cells hold the input-pixel x (channel 0) and y (channel 1) of
    their centres, ``(i + 0.5) · stride``: RoIAlign at the right scale then reads back pixels."""
    cells = size // stride
    centres = (torch.arange(cells, dtype=torch.float32) + 0.5) * stride
    x = centres.view(1, cells).expand(cells, cells)
    return torch.stack([x, x.t()]).unsqueeze(1).expand(2, steps, cells, cells).unsqueeze(0)


def _expected_max(lo: float, hi: float, bins: int = 7) -> float:
    # A linear map averaged over a bin is its value at the bin centre; the max is the last bin.
    return lo + (bins - 0.5) * (hi - lo) / bins


def test_roialign_of_a_ramp_reads_back_pixel_coordinates() -> None:
    features = _ramp(stride=16, size=224)
    boxes = torch.tensor([[[[40.0, 60.0, 120.0, 100.0]], [[100.0, 30.0, 150.0, 180.0]]]])
    valid = torch.ones(1, 2, 1, dtype=torch.bool)
    nodes = region_features(features, boxes, valid, spatial_scale=1 / 16)
    assert nodes.shape == (1, 2, 2)
    expected = torch.tensor(
        [
            [_expected_max(40, 120), _expected_max(60, 100)],
            [_expected_max(100, 150), _expected_max(30, 180)],
        ]
    )
    torch.testing.assert_close(nodes[0], expected, atol=1e-3, rtol=0)
    # The previous attempt's 1/8 on a stride-16 map reads the wrong place.
    wrong = region_features(features, boxes, valid, spatial_scale=1 / 8)
    assert (wrong[0] - expected).abs().max() > 10


@pytest.mark.parametrize(
    ("options", "stride"), [({"res5_stride": 1}, 16), ({"res5_stride": 2}, 32)]
)
def test_region_test_holds_on_backbones_of_stride_16_and_32(options: dict, stride: int) -> None:
    model = build_model("i3d", strg=True, n_classes=3, reduce_dim=8, **options)
    assert model.spatial_scale == 1 / stride  # read from the backbone, never set by hand
    with torch.no_grad():
        size = model.backbone.forward_features(torch.randn(1, 3, 4, 128, 128)).shape[-1]
    assert size == 128 // stride
    features = _ramp(stride, 224)
    boxes = torch.tensor([[[[50.0, 70.0, 170.0, 150.0]], [[64.0, 64.0, 160.0, 192.0]]]])
    valid = torch.ones(1, 2, 1, dtype=torch.bool)
    nodes = region_features(features, boxes, valid, model.spatial_scale, model.roi_output_size)
    expected = torch.tensor(
        [
            [_expected_max(50, 170), _expected_max(70, 150)],
            [_expected_max(64, 160), _expected_max(64, 192)],
        ]
    )
    torch.testing.assert_close(nodes[0], expected, atol=1e-3, rtol=0)


def test_iou_graphs_on_hand_built_boxes() -> None:
    # Two steps, two boxes each. Step 0: A = [0,0,10,10], B = [20,20,30,30].
    # Step 1: C = [0,0,10,5] (IoU(A,C) = 0.5), D = [5,0,15,10] (IoU(A,D) = 50/150 = 1/3).
    boxes = torch.tensor(
        [[[[0, 0, 10, 10], [20, 20, 30, 30]], [[0, 0, 10, 5], [5, 0, 15, 10]]]], dtype=torch.float32
    )
    valid = torch.ones(1, 2, 2, dtype=torch.bool)
    forward, backward = iou_graphs(boxes, valid)
    # Nodes: 0 = A, 1 = B, 2 = C, 3 = D.
    expected_forward = torch.zeros(4, 4)
    expected_forward[0, 2], expected_forward[0, 3] = 0.5 / (0.5 + 1 / 3), (1 / 3) / (0.5 + 1 / 3)
    torch.testing.assert_close(forward[0], expected_forward)  # B overlaps nothing: zero row
    expected_backward = torch.zeros(4, 4)
    expected_backward[2, 0] = expected_backward[3, 0] = 1.0  # C and D each only reach A
    torch.testing.assert_close(backward[0], expected_backward)
    # Rows sum to 1 or 0; nothing within a step.
    for graph in (forward[0], backward[0]):
        sums = graph.sum(dim=1)
        assert torch.all((sums - 1).abs().lt(1e-6) | sums.eq(0))
        assert graph[:2, :2].abs().sum() == 0 and graph[2:, 2:].abs().sum() == 0

    # Padding D: its row and column vanish and A's row renormalises onto C alone.
    valid[0, 1, 1] = False
    forward, backward = iou_graphs(boxes, valid)
    assert forward[0, 3].abs().sum() == 0 and forward[0, :, 3].abs().sum() == 0
    assert backward[0, 3].abs().sum() == 0 and backward[0, :, 3].abs().sum() == 0
    assert forward[0, 0, 2] == 1.0
    # A threshold removes the weaker edge.
    valid[0, 1, 1] = True
    forward, _ = iou_graphs(boxes, valid, threshold=0.4)
    assert forward[0, 0, 2] == 1.0 and forward[0, 0, 3] == 0


def test_zero_area_padding_boxes_do_not_make_nans() -> None:
    boxes = torch.zeros(1, 3, 2, 4)
    boxes[0, :, 0] = torch.tensor([0.0, 0.0, 10.0, 10.0])
    valid = torch.tensor([[[True, False]] * 3])
    forward, backward = iou_graphs(boxes, valid)
    assert torch.isfinite(forward).all() and torch.isfinite(backward).all()
    assert forward[0, 0, 2] == 1.0 and forward[0].sum() == 2.0


def test_similarity_rows_sum_to_one_over_valid_nodes(generator: torch.Generator) -> None:
    graph = SimilarityGraph(16)
    x = torch.randn(2, 6, 16, generator=generator)
    valid = torch.tensor([[True] * 6, [True, False, True, True, False, False]])
    g = graph(x, valid)
    sums = g.sum(dim=-1)
    torch.testing.assert_close(sums[valid], torch.ones(int(valid.sum())))
    assert g[1][~valid[1]].abs().sum() == 0  # padded rows
    assert g[1][:, ~valid[1]].abs().sum() == 0  # padded columns
    # W and W' are trained: the graph is not detached.
    g[1, 0, 2].backward()
    assert graph.theta.weight.grad.abs().sum() > 0 and graph.phi.weight.grad.abs().sum() > 0


def test_gcn_is_permutation_equivariant(generator: torch.Generator) -> None:
    torch.manual_seed(0)
    gcn = GraphConvolutionStack(8, n_graphs=2, layers=3, residual=True)
    x = torch.randn(1, 5, 8, generator=generator)
    graphs = [torch.rand(1, 5, 5, generator=generator) for _ in range(2)]
    valid = torch.tensor([[True, True, False, True, True]])
    perm = torch.tensor([3, 0, 4, 2, 1])
    out = gcn(x, graphs, valid)
    permuted = gcn(x[:, perm], [g[:, perm][:, :, perm] for g in graphs], valid[:, perm])
    torch.testing.assert_close(permuted, out[:, perm])
    assert out[0, 2].abs().sum() == 0  # padded node stays zero


def _strg_inputs(generator, batch=2, steps=4, n=3, size=64, frames=8):
    clip = torch.randn(batch, 3, frames, size, size, generator=generator)
    boxes = random_boxes(batch, steps, n, size, generator)
    valid = torch.ones(batch, steps, n, dtype=torch.bool)
    valid[1, -1, 1:] = False
    return clip, boxes, valid


def _strg_i3d(**head) -> STRG:
    """``i3d_strg`` with head options build_model does not pass on (yet)."""
    return STRG(build_model("i3d", res5_stride=1, n_classes=5), n_classes=5, **head)


def test_every_strg_parameter_gets_a_gradient(generator: torch.Generator) -> None:
    torch.manual_seed(0)
    # A random graph half of fc: the graph path gets a gradient in the very first step (with the
    # default zero graph half it does from the second on, see test_head_training.py).
    model = _strg_i3d(nrois=3, reduce_dim=32, zero_init_graph=False)
    clip, boxes, valid = _strg_inputs(generator)
    # Boxes of step t+1 overlap those of step t, so the spatial-temporal graphs have edges.
    boxes[:, 1:] = boxes[:, :1] + 2.0
    model(clip, boxes, valid).logsumexp(dim=1).sum().backward()
    dead = [n for n, p in model.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert dead == []
    assert model.similarity.theta.weight.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "options",
    [
        {"fusion": "layer"},
        {"graphs": ("similarity",)},
        {"graphs": ("spatial_temporal",), "use_global": False},
        {"residual": True, "gcn_layers": 1},
    ],
)
def test_ablation_switches(options: dict, generator: torch.Generator) -> None:
    model = build_model("i3d_strg", n_classes=5, reduce_dim=16, **options).eval()
    clip, boxes, valid = _strg_inputs(generator)
    with torch.no_grad():
        assert model(clip, boxes, valid).shape == (2, 5)
    assert model.fc.in_features == (16 if options.get("use_global") is False else 32)
    assert (model.similarity is None) == (
        "similarity" not in options.get("graphs", ("similarity",))
    )


def test_padded_boxes_take_part_in_nothing(generator: torch.Generator) -> None:
    # A zero graph half of fc would hide the graph path from the logits altogether.
    model = _strg_i3d(reduce_dim=16, zero_init_graph=False).eval()
    clip, boxes, valid = _strg_inputs(generator)
    with torch.no_grad():
        before = model(clip, boxes, valid)
        moved = boxes.clone()
        moved[~valid] = torch.tensor([1.0, 2.0, 60.0, 63.0])  # anything at all
        torch.testing.assert_close(model(clip, moved, valid), before)
        # Reordering the boxes within each step leaves the logits unchanged.
        perm = torch.tensor([2, 0, 1])
        torch.testing.assert_close(model(clip, boxes[:, :, perm], valid[:, :, perm]), before)


def test_resnet_strg_alias_runs_on_a_3d_resnet(generator: torch.Generator) -> None:
    model = build_model("resnet_strg", model_depth=10, n_classes=4, nrois=3, reduce_dim=16)
    assert model.spatial_scale == 1 / 32 and not hasattr(model.backbone.fc, "weight")
    clip, boxes, valid = _strg_inputs(generator, steps=2, frames=32)
    assert model(clip, boxes, valid).shape == (2, 4)


def test_bad_shapes_and_box_layouts_are_named(generator: torch.Generator) -> None:
    model = build_model("i3d_strg", n_classes=5, nrois=3, reduce_dim=16)
    clip, boxes, valid = _strg_inputs(generator)
    with pytest.raises(ValueError, match=r"T'=3 steps .* feature map has T'=4"):
        model(clip, boxes[:, :3], valid[:, :3])
    with pytest.raises(ValueError, match=r"B×T'×N×4.*\(2, 12, 4\)"):
        model(clip, boxes.flatten(1, 2), valid)
    with pytest.raises(ValueError, match=r"N=2, nrois=3"):
        model(clip, boxes[:, :, :2], valid[:, :, :2])
    with pytest.raises(ValueError, match=r"bool B×T'×N mask.*torch.float32"):
        model(clip, boxes, valid.float())
    xywh = boxes.clone()
    xywh[..., 2:] = boxes[..., 2:] - boxes[..., :2]  # widths, not corners
    xywh[0, 0, 0] = torch.tensor([30.0, 30.0, 5.0, 5.0])
    with pytest.raises(ValueError, match=r"x1 <= x2 and y1 <= y2.*\[30\.0, 30\.0, 5\.0, 5\.0\]"):
        model(clip, xywh, valid)
    with pytest.raises(ValueError, match=r"B×C×T×H×W.*\(3, 8, 64, 64\)"):
        model(clip[0], boxes, valid)
    with pytest.raises(ValueError, match="graphs must be"):
        build_model("i3d_strg", graphs=("iou",))
