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
    "TAU_SPAN",
    "LOG_GUARD",
    "COMPLEX_STEP",
    "RESIDUAL_DIGITS_EPS",
    "LSODA_MAX_SIZE",
    "COLLAPSED_FACTOR",
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

#: A candidate counterexample of the adversarial search (or an enclosure's refuting box centre) is
#: decided at CONFIRM_DPS digits with slack CONFIRM_SLACK (relative): round-off there is ~1e-140 for our
#: expressions, 40 orders below the slack, while a step false by 1e-30 (below INEQUALITY_SLACK) is 70
#: orders above it, and p/(1+p) < 1 at p = 10^100 (a tie at MP_DPS digits) is resolved.
CONFIRM_DPS = 150
CONFIRM_SLACK = 1e-100

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

#: The end of the integration interval in τ (dt = ε² dτ) handed to solve_ivp: the runs stop on
#: their events (t reaching t_end, the ε floor, ...), never here; τ is unbounded for a finite t
#: when ε -> 0, so any finite end must be far beyond every event.  1e300 is finite for float64.
TAU_SPAN = 1e300

#: Added inside log(·) of a quantity that may reach exactly 0 (the off-subspace mass, a magnitude):
#: the events are log-ratios, and 1e-300 is the smallest power of ten above float64's normal
#: range (2.2e-308), so it never changes a positive value's logarithm by a representable amount.
LOG_GUARD = 1e-300

#: Step of the complex-step derivative that gives the stiff solvers the Jacobian of the reduced
#: flow: J e_j = Im f(y + i h e_j)/h has truncation error O(h²) and no subtraction, so any h far
#: below sqrt(eps_machine) gives the Jacobian to rounding; 1e-30 is that with margin while
#: h·|y| stays far above float64's underflow (1e-308).
COMPLEX_STEP = 1e-30

#: Below this ε the residual I - Â1B̂1 = O(ε²) of the flow is carried as its own state variable
#: (verify/numeric/_reduced.py): as a difference of O(1) numbers it keeps 16 - 2|log10 ε| digits,
#: i.e. 4 at ε = 1e-6, enough for runs that stop there (their end times agree with the carried
#: residual's to 1e-10, measured), not below.
RESIDUAL_DIGITS_EPS = 1e-6

#: Not a tolerance but a measured switch: the reduced flow uses LSODA (dense Fortran LU) while it
#: has at most this many unknowns, else RK45 (clock τ) or BDF (clock t).  Measured (2 shared
#: cores): d = r = 10 (141 unknowns) LSODA 0.9 s vs RK45 2.2 s CPU; d = r = 20 (462) LSODA > 21 s
#: vs RK45 3.5 s.
LSODA_MAX_SIZE = 200

#: A column j of Ã counts as collapsed at the end of a flow when ||Ã_j||² <= COLLAPSED_FACTOR ε²:
#: collapsing columns follow ||Ã_j||² ~ a ε² with a = O(1) (measured a < 10 on the default cases)
#: while the columns that carry the data keep ||Ã_j||² = O(1) >> 100 ε² once ε < 0.01.
COLLAPSED_FACTOR = 100.0

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

# ---- derivation steps (verify/derivation.py): the random points of every step ------------------
#: Positive symbols are drawn log-uniformly from POINT_POSITIVE_RANGE, nonnegative ones uniformly
#: from [0, POINT_NONNEGATIVE_MAX], other real ones uniformly from POINT_REAL_RANGE, positive integers
#: from POINT_INTEGER_RANGE.  These points are the cheap first test of *every* step (identities
#: included), so they stay where 50-digit evaluation of the paper's expressions is far from
#: cancellation and IDENTITY_RTOL/ATOL are calibrated (values O(1)); tiny, huge and boundary values
#: are the adversarial search's job (SEARCH_* below).
POINT_POSITIVE_RANGE = (0.2, 5.0)
POINT_NONNEGATIVE_MAX = 5.0
POINT_REAL_RANGE = (-2.0, 2.0)
POINT_INTEGER_RANGE = (1, 10)

