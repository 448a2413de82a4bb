"""The embedded data set's multi-label variant, in the official Charades layout.

Each video shows 2 to 3 actions of the embedded classes in a row (:mod:`strg.synth.sequence`),
and a few show none. Written like the Charades v1 release::

    DIR/Charades_v1_classes.txt          c000 Moving something closer to something
    DIR/Charades_v1_train.csv            id,subject,scene,quality,relevance,verified,script,
    DIR/Charades_v1_test.csv               objects,descriptions,actions,length
    DIR/Charades_v1_rgb/<id>/<id>-000001.jpg …   24 fps, 1-based

``actions`` is ``;``-separated ``cXXX start end`` in seconds (an action's segment is the span of
its sub-clip; consecutive actions touch), empty for a video without action; ``length`` is the
video's duration in seconds. ``Charades_v1_test.csv`` is the validation set, as in the release.
``DIR/synth_config.json`` is written last and marks a complete data set, so a rerun with the same
options does nothing.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from strg import __version__
from strg.atomic import write_json_atomic, write_text_atomic
from strg.synth.actions import ACTION_CLASSES
from strg.synth.generate import (
    CONFIG_FILE,
    SynthError,
    check_common_options,
    map_with_progress,
    prepare_output,
    split_sizes,
)
from strg.synth.sequence import FPS, make_sequence

CLASSES_FILE = "Charades_v1_classes.txt"
SUBSET_FILES = {"train": "Charades_v1_train.csv", "test": "Charades_v1_test.csv"}
FRAME_DIR = "Charades_v1_rgb"
#: The columns of the official CSVs, in their order.
HEADER = (
    "id",
    "subject",
    "scene",
    "quality",
    "relevance",
    "verified",
    "script",
    "objects",
    "descriptions",
    "actions",
    "length",
)
ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
JPEG_QUALITY = 90


@dataclass(frozen=True)
class CharadesOptions:
    """What determines the Charades-format data set; the same options give the same files.

    Every class is one action of ``videos_per_class`` videos, each of which adds
    ``min_actions - 1`` to ``max_actions - 1`` other classes (distinct, in random order).
    ``min_frames``/``max_frames`` bound each action's sub-clip, in frames at 24 fps.
    ``empty_fraction`` adds that share of videos without any action.
    """

    videos_per_class: int = 10
    seed: int = 0
    min_frames: int = 24
    max_frames: int = 32
    min_actions: int = 2
    max_actions: int = 3
    val_fraction: float = 0.2
    empty_fraction: float = 0.05

    def __post_init__(self) -> None:
        check_common_options(self.videos_per_class, self.seed, self.min_frames, self.max_frames)
        if not 1 <= self.min_actions <= self.max_actions <= len(ACTION_CLASSES):
            raise SynthError(
                f"need 1 <= min_actions <= max_actions <= {len(ACTION_CLASSES)}, "
                f"got {self.min_actions}, {self.max_actions}"
            )
        if not 0 <= self.val_fraction < 1:
            raise SynthError(f"--val-fraction must be in [0, 1), got {self.val_fraction}")
        if not 0 <= self.empty_fraction < 1:
            raise SynthError(f"--empty-fraction must be in [0, 1), got {self.empty_fraction}")


@dataclass(frozen=True)
class CharadesPlan:
    """One video to make: its id, its classes in time order (none: no action), number, subset."""

    video_id: str
    classes: tuple[int, ...]
    number: int
    subset: str


def _video_ids(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` distinct five-character ids like Charades' (``46GP8``)."""
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < count:
        video_id = "".join(rng.choice(list(ID_ALPHABET), size=5))
        if video_id not in seen:
            seen.add(video_id)
            ids.append(video_id)
    return ids


def plan_videos(options: CharadesOptions) -> list[CharadesPlan]:
    """Every video: class ``c`` leads ``videos_per_class`` of them (at a random place in time),
    then the videos without action; each class's videos and the empty ones are split alike."""
    rng = np.random.default_rng(options.seed)
    n_classes = len(ACTION_CLASSES)
    n_empty = int(n_classes * options.videos_per_class * options.empty_fraction + 0.5)
    ids = _video_ids(rng, n_classes * options.videos_per_class + n_empty)
    n_train, _, _ = split_sizes(options.videos_per_class, options.val_fraction, 0.0)
    plans = []
    for class_index in range(n_classes):
        others = [k for k in range(n_classes) if k != class_index]
        for number in range(options.videos_per_class):
            n_actions = int(rng.integers(options.min_actions, options.max_actions + 1))
            chosen = [
                class_index,
                *(int(k) for k in rng.choice(others, n_actions - 1, replace=False)),
            ]
            classes = tuple(chosen[k] for k in rng.permutation(n_actions))
            subset = "train" if number < n_train else "test"
            plans.append(CharadesPlan(ids[len(plans)], classes, len(plans), subset))
    n_empty_train, _, _ = split_sizes(n_empty, options.val_fraction, 0.0) if n_empty else (0, 0, 0)
    for number in range(n_empty):
        subset = "train" if number < n_empty_train else "test"
        plans.append(CharadesPlan(ids[len(plans)], (), len(plans), subset))
    return plans


