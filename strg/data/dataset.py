"""The video data set: records → sampled frames + boxes → one joint transform → clips.

``dataset[i]`` is a :class:`~strg.structures.VideoItem` for video ``i``: one clip in training,
every temporal clip × spatial view in evaluation. Randomness is reproducible and independent of
the number of loader workers: each item draws from its own ``torch.Generator`` seeded from
``(seed, epoch, index)``. :class:`~strg.data.loader.SeededSampler` yields ``(index, item_seed)``
pairs; a plain integer index uses ``(seed, 0, index)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from strg.data.boxes import clip_boxes
from strg.data.frame_readers import Hdf5Reader, JpegFolderReader, VideoFileReader
from strg.data.normalization import Normalization
from strg.data.proposal_store import ProposalStore, ProposalStoreError
from strg.data.records import DataError, VideoRecord
from strg.data.spatial import JointTransform
from strg.data.temporal import TemporalSampler
from strg.structures import Clip, VideoItem

#: How many following videos an unreadable one may be replaced by under ``skip_unreadable``.
MAX_REPLACEMENTS = 10


def item_seed(seed: int, epoch: int, index: int) -> int:
    """The seed of item ``index`` in ``epoch`` of a run seeded with ``seed``."""
    state = np.random.SeedSequence([seed, epoch, index]).generate_state(1, dtype=np.uint64)
    return int(state[0])


class VideoDataset(Dataset):
    """Clips of the videos of ``records``.

    ``reader`` decodes frames (T×C×H×W uint8); ``temporal`` picks the frames of each clip;
    ``spatial`` crops, resizes and flips frames and boxes together. Clips stay uint8; ``mean``,
    ``std`` (already scaled) and ``value_scale`` are applied to whole batches by the
    :class:`~strg.data.loader.VideoLoader` of :func:`~strg.data.loader.build_loader`. With
    ``proposals``, each clip carries ``nrois`` boxes per feature step at ``temporal_stride``
    (:mod:`strg.data.boxes`); a video without a proposal file is an error when the data set is
    built. ``n_classes`` with ``multi_label`` gives multi-hot targets (``class_names``, the
    annotation's labels by class index, are kept for the checkpoints); ``flip_labels`` (from
    :func:`~strg.data.label_flip.flip_label_map`) swaps the class of flipped clips.
    ``skip_unreadable`` reports a video whose frames cannot be read in ``VideoItem.skipped``
    instead of raising, and replaces it by the next readable one (``replace_unreadable``, for
    training: the batch keeps its size) or returns no clip for it (for evaluation: no video is
    scored in another's place).
    """

    def __init__(
        self,
        records: Sequence[VideoRecord],
        reader: JpegFolderReader | Hdf5Reader | VideoFileReader,
        temporal: TemporalSampler,
        spatial: JointTransform,
        mean: Sequence[float],
        std: Sequence[float],
        value_scale: float = 1,
        proposals: ProposalStore | None = None,
        nrois: int = 10,
        temporal_stride: int = 1,
        n_classes: int | None = None,
        class_names: Sequence[str] | None = None,
        multi_label: bool = False,
        flip_labels: Sequence[int] | None = None,
        seed: int = 0,
        skip_unreadable: bool = False,
        replace_unreadable: bool = True,
    ) -> None:
        if not records:
            raise DataError("the data set has no videos")
        if multi_label and not n_classes:
            raise ValueError("multi_label targets need n_classes")
        self.records = list(records)
        self.reader = reader
        self.temporal = temporal
        self.spatial = spatial
        self.mean, self.std, self.value_scale = list(mean), list(std), value_scale
        self.proposals = proposals
        self.nrois = nrois
        self.temporal_stride = temporal_stride
        self.n_classes = n_classes
        self.class_names = list(class_names) if class_names is not None else None
        self.multi_label = multi_label
        self.flip_labels = list(flip_labels) if flip_labels is not None else None
        self.seed = seed
        self.skip_unreadable = skip_unreadable
        self.replace_unreadable = replace_unreadable
        if proposals is not None:
            missing = proposals.missing([record.video_id for record in self.records])
            if missing:
                others = f" ({len(missing) - 1} other video(s) too)" if len(missing) > 1 else ""
                raise ProposalStoreError(
                    f"no proposals for video {missing[0]}: {proposals.path(missing[0])} does not "
                    f"exist{others}; run extract_proposals / import_boxes, or pass "
                    "--skip_missing"
                )

    def __len__(self) -> int:
        return len(self.records)

    @property
    def normalization(self) -> Normalization:
        """The data set's ``mean``, ``std`` and ``value_scale``, to apply to collated batches."""
        return Normalization(tuple(self.mean), tuple(self.std), self.value_scale)

    def __getitem__(self, item: int | tuple[int, int]) -> VideoItem:
        index, seed = item if isinstance(item, tuple) else (item, item_seed(self.seed, 0, item))
        generator = torch.Generator().manual_seed(seed)
        skipped: list[tuple[str, str]] = []
        for attempt in range(MAX_REPLACEMENTS + 1):
            record = self.records[(index + attempt) % len(self.records)]
            try:
                return VideoItem(self.clips(record, generator), skipped)
            except (DataError, ProposalStoreError) as error:
                if not self.skip_unreadable:
                    raise
                skipped.append((record.video_id, str(error)))
                if not self.replace_unreadable:  # scored nowhere rather than in another's place
                    return VideoItem([], skipped)
        raise DataError(
            f"{MAX_REPLACEMENTS + 1} videos in a row are unreadable, from "
            f"{self.records[index].video_id}: " + "; ".join(reason for _, reason in skipped)
        )

    def target(self, record: VideoRecord, flipped: bool) -> int | torch.Tensor:
        """The class index (-1 unlabelled) or the K multi-hot vector of ``record``."""
        labels = list(record.labels) or ([record.label] if record.label >= 0 else [])
        if flipped and self.flip_labels is not None:
            labels = [self.flip_labels[label] for label in labels]
        if self.multi_label:
            target = torch.zeros(self.n_classes, dtype=torch.float32)
            target[labels] = 1
            return target
        return labels[0] if labels else -1

    def clips(self, record: VideoRecord, generator: torch.Generator) -> list[Clip]:
        """Every clip of ``record``: temporal clips × spatial views, drawn from ``generator``."""
        temporal_clips = self.temporal(record.frame_indices, generator)
        video_proposals = None
        if self.proposals is not None:
            video_proposals = self.proposals.load(record.video_id, record.frame_indices[-1])
        out = []
        # One walk over a video file for all its clips; each clip is transformed as it comes.
        videos = self.reader.read_clips(record, temporal_clips)
        for frame_indices, video in zip(temporal_clips, videos, strict=True):
            boxes = mask = None
            if video_proposals is not None:
                try:
                    boxes, mask = clip_boxes(
                        video_proposals,
                        frame_indices,
                        self.nrois,
                        self.temporal_stride,
                        (video.shape[-2], video.shape[-1]),
                    )
                except (ProposalStoreError, ValueError) as error:
                    path = self.proposals.path(record.video_id)
                    raise ProposalStoreError(f"video {record.video_id}: {path}: {error}") from error
            for view in self.spatial(video, boxes, mask, generator):
                out.append(
                    Clip(
                        frames=view.video.permute(1, 0, 2, 3),
                        target=self.target(record, view.flipped),
                        video_id=record.video_id,
                        frame_indices=list(frame_indices),
                        boxes=view.boxes,
                        box_mask=view.mask,
                    )
                )
        return out
