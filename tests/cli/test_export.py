"""``strg export``: each format, for a backbone and for STRG, gives the eager model's logits."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from strg.cli.export import main
from strg.config import build_config, config_to_dict
from strg.engine import export
from strg.engine.checkpoint import save_checkpoint
from strg.engine.model_setup import build_spec_model
from strg.engine.trained import load_trained_run

#: A tiny backbone and a tiny STRG on it: r3d-10, 16×32² clips (T' = 2 without the max pool).
RUNS = {
    "backbone": {"model": "resnet", "model_depth": 10},
    "strg": {"model": "resnet", "model_depth": 10, "strg": True, "no_max_pool": True,
             "nrois": 3, "reduce_dim": 16, "gcn_layers": 1, "proposal_path": Path("boxes")},
}  # fmt: skip


def _write_checkpoint(path: Path, options: dict) -> Path:
    """A checkpoint as main.py saves it (``config`` in its dict form). STRG's head weights are
    drawn anew: its zero graph half of fc would hide the graph path from the logits."""
    config = build_config(
        {"n_classes": 4, "sample_size": 32, "sample_duration": 16, **options},
        require_paths=False,
    )
    torch.manual_seed(0)
    model = build_spec_model(config.model, config.model.n_classes, config.data.n_input_channels)
    with torch.no_grad():
        for parameter in model.head_parameters() if config.model.strg else ():
            parameter.normal_(std=0.3)
    save_checkpoint(
        path,
        {"epoch": 1, "arch": config.model.arch, "state_dict": model.state_dict(),
         "config": config_to_dict(config)},
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("export_runs")
    return {
        kind: _write_checkpoint(root / f"{kind}.pth", options) for kind, options in RUNS.items()
    }


def _runner(fmt: str, path: Path) -> Callable[..., torch.Tensor]:
    """The file loaded as a user would load it, independently of the command's own check."""
    if fmt == "torchscript":
        return torch.jit.load(str(path))
    if fmt == "exported-program":
        return torch.export.load(path).module()
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    assert names[0] == "clip" and names[1:] in ([], ["boxes", "valid"])
    assert [o.name for o in session.get_outputs()] == ["logits"]

    def run(*inputs: torch.Tensor) -> torch.Tensor:
        feeds = {name: x.numpy() for name, x in zip(names, inputs, strict=True)}
        return torch.from_numpy(session.run(None, feeds)[0])

    return run


@pytest.mark.parametrize("kind", sorted(RUNS))
@pytest.mark.parametrize("fmt", export.FORMATS)
def test_the_exported_model_gives_the_eager_logits(
    kind: str,
    fmt: str,
    checkpoints: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "models" / f"{kind}.{fmt}"  # the folder does not exist yet
    assert (
        main(["--resume_path", str(checkpoints[kind]), "--format", fmt, "--output", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    assert f"wrote {out} ({fmt}, resnet" in printed
    signature = "clip B×3×16×32×32 float32"
    if kind == "strg":
        signature += ", boxes B×2×3×4 float32 (XYXY pixels), valid B×2×3 bool"
    assert f"inputs: {signature} -> logits B×K" in printed
    assert "at batch 2" in printed and "at batch 1" in printed
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]  # no temporary left

    run = load_trained_run(checkpoints[kind])
    exported = _runner(fmt, out)
    signature = export.input_signature(run.model, run.data)
    inputs = signature.example(batch=3, seed=7)  # a batch size the command did not check
    with torch.no_grad():
        want = run.model(*inputs)
        got = exported(*inputs)
        assert want.shape == (3, 4) and want.std() > 0.01
        torch.testing.assert_close(got, want, atol=1e-4, rtol=0)
        if kind == "strg":  # the boxes are an input of the file, not constants in it
            clip, boxes, valid = inputs
            moved = boxes.clone()
            moved[:, :, 0] += 3.0
            want_moved = run.model(clip, moved, valid)
            assert (want_moved - want).abs().max() > 1e-3
            torch.testing.assert_close(exported(clip, moved, valid), want_moved, atol=1e-4, rtol=0)


def test_bad_input_is_one_line_and_exit_2(
    checkpoints: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def fails(*argv: str) -> str:
        assert main(list(argv)) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and len(captured.err.splitlines()) == 1, captured.err
        return captured.err

    backbone, out = str(checkpoints["backbone"]), str(tmp_path / "model.pt")
    missing = tmp_path / "none.pth"
    assert f"checkpoint {missing} does not exist" in fails(
        "--resume_path", str(missing), "--format", "torchscript", "--output", out
    )
    err = fails("--resume_path", backbone, "--format", "tflite", "--output", out)
    assert "'tflite'" in err and "torchscript, onnx, exported-program" in err
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    unwritable = blocker / "model.pt"  # its folder is a file
    assert f"cannot write {unwritable}" in fails(
        "--resume_path", backbone, "--format", "torchscript", "--output", str(unwritable)
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def test_onnx_without_its_packages_says_what_to_install(
    checkpoints: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name)
    )
    out = tmp_path / "model.onnx"
    argv = ["--resume_path", str(checkpoints["strg"]), "--format", "onnx", "--output", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "onnxruntime missing" in err and ".[export]" in err
    assert not out.exists()


def test_an_export_that_differs_from_eager_is_not_written(
    checkpoints: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "model.pt"
    out.write_bytes(b"an older export")
    monkeypatch.setattr(export, "TOLERANCE", -1.0)  # no difference passes, not even 0
    argv = ["--resume_path", str(checkpoints["backbone"]), "--format", "torchscript"]
    assert main([*argv, "--output", str(out)]) == 2
    assert "differ from the eager model's" in capsys.readouterr().err
    assert out.read_bytes() == b"an older export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]
