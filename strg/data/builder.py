"""The data set of one phase from its :class:`~strg.data.settings.DataSettings`.

``build_video_dataset`` is what the composition root calls: records from the annotation JSON, the
reader of ``file_type``, the temporal sampler and joint transform of ``phase``, normalisation, and
the proposal store when the region graph is on.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from strg.data.dataset import VideoDataset
from strg.data.frame_readers import build_reader
from strg.data.label_flip import flip_label_map
from strg.data.proposal_store import ProposalStore
from strg.data.records import SUBSET_ALIASES, DataError, RecordSet, build_records
from strg.data.settings import DataSettings
from strg.data.spatial import build_spatial_transform
from strg.data.temporal import build_temporal_sampler
from strg.structures import SUBSETS

#: The annotation subset a phase reads when none is given.
PHASE_SUBSETS = {"train": SUBSETS["train"], "val": SUBSETS["val"], "inference": SUBSETS["val"]}


@dataclass
class BuiltDataset:
    """The data set and its records (class names, and what ``skip_missing`` left out)."""

    dataset: VideoDataset
    records: RecordSet

    def summary(self) -> str:
        return self.records.summary()


def build_video_dataset(
    phase: str,
    annotation_path: Path,
    video_path: Path,
    subset: str | None = None,
    settings: DataSettings | None = None,
    *,
    proposal_path: Path | None = None,
    temporal_stride: int = 1,
    video_ids: Collection[str] | None = None,
    **overrides: Any,
) -> BuiltDataset:
    """The :class:`VideoDataset` of ``phase`` (``train``, ``val``, ``inference``).

    ``settings`` (default :class:`DataSettings()`) with ``overrides`` of its fields by name say
    what to read and how to sample, transform and normalise it. ``proposal_path`` (the store of
    ``extract_proposals`` / ``import_boxes``) turns boxes on: ``settings.nrois`` per feature
    step, the feature steps being every ``temporal_stride``-th sampled frame, ``temporal_stride``
    read from the backbone by the caller. ``video_ids`` keeps only those videos of the subset
    (the others are not looked at). With ``skip_missing`` videos whose files or proposals
    are missing and unreadable ones are left out (listed in ``summary()`` and ``Batch.skipped``)
    instead of raising.
    """
    settings = replace(settings or DataSettings(), **overrides)
    records = build_records(
        annotation_path,
        video_path,
        subset or PHASE_SUBSETS[phase],
        settings.file_type,
        settings.skip_missing,
        video_ids,
    )
    subset_name = SUBSET_ALIASES.get(subset or PHASE_SUBSETS[phase], subset)
    return dataset_of_records(
        phase,
        records,
        settings,
        proposal_path=proposal_path,
        temporal_stride=temporal_stride,
        empty=f"{annotation_path} has no video in subset {subset_name}",
    )


def dataset_of_records(
    phase: str,
    records: RecordSet,
    settings: DataSettings,
    *,
    proposal_path: Path | None = None,
    temporal_stride: int = 1,
    empty: str = "there is no video to read",
) -> BuiltDataset:
    """The :class:`VideoDataset` of ``phase`` over ``records`` however they were made (from an
    annotation JSON, or in memory from video files by ``strg predict``); the other arguments
    as :func:`build_video_dataset`'s. No record left is a DataError saying ``empty``."""
    store = None
    if proposal_path is not None:
        store = ProposalStore(Path(proposal_path))
        missing = set(store.missing([record.video_id for record in records.records]))
        if missing and settings.skip_missing:
            records.skipped += [
                (video_id, f"no proposals: {store.path(video_id)} does not exist")
                for video_id in sorted(missing)
            ]
            records.records = [r for r in records.records if r.video_id not in missing]
    if not records.records:
        left_out = (
            f" ({len(records.skipped)} left out by --skip_missing)" if records.skipped else ""
        )
        raise DataError(f"{empty}{left_out}")
    normalization = settings.normalization()
    dataset = VideoDataset(
        records.records,
        reader=build_reader(settings.file_type, settings.input_type, settings.frame_pattern),
        temporal=build_temporal_sampler(
            phase,
            sample_duration=settings.sample_duration,
            sample_t_stride=settings.sample_t_stride,
            train_t_crop=settings.train_t_crop,
            n_val_samples=settings.n_val_samples,
            inference_stride=settings.inference_stride,
            temporal_sampling=settings.temporal_sampling,
            n_test_clips=settings.n_test_clips,
        ),
        spatial=build_spatial_transform(
            phase,
            sample_size=settings.sample_size,
            train_crop=settings.train_crop,
            train_crop_min_scale=settings.train_crop_min_scale,
            train_crop_min_ratio=settings.train_crop_min_ratio,
            no_hflip=not settings.hflip,
            colorjitter=settings.colorjitter,
            inference_crop=settings.inference_crop,
        ),
        mean=normalization.mean,
        std=normalization.std,
        value_scale=normalization.value_scale,
        proposals=store,
        nrois=settings.nrois,
        temporal_stride=temporal_stride,
        n_classes=len(records.class_names),
        class_names=records.class_names,
        multi_label=settings.multi_label,
        flip_labels=flip_label_map(records.class_names) if settings.flip_swap_labels else None,
        seed=settings.seed,
        skip_unreadable=settings.skip_missing,
        replace_unreadable=phase == "train",
    )
    return BuiltDataset(dataset, records)
