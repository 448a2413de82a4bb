"""Paired comparison of two models scored on the same validation videos: a configuration and the
backbone, trained from the same stage-1 checkpoint of each seed at the same budget.

Pairing removes what both arms share (the seed's stage-1 backbone, the validation videos), so
the difference of the two arms is measured far more tightly than the two accuracies are. Two 95 %
intervals of the mean difference answer two questions:

- **over seeds** (:attr:`PairedDifference.seeds`): the unit is the seed. Each seed gives one
  difference of top-1 accuracies; the interval is Student's t interval of their mean,
  ``mean ± t(n−1) · s / √n`` with n seeds and s their sample standard deviation (t = 12.706 for
  2 seeds, 4.303 for 3). It answers "does the gain replicate when the whole recipe is run again
  from another seed", and is the one ``strg ablate`` prints on its ``paired difference`` line.
  With one seed there is no interval.
- **over videos** (:attr:`PairedDifference.videos`): the unit is the validation video. Each
  video's difference is its correctness under the configuration minus under the backbone
  (+1, 0 or −1 per seed), averaged over the seeds; the interval is the t interval of the mean of
  these V per-video values (V − 1 degrees of freedom: for hundreds of videos, the normal 1.96).
  Averaging within a video first clusters the S·V pairs by video: one video's pairs are not
  independent (an easy video is right under both arms for every seed), so they count as one
  observation, not S. With one seed this is the paired (McNemar-type) normal interval of the
  difference of two proportions on the same videos. It answers "how finely does this validation
  set resolve the comparison of these trained models": it does not count a whole seed's models
  being luckier than another's, so it is narrower than the seed interval and no replacement for
  it.

The mean of the per-video differences equals the mean of the per-seed differences (every seed
scores the same videos), so both intervals are around the same number.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def t_critical(df: int, level: float = 0.95) -> float:
    """Two-sided critical value of Student's t with ``df`` degrees of freedom: the t with
    ``P(|T| ≤ t) = level`` (for 0.95, the 97.5 % quantile: 12.706 for df 1, 4.303 for df 2).

    ``P(|T| ≤ t)`` has a closed form for integer df (Abramowitz and Stegun 26.7.3 and 26.7.4), so
    the quantile is found by bisection on it, exactly and without scipy.
    """
    if df < 1:
        raise ValueError(f"t needs at least 1 degree of freedom, got {df}")
    if not 0 < level < 1:
        raise ValueError(f"the level must be between 0 and 1, got {level}")
    low, high = 0.0, 1.0
    while _t_central_probability(high, df) < level:
        low, high = high, 2 * high
    # 100 halvings take any bracket below 2**-90 of its width: past float precision
    for _ in range(100):
        middle = (low + high) / 2
        low, high = (middle, high) if _t_central_probability(middle, df) < level else (low, middle)
    return (low + high) / 2


def _t_central_probability(t: float, df: int) -> float:
    """``P(|T| ≤ t)`` for Student's t with integer ``df`` (Abramowitz and Stegun 26.7.3/4)."""
    theta = math.atan(t / math.sqrt(df))
    sine, cosine = math.sin(theta), math.cos(theta)
    if df % 2:
        # odd: (2/π)(θ + sinθ(cosθ + (2/3)cos³θ + ... + (2·4···(df−3))/(1·3···(df−2)) cos^(df−2)θ))
        term, series = cosine, 0.0
        for i in range(1, (df - 1) // 2 + 1):
            series += term
            term *= cosine**2 * (2 * i) / (2 * i + 1)
        return 2 / math.pi * (theta + sine * series)
    # even: sinθ(1 + (1/2)cos²θ + ... + (1·3···(df−3))/(2·4···(df−2)) cos^(df−2)θ)
    term, series = 1.0, 0.0
    for i in range(1, df // 2 + 1):
        series += term
        term *= cosine**2 * (2 * i - 1) / (2 * i)
    return sine * series


@dataclass(frozen=True)
class Interval:
    """A mean and its t interval (``low``, ``high``: ``None`` from a single value)."""

    mean: float
    low: float | None
    high: float | None


def mean_interval(values: Sequence[float], level: float = 0.95) -> Interval:
    """The mean of ``values`` and Student's t interval for it, ``mean ± t(n−1) · s / √n``."""
    if not values:
        raise ValueError("no values to take the mean of")
    mean = statistics.fmean(values)
    if len(values) == 1:
        return Interval(mean, None, None)
    half = t_critical(len(values) - 1, level) * statistics.stdev(values) / math.sqrt(len(values))
    return Interval(mean, mean - half, mean + half)


@dataclass(frozen=True)
class PairedDifference:
    """Configuration − backbone top-1, in points (percent).

    Attributes:
        per_seed: seed -> that seed's difference of top-1 accuracies.
        seeds: their mean and the t interval over seeds.
        videos: the same mean and the interval over videos (clustered by video).
        n_videos: how many validation videos each seed scored.
    """

    per_seed: dict[int, float]
    seeds: Interval
    videos: Interval
    n_videos: int


def paired_difference(
    configuration: Mapping[int, Mapping[str, bool]],
    backbone: Mapping[int, Mapping[str, bool]],
    level: float = 0.95,
) -> PairedDifference:
    """Compare two arms from their per-video correctness: seed -> video id -> top-1 right.

    Both arms must have the same seeds and, for every seed, the same videos (the pairing);
    anything else is a ValueError naming the difference.
    """
    if not configuration or set(configuration) != set(backbone):
        raise ValueError(
            f"paired arms need the same seeds: {sorted(configuration)} against {sorted(backbone)}"
        )
    seeds = sorted(configuration)
    videos = list(backbone[seeds[0]])
    for seed in seeds:
        for arm in (configuration[seed], backbone[seed]):
            if set(arm) != set(videos):
                raise ValueError(
                    f"seed {seed}: paired arms need the same videos "
                    f"({len(arm)} against {len(videos)}, {len(set(arm) ^ set(videos))} differ)"
                )
    if not videos:
        raise ValueError("no validation video to compare on")
    per_seed = {
        seed: 100 * (sum(configuration[seed].values()) - sum(backbone[seed].values())) / len(videos)
        for seed in seeds
    }
    per_video = [
        100 * statistics.fmean(configuration[s][v] - backbone[s][v] for s in seeds) for v in videos
    ]
    return PairedDifference(
        per_seed=per_seed,
        seeds=mean_interval(list(per_seed.values()), level),
        videos=mean_interval(per_video, level),
        n_videos=len(videos),
    )
