"""``python -m util_scripts.model_info``: parameters, FLOPs per view, per-stage shapes.

It takes every model flag of ``main.py`` (the same option groups, the same defaults), so the
model it measures is the one ``main.py`` would train.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence

from strg.cli.errors import user_error
from strg.cli.invocation import prog
from strg.cli.options import add_model_options, add_region_graph_options
from strg.errors import StrgError

#: Flags of model_info's own; every other one is a main.py model flag.
_OWN = ("n_classes", "sample_duration", "sample_size")


class ModelInfoError(StrgError, ValueError):
    """The flags describe no model, or one that cannot run a clip of the given size."""


def build_parser() -> argparse.ArgumentParser:
    """model_info's parser: main.py's model and region-graph flags, the classes and the view."""
    from strg.config import option_defaults

    parser = argparse.ArgumentParser(
        prog=prog("model_info"),
        description="Parameters, FLOPs per view (torch.utils.flop_counter) and the feature "
        "shape after each stage of a model, built from main.py's model flags.",
    )
    add_model_options(parser)
    add_region_graph_options(parser)
    view = parser.add_argument_group("classes and view")
    view.add_argument("--n_classes", type=int, help="classes (default: %(default)s)")
    view.add_argument("--sample_duration", type=int, help="T, frames per view (default: 16)")
    view.add_argument("--sample_size", type=int, help="H = W of a view (default: 112)")
    dests = {action.dest for action in parser._actions}
    parser.set_defaults(**{k: v for k, v in option_defaults().items() if k in dests})
    # Unlike main.py, no --model_depth means the family's usual depth (i3d: 50).
    parser.set_defaults(model_depth=None, sample_duration=16, sample_size=112)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures of one model; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return _report(args)
    except StrgError as error:
        return user_error(error)


def _report(args: argparse.Namespace) -> int:
    import torch

    from strg.config import model_spec
    from strg.engine.model_setup import build_spec_model
    from strg.models.builder import default_depth
    from strg.models.info import count_flops, model_inputs, stage_shapes

    options = {k: v for k, v in vars(args).items() if k not in _OWN}
    if options["model_depth"] is None:
        options["model_depth"] = default_depth(args.model)
    spec = model_spec(options)
    try:
        model = build_spec_model(spec, args.n_classes, 3)
    except ValueError as error:  # the model's own check of its options, e.g. a depth
        raise ModelInfoError(f"--model {spec.model}: {error}") from None
    view = f"{args.sample_duration}×{args.sample_size}²"
    try:
        inputs = model_inputs(model, args.sample_duration, args.sample_size, spec.nrois)
        shapes = stage_shapes(model, inputs)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelInfoError(
            f"{spec.arch} cannot run a {view} clip (raise --sample_duration or --sample_size): "
            f"{first}"
        ) from None
    params = sum(p.numel() for p in model.parameters())
    shown = spec.build_options(args.n_classes, 3)
    print(f"model: {spec.arch}{' (STRG)' if spec.strg else ''} {shown}")
    print(f"parameters: {params:,} ({params / 1e6:.2f} M)")
    print(f"input: {' / '.join(str(tuple(x.shape)) for x in inputs)}")
    for name, shape in shapes:
        print(f"  {name:<12} {'×'.join(map(str, shape))}")
    with torch.no_grad():
        flops = count_flops(model, inputs)
    print(f"FLOPs per view: {flops / 1e9:.2f} G ({flops / 2e9:.2f} G multiply-adds)")
    return 0 if math.isfinite(flops) else 1


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
