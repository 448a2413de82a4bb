"""``--pretrain_path`` in every format: checkpoints built from models whose outputs are known,
written in each code base's own layout, load through the run's code path and reproduce them.

The foreign layouts are written here from those code bases' module names (torchvision's
VideoResNet, video-nonlocal-net's Caffe2 blobs, PySlowFast's ResNet, MMAction2's ResNet3d), not
with strg's own renaming, so a wrong rule in :mod:`strg.models.layouts` fails these tests.
"""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision

from strg.config import FineTuning, ModelSpec
from strg.data.settings import DataSettings
from strg.engine.model_setup import build_run_model
from strg.models.i3d import I3DResNet
from strg.models.pretrained import PretrainedError
from strg.models.state_dict import CheckpointError

KINETICS = ((0.43216, 0.394666, 0.37645), (0.22803, 0.22145, 0.216989))  # torchvision's transforms


def _randomise(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Non-trivial weights and BN statistics, so that every tensor is part of the comparison."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, value in model.state_dict().items():
            if not value.is_floating_point():
                continue
            noise = torch.rand(value.shape, generator=generator)
            if name.endswith("running_var"):
                value.copy_(noise + 0.5)
            elif name.endswith("running_mean") or name.endswith("bias"):
                value.copy_((noise - 0.5) * 0.2)
            elif value.dim() == 1:  # BN weight
                value.copy_(noise + 0.5)
            else:
                fan_in = value[0].numel()
                value.copy_((noise - 0.5) * (12 / fan_in) ** 0.5)
    return model.eval()


def _clip(frames: int, size: int, seed: int = 1) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (1, 3, frames, size, size), dtype=torch.uint8, generator=generator)


VIDEO_SPECS = {
    "r3d_18": ModelSpec(model="resnet", model_depth=18, n_classes=6, conv1_t_size=3,
                        no_max_pool=True),
    "mc3_18": ModelSpec(model="resnet", model_depth=18, n_classes=6, conv1_t_size=3,
                        no_max_pool=True, temporal_strides=(1, 1, 1, 1)),
    "r2plus1d_18": ModelSpec(model="resnet2p1d", model_depth=18, n_classes=6, conv1_t_size=3,
                             no_max_pool=True),
}  # fmt: skip


@pytest.mark.parametrize("name", list(VIDEO_SPECS))
@torch.no_grad()
def test_torchvision_video_models_give_their_logits(name: str, tmp_path) -> None:
    source = _randomise(getattr(torchvision.models.video, name)(num_classes=6))
    path = tmp_path / f"{name}.pth"
    torch.save(source.state_dict(), path)
    keep = FineTuning(n_pretrain_classes=6, keep_classifier=True)
    model, weights = build_run_model(VIDEO_SPECS[name], keep, 3, path)
    assert weights.format == "torchvision-video" and (weights.mean, weights.std) == KINETICS
    frames = _clip(4, 32)
    ours = DataSettings(weights_mean=weights.mean, weights_std=weights.std).normalization()
    theirs = (frames.float() / 255 - torch.tensor(KINETICS[0]).view(1, 3, 1, 1, 1)) / torch.tensor(
        KINETICS[1]
    ).view(1, 3, 1, 1, 1)
    torch.testing.assert_close(model.eval()(ours(frames)), source(theirs), rtol=0, atol=1e-5)


