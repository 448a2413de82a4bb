"""``strg export --resume_path CKPT --format torchscript|onnx|exported-program --output FILE``
(also ``python -m util_scripts.export``): a trained model as one file, checked against eager."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from strg.cli.errors import USER_ERROR, user_error
from strg.cli.invocation import prog
from strg.engine.export import FORMATS, TOLERANCE, export_run
from strg.errors import StrgError

DESCRIPTION = """\
Export the model of a main.py checkpoint (a backbone, or STRG with its region-graph head) to
TorchScript (torch.jit.trace; load with torch.jit.load), ONNX (torch.onnx's exporter built on
torch.export; needs the pip extra strg[export]) or an ExportedProgram (torch.export; load with
torch.export.load(FILE).module()). Import torchvision before loading a TorchScript or
ExportedProgram STRG file: RoIAlign is its operator.

Inputs of the exported model (the batch B is dynamic; every other size is the checkpoint's):
  backbone: clip B×C×T×H×W float32                              -> logits B×K
  STRG:     clip B×C×T×H×W float32, boxes B×T'×N×4 float32,
            valid B×T'×N bool                                   -> logits B×K
C = 3 (2 for flow), T = sample_duration, H = W = sample_size, T' = the backbone's feature steps,
N = nrois. The clip is normalised as in training; boxes are XYXY in pixels of the clip, one set per
feature step; valid is False for padded boxes. ONNX input names: clip, boxes, valid; output: logits.
The exported graph checks no box values (the eager model refuses x2 < x1).

The file is loaded back and run on a batch of 2 and of 1 before it is kept: its logits must equal
the eager model's within {tolerance:g}, or nothing is written."""


def build_parser() -> argparse.ArgumentParser:
    """The command line of export."""
    parser = argparse.ArgumentParser(
        prog=prog("export"),
        description=DESCRIPTION.format(tolerance=TOLERANCE),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--resume_path", type=Path, required=True, help="save_{epoch}.pth")
    # Checked by the library, not by argparse choices: a wrong name is one line, not a usage.
    parser.add_argument("--format", required=True, metavar="{" + ",".join(FORMATS) + "}")
    parser.add_argument("--output", type=Path, required=True, help="the file to write")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Exit status 0 when the checked file is written, 2 on bad input (the message names it)."""
    args = build_parser().parse_args(argv)
    try:
        report = export_run(args.resume_path, args.format, args.output)
    except StrgError as error:
        return user_error(error)
    except OSError as error:
        print(f"error: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return USER_ERROR
    differences = report.differences.items()
    checked = ", ".join(f"{diff:.2g} at batch {batch}" for batch, diff in differences)
    print(f"wrote {report.path} ({report.format}, {report.arch})")
    print(f"inputs: {report.signature.describe()} -> logits B×K")
    print(f"checked against the eager model: max |difference| {checked}")
    return 0


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
