"""Do the embedded data set's classes need relations? An oracle on ground-truth box tracks.

    python benchmarks/relational_gate.py [--variant relational|motion] [--train-per-class 80]
        [--val-per-class 40] [--seed 0] [--epochs 60]

Clips are drawn in memory with the generator's own code (``strg.synth.variants``) and boxed from
geometry (``strg.synth.scene.scene_boxes``: the rendered visible boxes up to the shapes' rounded
corners), without rendering or encoding. Like the recipe, it takes 16 frames at the centres of 16
equal segments and the centre crop of side = frame height; a box outside the crop is lost.

Each clip becomes a set of object tracks in random order. The only identity given is which track
is the hand, which its skin colour tells any model; A, B and the distractors are not told apart.
Two classifiers of the same size and training see:

- non-relational: every object's own track (centre, size, velocity and presence per frame, and
  its displacement, path length, top speed, out-and-back ratio, motion onset and offset),
  embedded one object at a time and pooled over the objects (mean and max), beside the hand's;
- relational: the same, plus for every ordered pair of non-hand objects their pairwise features
  (centre offset, distance, box gap, overlap, contact and relative velocity per frame, and the
  nearest approach and when) with each one's pairwise features to the hand, embedded one pair at
  a time and pooled likewise.

The last line reads ``relational gap: N.N points (relational R.R, non-relational Q.Q)``, with
validation top-1 in %.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from strg.synth.scene import scene_boxes
from strg.synth.variants import VARIANTS

#: Frames the recipe samples per clip.
N_FRAMES = 16
#: A box gap below this share of the crop counts as contact (2 pixels of 240).
CONTACT = 2.0 / 240.0


@dataclass
class Tracks:
    """One clip as the oracle sees it: boxes (K×T×4, x1 y1 x2 y2 as shares of the crop side),
    presence (K×T) and which track is the hand, in random order."""

    boxes: np.ndarray
    present: np.ndarray
    hand: int
    label: int


def clip_tracks(variant: str, class_index: int, seed: np.random.SeedSequence) -> Tracks:
    """Draw a clip as the generator does and box it at the recipe's 16 frames, in the crop."""
    rng = np.random.default_rng(seed)
    scene = VARIANTS[variant].draw(rng, class_index, 36, 48, None)
    frames = ((np.arange(N_FRAMES) + 0.5) * scene.n_frames / N_FRAMES).astype(int)
    boxes, present = scene_boxes(scene, frames)  # T×K×4, T×K
    side = scene.height
    left = (scene.width - side) / 2
    boxes = (boxes - [left, 0, left, 0]) / side
    boxes = np.clip(boxes, 0.0, 1.0)
    present &= (boxes[..., 2] - boxes[..., 0] > 0) & (boxes[..., 3] - boxes[..., 1] > 0)
    order = rng.permutation(len(scene.objects))
    hand = [scene.objects[k].shape == "hand" for k in order].index(True)
    boxes = np.where(present[..., None], boxes, 0.0)
    return Tracks(boxes[:, order].transpose(1, 0, 2), present[:, order].T, hand, class_index)


def own_features(boxes: np.ndarray, present: np.ndarray) -> np.ndarray:
    """One object's own track (T×4 boxes, T presence) -> its feature vector."""
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    size = boxes[:, 2:] - boxes[:, :2]
    both = present & np.roll(present, 1)
    velocity = np.diff(centre, axis=0, prepend=centre[:1]) * both[:, None]
    velocity[0] = 0.0
    speed = np.linalg.norm(velocity, axis=1)
    seen = np.flatnonzero(present)
    if len(seen):
        first, last = centre[seen[0]], centre[seen[-1]]
        reach = np.linalg.norm(centre[seen] - first, axis=1).max()
        moving = np.flatnonzero(speed > 0.004)
        onset, offset = (moving[0], moving[-1]) if len(moving) else (0, 0)
        stats = [
            *(last - first),
            speed.sum(),
            speed.max(),
            reach,
            np.linalg.norm(last - first) / max(speed.sum(), 1e-6),
            onset / N_FRAMES,
            offset / N_FRAMES,
            present.mean(),
            seen[0] / N_FRAMES,
            seen[-1] / N_FRAMES,
        ]
    else:
        stats = [0.0] * 11
    per_frame = np.concatenate([centre, size, velocity, present[:, None]], axis=1)
    return np.concatenate([per_frame.ravel(), stats]).astype(np.float32)


