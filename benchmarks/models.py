"""Training-step speed of STRG-I3D-R50 (ours) per switch set, its share of the device's peak,
and our I3D-R50 against pytorchvideo's.

For each switch set (``--switches``: ``none``, ``channels_last``, ``compile``,
``channels_last+compile``, main.py's ``--channels_last`` / ``--compile``) it times the training
step (forward + backward) of STRG-I3D-R50 at ``--frames``×``--size``² in ``--precision``, with
peak memory on a GPU. The step's FLOPs come from ``torch.utils.flop_counter``, the peak from a
square matmul of the same precision in the same run. It ends with::

    strg step share of bf16 peak: NN %   (best switches, GFLOP, s/step, peak GFLOP/s)
    i3d_r50 time vs pytorchvideo: N.NNx  (ours with those switches / pytorchvideo's plain model)

``--precision auto`` takes bf16 unless the device's bf16 matmul is slower than its fp32 one (a
CPU without bf16 kernels: there a bf16 step takes hours); the share is then of the fp32 peak and
the bf16 line says why it was not measured. pytorchvideo (extra ``bench``) is optional: without
it the comparison is reported as not measured. Times are medians of ``--repeats`` steps after one
warm-up (which compiles under ``compile``; its time is printed apart).

    python benchmarks/models.py [--device cpu|cuda] [--frames 32] [--size 224] [--batch 1]
        [--precision auto|fp32|bf16] [--switches none channels_last compile ...] [--repeats 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from strg.engine.speed import clip_in_format, compiled, to_channels_last
from strg.models import build_model
from strg.models.info import dummy_boxes

SWITCHES = ("none", "channels_last", "compile", "channels_last+compile")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_peak(dtype: torch.dtype, device: torch.device, largest: int) -> float:
    """GFLOP/s of the fastest square matmul (the best of at least two products per side),
    growing the side from 256 until one product takes 0.3 s (a device without kernels for
    ``dtype`` stops early) or the side reaches ``largest``."""
    best, side = 0.0, 256
    while side <= largest:
        a = torch.randn(side, side, dtype=dtype, device=device)
        b = torch.randn(side, side, dtype=dtype, device=device)
        a @ b
        sync(device)
        fastest, start = float("inf"), time.perf_counter()
        for count in range(1, 100):
            product = time.perf_counter()
            a @ b
            sync(device)
            fastest = min(fastest, time.perf_counter() - product)
            if count >= 2 and time.perf_counter() - start > 0.2:
                break
        best = max(best, 2 * side**3 / fastest / 1e9)
        if fastest > 0.3:
            break
        side *= 2
    return best


def strg_model(nrois: int) -> nn.Module:
    torch.manual_seed(0)
    return build_model("i3d_strg", model_depth=50, n_classes=400, nrois=nrois)


def i3d_model() -> nn.Module:
    torch.manual_seed(0)
    return build_model("i3d", model_depth=50, n_classes=400)  # res5 stride 2, as pytorchvideo


def pytorchvideo_i3d(frames: int, size: int) -> nn.Module | str:
    """pytorchvideo's i3d_r50 (its head pool sized for the clip), or why it cannot be built."""
    try:
        from pytorchvideo.models.hub import i3d_r50
    except Exception as error:  # ImportError, or a torchvision it cannot work with
        return f"{type(error).__name__}: {error}; install the extra 'bench'"
    torch.manual_seed(0)
    return i3d_r50(pretrained=False, head_pool_kernel_size=(frames // 2, size // 32, size // 32))


def prepare(model: nn.Module, switches: str, device: torch.device) -> nn.Module:
    """The network ``switches`` asks for, as main.py's _place builds it."""
    model = model.to(device)
    if "channels_last" in switches:
        to_channels_last(model)
    return compiled(model) if "compile" in switches else model


def time_steps(network, inputs, precision: str, repeats: int, device, count_flops: bool = False):
    """(median seconds of a training step, seconds of the warm-up step, its FLOPs or None)."""
    network.train()
    autocast = (
        torch.autocast(device.type, dtype=torch.bfloat16) if precision == "bf16" else nullcontext()
    )
    times, flops = [], None
    for i in range(repeats + 1):
        network.zero_grad(set_to_none=True)
        counter = FlopCounterMode(display=False) if count_flops and not i else nullcontext()
        sync(device)
        start = time.perf_counter()
        with counter:  # forward and backward
            with autocast:
                out = network(*inputs)
            out.float().sum().backward()
        sync(device)
        times.append(time.perf_counter() - start)
        if isinstance(counter, FlopCounterMode):
            flops = counter.get_total_flops()
    return statistics.median(times[1:] or times), times[0], flops


def measure(name, model, inputs, switches, precision, repeats, device, count_flops=False):
    """Time one model under one switch set; print its line; return (seconds, FLOPs or None)."""
    network = prepare(model, switches, device)
    clip, *rest = (x.to(device) for x in inputs)
    inputs = (clip_in_format(clip, "channels_last" in switches), *rest)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    seconds, first, flops = time_steps(
        network, inputs, precision, repeats, device, count_flops and "compile" not in switches
    )
    memory = ""
    if device.type == "cuda":
        memory = f"  peak memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB"
    warm = f"  (first step, compiling: {first:.1f} s)" if "compile" in switches else ""
    print(f"{name:<21} {precision} {switches:<22} step {seconds:7.3f} s{memory}{warm}", flush=True)
    return seconds, flops


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto")
    parser.add_argument("--switches", nargs="+", choices=SWITCHES, default=list(SWITCHES))
    parser.add_argument("--repeats", type=int, default=2, help="timed steps after the warm-up")
    parser.add_argument("--nrois", type=int, default=10)
    parser.add_argument(
        "--peak_side", type=int, help="largest matmul side of the peak (default: 4096, GPU 8192)"
    )
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # as main.py on a GPU
    capability = torch.backends.cpu.get_cpu_capability() if device.type == "cpu" else ""
    print(f"device {device} {capability}, threads {torch.get_num_threads()}, torch "
          f"{torch.__version__}, {args.frames}×{args.size}², batch {args.batch}, "
          f"repeats {args.repeats}")  # fmt: skip
    side = args.peak_side or (8192 if device.type == "cuda" else 4096)
    peaks = {name: matmul_peak(dtype, device, side) for name, dtype in DTYPES.items()}
    print(f"matmul peak: fp32 {peaks['fp32']:.1f} GFLOP/s, bf16 {peaks['bf16']:.1f} GFLOP/s")
    precision = args.precision
    if precision == "auto":
        precision = "bf16" if peaks["bf16"] >= peaks["fp32"] else "fp32"

    clip = torch.randn(args.batch, 3, args.frames, args.size, args.size)
    model = strg_model(args.nrois)
    steps = args.frames // model.backbone.temporal_stride
    boxes, valid = dummy_boxes(steps, args.nrois, args.size, args.batch)
    results, flops = {}, None
    for switches in args.switches:
        model = model or strg_model(args.nrois)  # a fresh model per set: the same weights
        seconds, counted = measure(
            "strg_i3d_r50", model, (clip, boxes, valid), switches, precision, args.repeats,
            device, count_flops=flops is None,
        )  # fmt: skip
        model = None
        results[switches], flops = seconds, flops or counted
    if flops is None:  # every set compiled: count on the plain model
        network = strg_model(args.nrois).to(device)
        flops = time_steps(network, (clip, boxes, valid), precision, 0, device, True)[2]
    if "none" in results:
        ratios = ", ".join(f"{s} {results['none'] / t:.2f}x" for s, t in results.items())
        print(f"strg_i3d_r50 speed-up over none: {ratios}")
    # A shared or virtual machine's speed drifts: the peak is measured again after the steps and
    # the higher of the two taken, so that a slow moment during the first cannot inflate the share.
    after = matmul_peak(DTYPES[precision], device, side)
    print(f"matmul peak after the steps: {precision} {after:.1f} GFLOP/s")
    peak = max(peaks[precision], after)
    best = min(results, key=results.get)
    share = 100 * flops / results[best] / (peak * 1e9)
    rate = flops / results[best] / 1e9
    detail = (f"({best}, {flops / 1e9:.0f} GFLOP in {results[best]:.2f} s/step = {rate:.0f} "
              f"GFLOP/s, peak {peak:.0f} GFLOP/s)")  # fmt: skip
    if precision == "fp32" and args.precision == "auto":
        print(f"strg step share of bf16 peak: not measured (bf16 matmul {peaks['bf16']:.1f} "
              f"GFLOP/s, slower than fp32's {peaks['fp32']:.0f}: this device has no fast bf16 "
              "kernels; the steps ran in fp32)")  # fmt: skip
    print(f"strg step share of {precision} peak: {share:.0f} %   {detail}")

    theirs = pytorchvideo_i3d(args.frames, args.size)
    if isinstance(theirs, str):
        print(f"i3d_r50 time vs pytorchvideo: not measured ({theirs})")
        return 0
    ours, _ = measure("i3d_r50", i3d_model(), (clip,), best, precision, args.repeats, device)
    plain, _ = measure("pytorchvideo_i3d_r50", theirs, (clip,), "none", precision, args.repeats,
                       device)  # fmt: skip
    print(f"i3d_r50 time vs pytorchvideo: {ours / plain:.2f}x   (ours {best} {ours:.2f} s / "
          f"pytorchvideo's plain model {plain:.2f} s, {precision})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
