"""Every numeric tolerance of vae-verify, each with the reason for its size (DESIGN habit 5).

Errors are measured in units of tolerance where that makes sense:
``|y - y_ref| / (ATOL + RTOL * |y_ref|)`` must be at most 1.
"""
from __future__ import annotations

__all__ = [
    "MP_DPS",
    "IDENTITY_RTOL",
    "IDENTITY_ATOL",
    "INEQUALITY_SLACK",
    "RANDOM_POINTS",
    "MC_SIGMAS",
    "LAMBDIFY_RTOL",
    "FD_RTOL",
    "FLOW_RTOL",
    "FLOW_ATOL",
    "BOUND_RTOL",
    "RANK_RTOL",
    "GD_ORDER_BAND",
    "FLOAT_RTOL",
    "PROPERTY_SEED",
    "RATE_ATOL",
    "BOUND_ATOL",
    "SLOPE_ROUNDOFF",
    "VANISHED",
    "scaled_error",
]

#: Working precision (significant decimal digits) of every mpmath evaluation.  The issue asks for
#: at least 30; 50 leaves 20 digits of head-room for cancellation.
MP_DPS = 50

#: A numeric identity check passes when |lhs - rhs| <= IDENTITY_ATOL + IDENTITY_RTOL*max(|lhs|,|rhs|).
#: The expressions we compare have at most a few thousand terms of size O(10^3) at the sampled
#: points, so cancellation costs at most ~10 of the 50 digits; 1e-25 is therefore 15 orders of
#: magnitude above round-off, and 24 orders below any real discrepancy (a wrong constant, sign,
#: index or exponent changes the value by O(1e-3) or more at points drawn from [0.2, 5]).
IDENTITY_RTOL = 1e-25
IDENTITY_ATOL = 1e-25

#: An inequality ``lhs <= rhs`` passes numerically when lhs - rhs <= INEQUALITY_SLACK*(1+|lhs|+|rhs|);
#: the same round-off budget as IDENTITY_RTOL.
INEQUALITY_SLACK = 1e-25

#: How many random points each step is evaluated at (the issue asks for at least 5).
RANDOM_POINTS = 6

#: A Monte-Carlo estimate agrees with a closed form when they differ by at most MC_SIGMAS standard
#: errors.  For a normal estimator, P(|Z| > 5) is about 6e-7, so with seeded runs a false alarm
#: is practically impossible, while a wrong constant in the closed form (an O(1) relative change)
#: is hundreds of standard errors away at the sample sizes used.
MC_SIGMAS = 5.0

#: Lambdified (float64) functions agree with ``subs().evalf()`` to this relative error.  float64
#: round-off in sums of up to ~10^4 terms of size up to 1/eps^2 with eps >= 1e-3 stays below
#: 1e-10 relative to the larger of the two terms being summed.
LAMBDIFY_RTOL = 1e-9


def scaled_error(value: float, reference: float, atol: float, rtol: float) -> float:
    """Error of ``value`` against ``reference`` in units of tolerance (<= 1 means it passes)."""
    return abs(value - reference) / (atol + rtol * abs(reference))

#: mpmath.diff (Richardson-extrapolated central differences) at MP_DPS=50 digits keeps roughly
#: 30-35 correct digits on the smooth functions we differentiate (rational functions and logs at
#: points in [0.2, 5]); 1e-20 relative error leaves 10 digits of margin and is still 17 orders of
#: magnitude below a wrong coefficient.
FD_RTOL = 1e-20

#: solve_ivp's local error control for the gradient flow.  The flow is integrated in log
#: coordinates for ε (and D), so relative control on every component is meaningful; 1e-9 keeps
#: the global error of a run of ~1e3-1e4 steps near 1e-6, well inside BOUND_RTOL's budget below
#: only when combined with the steps' error cancelling, which is why BOUND_RTOL is checked, not assumed.
FLOW_RTOL = 1e-9
FLOW_ATOL = 1e-12

#: A bound along a trajectory, lhs(t) <= rhs(t), passes when lhs <= rhs + BOUND_RTOL * scale with
#: scale the bound's value at t = 0.  Integration at FLOW_RTOL accumulates a global error of at
#: most ~1e-6 relative over the runs we make (measured by halving the tolerances in the tests);
#: 1e-5 leaves a factor 10 of margin, and a wrong rate constant (e.g. e^{-2t/K} replaced by
#: e^{-4t/K}) violates the bound by orders of magnitude more.
BOUND_RTOL = 1e-5

#: The smallest scale a bound is measured against.  A mass that starts at exactly 0 (a zero row, a
#: subspace the start does not reach) can only show round-off later: entries O(1) projected by a
#: float64 projector give ~1e-32.  1e-20 is 12 orders above that and far below any real growth.
BOUND_ATOL = 1e-20

#: A singular value of A counts towards rank(A) when it exceeds RANK_RTOL * sigma_max(A): the
#: instances are built with exact zero singular values, so anything above float64 round-off
#: (~1e-15 relative) would do; 1e-10 leaves room for ill-conditioned factors.
RANK_RTOL = 1e-10

#: Gradient descent is a first-order discretisation of the flow: its error at fixed time is O(η).
#: The fitted slope of log(error) against log(η) over η = 0.004 ... 0.0005 was measured at 1.05;
#: the band allows the pre-asymptotic bend (higher at large η) but rejects order 0 or 2.
GD_ORDER_BAND = (0.9, 1.25)

#: A float64 identity between two ways of computing the same quantity (e.g. Σ_j Ã_ij ∂L/∂Ã_ij from
#: the gradient against the closed-form remainder of Lemma 5) passes when the difference is at most
#: FLOAT_RTOL times the sum of the absolute values of the terms involved.  Hypothesis draws entries
#: of size <= 3 and ε >= 0.05, so terms reach ~1e6 and sums have <= 10^4 of them: round-off stays
#: below ~1e-12 of that scale; a wrong term (a missing factor 2, a wrong index) changes the value by
#: a fixed fraction of it.
FLOAT_RTOL = 1e-9

#: The seed of every Hypothesis search run by the report (``vae-verify report``); the ``ci`` profile
#: is derandomized anyway, ``dev`` and ``thorough`` use this seed so that a report can be rerun.
PROPERTY_SEED = 20221122

#: The slope of a loss in log ε, measured between ε = 1e-2 and 1e-4 with common random numbers,
#: must equal the predicted coefficient within RATE_ATOL.  The neglected terms are O(ε²) = 1e-4 per
#: coordinate (at most ~10 coordinates) over Δ log ε = 4.6, i.e. <= 3e-4, and the Monte-Carlo noise
#: of those terms is of the same order; a wrong coefficient is off by at least 1.
RATE_ATOL = 1e-2

#: A slope of L in log ε measured at ε down to 1e-6 may exceed the exact bound of the neglected
#: terms by SLOPE_ROUNDOFF: the fit term ||A - ÃB̃A||²/(2ε²) is float64 round-off amplified by
#: 1/ε² = 1e12.  A wrong coefficient of log ε is off by at least 1.
SLOPE_ROUNDOFF = 1e-6

#: Along a sequence with L -> -inf, a quantity that must go to 0 counts as gone once it is below
#: VANISHED times its value at the start.  The sequences run ε from 0.3 down to 1e-8, over which
#: those quantities (~ε²|log ε| or ε^(2α-2)) fall by 1e-9 or more; a quantity that stays put does not.
VANISHED = 1e-6
