"""``python -m util_scripts.extract_proposals FRAME_ROOT ANNOTATION_JSON OUT_DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from strg.cli.common import add_shard_option
from strg.cli.errors import user_error
from strg.cli.invocation import prog
from strg.errors import StrgError


def build_parser() -> argparse.ArgumentParser:
    """The command line of extract_proposals."""
    parser = argparse.ArgumentParser(
        prog=prog("extract_proposals"),
        description=(
            "Run the region-proposal network of torchvision's Faster R-CNN ResNet-50-FPN on every "
            "--interval-th frame of every video of ANNOTATION_JSON and store the best --nrois "
            "boxes per frame (objectness order, after NMS) in OUT_DIR/<video_id>.npz, in pixels "
            "of the frames on disk. Frames are read from each entry's video_path, else "
            "FRAME_ROOT/<label>/<id>. Resumable: videos whose file exists are skipped."
        ),
    )
    parser.add_argument("frame_root", type=Path, help="root of the frame folders")
    parser.add_argument("annotation_json", type=Path, help="annotation JSON listing the videos")
    parser.add_argument("out_dir", type=Path, help="proposal store directory")
    parser.add_argument(
        "--interval", type=int, default=2, help="every k-th frame (default: %(default)s)"
    )
    parser.add_argument(
        "--nrois", type=int, default=10, help="boxes kept per frame (default: %(default)s)"
    )
    parser.add_argument(
        "--detector_weights",
        type=Path,
        default=None,
        help="state_dict of fasterrcnn_resnet50_fpn (default: torchvision's COCO weights, "
        "downloaded to the torch hub cache)",
    )
    parser.add_argument(
        "--batch_size", type=int, default=8, help="frames per forward pass (default: %(default)s)"
    )
    parser.add_argument(
        "--size",
        type=int,
        default=800,
        help="shorter side the detector resizes frames to (default: %(default)s, torchvision's)",
    )
    parser.add_argument(
        "--device", default="cuda", help="cuda (when available, else cpu) or cpu (default: cuda)"
    )
    add_shard_option(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 ok, 1 some videos failed, 2 bad input."""
    args = build_parser().parse_args(argv)
    for name in ("interval", "nrois", "batch_size", "size"):
        if getattr(args, name) < 1:
            print(f"error: --{name} must be positive", file=sys.stderr)
            return 2
    import torch

    from strg.prep.proposals import (
        build_detector,
        extract_proposals,
        videos_of_annotation,
    )

    device = args.device
    if device.startswith("cuda") and not torch.cuda.is_available():
        device = "cpu"
    try:
        videos = videos_of_annotation(args.annotation_json, args.frame_root)
        args.out_dir.mkdir(parents=True, exist_ok=True)
        model = build_detector(args.detector_weights, args.size, device)
    except StrgError as error:
        return user_error(error)
    except OSError as error:
        print(f"error: cannot create {args.out_dir}: {error.strerror}", file=sys.stderr)
        return 2
    if args.shard.count > 1:
        print(f"shard {args.shard} of {len(videos)} videos")
    report = extract_proposals(
        model,
        videos,
        args.out_dir,
        interval=args.interval,
        nrois=args.nrois,
        batch_size=args.batch_size,
        shard=args.shard,
        progress=not args.quiet,
    )
    print(report.summary())
    return 1 if report.failed else 0


if __name__ == "__main__":  # python -m strg.cli.MODULE
    raise SystemExit(main())
