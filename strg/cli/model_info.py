"""``python -m util_scripts.model_info``: parameters, FLOPs per view, per-stage shapes."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence

from strg.cli.invocation import prog
from strg.models.builder import MODELS, build_model
from strg.models.info import count_flops, model_inputs, stage_shapes


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures of one model; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog=prog("model_info"),
        description="Parameters, FLOPs per view (torch.utils.flop_counter) and the feature "
        "shape after each stage of a model.",
    )
    parser.add_argument("--model", default="resnet", choices=list(MODELS))
    parser.add_argument("--model_depth", type=int, default=None)
    parser.add_argument("--n_classes", type=int, default=400)
    parser.add_argument("--strg", action="store_true", help="put the STRG head on the backbone")
    parser.add_argument("--nrois", type=int, default=10)
    parser.add_argument("--sample_duration", type=int, default=16, help="T, frames per view")
    parser.add_argument("--sample_size", type=int, default=112, help="H = W of a view")
    parser.add_argument("--nonlocal_blocks", action="store_true", help="i3d: add non-local blocks")
    args = parser.parse_args(argv)

    options: dict = {"n_classes": args.n_classes}
    if args.model_depth is not None:
        options["model_depth"] = args.model_depth
    if args.nonlocal_blocks:
        options["nonlocal_blocks"] = True
    strg = args.strg or args.model.endswith("_strg")
    if strg:
        options["nrois"] = args.nrois
    model = build_model(args.model, strg=strg, **options)
    inputs = model_inputs(model, args.sample_duration, args.sample_size, args.nrois)
    params = sum(p.numel() for p in model.parameters())
    print(f"model: {args.model}{' + STRG' if strg else ''} {options}")
    print(f"parameters: {params:,} ({params / 1e6:.2f} M)")
    print(f"input: {' / '.join(str(tuple(x.shape)) for x in inputs)}")
    for name, shape in stage_shapes(model, inputs):
        print(f"  {name:<12} {'×'.join(map(str, shape))}")
    flops = count_flops(model, inputs)
    print(f"FLOPs per view: {flops / 1e9:.2f} G ({flops / 2e9:.2f} G multiply-adds)")
    return 0 if math.isfinite(flops) else 1


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
