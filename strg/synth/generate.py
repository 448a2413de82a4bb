"""Generating the embedded data set in the official Something-Something v2 layout.

``DIR/videos/<id>.webm`` (VP9, 12 fps, height 240), ``DIR/something-something-v2-labels.json``,
``DIR/something-something-v2-{train,validation,test}.json`` and the Something-Else box file
``DIR/bounding_box_smthsmth.json``. ``DIR/synth_config.json`` is written last and records the
options; it marks a complete data set, so a rerun with the same options does nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from strg import __version__
from strg.atomic import write_json_atomic
from strg.errors import StrgError
from strg.synth.clip import fill_template
from strg.synth.encode import write_webm
from strg.synth.looks import SPLITS
from strg.synth.scene import render_scene
from strg.synth.variants import DEFAULT_VARIANT, VARIANTS

PREFIX = "something-something-v2"
LABELS_FILE = f"{PREFIX}-labels.json"
SUBSET_FILES = {
    "train": f"{PREFIX}-train.json",
    "validation": f"{PREFIX}-validation.json",
    "test": f"{PREFIX}-test.json",
}
BOXES_FILE = "bounding_box_smthsmth.json"
CONFIG_FILE = "synth_config.json"
VIDEO_DIR = "videos"


class SynthError(StrgError, RuntimeError):
    """The data set cannot be generated as asked (the message says why and where)."""


def check_common_options(
    videos_per_class: int, seed: int, min_frames: int, max_frames: int
) -> None:
    """The checks every format's options share; a bad value is an error naming its flag."""
    if videos_per_class < 1:
        raise SynthError(f"--videos-per-class must be >= 1, got {videos_per_class}")
    if seed < 0:
        raise SynthError(f"--seed must be >= 0, got {seed}")
    if not 8 <= min_frames <= max_frames:
        raise SynthError(f"need 8 <= --min-frames <= --max-frames, got {min_frames}, {max_frames}")


@dataclass(frozen=True)
class SynthOptions:
    """What determines the generated data set; the same options give the same files.

    ``videos_per_class``, ``val_fraction`` and ``test_fraction`` left None take the variant's
    defaults (:data:`strg.synth.variants.VARIANTS`). ``split`` "compositional" gives the
    validation and test objects looks never seen in training (:mod:`strg.synth.looks`).
    """

    videos_per_class: int | None = None
    seed: int = 0
    min_frames: int = 36
    max_frames: int = 48
    val_fraction: float | None = None
    test_fraction: float | None = None
    variant: str = DEFAULT_VARIANT
    split: str = SPLITS[0]

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise SynthError(f"unknown --variant {self.variant!r}; valid: {', '.join(VARIANTS)}")
        if self.split not in SPLITS:
            raise SynthError(f"unknown --split {self.split!r}; valid: {', '.join(SPLITS)}")
        variant = VARIANTS[self.variant]
        if self.split == "compositional" and not variant.compositional:
            raise SynthError(
                f"--split compositional needs a variant with it "
                f"({', '.join(name for name, v in VARIANTS.items() if v.compositional)})"
            )
        for name in ("videos_per_class", "val_fraction", "test_fraction"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, getattr(variant, name))
        check_common_options(self.videos_per_class, self.seed, self.min_frames, self.max_frames)
        if not (
            self.val_fraction >= 0
            and self.test_fraction >= 0
            and self.val_fraction + self.test_fraction < 1
        ):
            raise SynthError("validation and test fractions must be >= 0 and sum to less than 1")

    @property
    def classes(self) -> tuple[Any, ...]:
        """The classes of the variant, in label-index order (each has a template and a name)."""
        return VARIANTS[self.variant].classes


@dataclass(frozen=True)
class VideoPlan:
    """One video to make: its id, class, number within the class (its seed) and subset."""

    video_id: str
    class_index: int
    number: int
    subset: str


def split_sizes(
    videos_per_class: int, val_fraction: float, test_fraction: float
) -> tuple[int, int, int]:
    """(train, validation, test) videos per class; at least one training video, and one
    validation video as soon as there are two."""
    n_val = int(videos_per_class * val_fraction + 0.5)
    n_test = int(videos_per_class * test_fraction + 0.5)
    if videos_per_class >= 2 and n_val == 0 and val_fraction > 0:
        n_val = 1
    while videos_per_class - n_val - n_test < 1:
        if n_test > 0:
            n_test -= 1
        else:
            n_val -= 1
    return videos_per_class - n_val - n_test, n_val, n_test


def plan_videos(options: SynthOptions) -> list[VideoPlan]:
    """Every video of the data set, with ids shuffled so that an id says nothing about its class."""
    n_classes = len(options.classes)
    total = n_classes * options.videos_per_class
    ids = np.random.default_rng(options.seed).permutation(total) + 1
    n_train, n_val, _ = split_sizes(
        options.videos_per_class, options.val_fraction, options.test_fraction
    )
    plans = []
    for class_index in range(n_classes):
        for number in range(options.videos_per_class):
            subset = (
                "train"
                if number < n_train
                else "validation"
                if number < n_train + n_val
                else "test"
            )
            video_id = str(int(ids[class_index * options.videos_per_class + number]))
            plans.append(VideoPlan(video_id, class_index, number, subset))
    return plans


