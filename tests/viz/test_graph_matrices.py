"""STRG.graph_matrices and STRG.head_features: what the head builds and reads, for inspection."""

from __future__ import annotations

import pytest
import torch

from strg.models import build_model
from strg.models.graphs import iou_graphs

STEPS, N = 2, 3  # resnet-10 without max pool: 16 frames -> T' = 2


def _model(graphs: tuple[str, ...] = ("similarity", "spatial_temporal")):
    torch.manual_seed(0)
    options = {"model_depth": 10, "no_max_pool": True, "nrois": N, "reduce_dim": 16}
    return build_model("resnet", strg=True, n_classes=5, graphs=graphs, **options).eval()


def _inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    clip = torch.randn(2, 3, 16, 32, 32, generator=generator)
    xy = torch.rand(2, STEPS, N, 2, generator=generator) * 16
    boxes = torch.cat([xy, xy + 6 + torch.rand(2, STEPS, N, 2, generator=generator) * 10], -1)
    boxes[0, 1, 0] = boxes[0, 0, 0] + 1  # an overlapping pair across the steps: one forward edge
    valid = torch.ones(2, STEPS, N, dtype=torch.bool)
    valid[1, 1, 2] = valid[1, 0, 1] = False  # padded nodes 5 and 1 of clip 1
    return clip, boxes, valid


def test_matrices_have_the_documented_properties() -> None:
    model = _model()
    clip, boxes, valid = _inputs()
    with torch.no_grad():
        features = model.backbone.forward_features(clip)
    matrices = model.graph_matrices(features, boxes, valid)
    assert set(matrices) == {"similarity", "forward", "backward"}
    m = STEPS * N
    assert all(matrix.shape == (2, m, m) for matrix in matrices.values())
    node_valid = valid.flatten(1)

    similarity = matrices["similarity"]
    torch.testing.assert_close(similarity.sum(-1), node_valid.float())  # rows of valid nodes: 1
    assert (similarity[~node_valid] == 0).all()  # padded rows
    assert (similarity.transpose(1, 2)[~node_valid] == 0).all()  # padded columns
    assert (similarity[node_valid] > 0).sum() > 0

    step = torch.arange(STEPS).repeat_interleave(N)
    same_step = step[:, None] == step[None, :]
    forward, backward = matrices["forward"], matrices["backward"]
    assert (forward[:, same_step] == 0).all() and (backward[:, same_step] == 0).all()
    assert (forward[:, ~(step[None, :] == step[:, None] + 1)] == 0).all()  # only t -> t+1
    assert forward[0, 0, N] > 0  # the overlapping pair built in _inputs
    assert ((forward > 0) == (backward.transpose(1, 2) > 0)).all()
    rows = forward.sum(-1)
    assert torch.all((rows - 1).abs().lt(1e-5) | rows.eq(0))
    expected_forward, expected_backward = iou_graphs(boxes, valid, model.iou_threshold)
    torch.testing.assert_close(forward, expected_forward)
    torch.testing.assert_close(backward, expected_backward)


def test_similarity_is_the_one_the_head_uses() -> None:
    model = _model()
    clip, boxes, valid = _inputs()
    seen = []
    model.similarity.register_forward_hook(lambda _m, _i, output: seen.append(output))
    with torch.no_grad():
        features = model.backbone.forward_features(clip)
        logits = model.head(features, boxes, valid)
        matrices = model.graph_matrices(features, boxes, valid)
    torch.testing.assert_close(matrices["similarity"], seen[0])
    torch.testing.assert_close(model(clip, boxes, valid), logits)  # forward is head ∘ backbone


@pytest.mark.parametrize(
    ("graphs", "keys"),
    [(("similarity",), {"similarity"}), (("spatial_temporal",), {"forward", "backward"})],
)
def test_only_the_models_graphs_are_returned(graphs: tuple[str, ...], keys: set[str]) -> None:
    model = _model(graphs)
    clip, boxes, valid = _inputs()
    with torch.no_grad():
        features = model.backbone.forward_features(clip)
    assert set(model.graph_matrices(features, boxes, valid)) == keys


def test_wrong_box_steps_are_refused() -> None:
    model = _model()
    clip, boxes, valid = _inputs()
    with torch.no_grad():
        features = model.backbone.forward_features(clip)
    with pytest.raises(ValueError, match="T'=1"):
        model.graph_matrices(features, boxes[:, :1], valid[:, :1])


@pytest.mark.parametrize(
    ("options", "global_width"),
    [({}, 16), ({"global_from_backbone": True}, 512), ({"use_global": False}, None)],
)
def test_head_features_are_the_halves_fc_reads(options: dict, global_width: int | None) -> None:
    torch.manual_seed(0)
    tiny = {"model_depth": 10, "no_max_pool": True, "nrois": N, "reduce_dim": 16}
    model = build_model("resnet", strg=True, n_classes=5, zero_init_graph=False, **tiny, **options)
    clip, boxes, valid = _inputs()
    with torch.no_grad():
        features = model.backbone.forward_features(clip)
        parts = model.eval().head_features(features, boxes, valid)
        logits = model.head(features, boxes, valid)
    assert parts.nodes.shape == (2, STEPS * N, 16) and parts.graph.shape == (2, 16)
    assert (parts.nodes[1, [1, 5]] == 0).all()  # the padded nodes of clip 1
    if global_width is None:
        assert parts.global_feature is None
        torch.testing.assert_close(model.fc(parts.graph), logits)
        return
    assert parts.global_feature.shape == (2, global_width)
    source = features if options.get("global_from_backbone") else model.reduce(features)
    torch.testing.assert_close(parts.global_feature, source.mean(dim=(2, 3, 4)))
    torch.testing.assert_close(model.fc(torch.cat(parts[1:], dim=1)), logits)
