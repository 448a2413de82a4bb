"""Paired differences of two arms on the same videos: t quantiles and both 95 % intervals."""

from __future__ import annotations

import math

import pytest

from strg.evaluation.paired import mean_interval, paired_difference, t_critical


@pytest.mark.parametrize(
    ("df", "expected"),
    # printed t tables, 97.5 % quantile
    [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (10, 2.228), (30, 2.042), (120, 1.980)],
)
def test_t_critical_matches_the_printed_table(df: int, expected: float) -> None:
    assert round(t_critical(df), 3) == expected


def test_t_critical_matches_closed_forms_and_other_levels() -> None:
    # df 2: P(|T| <= t) = t / sqrt(2 + t²), so t = sqrt(2 L² / (1 - L²))
    assert t_critical(2) == pytest.approx(math.sqrt(2 * 0.95**2 / (1 - 0.95**2)), abs=1e-12)
    # df 1 is Cauchy: P(|T| <= t) = (2/π) atan t, so t = tan(π L / 2)
    assert t_critical(1, 0.5) == pytest.approx(1.0, abs=1e-12)
    assert t_critical(1) == pytest.approx(math.tan(math.pi * 0.95 / 2), abs=1e-10)
    assert round(t_critical(4, 0.99), 3) == 4.604
    # many degrees of freedom: the normal 1.960
    assert round(t_critical(100_000), 3) == 1.960
    with pytest.raises(ValueError, match="degree of freedom"):
        t_critical(0)


def test_mean_interval_is_the_t_interval_of_the_mean() -> None:
    # mean 2, s = 1, n = 3: 2 ± 4.3027 · 1 / √3 = 2 ± 2.4841
    interval = mean_interval([1.0, 2.0, 3.0])
    assert interval.mean == 2.0
    assert interval.low == pytest.approx(2 - 2.4841, abs=1e-4)
    assert interval.high == pytest.approx(2 + 2.4841, abs=1e-4)
    single = mean_interval([5.0])
    assert (single.mean, single.low, single.high) == (5.0, None, None)
    with pytest.raises(ValueError, match="no values"):
        mean_interval([])


def _hits(rows: dict[int, str]) -> dict[int, dict[str, bool]]:
    """Seed -> videos a, b, c, ... right (``1``) or wrong (``0``), from strings like ``"1001"``."""
    return {seed: {chr(97 + i): c == "1" for i, c in enumerate(row)} for seed, row in rows.items()}


def test_paired_difference_over_seeds_and_over_videos_by_hand() -> None:
    #                          videos a b c d
    backbone = _hits({0: "1000", 1: "1100", 2: "0000"})  # 25, 50, 0 %
    configuration = _hits({0: "1100", 1: "1110", 2: "1100"})  # 50, 75, 50 %
    difference = paired_difference(configuration, backbone)
    # per seed: +25, +25, +50; mean 33.3, s = 14.434 (squares 69.4 + 69.4 + 277.8 = 416.7, / 2);
    # s / √3 = 25 / 3 exactly, so ± 4.3027 · 8.3333 = ± 35.856
    assert difference.per_seed == {0: 25.0, 1: 25.0, 2: 50.0}
    assert difference.seeds.mean == pytest.approx(100 / 3)
    assert difference.seeds.low == pytest.approx(100 / 3 - 35.856, abs=1e-3)
    assert difference.seeds.high == pytest.approx(100 / 3 + 35.856, abs=1e-3)
    # per video, averaged over the 3 seeds: a (0, 0, +1) 33.3, b (+1, 0, +1) 66.7,
    # c (0, +1, 0) 33.3, d 0; the same mean 33.3; s² = 2 · 33.3² / 3 = 740.7, s = 27.217;
    # ± t(3) 3.1824 · 27.217 / √4 = ± 43.308
    assert difference.n_videos == 4
    assert difference.videos.mean == pytest.approx(100 / 3)
    assert difference.videos.low == pytest.approx(100 / 3 - 43.308, abs=1e-3)
    assert difference.videos.high == pytest.approx(100 / 3 + 43.308, abs=1e-3)


def test_one_seed_gives_the_mcnemar_type_interval_and_no_seed_interval() -> None:
    # 10 videos: 3 right only under the configuration, 1 only under the backbone, 6 agree.
    backbone = _hits({7: "0001110000"})
    configuration = _hits({7: "1110110000"})
    difference = paired_difference(configuration, backbone)
    assert difference.per_seed == {7: 20.0}
    assert (difference.seeds.low, difference.seeds.high) == (None, None)
    # McNemar's discordant counts b = 3, c = 1: s² = (b + c - n d̄²) / (n - 1) = 3.6 / 9 = 0.4;
    # 20 ± t(9) 2.2622 · 100 · √0.4 / √10 = 20 ± 45.24
    assert difference.videos.mean == pytest.approx(20.0)
    assert difference.videos.low == pytest.approx(20 - 45.24, abs=1e-2)
    assert difference.videos.high == pytest.approx(20 + 45.24, abs=1e-2)


def test_paired_difference_refuses_unpaired_arms() -> None:
    backbone = _hits({0: "10", 1: "01"})
    with pytest.raises(ValueError, match="same seeds"):
        paired_difference(_hits({0: "11"}), backbone)
    with pytest.raises(ValueError, match="seed 1: paired arms need the same videos"):
        paired_difference({0: {"a": True, "b": True}, 1: {"a": True, "z": True}}, backbone)
