"""Loaders of the authors' checkpoints: video-nonlocal-net Caffe2 .pkl and Something-Else I3D."""

from __future__ import annotations

import os
import pickle
import re

import numpy as np
import pytest
import torch

from strg.models.caffe2 import caffe2_blob_name, load_caffe2_i3d, read_caffe2_blobs
from strg.models.i3d import I3DResNet
from strg.models.something_else import load_something_else_i3d


def _write_caffe2_pkl(model: torch.nn.Module, path, drop: str | None = None) -> None:
    """A file the way video-nonlocal-net writes it: {'blobs': {...}} of numpy, protocol 2."""
    blobs = {}
    for key, value in model.state_dict().items():
        name = caffe2_blob_name(key)
        if name is not None and name != drop:
            blobs[name] = value.numpy().copy()
            if not name.endswith(("_rm", "_riv")):
                blobs[name + "_momentum"] = np.zeros_like(blobs[name])  # solver state
    blobs["lr"] = np.array([0.01], dtype=np.float32)
    with open(path, "wb") as f:
        pickle.dump({"blobs": blobs}, f, protocol=2)


def _randomise(model: torch.nn.Module) -> torch.nn.Module:
    torch.manual_seed(1)
    with torch.no_grad():
        for name, value in model.state_dict().items():
            if value.is_floating_point():
                value.copy_(
                    torch.rand_like(value) + 0.5
                    if "running_var" in name
                    else torch.randn_like(value) * 0.05
                )
    return model.eval()


def test_blob_names_follow_video_nonlocal_net() -> None:
    names = {caffe2_blob_name(k) for k in I3DResNet(50, nonlocal_blocks=True).state_dict()}
    for expected in (
        "conv1_w",
        "res_conv1_bn_s",
        "res_conv1_bn_riv",
        "res2_0_branch1_w",
        "res2_0_branch1_bn_rm",
        "res2_0_branch2a_w",
        "res3_3_branch2c_bn_b",
        "res5_2_branch2b_w",
        "nonlocal_conv3_1_theta_w",
        "nonlocal_conv4_5_g_b",
        "nonlocal_conv3_3_out_w",
        "nonlocal_conv4_1_bn_s",
        "pred_w",
        "pred_b",
    ):
        assert expected in names
    assert "nonlocal_conv5_1_theta_w" not in names and "res5_3_branch2a_w" not in names


def test_caffe2_pkl_round_trip_reproduces_the_outputs(tmp_path) -> None:
    source = _randomise(I3DResNet(50, n_classes=400, nonlocal_blocks=True))
    path = tmp_path / "i3d_nonlocal_32x2_IN_pretrain_400k.pkl"
    _write_caffe2_pkl(source, path)
    target = load_caffe2_i3d(I3DResNet(50, n_classes=400, nonlocal_blocks=True), path).eval()
    clip = torch.randn(1, 3, 8, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(target(clip), source(clip))
    # Fine-tuning to another class count keeps the new classifier.
    other = I3DResNet(50, n_classes=174, nonlocal_blocks=True)
    fc = other.fc.weight.clone()
    load_caffe2_i3d(other, path, load_fc=False)
    assert torch.equal(other.fc.weight, fc)
    torch.testing.assert_close(other.layer3.nl["5"].g.weight, source.layer3.nl["5"].g.weight)


def test_caffe2_errors_name_the_blobs(tmp_path) -> None:
    source = I3DResNet(50, nonlocal_blocks=True)
    path = tmp_path / "nl.pkl"
    _write_caffe2_pkl(source, path, drop="res4_2_branch2a_bn_riv")
    with pytest.raises(
        ValueError, match=r"res4_2_branch2a_bn_riv \(for layer3\.2\.bn1\.running_var\)"
    ):
        load_caffe2_i3d(I3DResNet(50, nonlocal_blocks=True), path)
    _write_caffe2_pkl(source, path)
    with pytest.raises(ValueError, match=r"unused blobs \[nonlocal_conv3_1_bn_b,"):
        load_caffe2_i3d(I3DResNet(50, nonlocal_blocks=False), path)  # NL file, plain model
    with pytest.raises(
        ValueError, match=r"pred_w: file \(400, 2048\) vs model fc\.weight \(10, 2048\)"
    ):
        load_caffe2_i3d(I3DResNet(50, n_classes=10, nonlocal_blocks=True), path)


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo should-not-run",))


def test_caffe2_reader_refuses_anything_but_arrays(tmp_path) -> None:
    path = tmp_path / "evil.pkl"
    with open(path, "wb") as f:
        pickle.dump({"blobs": {"conv1_w": _Exploit()}}, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load .*system"):
        read_caffe2_blobs(path)


def _something_else_layout(state: dict) -> dict:
    """strg I3D keys written as Something-Else's resnet3d_xl names them (conv/bn pairs in
    Sequentials, ``shortcut``, ``classifier``)."""
    out = {}
    for key, value in state.items():
        key = re.sub(r"^(layer\d\.\d+)\.conv([123])\.weight$", r"\1.conv\2.0.weight", key)
        key = re.sub(r"^(layer\d\.\d+)\.bn([123])\.", r"\1.conv\2.1.", key)
        key = re.sub(r"\.downsample\.([01])\.", r".shortcut.\1.", key)
        out[key.replace("fc.", "classifier.")] = value
    return out


def test_something_else_checkpoint_round_trip_and_errors(tmp_path) -> None:
    source = _randomise(I3DResNet(50, n_classes=174))
    layout = _something_else_layout(source.state_dict())
    assert "layer1.0.conv1.0.weight" in layout and "layer4.0.shortcut.1.running_var" in layout
    state = {f"module.i3D.{k}": v for k, v in layout.items()}
    state["module.coord_to_feature.0.weight"] = torch.zeros(4, 4)  # their own head: left out
    path = tmp_path / "something_else_i3d.pth.tar"
    torch.save({"epoch": 30, "state_dict": state}, path)
    target = load_something_else_i3d(I3DResNet(50, n_classes=174), path, load_fc=True).eval()
    clip = torch.randn(1, 3, 8, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(target(clip), source(clip))
    # Without the classifier (the usual case: their fc is of another task).
    fresh = I3DResNet(50, n_classes=10)
    load_something_else_i3d(fresh, path)
    torch.testing.assert_close(fresh.layer4[2].conv3.weight, source.layer4[2].conv3.weight)
    with pytest.raises(ValueError, match=r"load_fc.*\(174, 2048\).*\(10, 2048\)"):
        load_something_else_i3d(I3DResNet(50, n_classes=10), path, load_fc=True)
    broken = {k: v for k, v in state.items() if "layer2.1.conv2" not in k}
    with pytest.raises(
        ValueError, match=r"missing keys \(5\): layer2\.1\.conv2\.weight, layer2\.1\.bn2"
    ):
        load_something_else_i3d(I3DResNet(50), broken)
    with pytest.raises(ValueError, match="no Something-Else I3D"):
        load_something_else_i3d(I3DResNet(50), {"fc.weight": torch.zeros(2, 2)})
