"""The training, validation and inference loops over batches of :class:`~strg.structures.Batch`.

Every loop takes explicit arguments; :mod:`strg.engine.run` wires them from the options. The
loaders (:class:`~strg.data.loader.VideoLoader`) deliver batches on the model's device, frames
normalised.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F  # noqa: N812 (the usual alias)
from torch import nn
from tqdm import tqdm

from strg.data.loader import VideoLoader
from strg.engine.cpu_bf16 import Bf16ConvGuard
from strg.engine.distributed import Process, all_reduce_sums
from strg.engine.errors import RunError
from strg.engine.logs import TableLogger
from strg.engine.schedule import LearningRateSchedule
from strg.engine.scores import clip_scores, video_scores
from strg.engine.speed import clip_in_format
from strg.models.region_features import clips_without_boxes
from strg.structures import Batch

AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class Precision:
    """How a forward pass runs: autocast (``amp`` is ``none``, ``bf16`` or ``fp16`` on
    ``device``) and, with ``channels_last``, the clips in channels_last_3d
    (:mod:`strg.engine.speed`)."""

    device: torch.device
    amp: str = "none"
    channels_last: bool = False

    def autocast(self) -> contextlib.AbstractContextManager:
        """The autocast context of a forward pass (a no-op without AMP)."""
        if self.amp == "none":
            return contextlib.nullcontext()
        autocast = torch.autocast(device_type=self.device.type, dtype=AMP_DTYPES[self.amp])
        if self.amp != "bf16" or self.device.type != "cpu":
            return autocast
        stack = contextlib.ExitStack()  # the known-bad CPU bf16 convolutions run in float32
        stack.enter_context(autocast)
        stack.enter_context(Bf16ConvGuard())
        return stack


def forward(model: nn.Module, batch: Batch, precision: Precision) -> torch.Tensor:
    """Logits ``B×K`` (float32) of a batch already on the model's device."""
    frames = clip_in_format(batch.frames, precision.channels_last)
    with precision.autocast():
        if batch.boxes is None:
            logits = model(frames)
        else:
            logits = model(frames, batch.boxes, batch.box_mask)
    return logits.float()


