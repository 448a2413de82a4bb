"""The 3D-ResNets family: published checkpoint layouts, every depth, strides, errors."""

from __future__ import annotations

import pytest
import torch

from strg.models import MODELS, build_model, model_options
from strg.models.state_dict import load_state_dict_exact
from tests.models.conftest import published_keys

_DTYPES = {"float32": torch.float32, "int64": torch.int64}


def _n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("name", "model", "depth"),
    [
        ("r3d18", "resnet", 18),
        ("r3d50", "resnet", 50),
        ("r2p1d18", "resnet2p1d", 18),
        ("r2p1d50", "resnet2p1d", 50),
    ],
)
def test_published_state_dict_loads_strictly(name: str, model: str, depth: int) -> None:
    expected, params = published_keys(name)
    net = build_model(model, model_depth=depth, n_classes=700)
    # A checkpoint with exactly the published keys, shapes and dtypes, in a main.py-style dict.
    state = {k: torch.full(shape, 0.5, dtype=_DTYPES[dt]) for k, (shape, dt) in expected.items()}
    load_state_dict_exact(net, {"arch": f"{model}-{depth}", "state_dict": state})
    assert list(net.state_dict()) == list(expected)  # same order as the published file, too
    assert all(v.eq(0.5).all() for k, v in net.state_dict().items() if "num_batches" not in k)
    assert _n_params(net) == params


# depth -> (params in millions with 700 classes, state-dict entries), compat §2.1.
_RESNET_TABLE = {
    10: (14.76, 74),
    18: (33.56, 122),
    34: (63.87, 218),
    50: (47.63, 320),
    101: (86.68, 626),
    152: (118.84, 932),
    200: (128.04, 1220),
}
_DEPTHS = {
    "resnet": (10, 18, 34, 50, 101, 152, 200),
    "resnet2p1d": (10, 18, 34, 50, 101, 152, 200),
    "preresnet": (10, 18, 34, 50, 101, 152, 200),
    "wideresnet": (50, 101, 152, 200),
    "resnext": (50, 101, 152, 200),
    "densenet": (121, 169, 201, 264),
    "i3d": (50, 101),
}


@pytest.mark.parametrize(
    ("model", "depth"), [(m, d) for m, depths in _DEPTHS.items() for d in depths]
)
def test_every_family_builds_at_every_depth(model: str, depth: int) -> None:
    with torch.device("meta"):  # parameters without memory: depth 200 in milliseconds
        net = build_model(model, model_depth=depth, n_classes=700)
    n = _n_params(net)
    assert n > 1e6
    assert net.out_channels > 0 and net.spatial_stride in (16, 32)
    if model == "resnet":
        millions, entries = _RESNET_TABLE[depth]
        assert round(n / 1e6, 2) == millions
        assert len(net.state_dict()) == entries


def test_reference_figures_of_other_families() -> None:
    with torch.device("meta"):
        assert (
            round(_n_params(build_model("wideresnet", model_depth=50, n_classes=700)) / 1e6, 2)
            == 158.95
        )
        assert (
            round(_n_params(build_model("densenet", model_depth=121, n_classes=700)) / 1e6, 1)
            == 12.0
        )
        shortcut_a = build_model("resnet", model_depth=18, n_classes=700, resnet_shortcut="A")
    assert round(_n_params(shortcut_a) / 1e6, 2) == 33.39
    assert len(shortcut_a.state_dict()) == 104


def test_documented_depths_are_the_only_ones() -> None:
    for model, depths in _DEPTHS.items():
        with pytest.raises(ValueError, match=str(depths[0])):
            build_model(model, model_depth=depths[0] + 1)


