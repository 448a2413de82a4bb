"""Speed of data preparation on this machine: generate_video_jpgs with 1 and 2 jobs, and
region-proposal extraction, in frames per second.

    python benchmarks/prep.py [--videos-per-class 2] [--size 240] [--detector-sizes 400 800]

It generates a small embedded data set in a temporary folder, extracts its frames with
generate_video_jpgs (``--video_ext .webm``, ucf101 layout: one folder per class) with
``--n_jobs 1`` and ``--n_jobs 2``, then runs extract_proposals with randomly initialised
weights (the speed does not depend on the weights) on every 2nd frame of one short clip,
at detector sizes 400 and 800.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from strg.cli import generate_video_jpgs
from strg.prep.frames import count_frames
from strg.prep.proposals import build_detector, extract_proposals, videos_of_annotation
from strg.synth import SynthOptions, generate_dataset


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos-per-class", type=int, default=2)
    parser.add_argument("--size", type=int, default=240, help="generate_video_jpgs --size")
    parser.add_argument(
        "--detector-sizes", type=int, nargs="+", default=[400, 800], help="extract_proposals --size"
    )
    parser.add_argument("--proposal-frames", type=int, default=16, help="frames of one video")
    args = parser.parse_args()
    import torch
    from torchvision.models.detection import fasterrcnn_resnet50_fpn

    with tempfile.TemporaryDirectory(prefix="strg-bench-prep-") as work:
        work = Path(work)
        generate_dataset(
            work / "synth", SynthOptions(videos_per_class=args.videos_per_class, seed=0),
            workers=2, progress=False,
        )  # fmt: skip
        videos = sorted((work / "synth" / "videos").glob("*.webm"))
        source = work / "by_class"
        for number, video in enumerate(videos):
            (source / f"class{number % 4}").mkdir(parents=True, exist_ok=True)
            shutil.copy(video, source / f"class{number % 4}" / video.name)
        threads = torch.get_num_threads()
        print(f"{len(videos)} videos (VP9 WebM, height 240), {threads} torch threads")
        for n_jobs in (1, 2):
            out = work / f"jpg{n_jobs}"
            start = time.perf_counter()
            status = generate_video_jpgs.main([str(source), str(out), "ucf101", "--video_ext",
                                               ".webm", "--size", str(args.size), "--n_jobs",
                                               str(n_jobs), "--quiet"])  # fmt: skip
            elapsed = time.perf_counter() - start
            frames = sum(count_frames(folder) for folder in out.glob("*/*"))
            assert status == 0
            print(f"generate_video_jpgs --n_jobs {n_jobs}: {frames} frames in {elapsed:.1f} s = "
                  f"{frames / elapsed:.0f} frames/s")  # fmt: skip

        # One video cut to --proposal-frames frames: every 2nd frame, one batch of 8.
        clip = work / "clip"
        clip.mkdir()
        first = sorted((work / "jpg1").glob("*/*"))[0]
        for frame in sorted(first.glob("*.jpg"))[: args.proposal_frames]:
            shutil.copy(frame, clip / frame.name)
        annotation = {"labels": [], "database": {
            "clip": {"subset": "training", "video_path": str(clip), "annotations": {}}
        }}  # fmt: skip
        (work / "a.json").write_text(json.dumps(annotation))
        weights = work / "frcnn.pth"
        torch.save(fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None).state_dict(),
                   weights)  # fmt: skip
        device = "cuda" if torch.cuda.is_available() else "cpu"
        for size in args.detector_sizes:
            model = build_detector(weights, size, device)
            videos_in = videos_of_annotation(work / "a.json", work)
            start = time.perf_counter()
            report = extract_proposals(model, videos_in, work / f"props{size}", progress=False)
            elapsed = time.perf_counter() - start
            assert not report.failed, report.summary()
            print(f"extract_proposals ({device}, detector input short side {size}, batch 8, "
                  f"without model load): {report.frames} frames in {elapsed:.1f} s = "
                  f"{report.frames / elapsed:.2f} frames/s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
