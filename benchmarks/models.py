"""Speed of I3D-R50 and STRG-I3D-R50 (ours) against pytorchvideo's i3d_r50, per clip.

Prints forward and forward+backward seconds per clip at each clip length (default 8 and 32
frames at 224²) in fp32, bf16 autocast and channels_last_3d, the STRG head's share of the step
(the head's forward+backward timed alone on precomputed features, over its stride-1 backbone's
step, at the longest clip), and ends with::

    i3d_r50 time vs pytorchvideo: N.NNx   (ours / theirs, fp32, forward+backward, 8×224²)
    strg head share: NN %

pytorchvideo (0.1.5) is optional: without it the comparison is reported as not measured. Its
``i3d_r50`` has a fixed 4×7×7 head pool, so it is only run at 8×224². Timings are medians of
``--repeats`` after one warm-up; on a CPU an I3D-R50 step at 32×224² takes seconds, so keep
the repeats low there. ``--device cuda`` also reports peak memory.

    python benchmarks/models.py [--frames 8 32] [--size 224] [--batch 1] [--repeats 3]
        [--modes fp32 bf16 channels_last] [--nrois 10] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from strg.models import build_model
from strg.models.info import dummy_boxes


def pytorchvideo_i3d():
    try:
        from pytorchvideo.models.hub import i3d_r50
    except Exception as error:  # ImportError, or a torchvision it cannot work with
        print(f"pytorchvideo i3d_r50: not measured ({type(error).__name__}: {error})")
        return None
    return i3d_r50(pretrained=False)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_step(model, inputs, mode: str, backward: bool, repeats: int, device) -> float:
    """Median seconds of one forward (+ backward) pass on ``inputs``."""
    model.train(backward)
    autocast = (
        torch.autocast(device.type, dtype=torch.bfloat16) if mode == "bf16" else nullcontext()
    )
    times = []
    for i in range(repeats + 1):
        model.zero_grad(set_to_none=True)
        sync(device)
        start = time.perf_counter()
        with autocast, torch.set_grad_enabled(backward):
            out = model(*inputs)
            if backward:
                out.float().sum().backward()
        sync(device)
        if i:  # the first pass is a warm-up
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_head(strg, clip, boxes, valid, repeats: int, device) -> float:
    """Median seconds of the STRG head's forward+backward alone, on precomputed fp32 features."""
    strg.train()
    with torch.no_grad():
        features = strg.backbone.forward_features(clip.to(device))
    features.requires_grad_(True)
    boxes, valid = boxes.to(device), valid.to(device)
    times = []
    for i in range(repeats + 1):
        strg.zero_grad(set_to_none=True)
        sync(device)
        start = time.perf_counter()
        strg.head(features, boxes, valid).sum().backward()
        sync(device)
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def prepare(model, inputs, mode: str, device):
    model = model.to(device)
    clip, *rest = (x.to(device) for x in inputs)
    if mode == "channels_last":
        model = model.to(memory_format=torch.channels_last_3d)
        clip = clip.contiguous(memory_format=torch.channels_last_3d)
    return model, (clip, *rest)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", nargs="+", default=["fp32", "bf16", "channels_last"],
                        choices=["fp32", "bf16", "channels_last"])  # fmt: skip
    parser.add_argument("--nrois", type=int, default=10)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    torch.manual_seed(0)
    print(f"device {device}, threads {torch.get_num_threads()}, torch {torch.__version__}, "
          f"batch {args.batch}, repeats {args.repeats}")  # fmt: skip

    ours = build_model("i3d", model_depth=50, n_classes=400)  # res5 stride 2
    strg = build_model("i3d_strg", model_depth=50, n_classes=400, nrois=args.nrois)
    theirs = pytorchvideo_i3d() if 8 in args.frames and args.size == 224 else None
    results: dict[tuple, float] = {}
    for frames in args.frames:
        clip = torch.randn(args.batch, 3, frames, args.size, args.size)
        steps = frames // strg.backbone.temporal_stride
        boxes, valid = dummy_boxes(steps, args.nrois, args.size, args.batch)
        runs = [("i3d_r50", ours, (clip,)), ("strg_i3d_r50", strg, (clip, boxes, valid)),
                ("strg_backbone", strg.backbone, (clip,))]  # fmt: skip
        if theirs is not None and frames == 8:
            runs.append(("pytorchvideo_i3d_r50", theirs, (clip,)))
        for mode in args.modes:
            for name, model, inputs in runs:
                model_d, inputs_d = prepare(model, inputs, mode, device)
                if device.type == "cuda":
                    torch.cuda.reset_peak_memory_stats()
                fwd = time_step(model_d, inputs_d, mode, False, args.repeats, device) / args.batch
                step = time_step(model_d, inputs_d, mode, True, args.repeats, device) / args.batch
                results[(name, frames, mode)] = step
                memory = ""
                if device.type == "cuda":
                    memory = f"  peak {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB"
                print(f"{name:<22} {frames:>3}×{args.size}² {mode:<13} "
                      f"forward {fwd:7.3f} s/clip  forward+backward {step:7.3f} s/clip{memory}",
                      flush=True)  # fmt: skip
                model.to(memory_format=torch.contiguous_format)

    # The head is timed on its own (precomputed backbone features): the difference of two noisy
    # whole-model timings is not a measurement on a busy CPU.
    longest = max(args.frames)
    clip = torch.randn(args.batch, 3, longest, args.size, args.size)
    steps = longest // strg.backbone.temporal_stride
    boxes, valid = dummy_boxes(steps, args.nrois, args.size, args.batch)
    head_step = time_head(strg.to(device), clip, boxes, valid, max(args.repeats, 5), device)
    backbone_step = results.get(("strg_backbone", longest, "fp32")) or time_step(
        strg.backbone, (clip.to(device),), "fp32", True, args.repeats, device
    )
    share = 100 * head_step / backbone_step
    print(
        f"strg head alone: forward+backward {head_step / args.batch:.3f} s/clip at {longest} "
        f"frames, T' = {steps}, N = {args.nrois}, fp32; backbone {backbone_step / args.batch:.3f}"
    )
    key = ("pytorchvideo_i3d_r50", 8, "fp32")
    if key in results:
        ratio = results[("i3d_r50", 8, "fp32")] / results[key]
        print(f"i3d_r50 time vs pytorchvideo: {ratio:.2f}x")
    else:
        print("i3d_r50 time vs pytorchvideo: not measured (needs pytorchvideo, fp32, 8×224²)")
    print(f"strg head share: {share:.0f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
