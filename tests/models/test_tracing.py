"""The STRG head under torch.compile: no graph breaks, the eager outputs, the eager checks kept."""

from __future__ import annotations

import pytest
import torch
from torchvision.ops import roi_align

from strg.models import build_model
from strg.models.graphs import iou_graphs
from strg.models.region_features import region_features
from tests.models.conftest import random_boxes

#: r3d-10 without the max pool on 16×32² clips: T' = 2 feature steps, N = 3 boxes per step.
STEPS, NROIS, SIZE = 2, 3, 32


def _tiny_strg() -> torch.nn.Module:
    torch.manual_seed(0)
    model = build_model(
        "resnet", strg=True, model_depth=10, n_classes=5, no_max_pool=True, nrois=NROIS,
        reduce_dim=16, gcn_layers=1, zero_init_graph=False,
    )  # fmt: skip
    return model.eval()


def _inputs(batch: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    clip = torch.randn(batch, 3, 16, SIZE, SIZE, generator=generator)
    boxes = random_boxes(batch, STEPS, NROIS, SIZE, generator)
    boxes[:, 1] = boxes[:, 0] + 1.0  # step 1 overlaps step 0: the IoU graphs have edges
    valid = torch.ones(batch, STEPS, NROIS, dtype=torch.bool)
    valid[-1, -1, 1:] = False
    boxes[~valid] = float("nan")  # padding may hold anything
    return clip, boxes, valid


def test_masked_region_features_equal_selecting_the_valid_boxes(
    generator: torch.Generator,
) -> None:
    """The masked path gives bit for bit what the former ``boxes[valid]`` selection gave."""
    b, d, steps, n = 2, 4, 3, 5
    features = torch.randn(b, d, steps, 8, 8, generator=generator)
    boxes = random_boxes(b, steps, n, 64, generator)
    valid = torch.rand(b, steps, n, generator=generator) > 0.4
    boxes[~valid] = float("nan")
    index = torch.arange(b * steps).view(b, steps, 1).expand(b, steps, n)
    rois = torch.cat([index[valid].unsqueeze(1).float(), boxes[valid]], dim=1)
    pooled = roi_align(features.permute(0, 2, 1, 3, 4).reshape(b * steps, d, 8, 8), rois, 7,
                       1 / 8, sampling_ratio=-1, aligned=True).amax(dim=(2, 3))  # fmt: skip
    expected = torch.zeros(b * steps * n, d)
    expected[valid.reshape(-1)] = pooled
    nodes = region_features(features, boxes, valid, spatial_scale=1 / 8)
    assert torch.equal(nodes, expected.view(b, steps * n, d))
    # The IoU graphs of a batch, built in one vmap, are those of each clip alone.
    boxes = boxes.nan_to_num(0.0)
    together = iou_graphs(boxes, valid)
    alone = [iou_graphs(boxes[i : i + 1], valid[i : i + 1]) for i in range(b)]
    for graph, per_clip in zip(together, zip(*alone, strict=True), strict=True):
        assert torch.equal(graph, torch.cat(per_clip))
    assert together[0].count_nonzero() > 0


def test_strg_and_backbone_compile_without_graph_breaks() -> None:
    model = _tiny_strg()
    explained = torch._dynamo.explain(model)(*_inputs(2, 0))
    assert explained.graph_break_count == 0, [r.reason for r in explained.break_reasons]
    assert explained.graph_count == 1
    backbone = build_model("resnet", model_depth=10, n_classes=5).eval()
    explained = torch._dynamo.explain(backbone)(torch.randn(2, 3, 16, SIZE, SIZE))
    assert explained.graph_break_count == 0, [r.reason for r in explained.break_reasons]


def test_compiled_strg_equals_eager_and_eager_still_checks_boxes() -> None:
    model = _tiny_strg()
    # aot_eager records the graph as inductor would (dynamo + AOT autograd) without compiling
    # C++ kernels, which costs tens of seconds on this CPU.
    compiled = torch.compile(model, backend="aot_eager", fullgraph=True)
    with torch.no_grad():
        for batch, seed in ((2, 0), (3, 1)):
            inputs = _inputs(batch, seed)
            want = model(*inputs)
            assert torch.isfinite(want).all()
            torch.testing.assert_close(compiled(*inputs), want, atol=1e-4, rtol=0)
        # the boxes are an input of the graph, not a constant of it
        clip, boxes, valid = _inputs(2, 0)
        moved = boxes.clone()
        moved[0, :, 0] += 4.0
        assert (compiled(clip, moved, valid) - compiled(clip, boxes, valid)).abs().max() > 1e-4
    bad = boxes.clone()
    bad[0, 0, 0] = torch.tensor([20.0, 20.0, 4.0, 4.0])
    with pytest.raises(ValueError, match=r"x1 <= x2 and y1 <= y2.*\[20\.0, 20\.0, 4\.0, 4\.0\]"):
        model(clip, bad, valid)