def pair_features(
    boxes_i: np.ndarray, present_i: np.ndarray, boxes_j: np.ndarray, present_j: np.ndarray
) -> np.ndarray:
    """Two objects' tracks -> the features of their relation over time."""
    both = present_i & present_j
    offset = (boxes_j[:, :2] + boxes_j[:, 2:]) / 2 - (boxes_i[:, :2] + boxes_i[:, 2:]) / 2
    distance = np.linalg.norm(offset, axis=1)
    gaps = np.maximum(boxes_i[:, :2] - boxes_j[:, 2:], boxes_j[:, :2] - boxes_i[:, 2:])
    gap = gaps.max(axis=1)  # < 0: the boxes overlap
    overlap = np.clip(-gaps, 0.0, None).prod(axis=1)
    relative = np.diff(offset, axis=0, prepend=offset[:1])
    per_frame = (
        np.stack([*offset.T, distance, gap, overlap, gap < CONTACT, *relative.T], axis=1)
        * both[:, None]
    )
    if both.any():
        near = np.where(both, distance, np.inf)
        seen = np.flatnonzero(both)
        stats = [
            near.min(),
            int(near.argmin()) / N_FRAMES,
            distance[seen[0]],
            distance[seen[-1]],
            np.where(both, gap, np.inf).min(),
            (both & (gap < CONTACT)).mean(),
            both.mean(),
        ]
    else:
        stats = [0.0] * 7
    return np.concatenate([per_frame.ravel(), stats]).astype(np.float32)


@dataclass
class Features:
    """A batch of clips as arrays: the hand's own features (N×F), the other objects' (N×K×F)
    with a mask (N×K), and their ordered pairs' relational features (N×P×G) with a mask."""

    hand: np.ndarray
    objects: np.ndarray
    object_mask: np.ndarray
    pairs: np.ndarray
    pair_mask: np.ndarray
    labels: np.ndarray


def featurize(clips: list[Tracks]) -> Features:
    """Own and pairwise features of every clip, padded to the largest object count."""
    n_objects = max(len(clip.boxes) for clip in clips) - 1
    hands, objects, pairs = [], [], []
    object_mask = np.zeros((len(clips), n_objects), bool)
    pair_mask = np.zeros((len(clips), n_objects * (n_objects - 1)), bool)
    for row, clip in enumerate(clips):
        others = [k for k in range(len(clip.boxes)) if k != clip.hand]
        own = {k: own_features(clip.boxes[k], clip.present[k]) for k in range(len(clip.boxes))}
        to_hand = {
            k: pair_features(
                clip.boxes[clip.hand], clip.present[clip.hand], clip.boxes[k], clip.present[k]
            )
            for k in others
        }
        hands.append(own[clip.hand])
        objects.append([own[k] for k in others])
        object_mask[row, : len(others)] = True
        clip_pairs = [
            np.concatenate(
                [
                    pair_features(clip.boxes[i], clip.present[i], clip.boxes[j], clip.present[j]),
                    to_hand[i],
                    to_hand[j],
                ]
            )
            for i in others
            for j in others
            if i != j
        ]
        pairs.append(clip_pairs)
        pair_mask[row, : len(clip_pairs)] = True

    def padded(rows: list[list[np.ndarray]], width: int) -> np.ndarray:
        size = len(next(item for row in rows for item in row))
        out = np.zeros((len(rows), width, size), np.float32)
        for index, row in enumerate(rows):
            if row:
                out[index, : len(row)] = row
        return out

    return Features(
        np.stack(hands),
        padded(objects, n_objects),
        object_mask,
        padded(pairs, pair_mask.shape[1]),
        pair_mask,
        np.array([clip.label for clip in clips]),
    )


def draw_clips(variant: str, per_class: int, first: int, seed: int) -> list[Tracks]:
    """``per_class`` clips of every class, numbered from ``first`` (train and validation clips
    are drawn from disjoint numbers, as the generator does)."""
    return [
        clip_tracks(variant, class_index, np.random.SeedSequence([seed, class_index, number]))
        for class_index in range(len(VARIANTS[variant].classes))
        for number in range(first, first + per_class)
    ]


