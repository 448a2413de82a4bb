"""One HDF5 file per video: dataset ``video``, the JPEG bytes of each frame (generate_video_hdf5).

``DST/<class>/<stem>.hdf5`` holds a 1-D dataset ``video`` of variable-length uint8 arrays; entry
``i`` is the JPEG file of 0-based frame ``i``, i.e. ``image_{i+1:05d}.jpg`` of the JPEG layout,
so ``len(video)`` is the frame count and an HDF5 file and a frame folder of the same video hold
the same frames in the same order. The file is written under a temporary name and renamed when
complete, so a file under its final name is always whole; reruns skip it.

h5py is optional (``pip install 'strg[hdf5]'``): it is imported when first needed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from strg.atomic import atomic_path
from strg.errors import StrgError
from strg.prep.extract import ExtractionJob, check_video, extract_to
from strg.prep.frames import count_frames
from strg.structures import ffmpeg_frame_pattern, frame_file_name

DATASET = "video"
NAME_PATTERN = ffmpeg_frame_pattern("image")


class MissingDependencyError(StrgError, RuntimeError):
    """An optional package is not installed (the message says how to install it)."""


def import_h5py() -> Any:
    """The h5py module, or :class:`MissingDependencyError` saying how to install it."""
    try:
        import h5py
    except ImportError as error:
        raise MissingDependencyError(
            "HDF5 support needs h5py: pip install 'strg[hdf5]' (or pip install h5py)"
        ) from error
    return h5py


def frames_dir_of(hdf5_path: Path) -> Path:
    """The hidden folder the frames of ``hdf5_path`` are extracted to before packing."""
    return hdf5_path.with_name(f".{hdf5_path.name}.frames")


def write_frames_hdf5(frame_dir: Path, destination: Path) -> int:
    """Pack ``frame_dir/image_00001.jpg …`` into ``destination`` atomically; returns the count.

    The frames must be numbered 1..n without gaps; a gap is a ValueError naming the file.
    """
    h5py = import_h5py()
    n_frames = count_frames(frame_dir)
    with atomic_path(destination) as temporary, h5py.File(temporary, "w") as handle:
        video = handle.create_dataset(DATASET, (n_frames,), dtype=h5py.vlen_dtype(np.uint8))
        for index in range(n_frames):
            path = frame_dir / frame_file_name(index, "image")
            try:
                video[index] = np.frombuffer(path.read_bytes(), dtype=np.uint8)
            except FileNotFoundError:
                raise ValueError(f"{path} is missing: the frames are not numbered 1..n") from None
    return n_frames


def hdf5_length(path: Path) -> int:
    """Number of frames in the HDF5 file ``path`` (0 when the file does not exist)."""
    if not path.is_file():
        return 0
    h5py = import_h5py()
    with h5py.File(path, "r") as handle:
        if DATASET not in handle:
            raise ValueError(f"{path} has no dataset {DATASET!r}")
        return len(handle[DATASET])


def convert_video(job: ExtractionJob, short_side: int, fps: float | None = None) -> tuple[str, str]:
    """Write ``job.output_dir`` (the .hdf5 path) for ``job.video``.

    Returns ("extracted" | "skipped" | "failed", reason).
    """
    destination = job.output_dir
    if destination.is_file():
        return "skipped", ""
    problem = check_video(job.video)
    if problem:
        return "failed", problem
    frame_dir = frames_dir_of(destination)
    problem = extract_to(job.video, frame_dir, NAME_PATTERN, short_side, fps)
    if problem:
        return "failed", problem
    try:
        write_frames_hdf5(frame_dir, destination)
    except (OSError, ValueError) as error:
        return "failed", f"cannot write {destination}: {error}"
    finally:
        shutil.rmtree(frame_dir, ignore_errors=True)
    return "extracted", ""
