"""The data set of one phase from explicit settings (the names of the command-line flags).

``build_video_dataset`` is what the composition root calls: records from the annotation JSON, the
reader of ``file_type``, the temporal sampler and joint transform of ``phase``, normalisation, and
the proposal store when the region graph is on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from strg.data.dataset import VideoDataset
from strg.data.frame_readers import build_reader
from strg.data.label_flip import flip_label_map
from strg.data.normalization import mean_std
from strg.data.proposal_store import ProposalStore
from strg.data.records import RecordSet, build_records
from strg.data.spatial import build_spatial_transform
from strg.data.temporal import build_temporal_sampler

#: The phase's subset when none is given.
DEFAULT_SUBSETS = {"train": "training", "val": "validation", "inference": "validation"}


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
    *,
    file_type: str = "jpg",
    input_type: str = "rgb",
    frame_pattern: str = "image",
    sample_size: int = 112,
    sample_duration: int = 16,
    sample_t_stride: int = 1,
    temporal_sampling: str = "dense",
    train_crop: str = "random",
    train_crop_min_scale: float = 0.25,
    train_crop_min_ratio: float = 0.75,
    no_hflip: bool = False,
    flip_swap_labels: bool = False,
    colorjitter: bool = False,
    train_t_crop: str = "random",
    n_val_samples: int = 3,
    inference_stride: int = 16,
    n_test_clips: int = 0,
    inference_crop: str = "center",
    mean_dataset: str = "kinetics",
    no_mean_norm: bool = False,
    no_std_norm: bool = False,
    value_scale: float = 1,
    proposal_path: Path | None = None,
    nrois: int = 10,
    temporal_stride: int = 1,
    multi_label: bool = False,
    skip_missing: bool = False,
    seed: int = 0,
) -> BuiltDataset:
    """The :class:`VideoDataset` of ``phase`` (``train``, ``val``, ``inference``).

    ``frame_pattern`` names the jpg layout (``image``, ``sthv1``, ``sthv2``, ``charades``).
    ``temporal_sampling`` is ``dense`` or ``segment`` (Something-Something). ``flip_swap_labels``
    keeps the training flip on and swaps the left/right classes of flipped clips (pass
    ``no_hflip=True`` for Something-Something without it). ``proposal_path`` (the store of
    ``extract_proposals`` / ``import_boxes``) turns boxes on: ``nrois`` per feature step, the
    feature steps being every ``temporal_stride``-th sampled frame, ``temporal_stride`` read from
    the backbone by the caller. ``skip_missing`` leaves out videos whose files or proposals are
    missing and unreadable ones (listed in ``summary()`` and ``Batch.skipped``) instead of raising.
    """
    records = build_records(
        annotation_path, video_path, subset or DEFAULT_SUBSETS[phase], file_type, skip_missing
    )
    store = None
    if proposal_path is not None:
        store = ProposalStore(Path(proposal_path))
        missing = set(store.missing([record.video_id for record in records.records]))
        if missing and skip_missing:
            records.skipped += [
                (video_id, f"no proposals: {store.path(video_id)} does not exist")
                for video_id in sorted(missing)
            ]
            records.records = [r for r in records.records if r.video_id not in missing]
    if input_type == "flow" and colorjitter:
        raise ValueError("colorjitter does not apply to flow input")
    mean, std = mean_std(
        mean_dataset, no_mean_norm, no_std_norm, value_scale, 2 if input_type == "flow" else 3
    )
    dataset = VideoDataset(
        records.records,
        reader=build_reader(file_type, input_type, frame_pattern),
        temporal=build_temporal_sampler(
            phase,
            sample_duration=sample_duration,
            sample_t_stride=sample_t_stride,
            train_t_crop=train_t_crop,
            n_val_samples=n_val_samples,
            inference_stride=inference_stride,
            temporal_sampling=temporal_sampling,
            n_test_clips=n_test_clips,
        ),
        spatial=build_spatial_transform(
            phase,
            sample_size=sample_size,
            train_crop=train_crop,
            train_crop_min_scale=train_crop_min_scale,
            train_crop_min_ratio=train_crop_min_ratio,
            no_hflip=no_hflip and not flip_swap_labels,
            colorjitter=colorjitter,
            inference_crop=inference_crop,
        ),
        mean=mean,
        std=std,
        value_scale=value_scale,
        proposals=store,
        nrois=nrois,
        temporal_stride=temporal_stride,
        n_classes=len(records.class_names),
        multi_label=multi_label,
        flip_labels=flip_label_map(records.class_names) if flip_swap_labels else None,
        seed=seed,
        skip_unreadable=skip_missing,
    )
    return BuiltDataset(dataset, records)