#: SymPy's simplify (and its sign/zero tests on a reduced difference) is tried only below this
#: operation count: above it simplify takes minutes on the paper's expanded losses and never helps
#: where expand/cancel did not; the step then relies on the other methods.
SIMPLIFY_MAX_OPS = 400

#: Random point coordinates are rounded to multiples of 1/POINT_DENOMINATOR so that substitution is
#: exact (rationals) and witnesses are short; 4 decimals keep the draws essentially continuous.
POINT_DENOMINATOR = 10_000

#: An undefined function (an arbitrary decoder f) is instantiated at the random points as an affine
#: map with coefficients k/FUNCTION_COEFFICIENT_DENOMINATOR, k uniform in FUNCTION_COEFFICIENT_RANGE
#: (i.e. in [-2, 2] in steps of 0.1): generic enough that a step true only for special f fails, and
#: of the same size as the points.  (The adversarial search treats the coefficients as variables.)
FUNCTION_COEFFICIENT_RANGE = (-20, 20)
FUNCTION_COEFFICIENT_DENOMINATOR = 10

#: check_finite_limit evaluates F at variable = LIMIT_PROBE and compares with F(0): in our uses
#: F(v) - F(0) = O(v²) = 1e-60, so LIMIT_ATOL = 1e-40 is 20 orders above the truth (and above the
#: 50-digit round-off of values O(1)), while a 1/v or log v singularity gives >= 1e30 or >= 69.
LIMIT_PROBE = 1e-30
LIMIT_ATOL = 1e-40

# ---- interval enclosures (verify/enclosure.py) ---------------------------------------------------
#: Branch and bound stops (the step is then *not proved* by the enclosure) after this many boxes:
#: the steps of the paper it proves (½Σ(D - log D) + ½||g||² >= r/2 in up to 4 variables, x - log x
#: >= 1, ...) need fewer than 20 boxes; 2000 boxes of mpmath.iv (~0.5-1 ms each) bound the cost of
#: a step it cannot prove (e.g. x + y >= 2 sqrt(xy), which touches 0 on a whole line) to ~1-2 s.
#: The box count, not the clock, is the budget, so a verdict does not depend on the machine's load;
#: ENCLOSURE_MAX_SECONDS is only a safety net, 5-10 times the normal cost of the full box budget.
ENCLOSURE_MAX_BOXES = 2000
ENCLOSURE_MAX_SECONDS = 10.0

#: Working precision (bits) of the interval arithmetic.  Rounding is outward, so precision only
#: affects how tight the enclosures are; 80 bits is 10^-24 relative, far below any gap we decide.
ENCLOSURE_PREC = 80

#: Branch and bound in more variables than this is hopeless within the budget (2^k boxes per
#: halving of every side); such steps rely on SymPy or the search.
ENCLOSURE_MAX_SYMBOLS = 6

#: Above this SymPy operation count the gap is enclosed only as given: no alternative forms
#: (cancel/factor/expand/horner) and no derivatives, whose construction would cost more than the
#: budget.
ENCLOSURE_MAX_OPS = 300

#: A box narrower than this in the bisection variable t ∈ [0, 1] that is still undecided stops the
#: enclosure (the gap touches 0 there or the enclosure is too loose); 1e-12 is 40 halvings, far past
#: the box budget in one variable and still exact in float64.
ENCLOSURE_MIN_WIDTH = 1e-12

# ---- adversarial counterexample search (verify/search.py) ----------------------------------------
#: Positive (and half-line) symbols are searched over 10^-SEARCH_LOG10_SPAN .. 10^SEARCH_LOG10_SPAN
#: (1e-12 .. 1e12), real ones over ±sinh(asinh(10^12)): wide enough to expose steps that fail only
#: for tiny or huge values, while float64 still represents both sides of the paper's expressions.
SEARCH_LOG10_SPAN = 12

