"""Privacy: stated sensitivities hold (property tests) and an empirical audit of the devices."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import beta

from sparseopt.ldp import LocalRandomizer
from sparseopt.ldp import _statistics as stats

BOUNDS = {"x_bound": 1.5, "y_bound": 2.0}


@st.composite
def record_pairs(draw, x_norm):
    d = draw(st.integers(1, 8))
    coordinates = st.floats(-1.0, 1.0, allow_nan=False)
    corner = st.sampled_from([-1.0, 1.0])  # the extreme points are where maxima lie
    pairs = []
    for _ in range(2):
        entries = st.one_of(coordinates, corner)
        x = np.array(draw(st.lists(entries, min_size=d, max_size=d)))
        if x_norm == "inf":
            x = x * BOUNDS["x_bound"]
        else:
            norm = np.linalg.norm(x)
            x = x / norm * BOUNDS["x_bound"] * draw(st.floats(0.0, 1.0)) if norm > 0 else x
        y = draw(st.one_of(coordinates, corner)) * BOUNDS["y_bound"]
        pairs.append((x, y))
    coef = np.array(draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=d, max_size=d)))
    clip = draw(st.floats(0.01, 10.0))
    return d, pairs, coef, clip


def clean(statistic, x, y, x_norm, coef=None, clip=None):
    X_tilde = stats.clip_rows(x[None, :], BOUNDS["x_bound"], x_norm)
    return stats.report_rows(statistic, X_tilde, np.array([y]), coef, clip)[0]


@pytest.mark.parametrize("x_norm", ["inf", "l2"])
@pytest.mark.parametrize("statistic", ["covariance", "cross", "gradient"])
def test_report_differences_are_within_the_stated_sensitivities(statistic, x_norm):
    @given(record_pairs(x_norm))
    def check(case):
        d, ((x, y), (x2, y2)), coef, clip = case
        first = clean(statistic, x, y, x_norm, coef, clip)
        second = clean(statistic, x2, y2, x_norm, coef, clip)
        args = (statistic, d, BOUNDS["x_bound"], BOUNDS["y_bound"], x_norm, clip)
        slack = 1 + 1e-12
        assert np.linalg.norm(first - second) <= stats.l2_sensitivity(*args) * slack
        assert np.abs(first - second).sum() <= stats.l1_sensitivity(*args) * slack
        assert np.linalg.norm(first) <= stats.report_radius(*args) * slack

    check()


@pytest.mark.parametrize("d", [2, 8, 50])
def test_the_sensitivities_are_nearly_attained(d):
    """The bounds are tight: explicit neighbouring records come within a few percent."""
    tau, bound = BOUNDS["x_bound"], BOUNDS["y_bound"]
    signs = np.where(np.arange(d) % 2 == 0, 1.0, -1.0)  # balanced signs: x orthogonal to x'
    box = (stats.l2_sensitivity("covariance", d, tau, bound, "inf"),
           clean("covariance", tau * np.ones(d), 0.0, "inf")
           - clean("covariance", tau * signs, 0.0, "inf"))
    assert np.linalg.norm(box[1]) >= box[0] / np.sqrt(1 + 1 / (2 * d)) * (1 - 1e-12)
    e1, e2 = np.eye(d)[0], np.eye(d)[1]
    ball = (stats.l2_sensitivity("covariance", d, tau, bound, "l2"),
            clean("covariance", tau * e1, 0.0, "l2") - clean("covariance", tau * e2, 0.0, "l2"))
    assert np.linalg.norm(ball[1]) == pytest.approx(ball[0])
    cross = (stats.l2_sensitivity("cross", d, tau, bound, "inf"),
             clean("cross", tau * np.ones(d), bound, "inf")
             - clean("cross", tau * np.ones(d), -bound, "inf"))
    assert np.linalg.norm(cross[1]) == pytest.approx(cross[0])


# --------------------------------------------------------------------------- audit
def empirical_epsilon(scores_0, scores_1, delta, confidence=1e-6):
    """A lower confidence bound on the epsilon that the test sets {score > t} and
    {score < t} reveal between two inputs (Clopper-Pearson bounds on both
    probabilities), maximised over thresholds t at the scores' quantiles."""
    thresholds = np.quantile(np.concatenate([scores_0, scores_1]),
                             np.linspace(0.0005, 0.9995, 400))
    best = 0.0
    for first, second in ((scores_1, scores_0), (scores_0, scores_1)):
        for side in (1.0, -1.0):
            k_first = np.array([np.sum(side * first > side * t) for t in thresholds])
            k_second = np.array([np.sum(side * second > side * t) for t in thresholds])
            n_first, n_second = len(first), len(second)
            low = np.where(k_first > 0, beta.ppf(confidence, np.maximum(k_first, 1),
                                                 n_first - k_first + 1), 0.0)
            high = np.where(k_second < n_second,
                            beta.ppf(1 - confidence, k_second + 1,
                                     np.maximum(n_second - k_second, 1)), 1.0)
            usable = low - delta > 0
            if usable.any():
                best = max(best, float(np.max(np.log((low[usable] - delta) / high[usable]))))
    return best