@torch.no_grad()
def test_a_torchvision_video_backbone_goes_under_strg(tmp_path) -> None:
    source = _randomise(torchvision.models.video.r3d_18(num_classes=6))
    path = tmp_path / "r3d.pth"
    torch.save(source.state_dict(), path)
    spec = ModelSpec(model="resnet", model_depth=18, n_classes=3, conv1_t_size=3,
                     no_max_pool=True, strg=True, nrois=2)  # fmt: skip
    model, weights = build_run_model(spec, FineTuning(n_pretrain_classes=6), 3, path)
    torch.testing.assert_close(
        model.backbone.layer3[1].conv2.weight, source.layer3[1].conv2[0].weight
    )
    assert model.fc.out_features == 3 and weights.format == "torchvision-video"
    wrong = ModelSpec(model="resnet", model_depth=18, n_classes=6)  # the max-pool and 7-tap stem
    with pytest.raises(
        CheckpointError, match=r"conv1\.weight.*conv1_t_size 3 --no_max_pool"
    ) as error:
        build_run_model(wrong, FineTuning(n_pretrain_classes=6), 3, path)
    assert "\n" not in str(error.value) and str(path) in str(error.value)


@torch.no_grad()
def test_imagenet_resnet50_inflates_into_i3d_through_pretrain_path(tmp_path) -> None:
    net2d = _randomise(torchvision.models.resnet50(num_classes=1000))
    path = tmp_path / "resnet50-imagenet.pth"
    torch.save(net2d.state_dict(), path)
    spec = ModelSpec(model="i3d", model_depth=50, n_classes=1000)
    model, weights = build_run_model(
        spec, FineTuning(n_pretrain_classes=1000, keep_classifier=True), 3, path
    )
    assert weights.format == "torchvision-2d"
    assert weights.mean == (0.485, 0.456, 0.406) and weights.std == (0.229, 0.224, 0.225)
    frame = torch.randn(1, 3, 32, 32)
    clip = frame.unsqueeze(2).expand(1, 3, 40, 32, 32).contiguous()  # temporally constant
    features = model.eval().forward_features(clip)  # 1×2048×20×1×1
    pooled_2d = torch.nn.Sequential(*list(net2d.children())[:-1])(frame).flatten(1)
    # the centre step's temporal receptive field lies inside the clip (no zero padding there)
    torch.testing.assert_close(features[:, :, 10].flatten(1), pooled_2d, rtol=1e-4, atol=1e-4)


def _published_caffe2_names(layers: list[int], nonlocal_after: dict[int, tuple[int, ...]]):
    """Blob names as video-nonlocal-net's resnet_video.py / resnet_helper.py / nonlocal_helper.py
    create them (prefixes res{2-5}_{i}_branch..., nonlocal_conv{3,4}_{i}_..., pred)."""
    bn = ("s", "b", "rm", "riv")
    names = ["conv1_w", *[f"res_conv1_bn_{p}" for p in bn], "pred_w", "pred_b"]
    for stage, blocks in zip(range(2, 6), layers, strict=True):
        for i in range(blocks):
            for branch in ("2a", "2b", "2c") + (("1",) if i == 0 else ()):
                prefix = f"res{stage}_{i}_branch{branch}"
                names += [f"{prefix}_w", *[f"{prefix}_bn_{p}" for p in bn]]
        for i in nonlocal_after.get(stage, ()):
            prefix = f"nonlocal_conv{stage}_{i}"
            names += [f"{prefix}_{c}_{p}" for c in ("theta", "phi", "g", "out") for p in "wb"]
            names += [f"{prefix}_bn_{p}" for p in bn]
    return names


def _to_blob(key: str) -> str:
    """strg I3D key → published blob name, written out independently of strg.models.caffe2."""
    bn = {"weight": "s", "bias": "b", "running_mean": "rm", "running_var": "riv"}
    *path, attr = key.split(".")
    if path == ["conv1"]:
        return "conv1_w"
    if path == ["bn1"]:
        return f"res_conv1_bn_{bn[attr]}"
    if path == ["fc"]:
        return f"pred_{attr[0]}"
    stage = int(path[0][-1]) + 1
    if path[1] == "nl":
        part = path[3]
        return f"nonlocal_conv{stage}_{path[2]}_{part}_" + (bn[attr] if part == "bn" else attr[0])
    block = f"res{stage}_{path[1]}_branch"
    if path[2] == "downsample":
        return f"{block}1_" + ("w" if path[3] == "0" else f"bn_{bn[attr]}")
    letter = "abc"[int(path[2][-1]) - 1]
    return f"{block}2{letter}_" + ("w" if path[2].startswith("conv") else f"bn_{bn[attr]}")


