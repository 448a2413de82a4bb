"""The inference result JSON of 3d-resnets-compat §5 (what eval_accuracy / eval_map read)."""

from __future__ import annotations

from pathlib import Path

import torch

from strg.atomic import write_json_atomic
from strg.engine.loops import VideoScores


def top_labels(scores: torch.Tensor, class_names: list[str], output_topk: int) -> list[dict]:
    """``[{"label", "score"}, ...]`` best first: ``output_topk`` of them, or all when it is <= 0."""
    scores = scores[: len(class_names)]  # outputs past the named classes (--n_classes above)
    k = len(class_names) if output_topk <= 0 else min(output_topk, len(class_names))
    values, indices = scores.topk(k)
    return [
        {"label": class_names[index], "score": float(value)}
        for value, index in zip(values.tolist(), indices.tolist(), strict=True)
    ]


def write_result_file(
    path: Path,
    scores: VideoScores,
    class_names: list[str],
    output_topk: int,
    per_clip: bool = False,
) -> None:
    """Write ``{"results": {video_id: [...]}}``: per video, or per clip with its ``segment``
    (1-based frames, end exclusive) when ``per_clip`` (``--inference_no_average``)."""
    if per_clip:
        results = {
            video_id: [
                {"segment": segment, "result": top_labels(clip, class_names, output_topk)}
                for segment, clip in clips
            ]
            for video_id, clips in scores.clips.items()
        }
    else:
        results = {
            video_id: top_labels(video, class_names, output_topk)
            for video_id, video in scores.videos.items()
        }
    write_json_atomic(path, {"results": results})