def _seconds(frames: int) -> str:
    return f"{frames / FPS:.2f}"


def _write_frames(folder: Path, video_id: str, frames: np.ndarray) -> None:
    """Write ``frames`` as ``folder/<id>-000001.jpg …``, all or nothing: into a hidden partial
    folder first, renamed into place once complete."""
    from strg.structures import frame_file_name  # imports torch: only when writing Charades

    partial = folder.parent / f".{folder.name}.partial"
    if partial.exists():
        shutil.rmtree(partial)  # left by an interrupted run
    partial.mkdir()
    for index, frame in enumerate(frames):
        name = frame_file_name(index, "charades", video_id=video_id)
        Image.fromarray(frame).save(partial / name, format="JPEG", quality=JPEG_QUALITY)
    if folder.exists():
        shutil.rmtree(folder)
    partial.rename(folder)


def _make_video(job: tuple[CharadesPlan, CharadesOptions, str]) -> dict[str, str]:
    """Render one video, write its frames; return its CSV row (runs in a worker process)."""
    plan, options, frame_dir = job
    seed = np.random.SeedSequence([options.seed, plan.number])
    sequence = make_sequence(list(plan.classes), seed, options.min_frames, options.max_frames)
    _write_frames(Path(frame_dir) / plan.video_id, plan.video_id, sequence.frames)
    script = " Then ".join(f"{sentence}." for sentence in sequence.sentences)
    script = script[:1].upper() + script[1:] if script else "A hand rests beside the objects."
    return {
        "id": plan.video_id,
        "subject": f"SY{plan.number % 7 + 1:02d}",
        "scene": "Tabletop",
        "quality": "7",
        "relevance": "7",
        "verified": "Yes",
        "script": script,
        "objects": ";".join(sequence.objects),
        "descriptions": f"A hand and {len(sequence.objects)} objects on a table. {script}",
        "actions": ";".join(
            f"c{action.class_index:03d} {_seconds(action.start)} {_seconds(action.end)}"
            for action in sequence.actions
        ),
        "length": _seconds(len(sequence.frames)),
    }


def _csv_text(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _config_record(options: CharadesOptions) -> dict[str, Any]:
    return {
        "generator": "strg.synth",
        "format": "charades",
        "version": __version__,
        "options": dataclasses.asdict(options),
        "classes": [action.name for action in ACTION_CLASSES],
    }


def generate_charades(
    out_dir: Path,
    options: CharadesOptions,
    workers: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> bool:
    """Generate the Charades-format data set into ``out_dir``. Returns False when it was
    already there, complete."""
    # The one index -> file name function; its module imports torch, which the Something-Something
    # generator (sharing this package's import) should not pay for.
    from strg.structures import frame_file_name

    out_dir = Path(out_dir)
    record = _config_record(options)
    plans = plan_videos(options)
    expected = [out_dir / name for name in (CLASSES_FILE, *SUBSET_FILES.values())]
    expected += [
        out_dir / FRAME_DIR / plan.video_id / frame_file_name(0, "charades", plan.video_id)
        for plan in plans
    ]
    if not prepare_output(out_dir, record, overwrite, expected, video_dir=FRAME_DIR):
        return False
    jobs = [(plan, options, str(out_dir / FRAME_DIR)) for plan in plans]
    rows = list(map_with_progress(_make_video, jobs, workers, "synth charades", progress))
    classes = "".join(f"c{k:03d} {action.name}\n" for k, action in enumerate(ACTION_CLASSES))
    write_text_atomic(out_dir / CLASSES_FILE, classes)
    for subset, file_name in SUBSET_FILES.items():
        chosen = [row for plan, row in zip(plans, rows, strict=True) if plan.subset == subset]
        write_text_atomic(out_dir / file_name, _csv_text(sorted(chosen, key=lambda r: r["id"])))
    write_json_atomic(out_dir / CONFIG_FILE, record, indent=2)
    return True
