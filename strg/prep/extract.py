"""Extracting the frames of many videos in parallel, resumably, with a failure summary."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from strg.prep.ffmpeg import extract_frames_command, run
from strg.prep.frames import count_frames, is_complete, partial_dir, read_settings, write_settings

#: Frames a decoded video may fall short of what its header declares (rounding, an audio
#: track longer than the video) before it counts as truncated: this many, or this share.
SHORTFALL_FRAMES, SHORTFALL_SHARE = 2, 0.05
#: What ffmpeg prints, and still exits 0, when a file ends before its last frame.
TRUNCATION_MESSAGES = ("File ended prematurely", "partial file")


@dataclass(frozen=True)
class ExtractionJob:
    """One video and the folder its frames go to."""

    video: Path
    output_dir: Path


@dataclass
class ExtractionReport:
    """What a run did: folders written, folders already complete, and failures with reasons."""

    extracted: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)

    def summary(self) -> str:
        """A few lines for the console: counts, then every failure with its reason."""
        lines = [
            f"extracted {len(self.extracted)}, already complete {len(self.skipped)}, "
            f"failed {len(self.failed)}"
        ]
        lines += [f"  FAILED {video}: {reason}" for video, reason in self.failed]
        return "\n".join(lines)


def _last_lines(text: str, count: int = 2) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:]) if lines else "no message"


def check_video(video: Path) -> str:
    """Why ``video`` cannot be read ("" when it can)."""
    if not video.is_file():
        return "video file is missing"
    if not os.access(video, os.R_OK):
        return "video file is not readable"
    return ""


def declared_frames(video: Path, fps: float | None = None) -> int | None:
    """Frames the container of ``video`` declares: its frame count, else duration × frame rate
    (× ``fps`` when resampling); None when the header does not say."""
    import av  # core dependency, imported here to keep the CLI's start light

    try:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            if fps is None and stream.frames > 0:
                return int(stream.frames)
            if container.duration:
                duration = container.duration / av.time_base
            elif stream.duration and stream.time_base:
                duration = float(stream.duration * stream.time_base)
            else:
                return None
            rate = fps or stream.average_rate or stream.guessed_rate
    except (av.FFmpegError, IndexError):
        return None
    return round(duration * float(rate)) if rate else None


def truncation(video: Path, n_frames: int, stderr: str, fps: float | None = None) -> str:
    """Why ``n_frames`` decoded frames of ``video`` look like a truncated file ("" when not):
    ffmpeg's own complaint, or fewer frames than the header declares."""
    for message in TRUNCATION_MESSAGES:
        if message in stderr:
            return f"the file is truncated (ffmpeg: {message}; decoded {n_frames} frames)"
    declared = declared_frames(video, fps)
    if declared and n_frames < declared - max(SHORTFALL_FRAMES, SHORTFALL_SHARE * declared):
        return f"decoded {n_frames} of the {declared} frames its header declares: truncated?"
    return ""


def extraction_settings(name_pattern: str, short_side: int, fps: float | None) -> dict:
    """What a frame folder's content depends on, recorded in it and checked on a rerun."""
    return {"name_pattern": name_pattern, "size": short_side, "fps": fps}


def extract_to(
    video: Path, directory: Path, name_pattern: str, short_side: int, fps: float | None = None
) -> str:
    """Extract every frame of ``video`` into the fresh folder ``directory`` (replacing whatever
    is there) and record the settings in it. Returns "" on success, else the reason (and
    ``directory`` is removed): ffmpeg failed, decoded nothing, or stopped early on a truncated
    file (which ffmpeg reports but exits 0 for)."""
    shutil.rmtree(directory, ignore_errors=True)  # left by an interrupted run: redo it
    try:
        directory.mkdir(parents=True)
    except OSError as error:
        return f"cannot create {directory}: {error.strerror}"
    result = run(extract_frames_command(video, directory, name_pattern, short_side, fps=fps))
    if result.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        return f"ffmpeg exited with {result.returncode}: {_last_lines(result.stderr)}"
    n_frames = count_frames(directory)
    if n_frames == 0:
        shutil.rmtree(directory, ignore_errors=True)
        return f"ffmpeg decoded no frames: {_last_lines(result.stderr)}"
    problem = truncation(video, n_frames, result.stderr, fps)
    if problem:
        shutil.rmtree(directory, ignore_errors=True)
        return problem
    write_settings(directory, extraction_settings(name_pattern, short_side, fps))
    return ""


def extract_video(
    job: ExtractionJob, name_pattern: str, short_side: int, fps: float | None = None
) -> tuple[str, str]:
    """Extract one video's frames. Returns ("extracted" | "skipped" | "failed", reason).

    A complete folder is kept when it was made with the same settings (or records none: an
    older extraction); made with others, it is a failure naming both, and is left as it is."""
    if is_complete(job.output_dir):
        recorded = read_settings(job.output_dir)
        wanted = extraction_settings(name_pattern, short_side, fps)
        if recorded is None or recorded == wanted:
            return "skipped", ""
        differences = ", ".join(
            f"{key} {recorded.get(key)} (this run: {value})"
            for key, value in wanted.items()
            if recorded.get(key) != value
        )
        return "failed", (
            f"{job.output_dir} was extracted with {differences}; its frames are kept: delete the "
            "folder to redo it, or extract to another directory"
        )
    problem = check_video(job.video)
    if problem:
        return "failed", problem
    partial = partial_dir(job.output_dir)
    problem = extract_to(job.video, partial, name_pattern, short_side, fps)
    if problem:
        return "failed", problem
    if job.output_dir.is_dir():  # an empty folder under the final name: replace it
        job.output_dir.rmdir()
    os.replace(partial, job.output_dir)
    return "extracted", ""


def extract_all(
    jobs: list[ExtractionJob],
    name_pattern: str,
    short_side: int,
    n_jobs: int,
    progress: bool = True,
    fps: float | None = None,
) -> ExtractionReport:
    """Extract every job with ``n_jobs`` ffmpeg processes at a time; never stops at a failure."""
    return run_jobs(
        jobs,
        lambda job: extract_video(job, name_pattern, short_side, fps),
        n_jobs,
        progress=progress,
    )


def run_jobs(
    jobs: list[ExtractionJob],
    work: Callable[[ExtractionJob], tuple[str, str]],
    n_jobs: int,
    progress: bool = True,
    description: str = "extracting frames",
) -> ExtractionReport:
    """Run ``work`` (returning ("extracted" | "skipped" | "failed", reason)) on every job with
    ``n_jobs`` threads; never stops at a failure."""
    report = ExtractionReport()
    bar = tqdm(total=len(jobs), desc=description, unit="video", disable=not progress)
    with ThreadPoolExecutor(max_workers=max(n_jobs, 1)) as pool:
        outcomes = pool.map(work, jobs)
        for job, (status, reason) in zip(jobs, outcomes, strict=True):
            if status == "extracted":
                report.extracted.append(job.output_dir)
            elif status == "skipped":
                report.skipped.append(job.output_dir)
            else:
                report.failed.append((job.video, reason))
            bar.update()
    bar.close()
    return report
