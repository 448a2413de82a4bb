"""ActivityNet: adding each video's frame rate to the official JSON (add_fps_into_activitynet_json).

For every ``VIDEO_DIR/v_<id>.mp4`` the rate is probed with ffprobe (``avg_frame_rate``, exact, as
a fraction, where the original parsed the rounded ``"NN fps"`` token of ffmpeg's log) and stored
as ``database[<id>].fps`` (the ``v_`` prefix removed). Entries without a video, videos without an
entry and probe failures are all reported.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from tqdm import tqdm

from strg.prep.annotation import AnnotationError, read_text
from strg.prep.ffmpeg import probe_command, run

EXTENSION = ".mp4"


def video_id_of(video: Path) -> str:
    """``v_abc.mp4`` -> ``abc`` (names without the prefix are kept whole)."""
    stem = video.name[: -len(EXTENSION)]
    return stem[2:] if stem.startswith("v_") else stem


def probe_fps(video: Path) -> float:
    """The average frame rate of ``video``; a ValueError naming it when it cannot be read."""
    result = run(probe_command(video, "stream=avg_frame_rate,r_frame_rate"))
    rates = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    for rate in rates:
        try:
            value = Fraction(rate)
        except (ValueError, ZeroDivisionError):
            continue
        if value > 0:
            return float(value)
    message = result.stderr.strip().splitlines()[-1:] or ["no video stream"]
    raise ValueError(f"ffprobe found no frame rate in {video}: {message[0]}")


@dataclass
class FpsResult:
    """The updated JSON and what could not be done."""

    annotation: dict[str, Any]
    updated: int = 0
    no_video: list[str] = field(default_factory=list)  # ids in the JSON without a video
    not_in_json: list[Path] = field(default_factory=list)  # videos without an entry
    failed: list[tuple[Path, str]] = field(default_factory=list)  # probe failures


def add_fps(video_dir: Path, json_path: Path, n_jobs: int = 1, progress: bool = True) -> FpsResult:
    """Probe every video of ``video_dir`` and set ``fps`` in the JSON at ``json_path``."""
    try:
        annotation = json.loads(read_text(json_path))
    except json.JSONDecodeError as error:
        raise AnnotationError(f"{json_path} is not valid JSON: {error}") from None
    database = annotation.get("database") if isinstance(annotation, dict) else None
    if not isinstance(database, dict):
        raise AnnotationError(f"{json_path} has no 'database' object")
    if not video_dir.is_dir():
        raise AnnotationError(f"video directory {video_dir} does not exist")
    result = FpsResult(annotation)
    videos = sorted(
        path
        for path in video_dir.iterdir()
        if path.name.endswith(EXTENSION) and not path.name.startswith(".")
    )
    known = []
    for video in videos:
        (known if video_id_of(video) in database else result.not_in_json).append(video)

    def probe(video: Path) -> tuple[Path, float | None, str]:
        try:
            return video, probe_fps(video), ""
        except ValueError as error:
            return video, None, str(error)

    with ThreadPoolExecutor(max_workers=max(n_jobs, 1)) as pool:
        outcomes = pool.map(probe, known)
        for video, fps, reason in tqdm(
            outcomes, total=len(known), desc="probing", unit="video", disable=not progress
        ):
            if fps is None:
                result.failed.append((video, reason))
            else:
                database[video_id_of(video)]["fps"] = fps
                result.updated += 1
    probed = {video_id_of(video) for video in known}
    result.no_video = [video_id for video_id in database if video_id not in probed]
    return result