def loss_and_hits(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Mean loss of a batch and how many clips its top-1 class gets right.

    Single-label targets (B int64): cross-entropy, hit when the top class is the target.
    Multi-label targets (B×K float): binary cross-entropy, hit when the top class is a positive.
    """
    top = logits.argmax(dim=1)
    if targets.dim() == 1:
        return F.cross_entropy(logits, targets), int((top == targets).sum())
    loss = F.binary_cross_entropy_with_logits(logits, targets)
    return loss, int(targets.gather(1, top[:, None]).gt(0).sum())


@dataclass
class EpochResult:
    """Average loss and top-1 clip accuracy over the clips of all processes, and how many of
    the clips had no valid box (the region graph then has no node: its feature is 0)."""

    loss: float
    accuracy: float
    clips: int
    clips_without_boxes: int = 0

    def boxless_warning(self, what: str) -> str | None:
        """A warning line when some clips had no box after the crop, else None."""
        if not self.clips_without_boxes:
            return None
        return (
            f"warning: {self.clips_without_boxes} of {self.clips} {what} clips had no valid box "
            "after the crop (no graph nodes: only their global feature is classified); check "
            "the proposals and the crop (--train_crop, --sample_size)"
        )


def _boxless(batch: Batch) -> int:
    return 0 if batch.box_mask is None else clips_without_boxes(batch.box_mask)


def _progress(iterable: Iterable, process: Process, description: str, total: int) -> Iterable:
    return tqdm(iterable, desc=description, total=total, disable=not process.is_main, leave=False)


def train_epoch(
    model: nn.Module,
    loader: VideoLoader,
    optimizer: torch.optim.Optimizer,
    schedule: LearningRateSchedule,
    epoch: int,
    process: Process,
    precision: Precision,
    scaler: torch.amp.GradScaler | None = None,
    accumulate_steps: int = 1,
    eval_modules: Iterable[nn.Module] = (),
    batch_log: TableLogger | None = None,
) -> EpochResult:
    """One epoch of training; the rate is set by ``schedule`` before every optimiser step.

    Gradients of ``accumulate_steps`` batches are summed (each loss divided by it) before a step;
    a last, shorter group at the end of the epoch also steps.
    """
    model.train()
    for module in eval_modules:  # frozen BatchNorm keeps its statistics
        module.eval()
    n_batches = len(loader)
    steps_per_epoch = math.ceil(n_batches / accumulate_steps)
    total_loss, total_hits, total_clips, boxless = 0.0, 0, 0, 0
    rate = schedule.apply(optimizer, epoch, 0)
    optimizer.zero_grad(set_to_none=True)
    batches = _progress(loader, process, f"train {epoch}", n_batches)
    for number, batch in enumerate(batches, start=1):
        logits = forward(model, batch, precision)
        loss, hits = loss_and_hits(logits, batch.targets)
        used_rate = rate  # the rate of the optimiser step this batch's gradient goes into
        scaled = loss / accumulate_steps
        (scaler.scale(scaled) if scaler is not None else scaled).backward()
        if number % accumulate_steps == 0 or number == n_batches:
            if scaler is not None:
                scaler.step(optimizer)
                scaler.update()
            else:
                optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step = math.ceil(number / accumulate_steps)
            if step < steps_per_epoch:
                rate = schedule.apply(optimizer, epoch, step)
        clips = len(batch)
        boxless += _boxless(batch)
        loss_value = float(loss.detach())
        if not math.isfinite(loss_value):  # read here, where it is read anyway: no extra sync
            raise RunError(
                f"epoch {epoch}, iteration {number}: the training loss is {loss_value}; the run "
                "diverged (lower --learning_rate) and no checkpoint of this epoch was written"
            )
        total_loss += loss_value * clips
        total_hits += hits
        total_clips += clips
        if batch_log is not None:
            batch_log.log(
                epoch=epoch,
                batch=number,
                iter=(epoch - 1) * n_batches + number,
                loss=loss_value,
                acc=hits / clips,
                lr=used_rate,
            )
        if hasattr(batches, "set_postfix"):
            batches.set_postfix(loss=f"{loss_value:.3f}", lr=f"{used_rate:.2e}")
    return _reduced(total_loss, total_hits, total_clips, boxless, process)


def _reduced(loss: float, hits: int, clips: int, boxless: int, process: Process) -> EpochResult:
    """The epoch's result over all processes."""
    loss_sum, hits_sum, clips_sum, boxless_sum = all_reduce_sums(
        [loss, hits, clips, boxless], process
    )
    return EpochResult(
        loss_sum / max(clips_sum, 1), hits_sum / max(clips_sum, 1), int(clips_sum),
        int(boxless_sum),
    )  # fmt: skip


@torch.no_grad()
def validate_epoch(
    model: nn.Module,
    loader: VideoLoader,
    epoch: int,
    process: Process,
    precision: Precision,
) -> EpochResult:
    """Loss and top-1 accuracy over every validation clip (clip accuracy, as the original)."""
    model.eval()
    total_loss, total_hits, total_clips, boxless = 0.0, 0, 0, 0
    for batch in _progress(loader, process, f"val {epoch}", len(loader)):
        logits = forward(model, batch, precision)
        loss, hits = loss_and_hits(logits, batch.targets)
        total_loss += float(loss) * len(batch)
        total_hits += hits
        total_clips += len(batch)
        boxless += _boxless(batch)
    return _reduced(total_loss, total_hits, total_clips, boxless, process)


@dataclass
class VideoScores:
    """Per-video class scores, and per-clip ones with their segments."""

    videos: dict[str, torch.Tensor] = field(default_factory=dict)
    clips: dict[str, list[tuple[list[int], torch.Tensor]]] = field(default_factory=dict)


@torch.no_grad()
def infer(
    model: nn.Module,
    loader: VideoLoader,
    process: Process,
    precision: Precision,
    multi_label: bool = False,
) -> VideoScores:
    """Class scores of every video and of each of its clips (:mod:`strg.engine.scores`: the mean
    of the clips' softmax, or for multi-label data the max of their sigmoids)."""
    model.eval()
    per_clip: dict[str, list[tuple[list[int], torch.Tensor]]] = {}
    for batch in _progress(loader, process, "inference", len(loader)):
        scores = clip_scores(forward(model, batch, precision), multi_label).cpu()
        for row, video_position in enumerate(batch.video_index.tolist()):
            video_id = batch.video_ids[video_position]
            per_clip.setdefault(video_id, []).append((batch.segments[row], scores[row]))
    videos = {
        video_id: video_scores(torch.stack([scores for _, scores in clips]), multi_label)
        for video_id, clips in per_clip.items()
    }
    return VideoScores(videos=videos, clips=per_clip)


def merge_scores(parts: list[VideoScores], order: list[str]) -> VideoScores:
    """The scores of each process's share of the videos (``parts``, by rank) as one process
    gives them: videos in ``order`` (the data set's), then any others as they come.

    A video in several parts (a replacement for an unreadable one, with ``skip_missing``) has the
    same clips and scores in each: its score is the first part's and its clips are all of them,
    as one process lists them.
    """
    ids = list(dict.fromkeys([*order, *(video for part in parts for video in part.videos)]))
    merged = VideoScores()
    for video_id in ids:
        for part in parts:
            if video_id in part.videos:
                merged.videos.setdefault(video_id, part.videos[video_id])
            if video_id in part.clips:
                merged.clips.setdefault(video_id, []).extend(part.clips[video_id])
    return merged
