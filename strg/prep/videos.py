"""Finding the videos of a data set on disk, in the layouts generate_video_jpgs/hdf5 read.

=============================  ===========  =============================================
data set                       extension    layout (SRC -> DST)
=============================  ===========  =============================================
kinetics, mit                  ``.mp4``     ``SRC/<class>/<stem>.mp4 -> DST/<class>/<stem>``
ucf101, hmdb51                 ``.avi``     ``SRC/<class>/<stem>.avi -> DST/<class>/<stem>``
activitynet                    ``.mp4``     ``SRC/<stem>.mp4 -> DST/<stem>`` (flat)
=============================  ===========  =============================================

Test videos of the class layouts sit in ``SRC/test/`` and are handled as one more class folder
(the original visited it twice; here every folder is visited once). Files that do not match are
never dropped silently: they are returned in :attr:`VideoListing.ignored` for the caller to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from strg.prep.extract import ExtractionJob

#: Data set -> extension of its videos (3d-resnets-compat §3.3).
VIDEO_EXTENSIONS: dict[str, str] = {
    "kinetics": ".mp4",
    "mit": ".mp4",
    "ucf101": ".avi",
    "hmdb51": ".avi",
    "activitynet": ".mp4",
}
#: Data sets whose videos lie directly in SRC (no class folders).
FLAT_DATASETS = frozenset({"activitynet"})


@dataclass
class VideoListing:
    """The extraction jobs found, keyed by their path relative to DST, and what was ignored."""

    jobs: list[ExtractionJob] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)


def _visible(directory: Path) -> list[Path]:
    return sorted(path for path in directory.iterdir() if not path.name.startswith("."))


def _matches(path: Path, extension: str) -> bool:
    return path.is_file() and path.name.lower().endswith(extension.lower())


def find_videos(
    source: Path, destination: Path, dataset: str, extension: str | None = None, suffix: str = ""
) -> VideoListing:
    """Every video of ``dataset`` under ``source`` and its output path under ``destination``.

    The output of ``SRC/<class>/<stem><ext>`` is ``DST/<class>/<stem><suffix>`` (``suffix`` is
    ``""`` for frame folders, ``".hdf5"`` for HDF5 files). ``extension`` overrides the data
    set's (e.g. ``.webm`` for Kinetics downloaded as WebM). Sorted by output path.
    """
    if dataset not in VIDEO_EXTENSIONS:
        valid = ", ".join(VIDEO_EXTENSIONS)
        raise ValueError(f"unknown data set {dataset!r}; valid: {valid}")
    if not source.is_dir():
        raise FileNotFoundError(f"video directory {source} does not exist")
    extension = extension or VIDEO_EXTENSIONS[dataset]
    if not extension.startswith("."):
        extension = "." + extension
    listing = VideoListing()
    if dataset in FLAT_DATASETS:
        folders = [(source, "")]
    else:
        folders = []
        for entry in _visible(source):
            if entry.is_dir():
                folders.append((entry, entry.name + "/"))
            else:
                listing.ignored.append(entry)
    for folder, prefix in folders:
        for entry in _visible(folder):
            if not _matches(entry, extension):
                listing.ignored.append(entry)
                continue
            stem = entry.name[: -len(extension)]
            key = prefix + stem
            listing.jobs.append(ExtractionJob(entry, destination / (key + suffix)))
            listing.keys.append(key)
    if not listing.jobs:
        layout = (
            f"{source}/*{extension}"
            if dataset in FLAT_DATASETS
            else (f"{source}/<class>/*{extension}")
        )
        raise FileNotFoundError(f"no videos found: expected {layout}")
    return listing