@torch.no_grad()
def test_caffe2_nl_i3d_in_the_published_naming_gives_its_logits(tmp_path) -> None:
    source = _randomise(I3DResNet(50, n_classes=400, nonlocal_blocks=True))
    blobs = {
        _to_blob(k): v.numpy().copy()
        for k, v in source.state_dict().items()
        if not k.endswith("num_batches_tracked")
    }
    assert sorted(blobs) == sorted(_published_caffe2_names([3, 4, 6, 3], {3: (1, 3), 4: (1, 3, 5)}))
    blobs.update(lr=np.float32(0.01), model_iter=400000,
                 **{f"{k}_momentum": np.zeros(1) for k in ("conv1_w", "pred_w")})  # fmt: skip
    path = tmp_path / "i3d_nonlocal_8x8_IN_pretrain_400k.pkl"
    with path.open("wb") as f:
        pickle.dump({"blobs": blobs}, f, protocol=2)
    spec = ModelSpec(model="i3d", model_depth=50, n_classes=400)
    # the spec has no non-local blocks: the file's are named as the ones it cannot place
    with pytest.raises(PretrainedError, match=r"unused blobs \[nonlocal_conv3_1_bn_b"):
        build_run_model(spec, FineTuning(n_pretrain_classes=400), 3, path)
    model = I3DResNet(50, n_classes=400, nonlocal_blocks=True)
    from strg.models.pretrained import load_pretrained

    weights = load_pretrained(path, model.state_dict())
    model.load_state_dict(weights.state, strict=True)
    assert (
        weights.format == "caffe2" and weights.mean == (0.45,) * 3 and weights.std == (0.225,) * 3
    )
    clip = torch.randn(1, 3, 8, 32, 32)
    torch.testing.assert_close(model.eval()(clip), source(clip), rtol=0, atol=1e-5)

    # The affine (frozen-BN) files fold BN into scale and bias and drop the statistics.
    folded = {k: v for k, v in blobs.items() if not k.endswith(("_rm", "_riv"))}
    for name in [k for k in folded if k.endswith("_bn_s")]:
        base = name.removesuffix("_s")
        scale = blobs[name] / np.sqrt(blobs[f"{base}_riv"] + 1e-5)
        folded[name], folded[f"{base}_b"] = scale, blobs[f"{base}_b"] - blobs[f"{base}_rm"] * scale
    path.write_bytes(pickle.dumps({"blobs": folded}, protocol=2))
    model = I3DResNet(50, n_classes=400, nonlocal_blocks=True)
    model.load_state_dict(load_pretrained(path, model.state_dict()).state, strict=True)
    expected = source(clip)  # folding rounds differently: float32 noise of the logits' scale
    torch.testing.assert_close(
        model.eval()(clip), expected, rtol=0, atol=1e-5 * expected.abs().max()
    )


