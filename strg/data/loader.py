"""DataLoader construction: reproducible order and augmentation with any number of workers.

:class:`SeededSampler` draws each epoch's order from ``(seed, epoch)`` in the main process and
hands every item its own seed (:func:`~strg.data.dataset.item_seed`), so the batches depend only on
the run seed and the epoch, never on ``n_threads`` or on which worker loads what. Workers are also
seeded from the run seed (Python ``random``, NumPy and torch) for any third-party code that
draws from global state. Workers persist across epochs and batches are pinned for the GPU.

Workers hand over uint8 batches; :class:`VideoLoader` moves each to the device and normalises it
there, so a quarter of the bytes cross shared memory, the pinning copy and the bus, and on a GPU
the normalisation costs the workers nothing (``benchmarks/loader.py`` measures it on the CPU).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from strg.data.collate import collate_videos
from strg.data.dataset import VideoDataset, item_seed
from strg.data.normalization import Normalization
from strg.errors import StrgError
from strg.structures import Batch, VideoItem

#: The stream of ``item_seed`` that draws the epoch order (item indices use 0, 1, ...).
ORDER_STREAM = 2**32 - 1


class SeededSampler(Sampler[tuple[int, int]]):
    """Yields ``(index, item_seed)``; shuffled per epoch when ``shuffle``. Each iteration is one
    epoch (counted from ``epoch``; :meth:`set_epoch` sets it). With ``num_replicas > 1`` rank
    ``rank`` takes every ``num_replicas``-th item of the order, padded to equal length by
    repeating items from the start (``pad``: every rank steps alike in training) or not (each
    item once over all ranks: inference)."""

    def __init__(
        self,
        length: int,
        seed: int = 0,
        shuffle: bool = True,
        epoch: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
        pad: bool = True,
    ) -> None:
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank must be in [0, {num_replicas}), got {rank}")
        self.length, self.seed, self.shuffle = length, seed, shuffle
        self.epoch, self.num_replicas, self.rank = epoch, num_replicas, rank
        self.pad = pad

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        if self.pad:
            return -(-self.length // self.num_replicas)
        return len(range(self.rank, self.length, self.num_replicas))

    def __iter__(self) -> Iterator[tuple[int, int]]:
        epoch = self.epoch
        self.epoch += 1
        if self.shuffle:
            generator = torch.Generator().manual_seed(item_seed(self.seed, epoch, ORDER_STREAM))
            order = torch.randperm(self.length, generator=generator).tolist()
        else:
            order = list(range(self.length))
        if self.pad:
            total = len(self) * self.num_replicas
            order = (order * (total // max(len(order), 1) + 1))[:total]
        for index in order[self.rank :: self.num_replicas]:
            yield index, item_seed(self.seed, epoch, index)


def seed_worker(worker_id: int) -> None:
    """Seed Python, NumPy and torch in a worker from the loader's (run-seeded) base seed."""
    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)


@dataclass(frozen=True)
class _LoadFailure:
    """A user error (a :class:`~strg.errors.StrgError`) raised while a worker loaded a batch,
    handed to the main process in the batch's place.

    A worker's exception would otherwise arrive re-raised by torch as the same type with the
    worker's whole traceback for a message ("Caught DataError in DataLoader worker process 0").
    """

    error: StrgError


class _FailureAsItem(Dataset):
    """``dataset`` whose user errors are returned as a :class:`_LoadFailure` item."""

    def __init__(self, dataset: VideoDataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, item: tuple[int, int]) -> VideoItem | _LoadFailure:
        try:
            return self.dataset[item]
        except StrgError as error:
            return _LoadFailure(error)


def _collate(items: list[VideoItem | _LoadFailure]) -> Batch | _LoadFailure:
    """:func:`collate_videos`, or the first failure among ``items`` (or of the collate)."""
    for item in items:
        if isinstance(item, _LoadFailure):
            return item
    try:
        return collate_videos(items)
    except StrgError as error:
        return _LoadFailure(error)


class VideoLoader:
    """Batches of ``loader`` (uint8 frames) on ``device``, frames normalised there by
    ``normalization``: float32 B×C×T×H×W, the rest of the :class:`~strg.structures.Batch` as
    the collate made it. ``len``, ``sampler`` and ``dataset`` are the DataLoader's.

    A user error raised in a worker is raised here as itself (its type and message). The
    unreadable videos that the data set skipped under ``skip_missing`` during the last pass are
    in :attr:`skipped` ``(video_id, reason)``; a batch left with no clip is not yielded.
    """

    def __init__(
        self,
        loader: DataLoader,
        normalization: Normalization,
        device: torch.device | str = "cpu",
    ) -> None:
        self.loader = loader
        self.normalization = normalization
        self.device = torch.device(device)
        self.skipped: list[tuple[str, str]] = []

    def __iter__(self) -> Iterator[Batch]:
        self.skipped = []
        for batch in self.loader:
            if isinstance(batch, _LoadFailure):
                raise batch.error
            self.skipped += batch.skipped
            if len(batch) == 0:  # every video of it was unreadable and skipped
                continue
            batch = batch.to(self.device, non_blocking=True)
            yield dataclasses.replace(batch, frames=self.normalization(batch.frames))

    def __len__(self) -> int:
        return len(self.loader)

    @property
    def sampler(self) -> SeededSampler:
        return self.loader.sampler

    @property
    def dataset(self) -> VideoDataset:
        return self.loader.dataset.dataset


def build_loader(
    dataset: VideoDataset,
    batch_size: int,
    shuffle: bool,
    seed: int = 0,
    n_threads: int = 4,
    pin_memory: bool | None = None,
    persistent_workers: bool = True,
    drop_last: bool = False,
    prefetch_factor: int = 2,
    num_replicas: int = 1,
    rank: int = 0,
    device: torch.device | str = "cpu",
    pad: bool = True,
) -> VideoLoader:
    """A :class:`VideoLoader` of :class:`~strg.structures.Batch` es (``batch_size`` videos each)
    on ``device``, frames normalised there with the data set's mean, std and value_scale.

    ``n_threads`` worker processes (0: load in the main process); ``pin_memory`` defaults to
    whether CUDA is available; ``num_replicas``/``rank`` split the data for distributed runs,
    each rank's share padded to equal length unless not ``pad`` (:class:`SeededSampler`).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    sampler = SeededSampler(
        len(dataset), seed, shuffle, num_replicas=num_replicas, rank=rank, pad=pad
    )
    workers = max(int(n_threads), 0)
    loader = DataLoader(
        _FailureAsItem(dataset),
        batch_size=batch_size,
        sampler=sampler,
        num_workers=workers,
        collate_fn=_collate,
        pin_memory=torch.cuda.is_available() if pin_memory is None else pin_memory,
        drop_last=drop_last,
        worker_init_fn=seed_worker,
        generator=torch.Generator().manual_seed(seed),
        persistent_workers=persistent_workers and workers > 0,
        prefetch_factor=prefetch_factor if workers > 0 else None,
    )
    return VideoLoader(loader, dataset.normalization, device)