@pytest.mark.parametrize(
    ("model", "options"),
    [
        ("resnet", {"model_depth": 10}),
        ("resnet", {"model_depth": 10, "resnet_shortcut": "A", "no_max_pool": True}),
        ("resnet", {"model_depth": 18, "conv1_t_size": 3, "conv1_t_stride": 2}),
        ("resnet", {"model_depth": 10, "resnet_widen_factor": 0.5, "n_input_channels": 2}),
        ("resnet2p1d", {"model_depth": 10}),
        ("preresnet", {"model_depth": 10}),
        ("preresnet", {"model_depth": 50}),
        ("wideresnet", {"model_depth": 50, "wide_resnet_k": 1}),
        ("resnext", {"model_depth": 50, "resnext_cardinality": 8}),
        ("densenet", {"model_depth": 121}),
        ("densenet", {"model_depth": 121, "no_max_pool": True}),
    ],
)
def test_forward_shapes_match_declared_strides(model: str, options: dict) -> None:
    net = build_model(model, n_classes=5, **options).eval()
    channels = options.get("n_input_channels", 3)
    frames = 16 if model == "densenet" else 32  # DenseNet is slow on CPU; 16 still divides
    clip = torch.randn(2, channels, frames, 64, 64)
    with torch.no_grad():
        features = net.forward_features(clip)
        logits = net(clip)
    assert logits.shape == (2, 5)
    assert features.shape[1] == net.out_channels
    # Architecture facts the STRG head relies on: one cell per stride of input pixels / frames.
    assert features.shape[3] == 64 // net.spatial_stride
    assert features.shape[2] == max(1, frames // net.temporal_stride)


def test_r3d50_stage_shapes_of_compat_table() -> None:
    net = build_model("resnet", model_depth=50, n_classes=700).eval()
    shapes = {}
    for name in ("conv1", "maxpool", "layer1", "layer2", "layer3", "layer4"):

        def record(_m, _i, out, name=name) -> None:
            shapes[name] = tuple(out.shape[1:])

        getattr(net, name).register_forward_hook(record)
    with torch.no_grad():
        net(torch.randn(1, 3, 16, 112, 112))
    assert shapes == {
        "conv1": (64, 16, 56, 56),
        "maxpool": (64, 8, 28, 28),
        "layer1": (256, 8, 28, 28),
        "layer2": (512, 4, 14, 14),
        "layer3": (1024, 2, 7, 7),
        "layer4": (2048, 1, 4, 4),
    }


def test_shortcut_a_passes_gradient() -> None:
    # The original cut the shortcut's gradient with .data; ours must not.
    net = build_model("resnet", model_depth=10, n_classes=3, resnet_shortcut="A")
    clip = torch.randn(2, 3, 16, 64, 64, requires_grad=True)
    net(clip).sum().backward()
    assert clip.grad is not None and clip.grad.abs().sum() > 0


def test_unknown_model_lists_valid_names() -> None:
    with pytest.raises(ValueError, match=r"unknown model 'resnet3d'.*resnet2p1d.*densenet.*i3d"):
        build_model("resnet3d")


def test_unknown_option_lists_accepted_ones() -> None:
    with pytest.raises(ValueError, match=r"\['num_classes'\].*n_classes"):
        build_model("densenet", num_classes=10)
    with pytest.raises(ValueError, match="nrois"):
        build_model("resnet", nrois=10)  # head option without the head
    assert "resnext_cardinality" in model_options("resnext")
    assert "gcn_layers" in model_options("resnet_strg")
    assert set(MODELS) >= {"resnet", "resnet_strg", "i3d", "i3d_strg"}


def test_wrong_input_shape_is_named() -> None:
    net = build_model("resnet", model_depth=10)
    with pytest.raises(ValueError, match=r"B×3×T×H×W.*\(3, 8, 32, 32\)"):
        net(torch.randn(3, 8, 32, 32))
    with pytest.raises(ValueError, match=r"\(1, 1, 8, 32, 32\)"):
        net(torch.randn(1, 1, 8, 32, 32))


def test_checkpoint_with_missing_or_extra_keys_is_named(tmp_path) -> None:
    net = build_model("resnet", model_depth=10, n_classes=4)
    state = net.state_dict()
    missing = {k: v for k, v in state.items() if k != "layer2.0.conv1.weight"}
    with pytest.raises(ValueError, match=r"missing keys \(1\): layer2\.0\.conv1\.weight"):
        load_state_dict_exact(net, missing)
    extra = dict(state, **{"head.weight": torch.zeros(1)})
    path = tmp_path / "save_1.pth"
    torch.save({"epoch": 1, "arch": "resnet-10", "state_dict": extra}, path)
    with pytest.raises(ValueError, match=r"unexpected keys \(1\): head\.weight"):
        load_state_dict_exact(net, path)
    wrong = dict(state, **{"fc.weight": torch.zeros(700, 512)})
    with pytest.raises(
        ValueError, match=r"fc\.weight: checkpoint \(700, 512\) vs model \(4, 512\)"
    ):
        load_state_dict_exact(net, wrong)
    # DataParallel-prefixed keys (old CVPR2018 checkpoints) load.
    load_state_dict_exact(net, {"state_dict": {f"module.{k}": v for k, v in state.items()}})