def _make_video(job: tuple[VideoPlan, SynthOptions, str]) -> dict[str, Any]:
    """Render and encode one video; return its annotation entries (runs in a worker process)."""
    plan, options, video_dir = job
    seed = np.random.SeedSequence([options.seed, plan.class_index, plan.number])
    rng = np.random.default_rng(seed)
    held_out = None if options.split == "shuffled" else plan.subset != "train"
    scene = VARIANTS[options.variant].draw(
        rng, plan.class_index, options.min_frames, options.max_frames, held_out
    )
    clip = render_scene(scene, rng)
    write_webm(Path(video_dir) / f"{plan.video_id}.webm", clip.frames)
    order = sorted(
        range(len(clip.objects)),
        key=lambda k: (
            clip.objects[k].standard_category == "hand",
            clip.objects[k].standard_category,
        ),
    )
    frames = []
    for t, frame_boxes in enumerate(clip.boxes):
        labels = [
            {
                "box2d": dict(zip(("x1", "y1", "x2", "y2"), frame_boxes[k], strict=True)),
                "category": clip.objects[k].category,
                "standard_category": clip.objects[k].standard_category,
            }
            for k in order
            if frame_boxes[k] is not None
        ]
        frames.append(
            {
                "name": f"{plan.video_id}/{t + 1:04d}.jpg",
                "labels": labels,
                "gt_placeholders": clip.placeholders,
                "nr_instances": len(labels),
            }
        )
    template = options.classes[plan.class_index].template
    return {
        "annotation": {
            "id": plan.video_id,
            "label": fill_template(template, clip.placeholders),
            "template": template,
            "placeholders": clip.placeholders,
        },
        "frames": frames,
    }


def _config_record(options: SynthOptions) -> dict[str, Any]:
    return {
        "generator": "strg.synth",
        "version": __version__,
        "options": dataclasses.asdict(options),
        "classes": [action.template for action in options.classes],
    }


def prepare_output(
    out_dir: Path,
    record: dict[str, Any],
    overwrite: bool,
    expected: list[Path],
    video_dir: str = VIDEO_DIR,
) -> bool:
    """Create ``out_dir`` and ``out_dir/video_dir``; return False when ``out_dir`` already holds
    this very data set, complete.

    A data set made with the same options but missing some of the ``expected`` files (deleted by
    hand, say) is made again; one made with other options is refused unless ``overwrite``, which
    empties ``video_dir``.
    """
    config_path = out_dir / CONFIG_FILE
    if config_path.is_file():
        try:
            existing = json.loads(config_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            existing = {"options": f"unreadable {config_path}"}
        if existing == record and not overwrite and all(path.is_file() for path in expected):
            return False
        if existing != record and not overwrite:
            raise SynthError(
                f"{out_dir} already holds an embedded data set made with other options "
                f"({existing.get('options')}); pass --overwrite or choose another --out"
            )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        config_path.unlink(missing_ok=True)  # the data set is incomplete from here on
        if overwrite and (out_dir / video_dir).exists():
            shutil.rmtree(out_dir / video_dir)
        (out_dir / video_dir).mkdir(exist_ok=True)
    except OSError as error:
        raise SynthError(f"cannot write the data set into {out_dir}: {error.strerror}") from error
    if not os.access(out_dir / video_dir, os.W_OK):
        raise SynthError(f"cannot write the data set into {out_dir / video_dir}: permission denied")
    return True


def map_with_progress(
    function: Callable[[Any], Any],
    jobs: list[Any],
    workers: int | None,
    desc: str,
    progress: bool,
) -> Iterator[Any]:
    """``function`` over ``jobs`` in worker processes (one per core by default), results in job
    order, with a progress bar; ``workers=1`` stays in this process."""
    workers = workers or os.cpu_count() or 1
    with tqdm(total=len(jobs), desc=desc, unit="video", disable=not progress) as bar:
        if workers == 1:
            for job in jobs:
                yield function(job)
                bar.update()
            return
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for result in pool.map(function, jobs, chunksize=4):
                yield result
                bar.update()


def generate_dataset(
    out_dir: Path,
    options: SynthOptions,
    workers: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> bool:
    """Generate the data set into ``out_dir``. Returns False when it was already there."""
    out_dir = Path(out_dir)
    record = _config_record(options)
    plans = plan_videos(options)
    expected = [out_dir / name for name in (LABELS_FILE, BOXES_FILE, *SUBSET_FILES.values())]
    expected += [out_dir / VIDEO_DIR / f"{plan.video_id}.webm" for plan in plans]
    if not prepare_output(out_dir, record, overwrite, expected):
        return False
    jobs = [(plan, options, str(out_dir / VIDEO_DIR)) for plan in plans]
    results = list(map_with_progress(_make_video, jobs, workers, "synth videos", progress))
    _write_annotations(out_dir, options.classes, plans, results)
    write_json_atomic(out_dir / CONFIG_FILE, record, indent=2)
    return True


def _write_annotations(
    out_dir: Path,
    classes: tuple[Any, ...],
    plans: list[VideoPlan],
    results: list[dict[str, Any]],
) -> None:
    labels = {action.name: str(index) for index, action in enumerate(classes)}
    write_json_atomic(out_dir / LABELS_FILE, labels, indent=1)
    by_subset: dict[str, list[dict[str, Any]]] = {subset: [] for subset in SUBSET_FILES}
    for plan, result in sorted(
        zip(plans, results, strict=True), key=lambda pair: int(pair[0].video_id)
    ):
        entry = result["annotation"] if plan.subset != "test" else {"id": plan.video_id}
        by_subset[plan.subset].append(entry)
    for subset, file_name in SUBSET_FILES.items():
        write_json_atomic(out_dir / file_name, by_subset[subset], indent=1)
    boxes = {
        plan.video_id: result["frames"]
        for plan, result in sorted(
            zip(plans, results, strict=True), key=lambda pair: int(pair[0].video_id)
        )
    }
    write_json_atomic(out_dir / BOXES_FILE, boxes)
