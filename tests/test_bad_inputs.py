"""Every public function of the numeric layer under hostile input, in one table (in the style of
Hypothesis's own tests of invalid arguments): each row is a function, good arguments, and ONE
argument replaced by a bad value; the call must raise VerifyError whose message starts with that
argument's name.  A coverage test checks that every public function and every argument has a row.

Good inputs still give the numbers they gave before the validation was added (KNOWN values).
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import verify.numeric as vn
from verify import VerifyError
from verify.numeric import (L1Objective, LinearProblem, LObjective, descent_tracks_flow, gradient_descent, loss_L,
                            loss_L1, low_rank_data, monte_carlo_loss, monte_carlo_loss_3, objective, objective_for,
                            optimal_D, random_instance, random_orthogonal, reconstruction_error, zero_rows)
from verify.numeric._reference import mpmath_gradient, symbolic_loss, sympy_gradient
from verify.numeric._validate import D_MIN, EPS_MIN
from verify.validate import (check_array, check_bool, check_callable, check_choice, check_finite_real, check_int,
                             check_positive_int, check_positive_real, check_real_in, check_rng)

NAN, INF = float("nan"), float("inf")

# ---- good arguments ---------------------------------------------------------------------------
A = np.array([[1.0, 0.5], [0.0, 2.0], [0.0, 0.0]])
At = np.array([[0.3, -0.2], [0.1, 0.4], [0.5, 0.0]])
Bt = np.array([[0.2, 0.1, -0.3], [0.0, 0.6, 0.2]])
D = np.array([0.3, 0.7])
EPS = 0.8
OBJ_L, OBJ_L1 = LObjective(A, 2), L1Objective(A, 2)
X_L, X_L1 = OBJ_L.pack(At, Bt, D, EPS), OBJ_L1.pack(At, Bt, EPS)
XS = (A @ np.random.default_rng(1).standard_normal((2, 50))).T  # 50 samples of x = Az
INST = random_instance(4, 3, 2, seed=2, rank=1)
A1 = np.array([[1.0], [0.0]])  # tiny shapes for the (slow) symbolic references
X_REF = objective("L1", A1, 1).pack([[0.5], [0.2]], [[0.3, -0.1]], 0.7)


def _with(x, index, value):
    y = np.array(x, dtype=float)
    y[index] = value
    return y


def _gen():  # a fresh Generator per call (a module-level one would make the table order matter)
    return np.random.default_rng(0)


#: name -> (callable, good keyword arguments).  Methods are named Class.method.
FUNCTIONS = {
    "LinearProblem": (LinearProblem, dict(A=A, At=At, Bt=Bt)),
    "LinearProblem.of": (LinearProblem.of, dict(A=A, At=At, Bt=Bt)),
    "loss_L": (loss_L, dict(A=A, At=At, Bt=Bt, D=D, eps=EPS)),
    "loss_L1": (loss_L1, dict(A=A, At=At, Bt=Bt, eps=EPS)),
    "optimal_D": (optimal_D, dict(At=At, eps=EPS)),
    "reconstruction_error": (reconstruction_error, dict(A=A, At=At, Bt=Bt, D=D)),
    "monte_carlo_loss": (lambda **k: monte_carlo_loss(**{"rng": _gen(), **k}),
                         dict(A=A, At=At, Bt=Bt, D=D, eps=EPS, n=100, batch=30)),
    "monte_carlo_loss_3": (lambda **k: monte_carlo_loss_3(**{"rng": _gen(), **k}),
                           dict(x=XS, f=lambda c: c @ At.T, g=lambda x: x @ Bt.T, D=D, eps=EPS)),
    "L1Objective": (L1Objective, dict(A=A, r=2)),
    "LObjective": (LObjective, dict(A=A, r=2)),
    "objective": (objective, dict(loss="L", A=A, r=2)),
    "objective_for": (objective_for, dict(loss="L", A=A, x0=X_L)),
    "L1Objective.pack": (OBJ_L1.pack, dict(At=At, Bt=Bt, eps=EPS)),
    "LObjective.pack": (OBJ_L.pack, dict(At=At, Bt=Bt, D=D, eps=EPS)),
    "L1Objective.value": (OBJ_L1.value, dict(x=X_L1)),
    "L1Objective.gradient": (OBJ_L1.gradient, dict(x=X_L1)),
    "L1Objective.hessian": (OBJ_L1.hessian, dict(x=X_L1)),
    "L1Objective.split": (OBJ_L1.split, dict(x=X_L1)),
    "L1Objective.check_point": (OBJ_L1.check_point, dict(x=X_L1)),
    "LObjective.value": (OBJ_L.value, dict(x=X_L)),
    "LObjective.gradient": (OBJ_L.gradient, dict(x=X_L)),
    "LObjective.hessian": (OBJ_L.hessian, dict(x=X_L)),
    "LObjective.split": (OBJ_L.split, dict(x=X_L)),
    "LObjective.check_point": (OBJ_L.check_point, dict(x=X_L)),
    "random_orthogonal": (lambda **k: random_orthogonal(**{"rng": _gen(), **k}), dict(n=3)),
    "low_rank_data": (lambda **k: low_rank_data(**{"rng": _gen(), **k}), dict(d=4, r_star=2, rank=1, rotate=True)),
    "zero_rows": (zero_rows, dict(A=A)),
    "random_instance": (random_instance, dict(d=4, r=3, r_star=2, seed=2, rank=1, rotate=True, scale=0.5, eps0=1.0)),
    "gradient_descent": (gradient_descent, dict(A=INST.A, x0=INST.x0, loss="L1", parameterization="eps", eta=1e-3,
                                                steps=3, r=3)),
    "descent_tracks_flow": (descent_tracks_flow, dict(A=INST.A, x0=INST.x0, loss="L1", parameterization="eps",
                                                      T=0.01, etas=(0.004, 0.002))),
    "symbolic_loss": (symbolic_loss, dict(loss="L1", A=A1, r=1)),
    "mpmath_gradient": (mpmath_gradient, dict(loss="L1", A=A1, r=1, x=X_REF, dps=20)),
    "sympy_gradient": (sympy_gradient, dict(loss="L1", A=A1, r=1, x=X_REF)),
}

#: (function, argument, bad value, id label of the value or None for its repr).
#: The arguments rng/f/g of the Monte-Carlo estimators are supplied by the lambdas above when absent.
BAD = [
    # -- the linear problem (A, Ã, B̃) --------------------------------------------------------------
    ("LinearProblem", "A", A + 1j, "complex"),
    ("LinearProblem", "At", np.ones((4, 2)), "4x2"),
    ("LinearProblem", "Bt", np.ones((3, 3)), "3x3"),
    ("LinearProblem.of", "A", np.ones(3), "1-D"),
    ("LinearProblem.of", "At", "text", None),
    ("LinearProblem.of", "Bt", None, None),
    # -- loss_L (eq. 4) ------------------------------------------------------------------------
    ("loss_L", "A", A + 1j, "complex"),
    ("loss_L", "A", np.ones((0, 2)), "d=0"),
    ("loss_L", "A", _with(A, (0, 0), NAN), "nan"),
    ("loss_L", "At", _with(At, (1, 1), NAN), "nan"),
    ("loss_L", "At", np.full((3, 2), 1e200), "1e200"),  # finite entries whose loss overflows
    ("loss_L", "At", np.ones((3, 0)), "r=0"),
    ("loss_L", "Bt", _with(Bt, (0, 0), INF), "inf"),
    ("loss_L", "Bt", [[1.0, 2.0], [3.0]], "ragged"),
    ("loss_L", "D", np.array([0.3, 0.0]), "zero-entry"),
    ("loss_L", "D", np.array([0.3, NAN]), "nan"),
    ("loss_L", "D", np.ones(3), "length-3"),
    ("loss_L", "D", np.ones((2, 2)), "not-diagonal"),
    ("loss_L", "D", np.array([0.3, 1e-200]), "1e-200"),
    ("loss_L", "eps", 0.0, None),
    ("loss_L", "eps", -1.0, None),
    ("loss_L", "eps", NAN, None),
    ("loss_L", "eps", INF, None),
    ("loss_L", "eps", True, None),
    ("loss_L", "eps", 1e-200, None),
    ("loss_L", "eps", "small", None),
    ("loss_L", "eps", 0.5 + 0.1j, None),
    ("loss_L", "eps", np.array([0.5]), "array"),
    # -- loss_L1 (eq. 5) -----------------------------------------------------------------------
    ("loss_L1", "A", np.array([[True, False], [False, True], [True, True]]), "bool-array"),
    ("loss_L1", "At", At + 0j, "complex"),
    ("loss_L1", "Bt", np.ones((2, 4)), "2x4"),
    ("loss_L1", "eps", 1e-200, None),
    ("loss_L1", "eps", np.float64(-0.5), None),
    # -- optimal_D (Lemma 3) -------------------------------------------------------------------
    ("optimal_D", "At", np.ones(3), "1-D"),
    ("optimal_D", "eps", 1e-200, None),
    ("optimal_D", "eps", True, None),
    # -- reconstruction_error ------------------------------------------------------------------
    ("reconstruction_error", "A", None, None),
    ("reconstruction_error", "At", _with(At, (0, 0), NAN), "nan"),
    ("reconstruction_error", "Bt", Bt.T, "transposed"),
    ("reconstruction_error", "D", -D, "negative"),
    # -- Monte-Carlo estimates of (9) and (3) --------------------------------------------------
    ("monte_carlo_loss", "A", A + 1j, "complex"),
    ("monte_carlo_loss", "At", np.ones((2, 2)), "2x2"),
    ("monte_carlo_loss", "Bt", np.ones((2, 2)), "2x2"),
    ("monte_carlo_loss", "D", np.ones(1), "length-1"),
    ("monte_carlo_loss", "eps", 0, None),
    ("monte_carlo_loss", "n", 1, None),
    ("monte_carlo_loss", "n", 100.0, None),
    ("monte_carlo_loss", "n", True, None),
    ("monte_carlo_loss", "rng", 0, None),
    ("monte_carlo_loss", "rng", np.random.RandomState(0), "RandomState"),
    ("monte_carlo_loss", "batch", 0, None),
    ("monte_carlo_loss", "batch", -5, None),
    ("monte_carlo_loss", "batch", 2.5, None),
    ("monte_carlo_loss", "batch", True, None),
    ("monte_carlo_loss_3", "x", XS[:1], "one-sample"),
    ("monte_carlo_loss_3", "x", _with(XS, (3, 1), NAN), "nan"),
    ("monte_carlo_loss_3", "f", "decoder", None),
    ("monte_carlo_loss_3", "f", lambda c: c, "wrong-output-shape"),
    ("monte_carlo_loss_3", "g", None, None),
    ("monte_carlo_loss_3", "g", lambda x: (x @ Bt.T)[:-1], "drops-a-row"),
    ("monte_carlo_loss_3", "g", lambda x: x @ Bt.T + 1j, "complex-output"),
    ("monte_carlo_loss_3", "D", np.ones(5), "length-5"),
    ("monte_carlo_loss_3", "eps", -0.1, None),
    ("monte_carlo_loss_3", "rng", 7, None),
    # -- objectives (4), (5) -------------------------------------------------------------------
    ("L1Objective", "A", _with(A, (2, 1), NAN), "nan"),
    ("L1Objective", "r", 0, None),
    ("LObjective", "A", np.ones((0, 0)), "empty"),
    ("LObjective", "r", True, None),
    ("LObjective", "r", 2.0, None),
    ("objective", "loss", "L2", None),
    ("objective", "loss", None, None),
    ("objective", "A", A + 1j, "complex"),
    ("objective", "r", -1, None),
    ("objective_for", "loss", "L2", None),
    ("objective_for", "A", np.ones(3), "1-D"),
    ("objective_for", "x0", X_L.reshape(3, 5), "2-D"),
    ("objective_for", "x0", X_L[:-1], "short"),
    ("objective_for", "x0", _with(X_L, 0, NAN), "nan"),
    ("L1Objective.pack", "At", np.ones((2, 3)), "2x3"),
    ("L1Objective.pack", "Bt", _with(Bt, (1, 1), NAN), "nan"),
    ("L1Objective.pack", "eps", True, None),
    ("L1Objective.pack", "eps", 1e-200, None),
    ("LObjective.pack", "At", At + 1j, "complex"),
    ("LObjective.pack", "Bt", np.ones((3, 2)), "3x2"),
    ("LObjective.pack", "D", np.zeros(2), "zeros"),
    ("LObjective.pack", "eps", -1.0, None),
]
for _method in ("value", "gradient", "hessian", "split", "check_point"):
    BAD += [
        (f"LObjective.{_method}", "x", _with(X_L, 0, NAN), "nan-At"),
        (f"LObjective.{_method}", "x", _with(X_L, -1, 0.0), "eps=0"),
        (f"LObjective.{_method}", "x", _with(X_L, -1, 1e-200), "eps=1e-200"),
        (f"LObjective.{_method}", "x", _with(X_L, -2, -1.0), "D<0"),
        (f"LObjective.{_method}", "x", X_L[:-1], "short"),
        (f"LObjective.{_method}", "x", X_L + 0j, "complex"),
        (f"L1Objective.{_method}", "x", _with(X_L1, -1, -0.5), "eps<0"),
        (f"L1Objective.{_method}", "x", _with(X_L1, 3, INF), "inf"),
    ]
BAD += [
    # -- instances -----------------------------------------------------------------------------
    ("random_orthogonal", "n", 0, None),
    ("random_orthogonal", "n", 2.0, None),
    ("random_orthogonal", "rng", None, None),
    ("low_rank_data", "d", 0, None),
    ("low_rank_data", "d", True, None),
    ("low_rank_data", "r_star", 5, None),  # r* > d = 4
    ("low_rank_data", "rank", 3, None),  # rank > r* = 2
    ("low_rank_data", "rng", 42, None),
    ("low_rank_data", "rotate", "yes", None),
    ("zero_rows", "A", np.ones(3), "1-D"),
    ("zero_rows", "A", _with(A, (2, 0), NAN), "nan"),
    ("zero_rows", "A", np.ones((0, 2)), "d=0"),
    ("random_instance", "d", 0, None),
    ("random_instance", "r", 0, None),
    ("random_instance", "r_star", 5, None),  # r* > d = 4
    ("random_instance", "seed", -1, None),
    ("random_instance", "seed", 1.5, None),
    ("random_instance", "rank", 3, None),
    ("random_instance", "rotate", 1, None),
    ("random_instance", "scale", NAN, None),
    ("random_instance", "scale", -1.0, None),
    ("random_instance", "eps0", 0.0, None),
    ("random_instance", "eps0", True, None),
    # -- gradient descent ----------------------------------------------------------------------
    ("gradient_descent", "A", INST.A + 1j, "complex"),
    ("gradient_descent", "x0", _with(INST.x0, 0, NAN), "nan-start"),
    ("gradient_descent", "x0", _with(INST.x0, -1, -1.0), "eps<0"),
    ("gradient_descent", "x0", INST.x0[:-1], "short"),
    ("gradient_descent", "loss", "L2", None),
    ("gradient_descent", "parameterization", "sqrt_eps", None),
    ("gradient_descent", "eta", 0.0, None),
    ("gradient_descent", "eta", NAN, None),
    ("gradient_descent", "eta", True, None),
    ("gradient_descent", "steps", -1, None),
    ("gradient_descent", "steps", 1.5, None),
    ("gradient_descent", "r", 0, None),
    ("descent_tracks_flow", "A", _with(INST.A, (0, 0), INF), "inf"),
    ("descent_tracks_flow", "x0", _with(INST.x0, 2, NAN), "nan"),
    ("descent_tracks_flow", "loss", "L3", None),
    ("descent_tracks_flow", "parameterization", None, None),
    ("descent_tracks_flow", "T", 0.0, None),
    ("descent_tracks_flow", "T", INF, None),
    ("descent_tracks_flow", "etas", (), None),
    ("descent_tracks_flow", "etas", (0.002,), None),
    ("descent_tracks_flow", "etas", (-0.002, 0.001), None),
    ("descent_tracks_flow", "etas", (0.02, 0.001), "above-T"),
    # -- symbolic references ------------------------------------------------------------------
    ("symbolic_loss", "loss", "L2", None),
    ("symbolic_loss", "A", A1 + 1j, "complex"),
    ("symbolic_loss", "r", 0, None),
    ("mpmath_gradient", "loss", None, None),
    ("mpmath_gradient", "A", np.ones(2), "1-D"),
    ("mpmath_gradient", "r", True, None),
    ("mpmath_gradient", "x", X_REF[:-1], "short"),
    ("mpmath_gradient", "x", _with(X_REF, -1, 0.0), "eps=0"),
    ("mpmath_gradient", "dps", 5, None),
    ("sympy_gradient", "loss", "l1", None),
    ("sympy_gradient", "A", _with(A1, (0, 0), NAN), "nan"),
    ("sympy_gradient", "r", 1.0, None),
    ("sympy_gradient", "x", _with(X_REF, 0, NAN), "nan"),
]


def _label(fn, arg, value, label):
    return f"{fn}-{arg}={label if label is not None else repr(value)}"


@pytest.mark.parametrize("fn,arg,value", [row[:3] for row in BAD], ids=[_label(*row) for row in BAD])
def test_bad_argument_raises_verify_error_naming_it(fn, arg, value):
    call, good = FUNCTIONS[fn]
    with pytest.raises(VerifyError) as info:
        call(**{**good, arg: value})
    err = info.value
    assert isinstance(err, ValueError)
    assert str(err).startswith(arg), f"message does not start with {arg!r}: {err}"
    assert err.argument.split(".")[0].split("(")[0] == arg
    if isinstance(value, (int, float, str, complex, type(None))) and str(err).startswith(f"{arg}="):
        assert repr(value) in str(err)  # the value is shown as the caller passed it


@pytest.mark.parametrize("fn", sorted(FUNCTIONS))
def test_good_arguments_of_each_row_are_accepted(fn):
    """So a row fails because of its one bad value, not because its 'good' arguments are bad."""
    call, good = FUNCTIONS[fn]
    call(**good)


#: The modules of verify.numeric this table covers: every public name of verify.numeric defined in
#: one of them must have rows.  (_flow, _training, _experiments, _bounds and the nonlinear engine
#: are tested in their own files.)  RECORDS are results rather than entry points.
COVERED_MODULES = {"verify.numeric._losses", "verify.numeric._objective", "verify.numeric._instances",
                   "verify.numeric._descent", "verify.numeric._reference"}
RECORDS = {"Instance", "TrackingResult", "Objective"}  # Objective: abstract base of L1Objective/LObjective
#: Parameters that are labels for messages, not values to check.
LABELS = {("L1Objective.check_point", "name"), ("LObjective.check_point", "name")}


def _public_callables():
    """Every public function, class and public method of the covered part of verify.numeric."""
    import verify.numeric._reference as ref

    names = {}
    for name in vn.__all__:
        obj = getattr(vn, name)
        if not callable(obj) or getattr(obj, "__module__", "") not in COVERED_MODULES or name in RECORDS:
            continue
        names[name] = obj
        if inspect.isclass(obj):
            for meth, member in vars(obj).items():
                if not meth.startswith("_") and (inspect.isfunction(member) or isinstance(member, classmethod)):
                    names[f"{name}.{meth}"] = getattr(obj, meth)
            for base in obj.__mro__[1:]:  # inherited public methods (split, check_point)
                if base.__module__.startswith("verify.numeric"):
                    for meth, member in vars(base).items():
                        if not meth.startswith("_") and inspect.isfunction(member):
                            names.setdefault(f"{name}.{meth}", getattr(obj, meth))
    for name in ref.__all__:
        names[name] = getattr(ref, name)
    return names


def test_the_table_covers_every_public_function_and_argument():
    public = _public_callables()
    assert set(public) == set(FUNCTIONS), (set(public) ^ set(FUNCTIONS))
    covered = {(fn, arg) for fn, arg, _, _ in BAD}
    for fn, obj in public.items():
        params = [p for p in inspect.signature(obj).parameters if p not in ("self", "cls")]
        missing = [p for p in params if (fn, p) not in covered and (fn, p) not in LABELS]
        assert not missing, f"{fn}: no bad value for {missing}"


def test_eps_and_D_limits_are_where_float64_overflows():
    """EPS_MIN: 1/ε⁴ is the largest power the Hessians divide by; D_MIN: 1/D² (Hessian of (4)).
    At the limits the loss and gradient are finite float64 numbers; just below them they are refused."""
    tiny = np.finfo(float).tiny
    assert EPS_MIN**4 >= tiny > np.nextafter(EPS_MIN, 0) ** 4 and np.isfinite(1 / EPS_MIN**4)
    assert D_MIN**2 >= tiny > np.nextafter(D_MIN, 0) ** 2 and np.isfinite(1 / D_MIN**2)
    zero_fit = np.zeros(2 * 3 * 2)  # Ã = 0, B̃ = 0: the fit term is ||A||² = 5.25
    for obj, x in ((OBJ_L, np.concatenate([zero_fit, [D_MIN, D_MIN, EPS_MIN]])),
                   (OBJ_L1, np.concatenate([zero_fit, [EPS_MIN]]))):
        with np.errstate(all="raise"):
            assert np.isfinite(obj.value(x)) and np.isfinite(obj.gradient(x)).all()
        for k in range(obj.n_matrix, obj.size):
            with pytest.raises(VerifyError, match="must be >= 1.49e-154|must be >= 1.22e-77"):
                obj.value(_with(x, k, np.nextafter(x[k], 0)))


# ---- the validators themselves ----------------------------------------------------------------
VALIDATOR_BAD = [
    ("check_int", lambda v: check_int("k", v, minimum=2, maximum=5), [1, 6, True, np.bool_(True), 3.0, "3", None]),
    ("check_positive_int", lambda v: check_positive_int("k", v, maximum=4), [0, -1, 5, False, 1.0, np.float64(2)]),
    ("check_finite_real", lambda v: check_finite_real("a", v), [NAN, INF, True, "1", 1j, np.array([1.0]), None,
                                                                  np.complex128(1)]),
    ("check_positive_real", lambda v: check_positive_real("a", v, minimum=1e-3), [0.0, -2.0, 1e-4, np.bool_(False)]),
    ("check_real_in", lambda v: check_real_in("a", v, 0, 1, include_high=False), [1.0, -0.1, NAN]),
    ("check_array", lambda v: check_array("M", v, ndim=2, shape=(2, None), positive=True),
     [np.ones(2), np.ones((3, 2)), np.zeros((2, 0)), -np.ones((2, 2)), np.ones((2, 2)) * 1j, [["a"]], True,
      np.array([[1, NAN], [1, 1]], dtype=object)]),
    ("check_choice", lambda v: check_choice("mode", v, ("a", "b")), ["c", None, np.array(["a", "b"]), True]),
    ("check_bool", lambda v: check_bool("flag", v), [1, 0, "True", None]),
    ("check_rng", lambda v: check_rng("rng", v), [0, None, np.random.RandomState(0)]),
    ("check_callable", lambda v: check_callable("f", v), [1, "f"]),
]


@pytest.mark.parametrize("check,value", [(c, v) for c, _, vs in VALIDATOR_BAD for v in vs],
                         ids=[f"{c}-{v!r}"[:60] for c, _, vs in VALIDATOR_BAD for v in vs])
def test_validators_refuse(check, value):
    fn = {c: f for c, f, _ in VALIDATOR_BAD}[check]
    with pytest.raises(VerifyError) as info:
        fn(value)
    assert str(info.value).split("=")[0].split(".")[0] in {"k", "a", "M", "mode", "flag", "rng", "f"}


def test_validators_accept_and_canonicalise():
    assert check_positive_int("k", np.int64(3)) == 3 and type(check_positive_int("k", np.int64(3))) is int
    assert check_finite_real("a", np.float32(0.5)) == 0.5 and check_finite_real("a", np.array(2)) == 2.0
    assert check_positive_real("a", 3) == 3.0
    arr = check_array("M", [[1, 2]], ndim=2)
    assert arr.dtype == np.float64 and arr.shape == (1, 2)
    same = np.ones((2, 2))
    assert check_array("M", same) is same  # no copy on the hot path
    assert check_choice("mode", np.str_("a"), ("a", "b")) == "a"
    assert check_bool("flag", np.bool_(True)) is True
    assert check_array("M", np.zeros((0, 2)), nonempty=False).shape == (0, 2)


# ---- good inputs give the numbers they gave before validation was added -----------------------
#: Computed with the numeric layer of commit 9662e32 (before this validation) at the inputs above.
KNOWN = {
    "loss_L": 4.3678463451897045,
    "loss_L1": 4.25020146218665,
    "optimal_D": [0.6464646464646465, 0.7619047619047619],
    "reconstruction_error": 3.8041,
    "monte_carlo_loss": (4.305353322390234, 0.1421657242335798),
    "L gradient": [-0.45781249999999996, -1.4374999999999998, -0.6453125, -2.3562499999999993, 0.33593749999999994,
                   0.28125, -0.21953124999999984, -0.24062499999999976, 0.0, 0.5421874999999999, 0.9437500000000001,
                   0.0, -0.8932291666666667, -0.0580357142857143, -3.679882812499998],
    "L Hessian trace": 56.80911801569586,
    "L1 gradient": [-0.295407196969697, -1.456845238095238, -0.591177398989899, -2.317559523809523, 0.606613005050505,
                    0.28125, -0.21953124999999984, -0.24062499999999976, 0.0, 0.5421874999999999, 0.9437500000000001,
                    0.0, -3.9409054270382375],
    "random_instance A[0]": [0.09345470310711854, 0.07384571191205647],
    "random_instance x0[:3]": [-0.44613702171489517, 0.42073248618507153, 0.09401754349034298],
    "zero_rows": [2],
}


def test_good_inputs_give_the_same_numbers_as_before():
    same = dict(rel=1e-13, abs=1e-15)
    assert loss_L(A, At, Bt, D, EPS) == pytest.approx(KNOWN["loss_L"], **same)
    assert loss_L1(A, At, Bt, EPS) == pytest.approx(KNOWN["loss_L1"], **same)
    assert optimal_D(At, EPS) == pytest.approx(KNOWN["optimal_D"], **same)
    assert reconstruction_error(A, At, Bt, D) == pytest.approx(KNOWN["reconstruction_error"], **same)
    mc = monte_carlo_loss(A, At, Bt, D, EPS, 1000, np.random.default_rng(0), batch=300)
    assert mc == pytest.approx(KNOWN["monte_carlo_loss"], **same)
    assert OBJ_L.gradient(X_L) == pytest.approx(KNOWN["L gradient"], **same)
    assert np.trace(OBJ_L.hessian(X_L)) == pytest.approx(KNOWN["L Hessian trace"], **same)
    assert OBJ_L1.gradient(X_L1) == pytest.approx(KNOWN["L1 gradient"], **same)
    assert INST.A[0] == pytest.approx(KNOWN["random_instance A[0]"], **same)
    assert INST.x0[:3] == pytest.approx(KNOWN["random_instance x0[:3]"], **same)
    assert zero_rows(A).tolist() == KNOWN["zero_rows"]
    # a wrong value is noticed (the comparison is not vacuous)
    assert loss_L(A, At, Bt, D, EPS * (1 + 1e-9)) != pytest.approx(KNOWN["loss_L"], **same)


def test_the_packed_point_check_is_cheap():
    """value/gradient are called at every integrator step: the check must cost little next to them."""
    import timeit

    n = 2000
    check = min(timeit.repeat(lambda: OBJ_L.check_point(X_L), number=n, repeat=5)) / n
    grad = min(timeit.repeat(lambda: OBJ_L.gradient(X_L), number=n, repeat=5)) / n
    assert check < 0.5 * grad, f"check_point {check * 1e6:.1f} µs, gradient {grad * 1e6:.1f} µs"
