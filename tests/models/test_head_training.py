"""How a fresh STRG head starts and trains: the stage-1 logits, gradients, groups, warnings."""

from __future__ import annotations

import warnings

import pytest
import torch

from strg.models import resnet
from strg.models.gcn import GraphConvolutionStack
from strg.models.graphs import SimilarityGraph, iou_graphs
from strg.models.i3d import I3DResNet
from strg.models.region_features import clips_without_boxes, region_features
from strg.models.strg import STRG, NoSpatialTemporalEdgesWarning
from tests.models.conftest import random_boxes


def _r3d10(**options) -> resnet.ResNet:
    """r3d-10 at half width without max pool: 16 frames give T' = 2."""
    torch.manual_seed(0)
    return resnet.generate_model(10, n_classes=4, widen_factor=0.5, no_max_pool=True, **options)


def _inputs(generator, steps: int = 2, frames: int = 16, size: int = 32, n: int = 3):
    clip = torch.randn(2, 3, frames, size, size, generator=generator)
    boxes = random_boxes(2, steps, n, size, generator)
    boxes[:, 1:] = boxes[:, :1] + 1.0  # step t+1 overlaps step t: the IoU graphs have edges
    valid = torch.ones(2, steps, n, dtype=torch.bool)
    valid[1, -1, 1:] = False
    return clip, boxes, valid


def test_similarity_logits_are_the_papers_unless_scaled(generator: torch.Generator) -> None:
    graph = SimilarityGraph(8)
    x = torch.randn(1, 5, 8, generator=generator)
    valid = torch.ones(1, 5, dtype=torch.bool)
    logits = graph.theta(x) @ graph.phi(x).transpose(1, 2)  # (W x_i)ᵀ (W' x_j), no 1/√D
    torch.testing.assert_close(graph(x, valid), logits.softmax(dim=-1))
    scaled = SimilarityGraph(8, scale=True)
    scaled.load_state_dict(graph.state_dict())
    torch.testing.assert_close(scaled(x, valid), (logits / 8**0.5).softmax(dim=-1))
    head = STRG(_r3d10(), n_classes=4, reduce_dim=16, similarity_scale=True)
    assert head.similarity.scale == 16**-0.5
    assert STRG(_r3d10(), n_classes=4, reduce_dim=16).similarity.scale == 1.0


def test_gcn_weights_are_drawn_with_the_given_std() -> None:
    torch.manual_seed(0)
    drawn = GraphConvolutionStack(64, n_graphs=2, layers=2, init_std=0.001)
    stds = [w.weight.std().item() for layer in drawn.layers for w in layer.weights]
    assert all(abs(s - 0.001) < 1e-4 for s in stds)
    default = GraphConvolutionStack(64, n_graphs=1, layers=1)  # nn.Linear: U(±1/√D)
    assert default.layers[0].weights[0].weight.std() > 0.03
    head = STRG(_r3d10(), n_classes=4, reduce_dim=64)
    assert abs(head.gcn_similarity.layers[0].weights[0].weight.std().item() - 0.001) < 1e-4


def test_a_fresh_head_starts_as_its_global_branch(generator: torch.Generator) -> None:
    model = STRG(_r3d10(), n_classes=4, nrois=3, reduce_dim=16).eval()
    assert model.fc.weight[:, :16].abs().sum() == 0 and model.fc.weight[:, 16:].abs().sum() > 0
    clip, boxes, valid = _inputs(generator)
    with torch.no_grad():
        before = model(clip, boxes, valid)
        elsewhere = random_boxes(2, 2, 3, 32, generator)  # other boxes: other graph features
        torch.testing.assert_close(model(clip, elsewhere, valid), before, rtol=0, atol=0)


@pytest.mark.parametrize("global_from_backbone", [False, True])
def test_with_a_zero_graph_half_every_parameter_gets_a_gradient_from_step_two(
    global_from_backbone: bool, generator: torch.Generator
) -> None:
    model = STRG(
        _r3d10(), n_classes=4, nrois=3, reduce_dim=16, global_from_backbone=global_from_backbone
    )
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    clip, boxes, valid = _inputs(generator)
    labels = torch.tensor([0, 3])
    dead_by_step = []
    for _ in range(2):
        optimiser.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(clip, boxes, valid), labels).backward()
        dead_by_step.append(
            {n for n, p in model.named_parameters() if p.grad is None or p.grad.abs().sum() == 0}
        )
        optimiser.step()
    # Step 1: the zero graph half of fc stops the gradient to the graph path behind it (and to
    # the reduction, when the global half does not read it), but the graph half itself learns.
    graph_path = ("similarity.", "gcn_") + (("reduce.",) if global_from_backbone else ())
    expected = {n for n, _ in model.named_parameters() if n.startswith(graph_path)}
    assert dead_by_step[0] == expected
    # Step 2: the graph half is no longer zero, and everything trains, W and W' included.
    assert dead_by_step[1] == set()
    assert model.similarity.theta.weight.grad.abs().sum() > 0
    assert model.similarity.phi.weight.grad.abs().sum() > 0


def _zero_graph_half_strg_from(stage1: torch.nn.Module, backbone: torch.nn.Module) -> STRG:
    model = STRG(backbone, n_classes=4, nrois=3, reduce_dim=16, global_from_backbone=True)
    model.load_backbone_state_dict(stage1.state_dict(), keep_classifier=True)
    return model.eval()


