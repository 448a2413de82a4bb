"""Exporting a trained run's model to TorchScript, ONNX or a ``torch.export`` ExportedProgram.

The exported model's input signature (every size but the batch B is the checkpoint's own):

- backbone: ``clip`` B×C×T×H×W float32 → ``logits`` B×K;
- STRG: ``clip`` B×C×T×H×W float32, ``boxes`` B×T'×N×4 float32 (XYXY, pixels of the input clip,
  one box set per feature step), ``valid`` B×T'×N bool (False marks a padded box) → ``logits``
  B×K.

C is 3 (2 for flow), T the run's ``sample_duration``, H = W its ``sample_size``, T' the backbone's
feature steps for T frames, N the run's ``nrois``. The clip is normalised as the run's clips
were (:meth:`~strg.data.settings.DataSettings.normalization`). B is dynamic in all three formats.
The exported graph keeps the shape checks of the example input but none of the checks that read
values (a box with x2 < x1 is refused by the eager model only: :mod:`strg.models.tracing`).

No export is kept unchecked: the file is written under a temporary name, loaded back, and run on
the example input (batch :data:`EXAMPLE_BATCH`) and on a second one (batch :data:`CHECK_BATCH`);
only when its logits equal the eager model's within :data:`TOLERANCE` is it renamed into place.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from strg.atomic import atomic_path
from strg.data.settings import DataSettings
from strg.engine.trained import load_trained_run
from strg.errors import StrgError

FORMATS = ("torchscript", "onnx", "exported-program")
#: The largest |exported − eager| logit difference accepted.
TOLERANCE = 1e-4
#: torch.export specialises sizes 0 and 1, so the example that fixes the graph has batch 2;
#: the second check runs batch 1, the usual inference batch, through the dynamic dimension.
EXAMPLE_BATCH = 2
CHECK_BATCH = 1
#: The packages each format needs beyond torch (pip extra ``strg[export]``).
NEEDS = {"onnx": ("onnx", "onnxscript", "onnxruntime")}
INPUT_NAMES = ("clip", "boxes", "valid")


class ExportError(StrgError, ValueError):
    """The model cannot be exported as asked (the message names the format or the file)."""


@dataclass(frozen=True)
class InputSignature:
    """The sizes of the exported model's inputs; ``steps`` (T') and ``nrois`` (N) are
    ``None`` for a backbone, which takes the clip only."""

    channels: int
    duration: int
    size: int
    steps: int | None = None
    nrois: int | None = None

    @property
    def region_graph(self) -> bool:
        return self.steps is not None

    def describe(self) -> str:
        """``clip B×3×16×112×112 float32, boxes B×8×10×4 float32, valid B×8×10 bool``."""
        clip = f"clip B×{self.channels}×{self.duration}×{self.size}×{self.size} float32"
        if not self.region_graph:
            return clip
        return (
            f"{clip}, boxes B×{self.steps}×{self.nrois}×4 float32 (XYXY pixels), "
            f"valid B×{self.steps}×{self.nrois} bool"
        )

    def example(self, batch: int, seed: int) -> tuple[torch.Tensor, ...]:
        """Random inputs of ``batch`` clips; under STRG the boxes lie inside the clip and the
        last clip's last step has one valid box (the others padded), so padding is exercised."""
        generator = torch.Generator().manual_seed(seed)
        clip = torch.randn(
            batch, self.channels, self.duration, self.size, self.size, generator=generator
        )
        if not self.region_graph:
            return (clip,)
        shape = (batch, self.steps, self.nrois, 2)
        xy = torch.rand(shape, generator=generator) * (self.size * 0.6)
        wh = torch.rand(shape, generator=generator) * (self.size * 0.3) + 1
        valid = torch.ones(shape[:3], dtype=torch.bool)
        valid[-1, -1, 1:] = False
        return clip, torch.cat([xy, xy + wh], dim=-1), valid


@dataclass(frozen=True)
class ExportReport:
    """What :func:`export_run` wrote: ``differences`` maps each checked batch size to the
    largest |exported − eager| logit difference."""

    path: Path
    format: str
    arch: str
    signature: InputSignature
    differences: dict[int, float]


def input_signature(model: nn.Module, data: DataSettings) -> InputSignature:
    """The inputs ``model`` takes for clips read with ``data`` (T' from a forward pass)."""
    channels, duration, size = data.n_input_channels, data.sample_duration, data.sample_size
    if not hasattr(model, "backbone"):
        return InputSignature(channels, duration, size)
    with torch.no_grad():
        clip = torch.zeros(1, channels, duration, size, size)
        steps = int(model.backbone.forward_features(clip).shape[2])
    return InputSignature(channels, duration, size, steps, model.nrois or data.nrois)


