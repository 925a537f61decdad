"""Gaussian expectations that are *computed*, two independent ways.

``GaussianExpectation(expr, variables, means, variances)`` is an unevaluated SymPy node for
E[expr] with independent ``variables[i] ~ N(means[i], variances[i])``.

* Symbolically, ``.doit()`` substitutes ``v = mean + sqrt(var)*v'`` with v' standard, expands, and
  replaces each monomial in the standard variables by its moment (E v'^k = (k-1)!! for even k,
  0 for odd k).  Terms that contain an undefined function of the variables (an arbitrary decoder
  ``f``) cannot be integrated in closed form and stay as unevaluated expectations; linearity is
  still applied to them.
* Numerically, :func:`quadrature_value` integrates with the tensor 3-point Gauss-Hermite rule
  (nodes 0, +-sqrt(3); weights 2/3, 1/6, 1/6) in mpmath.  It is exact for integrands of degree at
  most 5 in each variable and refuses anything else, so it never silently approximates.
"""
from __future__ import annotations

import itertools
from typing import Sequence

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from .._errors import VerifyError

__all__ = ["GaussianExpectation", "expect", "quadrature_value", "standard_moment"]


def standard_moment(k: int) -> sp.Integer:
    """E[Z^k] for Z ~ N(0, 1)."""
    if k % 2:
        return sp.Integer(0)
    return sp.factorial2(k - 1) if k else sp.Integer(1)


class GaussianExpectation(sp.Expr):
    """E[expr] over independent Gaussian ``variables`` (see module docstring)."""

    def __new__(cls, expr, variables, means=None, variances=None):
        variables = sp.Tuple(*variables)
        n = len(variables)
        means = sp.Tuple(*(means if means is not None else [0] * n))
        variances = sp.Tuple(*(variances if variances is not None else [1] * n))
        if not (len(means) == len(variances) == n):
            raise VerifyError("means/variances", (len(means), len(variances)), f"need {n} of each")
        return super().__new__(cls, sp.sympify(expr), variables, means, variances)

    @property
    def integrand(self):
        return self.args[0]

    @property
    def variables(self):
        return tuple(self.args[1])

    @property
    def means(self):
        return tuple(self.args[2])

    @property
    def variances(self):
        return tuple(self.args[3])

    @property
    def free_symbols(self):
        inner = self.integrand.free_symbols - set(self.variables)
        return inner | self.args[2].free_symbols | self.args[3].free_symbols

    def _standardised(self):
        """Integrand in standard variables, and those variables."""
        # Bound variables are named by position, so that E[h(w)] written over z and over z' agree.
        std = [sp.Symbol(f"_w{k + 1}", real=True) for k in range(len(self.variables))]
        sub = {v: m + sp.sqrt(s) * w for v, m, s, w in zip(self.variables, self.means, self.variances, std)}
        return self.integrand.xreplace(sub), std

    def doit(self, **hints):
        body, std = self._standardised()
        body = sp.expand(body)
        std_set = set(std)
        closed = []
        opaque = []
        for term in sp.Add.make_args(body):
            if any(a.free_symbols & std_set for a in term.atoms(AppliedUndef)):
                coeff, rest = term.as_independent(*std, as_Add=False)
                opaque.append(coeff * GaussianExpectation(rest, std))
                continue
            factors = []
            for base, exp in term.as_powers_dict().items():
                if base in std_set:
                    factors.append(standard_moment(int(exp)))
                else:
                    factors.append(base**exp)
            closed.append(sp.Mul(*factors))
        return sp.Add(*closed) + sp.Add(*opaque)

    def _sympystr(self, printer):
        dist = ", ".join(
            f"{printer._print(v)}~N({printer._print(m)},{printer._print(s)})"
            for v, m, s in zip(self.variables, self.means, self.variances)
        )
        return f"E[{printer._print(self.integrand)} | {dist}]"

    def _latex(self, printer):
        vs = ",".join(printer._print(v) for v in self.variables)
        return r"\mathbb{E}_{%s}\left[%s\right]" % (vs, printer._print(self.integrand))