@pytest.mark.parametrize("family", ["resnet", "i3d"])
def test_a_zero_graph_half_head_gives_the_stage1_logits(
    family: str, generator: torch.Generator
) -> None:
    if family == "resnet":
        stage1, backbone = _r3d10(), _r3d10()
        clip, boxes, valid = _inputs(generator)  # 16×32²: map 2×2×2
    else:
        torch.manual_seed(0)
        stage1, backbone = (I3DResNet(50, n_classes=4, res5_stride=1) for _ in range(2))
        clip, boxes, valid = _inputs(generator, frames=4)  # 4×32²: map 2×2×2
    with torch.no_grad():  # a stage-1 classifier that is not the fresh one STRG would draw
        stage1.fc.weight.normal_(generator=generator)
        stage1.fc.bias.normal_(generator=generator)
    model = _zero_graph_half_strg_from(stage1, backbone)
    with torch.no_grad():
        expected = stage1.eval()(clip)
        logits = model(clip, boxes, valid)
        graph = model.graph_feature(
            region_features(
                model.reduce(model.backbone.forward_features(clip)),
                boxes,
                valid,
                model.spatial_scale,
            ),
            boxes,
            valid,
        )
    assert graph.abs().sum() > 0  # the graph path computes something; fc's graph half is zero
    # Same pooling op, same classifier, + 0: bit-identical on the CPU; allow BLAS reordering.
    torch.testing.assert_close(logits, expected, rtol=1e-6, atol=1e-6)


def test_a_stage1_classifier_must_fit_the_global_half(generator: torch.Generator) -> None:
    stage1 = _r3d10()
    fresh = STRG(_r3d10(), n_classes=4, reduce_dim=16)
    with pytest.raises(ValueError, match="global_from_backbone=True"):
        fresh.load_backbone_state_dict(stage1.state_dict(), keep_classifier=True)
    model = STRG(_r3d10(), n_classes=5, reduce_dim=16, global_from_backbone=True)
    with pytest.raises(ValueError, match=r"weight \(4, 256\).*K×C = \(5, 256\)"):
        model.load_backbone_state_dict(stage1.state_dict(), keep_classifier=True)
    headless = {k: v for k, v in stage1.state_dict().items() if not k.startswith("fc.")}
    with pytest.raises(ValueError, match=r"no one classifier weight and bias in \[\]"):
        model.load_backbone_state_dict(headless, keep_classifier=True)
    model.load_backbone_state_dict(headless)  # without keep_classifier the classifier is optional
    with pytest.raises(ValueError, match="needs use_global"):
        STRG(_r3d10(), n_classes=4, use_global=False, global_from_backbone=True)


def test_parameter_groups_partition_backbone_and_head() -> None:
    model = STRG(_r3d10(), n_classes=4, reduce_dim=16, global_from_backbone=True)
    head, backbone = model.head_parameters(), model.backbone_parameters()
    ids = [id(p) for p in head + backbone]
    assert len(ids) == len(set(ids)) == len(list(model.parameters()))
    assert {id(p) for p in model.backbone.parameters()} == {id(p) for p in backbone}
    assert {id(p) for p in (model.fc.weight, model.reduce.weight)} <= {id(p) for p in head}

    frozen = next(iter(model.backbone.parameters()))
    frozen.requires_grad_(False)  # as --ft_begin_module freezes the early layers
    groups = model.parameter_groups(learning_rate=0.01, head_lr_multiplier=10.0)
    assert [(g["name"], g["lr"]) for g in groups] == [("backbone", 0.01), ("head", 0.1)]
    assert [len(g["params"]) for g in groups] == [len(backbone) - 1, len(head)]
    optimiser = torch.optim.SGD(groups, lr=0.01)
    assert [g["lr"] for g in optimiser.param_groups] == [0.01, 0.1]


def test_a_single_feature_step_warns_once_and_its_branch_is_zero(
    generator: torch.Generator,
) -> None:
    torch.manual_seed(0)
    # With its max pool, a 3D ResNet at 16 frames has T' = 1.
    backbone = resnet.generate_model(10, n_classes=4, widen_factor=0.5)
    model = STRG(backbone, n_classes=4, nrois=3, reduce_dim=16).eval()
    clip, boxes, valid = _inputs(generator, steps=1)
    with torch.no_grad(), pytest.warns(NoSpatialTemporalEdgesWarning, match=r"T'=1.*stride 16"):
        model(clip, boxes, valid)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("error")
        model(clip, boxes, valid)  # once per model
        nodes = region_features(
            model.reduce(model.backbone.forward_features(clip)), boxes, valid, model.spatial_scale
        )
        branch = model.gcn_spatial_temporal(nodes, list(iou_graphs(boxes, valid)), valid[:, 0])
    assert nodes.abs().sum() > 0 and branch.abs().sum() == 0  # what the warning says

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("error")  # no spatial-temporal graphs, or T' = 2: no warning
        STRG(backbone, n_classes=4, reduce_dim=16, graphs=("similarity",))(clip, boxes, valid)
        two = STRG(_r3d10(), n_classes=4, reduce_dim=16).eval()
        two(*_inputs(generator, steps=2))


def test_clips_without_boxes_are_counted() -> None:
    valid = torch.zeros(4, 2, 3, dtype=torch.bool)
    valid[0] = True
    valid[2, 1, 2] = True  # one box left after the crop is enough
    assert clips_without_boxes(valid) == 2
    assert clips_without_boxes(torch.ones(1, 1, 1, dtype=torch.bool)) == 0
    with pytest.raises(ValueError, match=r"bool B×T'×N mask.*torch.float32 \(4, 6\)"):
        clips_without_boxes(valid.flatten(1).float())