def train_and_score(
    train: Features, val: Features, relational: bool, epochs: int, seed: int
) -> float:
    """Train one classifier on ``train``; its validation top-1 in % after the last epoch."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    n_classes = int(max(train.labels.max(), val.labels.max())) + 1

    def tensors(features: Features) -> list[torch.Tensor]:
        return [
            torch.from_numpy(array)
            for array in (
                features.hand,
                features.objects,
                features.object_mask,
                features.pairs,
                features.pair_mask,
                features.labels,
            )
        ]

    def scaler(array: np.ndarray, mask: np.ndarray | None) -> tuple[torch.Tensor, torch.Tensor]:
        rows = array[mask] if mask is not None else array
        return torch.from_numpy(rows.mean(0)), torch.from_numpy(rows.std(0) + 1e-3)

    norms = [
        scaler(train.hand, None),
        scaler(train.objects, train.object_mask),
        scaler(train.pairs, train.pair_mask),
    ]
    width = 128

    def mlp(inputs: int, outputs: int) -> nn.Module:
        return nn.Sequential(
            nn.Linear(inputs, width), nn.ReLU(), nn.Dropout(0.1), nn.Linear(width, outputs)
        )

    def pool(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        weights = mask.unsqueeze(-1).float()
        mean = (values * weights).sum(1) / weights.sum(1).clamp(min=1)
        largest = values.masked_fill(~mask.unsqueeze(-1), -1e4).amax(1)
        return torch.cat([mean, largest * (weights.sum(1) > 0)], dim=1)

    class Oracle(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hand = mlp(train.hand.shape[1], width)
            self.object = mlp(train.objects.shape[2], width)
            self.pair = mlp(train.pairs.shape[2], width) if relational else None
            joined = width * (5 if relational else 3)
            self.head = nn.Sequential(
                nn.ReLU(), nn.Linear(joined, width), nn.ReLU(), nn.Linear(width, n_classes)
            )

        def forward(self, hand, objects, object_mask, pairs, pair_mask) -> torch.Tensor:
            (hand_mean, hand_std), (obj_mean, obj_std), (pair_mean, pair_std) = norms
            parts = [
                self.hand((hand - hand_mean) / hand_std),
                pool(self.object((objects - obj_mean) / obj_std), object_mask),
            ]
            if self.pair is not None:
                parts.append(pool(self.pair((pairs - pair_mean) / pair_std), pair_mask))
            return self.head(torch.cat(parts, dim=1))

    model = Oracle()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-2)
    data = tensors(train)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(train.labels), generator=generator).split(128):
            *inputs, labels = (tensor[batch] for tensor in data)
            loss = nn.functional.cross_entropy(model(*inputs), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        *inputs, labels = tensors(val)
        return float((model(*inputs).argmax(1) == labels).float().mean()) * 100


@dataclass(frozen=True)
class GateResult:
    """Validation top-1 (%) of both oracles."""

    relational: float
    non_relational: float

    @property
    def gap(self) -> float:
        """How many points the relations add."""
        return self.relational - self.non_relational


def run_gate(
    variant: str, train_per_class: int, val_per_class: int, seed: int, epochs: int
) -> GateResult:
    """Draw, featurize, train both oracles and score them on the validation clips."""
    import torch

    # One thread: these small matrices gain nothing from more, and a loaded machine loses a lot.
    torch.set_num_threads(1)
    train = featurize(draw_clips(variant, train_per_class, 0, seed))
    val = featurize(draw_clips(variant, val_per_class, train_per_class, seed))
    return GateResult(
        relational=train_and_score(train, val, True, epochs, seed),
        non_relational=train_and_score(train, val, False, epochs, seed),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=tuple(VARIANTS), default="relational")
    parser.add_argument("--train-per-class", type=int, default=80)
    parser.add_argument("--val-per-class", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=60)
    args = parser.parse_args(argv)
    if min(args.train_per_class, args.val_per_class, args.epochs) < 1 or args.seed < 0:
        parser.error("--train-per-class, --val-per-class and --epochs must be >= 1, --seed >= 0")
    started = time.perf_counter()
    result = run_gate(
        args.variant, args.train_per_class, args.val_per_class, args.seed, args.epochs
    )
    n_classes = len(VARIANTS[args.variant].classes)
    print(
        f"variant {args.variant}: {n_classes} classes, {n_classes * args.train_per_class} "
        f"training / {n_classes * args.val_per_class} validation clips, "
        f"{time.perf_counter() - started:.1f} s"
    )
    print(f"non-relational (own tracks, pooled): validation top-1 {result.non_relational:.1f} %")
    print(f"relational (+ pairwise features): validation top-1 {result.relational:.1f} %")
    print(
        f"relational gap: {result.gap:.1f} points "
        f"(relational {result.relational:.1f}, non-relational {result.non_relational:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