#: Half of the random pool is drawn at moderate scales, |log10 x| <= SEARCH_MODERATE_LOG10, where
#: false steps usually fail near a specific value (e.g. (x - 3/2)² >= 10^-4).
SEARCH_MODERATE_LOG10 = 2

#: Points of the random pool (evaluated vectorised in float64, ~1 ms per thousand for the paper's
#: expressions), local minimisations of the gap (L-BFGS-B from the best points of the pool), and
#: their evaluation budget each.  Measured: the false steps of tests/test_inequalities.py are found
#: by the pool alone; the starts are for gaps that are negative only in a narrow region.
SEARCH_RANDOM_POINTS = 2000
SEARCH_STARTS = 6
SEARCH_MAXFUN = 300

#: Wall-clock safety net of one search (checked between starts).  The budget proper is the point
#: and evaluation counts above, which make the search deterministic; a search of the paper's steps
#: takes 0.05-0.5 s, so this only stops a pathological one.
SEARCH_MAX_SECONDS = 10.0

#: A float point is re-evaluated exactly (rational point, MP_DPS digits) when its normalised gap
#: (upper - lower)/(1 + |lower| + |upper|) is below SEARCH_CONFIRM_BELOW: float64 round-off of the
#: normalised gap is ~1e-15, so 1e-9 catches every real violation and lets through only the few
#: points where a true inequality is nearly tight.  At most SEARCH_CONFIRM_MAX distinct points (4
#: significant digits apart) are confirmed, the smallest gaps first: each costs an exact evaluation
#: (Gauss-Hermite quadrature for expectations, ~0.1-0.5 s for the paper's losses), and a float gap
#: that is negative beyond round-off is confirmed by the first of them.
SEARCH_CONFIRM_BELOW = 1e-9
SEARCH_CONFIRM_MAX = 4

#: The search's screen (verify/search.py) clears an inequality's rational candidate without the exact
#: re-evaluation when mpmath at CONFIRM_DPS and at 2·CONFIRM_DPS digits both give upper - lower >=
#: SEARCH_SCREEN_MARGIN·(1 + |lower| + |upper|): 40 orders above CONFIRM_SLACK (so a point the exact
#: evaluation would call a failure is never cleared) and 80-230 orders above the round-off of those
#: evaluations unless 80+ digits cancel, which the second precision would expose.
SEARCH_SCREEN_MARGIN = 1e-60

#: Steps larger than this (SymPy operation count, after instantiating functions and computing
#: expectations) are not searched: lambdifying them costs more than the budget.  The paper's
#: inequality steps are far smaller; identities this large are decided by SymPy.
SEARCH_MAX_OPS = 4000

#: A sharpness search (verify.findings) counts a bound as attained when the smallest gap it found
#: is at most SHARP_GAP.  L-BFGS-B with finite-difference gradients on these smooth objectives
#: converges to ~1e-10 of an exact zero; a bound that is not attained has a gap of order 1e-2 or
#: more at the instances searched (e.g. the bound with 1/4 for 1/2 leaves R/(4ε²) ~ 1).
SHARP_GAP = 1e-6

#: Parameters trained in float32 (Section 6, as the paper trained) agree with the same few Adam
#: steps computed by hand in float64 when they differ by at most FLOAT32_STEP_ATOL.  Each Adam
#: step moves a coordinate by lr·m̂/(sqrt(v̂) + eps), an O(1) ratio times lr <= 1e-2, computed to
#: float32 round-off (~1e-7 relative) on parameters of size O(1): a few steps stay below ~1e-6.
#: A wrong learning rate, a missing bias correction or a wrong gradient moves them by >= 1e-4.
FLOAT32_STEP_ATOL = 1e-5
__all__ += ["FLOAT32_STEP_ATOL"]