def likelihood_ratio_scores(device, records, n_draws, **round_parameters):
    """The optimal (log-likelihood-ratio) statistic of each report of both records."""
    (x0, y0), (x1, y1) = records
    broadcast = {k: v for k, v in round_parameters.items() if k != "coef"}
    scales = device.noise_scales(**broadcast)
    clean_0, _ = device.clean_reports(x0[None], np.array([y0]), **round_parameters)
    clean_1, _ = device.clean_reports(x1[None], np.array([y1]), **round_parameters)
    scores = []
    for x, y in records:
        reports = device.report(np.tile(x, (n_draws, 1)), np.full(n_draws, y), **round_parameters)
        score = np.zeros(n_draws)
        for part, rows in reports.parts.items():
            direction = clean_1[part][0] - clean_0[part][0]
            score += rows @ direction / scales[part] ** 2
        scores.append(score)
    return scores


AUDITED = [
    ("public", {}, "gaussian"),
    ("nldp", {}, "gaussian"),
    ("iht", {"clip_norm": 1.0}, "gaussian"),
    ("public", {}, "laplace"),
    ("public", {}, "gaussian_classic"),
]


def audit(mode, round_parameters, mechanism, epsilon, delta=1e-6, d=3, n_draws=100_000):
    device = LocalRandomizer(mode, epsilon=epsilon, delta=delta, n_features=d, x_bound=1.0,
                             y_bound=1.0, mechanism=mechanism, random_state=0)
    if mode == "iht":
        round_parameters = {**round_parameters, "coef": np.array([0.0, 0.5, 0.0])}
    # worst-case neighbours: extreme records with opposite targets (and, for the
    # covariance, sign patterns whose outer products differ most)
    x = np.ones(d)
    records = [(x, 1.0), (x if mode != "nldp" else np.array([1.0, -1.0, 1.0]), -1.0)]
    if mechanism == "laplace":  # likelihood ratio of Laplace noise around +1 and -1
        scale = device.mechanisms(**round_parameters)["cross"].noise_scale
        scores = []
        for xr, yr in records:
            rows = device.report(np.tile(xr, (n_draws, 1)), np.full(n_draws, yr)).parts["cross"]
            # the statistic has atoms at +-1 (all entries beyond +-1): round away
            # the floating-point spread of an atom, which differs between the inputs
            scores.append(np.round((np.abs(rows + 1.0) - np.abs(rows - 1.0)).sum(axis=1)
                                   / scale, 9))
        return empirical_epsilon(*scores, delta=0.0)
    scores = likelihood_ratio_scores(device, records, n_draws, **round_parameters)
    return empirical_epsilon(*scores, delta=delta)


@pytest.mark.parametrize("mode, round_parameters, mechanism", AUDITED)
def test_audit_never_shows_more_than_the_declared_epsilon(mode, round_parameters, mechanism):
    assert audit(mode, round_parameters, mechanism, epsilon=1.0) <= 1.0
    # the audit has power: the same devices calibrated for four times the budget
    # show more than the declared epsilon (the classic calibration is for eps <= 1)
    leaky = "gaussian" if mechanism == "gaussian_classic" else mechanism
    assert audit(mode, round_parameters, leaky, epsilon=4.0) > 1.0


def test_audit_detects_a_mechanism_with_too_little_noise():
    """The same audit on reports with half the noise shows more than epsilon."""
    d = 3
    device = LocalRandomizer("public", epsilon=1.0, delta=1e-6, n_features=d, x_bound=1.0,
                             y_bound=1.0, random_state=0)
    leaky = LocalRandomizer("public", epsilon=2.2, delta=1e-6, n_features=d, x_bound=1.0,
                            y_bound=1.0, random_state=0)
    records = [(np.ones(d), 1.0), (np.ones(d), -1.0)]
    scores = likelihood_ratio_scores(leaky, records, 200_000)
    assert empirical_epsilon(*scores, delta=1e-6) > device.epsilon


def test_audit_of_the_l2_ball_mechanism():
    """Pure epsilon: the half-space of the output is the optimal test; its ratio is e^eps."""
    epsilon, radius = 1.0, 1.0
    device = LocalRandomizer("iht", epsilon=epsilon, delta=1e-6, n_features=4, x_bound=1.0,
                             y_bound=1.0, mechanism="l2_ball", random_state=0)
    coef = np.zeros(4)
    x = np.array([1.0, 0.0, 0.0, 0.0])
    scores = []
    for y in (-1.0, 1.0):  # gradients x * (0 - y) = -y e_1, clipped at radius 1
        rows = device.report(np.tile(x, (200_000, 1)), np.full(200_000, y), coef=coef,
                             clip_norm=radius).parts["gradient"]
        scores.append(rows[:, 0])
    estimate = empirical_epsilon(*scores, delta=0.0)
    assert 0.8 * epsilon < estimate <= epsilon
