"""Simulation-based calibration of the conditioning: true worlds drawn from the baseline, observed, conditioned.

200 true worlds are taken from a pool of prior worlds; each is observed on
2025-11-01 (the state of the talks and, once they ended, the Tartus level,
hard; whether each event had happened, reported right 80% of the time, soft)
and the other worlds are conditioned on it. With the conditioning right, the
ranks of the true inputs are uniform (Kolmogorov-Smirnov p > 0.001 for every
one of the ~25 inputs, so about a 2.5% chance of a false alarm for the
lot, and none with this fixed seed) and the forecasts of the held-back
outcomes and of the reported events are calibrated (|z| < 3.29, p > 0.001).
Two deliberately wrong likelihoods show the check has teeth: an
overconfident one (the 80% reports read as 97%) and one that ignores the
reports (50%) both fail it by far.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from basesim import load_scenario
from basesim.analysis.sbc import (
    calibration_in_the_large,
    forecast_calibration,
    rank_uniformity,
    simulation_based_calibration,
    spiegelhalter_z,
)
from basesim.model import batch_size
from basesim.montecarlo.runner import batch_draws, play_batch

ROOT = Path(__file__).resolve().parents[1]
BASELINE = load_scenario(ROOT / "scenarios" / "baseline.yaml")
DATE = "2025-11-01"
TRUTHS = 200
THRESHOLD = 1e-3
OUTCOMES = [("state", "agreement"), ("tartus", "full lease")]


@pytest.fixture(scope="module")
def pool() -> pd.DataFrame:
    B = batch_size(BASELINE)
    batches = max(1, 4096 // B)
    return pd.concat([play_batch(BASELINE, batch_draws(BASELINE, seed=20250215, index=j, size=B, batch_size=B),
                                 protocol="alternating_offers", summary_only=False).table for j in range(batches)],
                     ignore_index=True)


def _check(pool: pd.DataFrame, conditioned_confidence: float | None = None):
    return simulation_based_calibration(pool, BASELINE, date=DATE, truths=TRUTHS, rng=np.random.default_rng(7),
                                        issue="tartus", confidence=0.8, conditioned_confidence=conditioned_confidence,
                                        outcomes=OUTCOMES)


def test_the_calibration_statistics_have_their_known_values():
    assert calibration_in_the_large([0.5, 0.5], [1, 0])[0] == 0
    z, p = calibration_in_the_large([0.2] * 100, [1] * 50 + [0] * 50)
    assert z == pytest.approx(30 / np.sqrt(16)) and p < 1e-6
    timid = spiegelhalter_z([0.9, 0.1, 0.9, 0.1], [1, 0, 1, 0])[0]  # all came out as forecast: too timid, z < 0
    assert timid == pytest.approx(-(4 * 0.1 * 0.8) / np.sqrt(4 * 0.64 * 0.09))
    assert np.isnan(spiegelhalter_z([0.5, 0.5], [1, 0])[0])  # 50% forecasts carry no sharpness to test


def test_posterior_ranks_of_the_true_inputs_are_uniform_and_forecasts_calibrated(pool):
    result = _check(pool)
    assert result.inconsistent == 0  # a true world always agrees with its own observations
    assert len(result.ranks) == TRUTHS and result.kept.min() >= 1 and np.median(result.kept) > 1000
    uniformity = rank_uniformity(result.ranks)
    assert len(uniformity) >= 20  # every uncertain input of the baseline, events included
    assert (uniformity["pvalue"] > THRESHOLD).all(), uniformity.head()
    calibration = forecast_calibration(result.forecasts).set_index("what")
    assert set(calibration.index) == {"state=agreement", "tartus=full lease",
                                      "event sanctions_relief as reported", "event turkish_defence_pact as reported"}
    assert (calibration["p_large"] > THRESHOLD).all(), calibration
    assert (calibration["p_spiegelhalter"] > THRESHOLD).all(), calibration


def test_an_overconfident_likelihood_fails_the_check(pool):
    calibration = forecast_calibration(_check(pool, conditioned_confidence=0.97).forecasts).set_index("what")
    reported = calibration.loc["event sanctions_relief as reported"]
    assert reported["forecast"] > reported["observed"] + 0.1
    assert reported["p_spiegelhalter"] < 1e-6 and reported["p_large"] < 1e-6


def test_ignoring_soft_reports_fails_the_check(pool):
    calibration = forecast_calibration(_check(pool, conditioned_confidence=0.5).forecasts).set_index("what")
    reported = calibration.loc["event sanctions_relief as reported"]
    assert reported["observed"] > reported["forecast"] + 0.1
    assert reported["p_large"] < 1e-6