def expect(expr, variables: Sequence[sp.Symbol], means=None, variances=None) -> GaussianExpectation:
    """Shorthand for :class:`GaussianExpectation`."""
    return GaussianExpectation(expr, variables, means, variances)


_NODES = (0, 1, -1)  # multiplied by sqrt(3)
_WEIGHTS = (sp.Rational(2, 3), sp.Rational(1, 6), sp.Rational(1, 6))


def _degree_bounds(expr, variables: frozenset, memo: dict, functions=None):
    """An upper bound on the degree of ``expr`` in each of ``variables`` (a dict; absent: 0), read off
    the expression tree without expanding it: Add -> max, Mul -> sum, a nonnegative integer power ->
    multiple; None if some node containing a variable is none of these (then no bound is claimed)."""
    if expr in memo:
        return memo[expr]
    if expr in variables:
        out = {expr: 1}
    elif functions and isinstance(expr, AppliedUndef) and expr.func in functions:
        # P(a_1, ..., a_n) with P of total degree <= T: degree in v <= T * max_i (degree of a_i in v)
        lam = functions[expr.func]
        t = sp.Dummy("t")
        own = _degree_bounds(lam.expr.xreplace({u: t for u in lam.variables}), frozenset([t]), {})  # total degree
        subs = [_degree_bounds(a, variables, memo, functions) for a in expr.args]
        if own is None or any(b is None for b in subs):
            out = None
        else:
            total = own.get(t, 0)
            out = {v: total * max(b.get(v, 0) for b in subs) for v in set().union(*subs)} if subs else {}
    elif expr.is_Atom:
        out = {}
    elif expr.is_Add or expr.is_Mul:
        out = {}
        for a in expr.args:
            sub = _degree_bounds(a, variables, memo, functions)
            if sub is None:
                out = None
                break
            for v, k in sub.items():
                out[v] = max(out.get(v, 0), k) if expr.is_Add else out.get(v, 0) + k
    elif expr.is_Pow and expr.exp.is_Integer and expr.exp >= 0:
        sub = _degree_bounds(expr.base, variables, memo, functions)
        out = None if sub is None else {v: k * int(expr.exp) for v, k in sub.items()}
    else:
        out = None if expr.free_symbols & variables else {}
    memo[expr] = out
    return out


def quadrature_value(node: GaussianExpectation, point: dict, dps: int) -> mpmath.mpf:
    """E[...] at a numeric ``point`` (a dict Symbol -> number) by tensor Gauss-Hermite in mpmath.

    The integrand, with ``point`` substituted, must be a polynomial of degree <= 5 in each
    integration variable: the 3-point rule is exact there, and nothing else is accepted.  When an
    upper bound on the degrees read off the expression tree (:func:`_degree_bounds`) is already <= 5,
    the integrand is evaluated as it stands at all 3^n nodes at once (mpmath, vectorised); otherwise
    SymPy's ``Poly`` decides the degrees and the expanded polynomial is evaluated.
    """
    body = node.integrand.xreplace(point)
    variables = node.variables
    means = [sp.sympify(m).xreplace(point) for m in node.means]
    variances = [sp.sympify(s).xreplace(point) for s in node.variances]
    bounds = _degree_bounds(body, frozenset(variables), {})
    if bounds is not None and all(k <= 5 for k in bounds.values()):
        try:
            return _quadrature_direct(body, variables, means, variances, dps)
        except VerifyError:
            pass  # a node the vectorised evaluator does not know: the Poly route below
    if not body.is_polynomial(*variables):
        raise VerifyError("integrand", body, "quadrature needs a polynomial of degree <= 5 in each variable")
    poly = sp.Poly(body, *variables)  # once: its degree in each variable is read off its monomials
    if any(deg > 5 for deg in poly.degree_list()):
        raise VerifyError("integrand", body, "quadrature needs a polynomial of degree <= 5 in each variable")
    with mpmath.workdps(dps):
        terms = [(monom, mpmath.mpf(sp.N(coeff, dps))) for monom, coeff in poly.terms()]
        root3 = mpmath.sqrt(3)
        mu = [mpmath.mpf(sp.N(m, dps)) for m in means]
        sd = [mpmath.sqrt(mpmath.mpf(sp.N(s, dps))) for s in variances]
        weights = [mpmath.mpf(w.p) / w.q for w in _WEIGHTS]
        total = mpmath.mpf(0)
        for combo in itertools.product(range(3), repeat=len(variables)):
            args = [mu[k] + sd[k] * root3 * _NODES[c] for k, c in enumerate(combo)]
            w = mpmath.mpf(1)
            for c in combo:
                w *= weights[c]
            value = mpmath.fsum(coeff * mpmath.fprod(a**e for a, e in zip(args, monom)) for monom, coeff in terms)
            total += w * value
        return +total