def _pyslowfast_key(key: str) -> str:
    """strg I3D key → PySlowFast ResNet key (stem, pathway0_res, branch1/2, nonlocal, head)."""
    key = re.sub(r"^conv1\.", "s1.pathway0_stem.conv.", key)
    key = re.sub(r"^bn1\.", "s1.pathway0_stem.bn.", key)
    key = re.sub(r"^fc\.", "head.projection.", key)
    stage = lambda m: f"s{int(m.group(1)) + 1}."  # noqa: E731
    key = re.sub(
        r"^layer(\d)\.nl\.(\d+)\.(theta|phi|g|out)\.",
        lambda m: f"{stage(m)}pathway0_nonlocal{m.group(2)}.conv_{m.group(3)}.",
        key,
    )
    key = re.sub(
        r"^layer(\d)\.nl\.(\d+)\.bn\.",
        lambda m: f"{stage(m)}pathway0_nonlocal{m.group(2)}.bn.",
        key,
    )
    key = re.sub(
        r"^layer(\d)\.(\d+)\.downsample\.0\.",
        lambda m: f"{stage(m)}pathway0_res{m.group(2)}.branch1.",
        key,
    )
    key = re.sub(
        r"^layer(\d)\.(\d+)\.downsample\.1\.",
        lambda m: f"{stage(m)}pathway0_res{m.group(2)}.branch1_bn.",
        key,
    )
    key = re.sub(
        r"^layer(\d)\.(\d+)\.conv([123])\.",
        lambda m: f"{stage(m)}pathway0_res{m.group(2)}.branch2.{'abc'[int(m.group(3)) - 1]}.",
        key,
    )
    letter = lambda m: "abc"[int(m.group(3)) - 1]  # noqa: E731
    return re.sub(
        r"^layer(\d)\.(\d+)\.bn([123])\.",
        lambda m: f"{stage(m)}pathway0_res{m.group(2)}.branch2.{letter(m)}_bn.",
        key,
    )


def _mmaction2_key(key: str) -> str:
    """strg I3D key → MMAction2 ResNet3d/I3DHead key (ConvModule's .conv/.bn)."""
    if key.startswith("fc."):
        return "cls_head.fc_cls." + key.removeprefix("fc.")
    key = re.sub(r"^conv1\.", "conv1.conv.", key)
    key = re.sub(r"^bn1\.", "conv1.bn.", key)
    key = re.sub(r"\.conv([123])\.weight$", r".conv\1.conv.weight", key)
    key = re.sub(r"\.bn([123])\.", r".conv\1.bn.", key)
    key = re.sub(r"\.downsample\.0\.", ".downsample.conv.", key)
    key = re.sub(r"\.downsample\.1\.", ".downsample.bn.", key)
    return "backbone." + key


@torch.no_grad()
def test_pyslowfast_and_mmaction2_layouts_give_the_logits(tmp_path) -> None:
    source = _randomise(I3DResNet(50, n_classes=5, nonlocal_blocks=True))
    state = source.state_dict()
    clip = torch.randn(1, 3, 8, 32, 32)
    from strg.models.pretrained import load_pretrained

    pyth = tmp_path / "checkpoint_epoch_00196.pyth"
    torch.save({"epoch": 196, "model_state": {_pyslowfast_key(k): v for k, v in state.items()},
                "optimizer_state": {}, "cfg": "MODEL:\n  ARCH: i3d\n"}, pyth)  # fmt: skip
    model = I3DResNet(50, n_classes=5, nonlocal_blocks=True)
    weights = load_pretrained(pyth, model.state_dict())
    model.load_state_dict(weights.state, strict=True)
    assert weights.format == "pyslowfast" and weights.mean == (0.45,) * 3
    torch.testing.assert_close(model.eval()(clip), source(clip), rtol=0, atol=1e-5)

    plain = _randomise(I3DResNet(50, n_classes=5), seed=3)
    mm_state = {_mmaction2_key(k): v for k, v in plain.state_dict().items()}
    mm_state["data_preprocessor.mean"] = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1, 1)
    mm_state["data_preprocessor.std"] = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1, 1)
    mm = tmp_path / "i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb.pth"
    torch.save({"meta": {"epoch": 100, "cfg": "model = dict(...)"}, "state_dict": mm_state}, mm)
    spec = ModelSpec(model="i3d", model_depth=50, n_classes=5)
    model, weights = build_run_model(
        spec, FineTuning(n_pretrain_classes=5, keep_classifier=True), 3, mm
    )
    assert weights.format == "mmaction2"
    torch.testing.assert_close(torch.tensor(weights.mean), torch.tensor([0.485, 0.456, 0.406]))
    torch.testing.assert_close(model.eval()(clip), plain(clip), rtol=0, atol=1e-5)
    assert any("stride conv1 and pool1" in note for note in weights.notes)
    mm_state["backbone.layer2.1.non_local_block.g.0.conv.weight"] = torch.zeros(1)
    torch.save({"state_dict": mm_state}, mm)
    with pytest.raises(PretrainedError, match=r"read as mmaction2.*use_scale=False"):
        build_run_model(spec, FineTuning(n_pretrain_classes=5), 3, mm)