def check_format(fmt: str) -> None:
    """Raise :class:`ExportError` for an unknown format or one whose packages are missing."""
    if fmt not in FORMATS:
        raise ExportError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    missing = [name for name in NEEDS.get(fmt, ()) if importlib.util.find_spec(name) is None]
    if missing:
        raise ExportError(
            f"--format {fmt} needs the packages {', '.join(NEEDS[fmt])} ({', '.join(missing)} "
            "missing): pip install -c requirements/constraints.txt -e '.[export]'"
        )


def export_run(checkpoint: Path, fmt: str, destination: Path) -> ExportReport:
    """Export the model of ``checkpoint`` (a ``save_N.pth`` of ``main.py``) to ``destination``
    in ``fmt`` (one of :data:`FORMATS`), checked against the eager model before it is kept."""
    check_format(fmt)
    run = load_trained_run(checkpoint)
    signature = input_signature(run.model, run.data)
    differences = export_model(run.model, signature, fmt, Path(destination))
    return ExportReport(Path(destination), fmt, run.config.model.arch, signature, differences)


def export_model(
    model: nn.Module, signature: InputSignature, fmt: str, destination: Path
) -> dict[int, float]:
    """Write ``model`` (in eval mode) to ``destination`` in ``fmt``; returns the largest logit
    difference from eager per checked batch size. Nothing is written when a check fails."""
    check_format(fmt)
    model.eval()
    example = signature.example(EXAMPLE_BATCH, seed=0)
    checks = (example, signature.example(CHECK_BATCH, seed=1))
    with torch.no_grad():
        expected = [model(*inputs) for inputs in checks]
    destination.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(destination) as temporary:
        _WRITERS[fmt](model, example, temporary)
        run = _LOADERS[fmt](temporary)
        differences = {}
        for inputs, want in zip(checks, expected, strict=True):
            got = run(inputs)
            if got.shape != want.shape:
                raise ExportError(
                    f"{fmt} export of {destination}: logits {tuple(got.shape)} for inputs "
                    f"{[tuple(x.shape) for x in inputs]}, eager gives {tuple(want.shape)}"
                )
            differences[inputs[0].shape[0]] = float((got - want).abs().max())
        worst = max(differences.values())
        if not worst <= TOLERANCE:  # NaN fails too
            raise ExportError(
                f"{fmt} export of {destination}: logits differ from the eager model's by "
                f"{worst:.3g} (> {TOLERANCE:g}); nothing written"
            )
    return differences


def _dynamic_batch(inputs: Sequence[torch.Tensor]) -> tuple[dict[int, torch.export.Dim], ...]:
    batch = torch.export.Dim("batch", min=1)
    return tuple({0: batch} for _ in inputs)


def _names(inputs: Sequence[torch.Tensor]) -> list[str]:
    return list(INPUT_NAMES[: len(inputs)])


def _write_torchscript(model: nn.Module, example: tuple, path: Path) -> None:
    # The tracer warns at every shape check it records as a constant (boxes.shape[1] != T'...):
    # those sizes are fixed by the signature, and the loaded file is checked against eager.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(model, example)
    torch.jit.save(traced, str(path))


def _write_exported_program(model: nn.Module, example: tuple, path: Path) -> None:
    program = torch.export.export(model, example, dynamic_shapes=_dynamic_batch(example))
    torch.export.save(program, path)


def _write_onnx(model: nn.Module, example: tuple, path: Path) -> None:
    # The exporter built on torch.export (dynamo=True); the TorchScript-based one is deprecated.
    # The weights stay inside the one file (protobuf's 2 GB limit is far above these models):
    # an external data file would be named after the temporary name and lost by the rename.
    torch.onnx.export(
        model,
        example,
        str(path),
        input_names=_names(example),
        output_names=["logits"],
        dynamic_shapes=_dynamic_batch(example),
        dynamo=True,
        external_data=False,
        verbose=False,
    )


Runner = Callable[[tuple[torch.Tensor, ...]], torch.Tensor]


def _load_torchscript(path: Path) -> Runner:
    module = torch.jit.load(str(path))

    def run(inputs: tuple[torch.Tensor, ...]) -> torch.Tensor:
        with torch.no_grad():
            return module(*inputs)

    return run


def _load_exported_program(path: Path) -> Runner:
    module = torch.export.load(path).module()

    def run(inputs: tuple[torch.Tensor, ...]) -> torch.Tensor:
        with torch.no_grad():
            return module(*inputs)

    return run


def _load_onnx(path: Path) -> Runner:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    def run(inputs: tuple[torch.Tensor, ...]) -> torch.Tensor:
        feeds = {name: x.numpy() for name, x in zip(_names(inputs), inputs, strict=True)}
        return torch.from_numpy(session.run(["logits"], feeds)[0])

    return run


_WRITERS: dict[str, Callable[[nn.Module, tuple, Path], None]] = {
    "torchscript": _write_torchscript,
    "onnx": _write_onnx,
    "exported-program": _write_exported_program,
}
_LOADERS: dict[str, Callable[[Path], Runner]] = {
    "torchscript": _load_torchscript,
    "onnx": _load_onnx,
    "exported-program": _load_exported_program,
}