def _quadrature_direct(body, variables, means, variances, dps: int) -> mpmath.mpf:
    """The tensor rule with the integrand evaluated unexpanded: variable k takes its 3 nodes along axis k."""
    from ._indexed import _MP, _eval

    with mpmath.workdps(dps):
        mus = [mpmath.mpf(sp.N(m, dps)) for m in means]
        sds = [mpmath.sqrt(mpmath.mpf(sp.N(s, dps))) for s in variances]
        return _tensor_rule(body, variables, mus, sds, {}, lambda e, env: _eval(e, env, 0, _MP))


def _tensor_rule(body, variables, mus, sds, env: dict, evaluate) -> mpmath.mpf:
    """Σ over the 3^n nodes of the weights times ``evaluate(body, env + nodes)`` (working precision)."""
    import numpy as np

    n = len(variables)
    root3 = mpmath.sqrt(3)
    weights = np.array([mpmath.mpf(w.p) / w.q for w in _WEIGHTS], dtype=object)
    inner = dict(env)
    for k, (v, mu, sd) in enumerate(zip(variables, mus, sds)):
        shape = [1] * n
        shape[k] = 3
        inner[v] = np.array([mu + sd * root3 * c for c in _NODES], dtype=object).reshape(shape)
    values = np.broadcast_to(np.asarray(evaluate(body, inner), dtype=object), (3,) * n)
    w = np.ones((), dtype=object) * mpmath.mpf(1)
    for k in range(n):
        shape = [1] * n
        shape[k] = 3
        w = w * weights.reshape(shape)
    return +mpmath.fsum((w * values).ravel())


def expectation_in_env(node: GaussianExpectation, env: dict, evaluate, functions=None) -> mpmath.mpf:
    """E[...] by the exact tensor rule with the other symbols' values in ``env`` (mpmath numbers), for
    :func:`verify.symbolic._indexed.direct_value`: only when the degree bound read off the unsubstituted
    integrand is <= 5 in each variable (else VerifyError, and the caller substitutes and decides)."""
    variables = node.variables
    if any(type(a).__name__ == "ISum" for a in sp.preorder_traversal(node.integrand)):
        raise VerifyError("integrand", node.integrand, "a finite sum inside an expectation (its own axes)")
    bounds = _degree_bounds(node.integrand, frozenset(variables), {}, functions)
    if bounds is None or any(k > 5 for k in bounds.values()):
        raise VerifyError("integrand", node.integrand, "no degree bound <= 5 before substitution")
    mus = [evaluate(sp.sympify(m), env) for m in node.means]
    sds = [mpmath.sqrt(evaluate(sp.sympify(s), env)) for s in node.variances]
    if not all(isinstance(x, mpmath.mpf) for x in mus + sds):
        raise VerifyError("means/variances", (mus, sds), "not real numbers at this point")
    return _tensor_rule(node.integrand, variables, mus, sds, env, evaluate)
