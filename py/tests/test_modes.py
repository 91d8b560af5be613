import numpy as np
import pytest

from topkgan.data.mixture import get_mode_centres
from topkgan.metrics.modes import mode_metrics

SIGMA, THRESHOLD = 0.05, 4
CENTRES = get_mode_centres({"layout": "grid", "modes": 25, "spacing": 2.0})


def score(samples, min_samples=20, centres=CENTRES):
    return mode_metrics(np.asarray(samples), centres, SIGMA, THRESHOLD, min_samples)


def test_when_every_sample_is_on_a_centre_evenly_then_all_is_perfect():
    result = score(np.repeat(CENTRES, 40, axis=0))
    assert result["high_quality_pct"] == 100.0
    assert result["modes_recovered"] == 25
    assert result["mode_counts"] == [40] * 25
    assert result["mode_evenness"] == pytest.approx(1.0, abs=1e-12)
    assert result["num_samples"] == 1000 and result["modes_total"] == 25
    assert result["threshold_std"] == THRESHOLD and result["min_samples"] == 20


def test_when_every_sample_collapses_on_one_mode_then_one_mode_and_no_evenness():
    result = score(np.repeat(CENTRES[7:8], 500, axis=0) + 0.01)
    assert result["high_quality_pct"] == 100.0
    assert result["modes_recovered"] == 1
    assert result["mode_counts"][7] == 500 and sum(result["mode_counts"]) == 500
    assert result["mode_evenness"] == 0.0


def test_when_samples_are_far_from_every_mode_then_nothing_counts():
    far = np.random.default_rng(0).uniform(50, 60, size=(300, 2))
    result = score(far)
    assert result["high_quality_pct"] == 0.0
    assert result["modes_recovered"] == 0
    assert result["mode_counts"] == [0] * 25
    assert result["mode_evenness"] == 0.0


def test_when_a_sample_is_exactly_at_the_threshold_then_it_counts_one_ulp_out_not():
    # the origin is a centre, so the distance is the offset itself, exactly
    at = np.array([THRESHOLD * SIGMA, 0.0])
    beyond = np.nextafter(at, [1.0, 0.0])
    assert score([at], min_samples=1)["high_quality_pct"] == 100.0
    assert score([beyond], min_samples=1)["high_quality_pct"] == 0.0


def test_when_a_mode_has_exactly_min_samples_then_it_is_recovered_and_one_less_not():
    samples = np.concatenate(
        [np.repeat(CENTRES[:1], 20, 0), np.repeat(CENTRES[1:2], 19, 0)]
    )
    result = score(samples, min_samples=20)
    assert result["mode_counts"][:2] == [20, 19]
    assert result["modes_recovered"] == 1


def test_when_two_of_four_modes_share_evenly_then_evenness_is_half():
    centres = CENTRES[:4]
    result = score(np.repeat(centres[:2], 10, axis=0), min_samples=1, centres=centres)
    assert result["mode_evenness"] == pytest.approx(np.log(2) / np.log(4))


def test_when_samples_are_not_finite_then_they_are_never_high_quality():
    samples = [[np.nan, 0.0], [np.inf, 1.0], CENTRES[3]]
    result = score(samples, min_samples=1)
    assert result["high_quality_pct"] == pytest.approx(100 / 3)
    assert result["mode_counts"][3] == 1 and sum(result["mode_counts"]) == 1


def test_when_there_is_a_single_mode_then_evenness_is_zero():
    result = score(np.zeros((10, 2)), min_samples=1, centres=np.zeros((1, 2)))
    assert result["modes_recovered"] == 1 and result["mode_evenness"] == 0.0


def test_when_many_samples_span_chunks_then_counts_match_a_direct_count():
    rng = np.random.default_rng(1)
    modes = rng.integers(0, 25, size=20000)
    samples = CENTRES[modes] + rng.normal(0, SIGMA, size=(20000, 2))
    result = score(samples)
    distances = np.linalg.norm(samples[:, None, :] - CENTRES[None], axis=2)
    high_quality = distances.min(axis=1) <= THRESHOLD * SIGMA
    expected = np.bincount(distances.argmin(axis=1)[high_quality], minlength=25)
    assert result["mode_counts"] == expected.tolist()