class _Exploit:
    def __reduce__(self):
        return (print, ("this ran",))


def _bad_files(tmp_path):
    good = tmp_path / "good.pth"
    torch.save({"state_dict": I3DResNet(50, n_classes=5).state_dict()}, good)
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"this is not a checkpoint at all\n" * 10)
    tensor = tmp_path / "tensor.pth"
    torch.save(torch.zeros(3), tensor)
    code = tmp_path / "code.pth"
    torch.save({"state_dict": {"conv1.weight": _Exploit()}}, code)
    code_pickle = tmp_path / "code.pkl"
    code_pickle.write_bytes(pickle.dumps({"blobs": {"conv1_w": _Exploit()}}, protocol=2))
    (tmp_path / "a_dir").mkdir()
    return {
        truncated: "truncated or corrupt",
        garbage: "neither a torch file",
        tensor: "holds a Tensor",
        code: "refused: unpickling it would run code",
        code_pickle: "refusing to load __builtin__.print",
        tmp_path / "a_dir": "is a directory",
        tmp_path / "missing.pth": "no such file",
    }


def test_bad_pretrain_files_are_one_line_errors_naming_flag_and_file(tmp_path, capsys) -> None:
    from strg.cli.main import main

    base = ["--video_path", str(tmp_path), "--annotation_path", str(tmp_path / "a.json"),
            "--result_path", str(tmp_path / "r"), "--model", "i3d", "--model_depth", "50",
            "--n_classes", "5", "--n_pretrain_classes", "5", "--no_cuda"]  # fmt: skip
    for path, reason in _bad_files(tmp_path).items():
        assert main([*base, "--pretrain_path", str(path)]) == 2
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1, captured.err
        assert f"--pretrain_path {path}" in lines[0] and reason in lines[0], lines[0]
        assert "this ran" not in captured.out + captured.err


def test_a_torchvision_weights_name_without_network_fails_at_once(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # no cached download
    for proxy in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")  # a closed port: refused at once
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    spec = ModelSpec(
        model="resnet", model_depth=18, n_classes=400, conv1_t_size=3, no_max_pool=True
    )
    for name in ("R3D_18_Weights.KINETICS400_V1", "ResNet50_Weights.IMAGENET1K_V1"):
        with pytest.raises(
            PretrainedError, match=r"torchvision could not download https://"
        ) as error:
            build_run_model(spec, FineTuning(n_pretrain_classes=400), 3, tmp_path / name)
        assert "\n" not in str(error.value) and name in str(error.value)
    with pytest.raises(PretrainedError, match="not a torchvision weights name"):
        build_run_model(spec, FineTuning(n_pretrain_classes=400), 3, tmp_path / "Nope_Weights.X1")


def test_main_py_refuses_a_code_running_pretrain_file_with_exit_2(tmp_path) -> None:
    evil = tmp_path / "evil.pth"
    evil.write_bytes(b"\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00touch PWNEDq\x01\x85q\x02Rq\x03.")
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(repo / "main.py"), "--video_path", str(tmp_path),
         "--annotation_path", str(tmp_path / "a.json"), "--result_path", str(tmp_path / "r"),
         "--model_depth", "10", "--n_pretrain_classes", "5", "--pretrain_path", str(evil),
         "--no_cuda"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert f"--pretrain_path {evil}" in done.stderr and "refused" in done.stderr
    assert not (tmp_path / "PWNED").exists()
