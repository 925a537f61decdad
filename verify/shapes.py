"""Shapes and indices: a small typed expression language for checking that formulas are well formed.

A formula is transcribed as a tree of :class:`Node` s whose leaves are declared symbols
(:class:`Sym`: a name and a :class:`Type`), numbers, and index variables (:class:`Idx`).
:func:`typecheck` (or :func:`analyse`) walks the tree and reports every :class:`Problem`:

* ``shape``: a product ``XY`` whose inner dimensions differ, a sum or a relation of objects of
  different shapes, a transpose, norm, trace or power applied to something it does not apply to;
* ``arity`` / ``argument``: a function called with the wrong number of arguments or with an
  argument of the wrong type (``L(f, g, D, ε)`` called as ``L(Ã, B̃, ε̃, D̃)``), a family ``L_A``
  indexed by an object of the wrong type, a gradient ``∇_X F(...)`` taken with respect to an
  ``X`` that is neither an argument of the call nor a variable;
* ``index``: an index outside the range of what it indexes (a row index of a ``d x r`` matrix
  running over ``1..r``), an index used with two different ranges, a sum whose range is not
  determined;
* ``binding``: a sum (max, set) that rebinds an index already bound or free in the formula
  (``∂/∂Ã_ij Σ_i ...``);
* ``notation``: a symbol the formula's :class:`Notation` does not declare (``ε`` where the section
  writes ``ε̃``, ``r̃`` nowhere declared).

Dimensions are SymPy symbols (positive integers: ``d``, ``r``, ``r*``); two dimensions agree when
their difference simplifies to 0.  When they differ the problem says whether the formula is never
well formed (the difference has a known sign) or "well formed only if d = r".  Assumptions of the
form "r >= r* + 2" (:func:`at_least`) are used to decide index ranges: ``r* + 1 <= r`` is proved
from them, ``r* + s <= r`` is reported when they do not imply it.

Conventions (the usual ones, which the checked paper also states):

* a vector of ``R^n`` is an ``n x 1`` matrix; :class:`Row` (``X^(i)``) is ``1 x cols``;
  :class:`Col` (``X_i``) is ``rows x 1``; a scalar conforms to a ``1 x 1`` matrix;
* ``σ_k(X)`` is defined for ``1 <= k <= rows(X)`` (``σ_k² = λ_k(XXᵀ)``, zero beyond the rank);
* ``I`` and ``0`` without a size take the size their context requires.

Nothing here knows any paper: a paper's transcription declares its symbols in a :class:`Notation`.
"""
from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Iterator, Mapping, Optional, Sequence, Union

import sympy as sp

from ._errors import VerifyError

__all__ = [
    "dim", "at_least", "Type", "Scalar", "Mat", "Tup", "Fn", "Space", "Dist", "Prop", "Unknown", "vec", "rowvec",
    "show", "Notation", "Problem", "Analysis", "analyse", "typecheck", "transpose_mutants",
    "Node", "Sym", "Named", "Num", "Idx", "Entry", "Col", "Row", "DiagEntry", "Comp", "Slice", "At", "T", "Pow", "Inv",
    "Norm", "Tr", "Det", "Fun", "Inner", "Call", "Indexed", "Grad", "Partial", "DDt", "Sum", "Max", "Count",
    "Extremum", "Lim", "Expect", "Normal", "Sample", "Rel", "Chain", "Tup_", "Padded", "Eye", "Zero", "HStack",
    "Entrywise", "RowSpan", "ColSpan", "Perp", "Proj", "DimOf", "Sigma", "BasisOf", "SCALAR",
]

# ---------------------------------------------------------------------------------------------
# dimensions


def dim(name: str) -> sp.Symbol:
    """A dimension symbol: a positive integer (``dim("r*")``)."""
    return sp.Symbol(name, integer=True, positive=True)


def at_least(symbol: sp.Symbol, bound) -> tuple:
    """The assumption ``symbol >= bound`` (``at_least(r, rs + 2)`` for ``r > r* + 1``)."""
    if not isinstance(symbol, sp.Symbol):
        raise VerifyError("symbol", symbol, "an assumption bounds one dimension symbol")
    return (symbol, sp.sympify(bound))


class _Facts:
    """Decides (in)equalities of dimensions under assumptions ``symbol >= bound``.

    Each assumed symbol is replaced by ``bound + k`` with a fresh nonnegative integer ``k``, and
    each positive integer symbol ``p`` by ``p0 + 1`` (``p0 >= 0``), so that SymPy's sign rules
    apply.  A symbol with several lower bounds is tried with each: a relation is proved if one of
    them proves it, refuted if one of them refutes it (each describes a superset of the allowed
    values)."""

    def __init__(self, assumptions: Sequence[tuple] = ()):
        bounds: dict = {}
        for symbol, bound in assumptions:
            bounds.setdefault(symbol, []).append(sp.sympify(bound))
        self.choices = []
        for combo in itertools.product(*bounds.values()) if bounds else [()]:
            subs = {}
            for n, (symbol, bound) in enumerate(zip(bounds, combo)):
                subs[symbol] = bound + sp.Symbol(f"_k{n}", integer=True, nonnegative=True)
            for _ in range(len(subs)):  # bounds may refer to other assumed symbols
                subs = {s: b.xreplace(subs) for s, b in subs.items()}
            self.choices.append(subs)

    def _diffs(self, a, b):
        for subs in self.choices:
            diff = sp.expand(sp.sympify(a).xreplace(subs) - sp.sympify(b).xreplace(subs))
            shift = {x: sp.Symbol(f"{x.name}_0", integer=True, nonnegative=True) + 1 for x in diff.free_symbols
                     if x.is_integer and x.is_positive}
            yield sp.expand(diff.xreplace(shift))

    def equal(self, a, b) -> Optional[bool]:
        diffs = list(self._diffs(a, b))
        if any(x == 0 for x in diffs):
            return True
        if any(x.is_positive or x.is_negative for x in diffs):
            return False
        return None

    def le(self, a, b) -> Optional[bool]:
        diffs = list(self._diffs(b, a))
        if any(x.is_nonnegative for x in diffs):
            return True
        if any(x.is_negative for x in diffs):
            return False
        return None


# ---------------------------------------------------------------------------------------------
# types


class Type:
    """The type of a subformula."""


@dataclass(frozen=True)
class Scalar(Type):
    pass


SCALAR = Scalar()


@dataclass(frozen=True)
class Mat(Type):
    """An ``rows x cols`` matrix; ``None`` dimensions are polymorphic (``I``, ``0`` without size):
    ``square`` says a polymorphic matrix is square."""

    rows: object = None
    cols: object = None
    square: bool = False

    @property
    def sized(self) -> bool:
        return self.rows is not None and self.cols is not None


def vec(n) -> Mat:
    """``R^n`` as ``n x 1``."""
    return Mat(sp.sympify(n), sp.Integer(1))


def rowvec(n) -> Mat:
    return Mat(sp.Integer(1), sp.sympify(n))


@dataclass(frozen=True)
class Tup(Type):
    items: tuple


@dataclass(frozen=True)
class Fn(Type):
    """A function: named parameters ``((name, Type), ...)`` and a result; ``index`` (name, Type)
    for a family ``L_A`` indexed by an object."""

    params: tuple
    result: Type
    index: Optional[tuple] = None


@dataclass(frozen=True)
class Space(Type):
    """A linear subspace of ``R^n``."""

    n: object


@dataclass(frozen=True)
class Dist(Type):
    """A probability distribution on ``R^n``."""

    n: object


@dataclass(frozen=True)
class Prop(Type):
    """A relation (true or false)."""


@dataclass(frozen=True)
class Unknown(Type):
    """The type of a subformula that already failed (no further problems are reported for it)."""


def _d(x) -> str:
    s = str(x)
    return f"({s})" if any(op in s for op in "+-") else s


def show(t: Type) -> str:
    """``d×r``, ``R^d``, ``1×r``, ``scalar``, ``R^r → R^d`` ..."""
    if isinstance(t, Scalar):
        return "scalar"
    if isinstance(t, Mat):
        if not t.sized:
            return "square matrix (any size)" if t.square else "matrix (any size)"
        if t.cols == 1:
            return f"R^{_d(t.rows)}"
        return f"{_d(t.rows)}×{_d(t.cols)}"
    if isinstance(t, Tup):
        return "(" + ", ".join(show(i) for i in t.items) + ")"
    if isinstance(t, Fn):
        args = ", ".join(show(p) for _, p in t.params)
        return f"({args}) → {show(t.result)}"
    if isinstance(t, Space):
        return f"subspace of R^{_d(t.n)}"
    if isinstance(t, Dist):
        return f"distribution on R^{_d(t.n)}"
    if isinstance(t, Prop):
        return "relation"
    return "?"


# ---------------------------------------------------------------------------------------------
# notation, problems, context


@dataclass(frozen=True)
class Notation:
    """The symbols a section declares: name -> Type (``where`` says where the paper declares them)."""

    name: str
    symbols: Mapping[str, Type]
    dims: frozenset = frozenset()  # the dimension symbols it declares (empty: any)

    def extend(self, name: str, symbols: Mapping[str, Type], dims=()) -> "Notation":
        """A notation with more symbols (a later declaration of the same name replaces the earlier)."""
        return Notation(name, {**self.symbols, **symbols}, frozenset(self.dims) | frozenset(dims))


@dataclass(frozen=True)
class Problem:
    """One reason a formula is not well formed: its kind, the subformula, and what is wrong."""

    kind: str  # shape | arity | argument | index | binding | notation
    at: str
    message: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.at}: {self.message}"


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyse` found: the problems, notes (not errors), and the formula's type."""

    problems: tuple
    notes: tuple
    type: Type

    @property
    def ok(self) -> bool:
        return not self.problems


class _Binder:
    def __init__(self, name: str, node: "Node"):
        self.name = name
        self.node = node
        self.uses: list = []  # (n, where): the index is used where 1..n is allowed


class _Ctx:
    def __init__(self, notation: Optional[Notation], facts: _Facts, indices: Mapping[str, object], free: set):
        self.notation = notation
        self.facts = facts
        self.indices = dict(indices)
        self.free_names = set(free) | set(indices)
        self.problems: list = []
        self.notes: list = []
        self.bound: list = []
        self.free_uses: dict = {}

    def problem(self, kind: str, node_or_text, message: str) -> None:
        at = node_or_text.text() if isinstance(node_or_text, Node) else str(node_or_text)
        p = Problem(kind, at, message)
        if p not in self.problems:
            self.problems.append(p)

    def check_dims(self, expr, node) -> None:
        """Every dimension symbol in ``expr`` must be declared by the notation."""
        if self.notation is None or not self.notation.dims:
            return
        extra = sorted(str(x) for x in sp.sympify(expr).free_symbols
                       if x not in self.notation.dims and not str(x).startswith(("dim", "_k")))
        if extra:
            self.problem("notation", node, f"the dimension {', '.join(extra)} is not declared in {self.notation.name} "
                                           f"(it declares {', '.join(sorted(map(str, self.notation.dims)))})")

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    # dimension equalities --------------------------------------------------------------------
    def pairs(self, a: Type, b: Type):
        """The dimension pairs that must agree for ``a`` and ``b`` to be the same type, or a string
        saying why they can never be (different kinds)."""
        if isinstance(a, Unknown) or isinstance(b, Unknown):
            return []
        if isinstance(a, Scalar) and isinstance(b, Scalar):
            return []
        if isinstance(a, (Scalar, Mat)) and isinstance(b, (Scalar, Mat)):
            ma = a if isinstance(a, Mat) else Mat(sp.Integer(1), sp.Integer(1))
            mb = b if isinstance(b, Mat) else Mat(sp.Integer(1), sp.Integer(1))
            if not ma.sized or not mb.sized:
                poly, other = (ma, mb) if not ma.sized else (mb, ma)
                if poly.square and other.sized:
                    return [(other.rows, other.cols)]
                return []
            return [(ma.rows, mb.rows), (ma.cols, mb.cols)]
        if isinstance(a, Tup) and isinstance(b, Tup):
            if len(a.items) != len(b.items):
                return f"a {len(a.items)}-tuple and a {len(b.items)}-tuple"
            out = []
            for x, y in zip(a.items, b.items):
                sub = self.pairs(x, y)
                if isinstance(sub, str):
                    return sub
                out.extend(sub)
            return out
        if isinstance(a, Fn) and isinstance(b, Fn):
            if len(a.params) != len(b.params):
                return f"functions of {len(a.params)} and {len(b.params)} arguments"
            out = []
            for (_, x), (_, y) in list(zip(a.params, b.params)) + [((None, a.result), (None, b.result))]:
                sub = self.pairs(x, y)
                if isinstance(sub, str):
                    return sub
                out.extend(sub)
            return out
        if isinstance(a, Space) and isinstance(b, Space):
            return [(a.n, b.n)]
        if isinstance(a, Dist) and isinstance(b, Dist):
            return [(a.n, b.n)]
        if isinstance(a, Prop) and isinstance(b, Prop):
            return []
        return f"{show(a)} and {show(b)} are different kinds of object"

    def same(self, a: Type, b: Type, node, what: str) -> bool:
        """Require ``a`` and ``b`` to be the same type; report a problem (kind shape) if not."""
        pairs = self.pairs(a, b)
        if isinstance(pairs, str):
            self.problem("shape", node, f"{what}: {pairs}")
            return False
        return self.agree(pairs, node, f"{what}: {show(a)} vs {show(b)}")

    def agree(self, pairs, node, what: str, kind: str = "shape") -> bool:
        never, only = [], []
        for x, y in pairs:
            eq = self.facts.equal(x, y)
            if eq is False:
                never.append(f"{x} ≠ {y}")
            elif eq is None:
                cond = f"{y} = {x}" if sp.sympify(x).is_number else f"{x} = {y}"
                if cond not in only and f"{y} = {x}" not in only:
                    only.append(cond)
        if never:
            self.problem(kind, node, f"{what}; never well formed ({', '.join(never)})")
            return False
        if only:
            self.problem(kind, node, f"{what}; well formed only if {' and '.join(only)}")
            return False
        return True

    # index ranges ----------------------------------------------------------------------------
    def use_index(self, index, n, node: "Node", what: str) -> None:
        """Index ``index`` (an :class:`Idx`, an integer or a SymPy expression) is used where
        ``1..n`` is allowed."""
        where = f"{node.text()} ({what} 1..{n})"
        if isinstance(index, Idx):
            for b in reversed(self.bound):
                if b.name == index.name:
                    b.uses.append((n, where))
                    return
            self.free_uses.setdefault(index.name, []).append((n, where))
            return
        value = sp.sympify(index.value if isinstance(index, Num) else index)
        lo, hi = self.facts.le(1, value), self.facts.le(value, n)
        if lo is False or hi is False:
            self.problem("index", node, f"index {value} is outside {what} 1..{n}")
        elif lo is None or hi is None:
            self.problem("index", node, f"index {value} is within {what} 1..{n} only if 1 <= {value} <= {n}, "
                                        f"which the assumptions do not imply")

    def check_range(self, name: str, lo, hi, uses, node) -> None:
        for n, where in uses:
            ok_lo, ok_hi = self.facts.le(1, lo), self.facts.le(hi, n)
            if ok_lo is False or ok_hi is False:
                self.problem("index", node, f"{name} runs over {lo}..{hi}, outside {where}")
            elif ok_lo is None or ok_hi is None:
                self.problem("index", node, f"{name} runs over {lo}..{hi}, within {where} only if "
                                            f"{hi} <= {n}, which the assumptions do not imply")

    def check_agreeing_uses(self, name: str, uses, node) -> None:
        n0, w0 = uses[0]
        for n, where in uses[1:]:
            eq = self.facts.equal(n0, n)
            if eq is not True:
                verdict = "never well formed" if eq is False else f"well formed only if {n0} = {n}"
                self.problem("index", node, f"{name} indexes 1..{n0} in {w0} but 1..{n} in {where}; {verdict}")
                return


# ---------------------------------------------------------------------------------------------
# nodes


def _wrap(x) -> "Node":
    if isinstance(x, Node):
        return x
    if isinstance(x, (int, float, sp.Basic)):
        return Num(x)
    raise VerifyError("operand", x, "is not a formula node, a number or a SymPy expression")


def _base_text(node: "Node", rn) -> str:
    """The base of a subscript or superscript: parenthesized unless it is a name."""
    t = node.text(rn)
    return t if isinstance(node, (Sym, Named)) else f"({t})"


def _par(node: "Node", rn) -> str:
    t = node.text(rn)
    return f"({t})" if isinstance(node, (_Add, Neg)) or (isinstance(node, Num) and any(c in t for c in "+-")) else t


class Node:
    """A subformula.  Subclasses list their child fields in ``_kids`` (nodes or tuples of nodes)."""

    _kids: tuple = ()

    # structure --------------------------------------------------------------------------------
    def kids(self) -> tuple:
        out = []
        for f in self._kids:
            v = getattr(self, f)
            if isinstance(v, tuple):
                out.extend(x for x in v if isinstance(x, Node))
            elif isinstance(v, Node):
                out.append(v)
        return tuple(out)

    def with_kids(self, new: Sequence["Node"]) -> "Node":
        it = iter(new)
        clone = copy.copy(self)
        for f in self._kids:
            v = getattr(self, f)
            if isinstance(v, tuple):
                setattr(clone, f, tuple(next(it) if isinstance(x, Node) else x for x in v))
            elif isinstance(v, Node):
                setattr(clone, f, next(it))
        return clone

    def binds(self) -> Optional[str]:
        """The index name this node binds for its children (Σ_i, max_j, #{i: ...})."""
        return None

    # printing ----------------------------------------------------------------------------------
    def text(self, rn: Optional[Mapping[str, str]] = None) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.text()}>"

    # typing ------------------------------------------------------------------------------------
    def infer(self, ctx: _Ctx, expected: Optional[Type] = None) -> Type:
        raise NotImplementedError

    # sugar -------------------------------------------------------------------------------------
    def __mul__(self, other):
        return Mul(self, _wrap(other))

    def __rmul__(self, other):
        return Mul(_wrap(other), self)

    def __add__(self, other):
        return _Add(self, _wrap(other), "+")

    def __radd__(self, other):
        return _Add(_wrap(other), self, "+")

    def __sub__(self, other):
        return _Add(self, _wrap(other), "-")

    def __rsub__(self, other):
        return _Add(_wrap(other), self, "-")

    def __truediv__(self, other):
        return Div(self, _wrap(other))

    def __rtruediv__(self, other):
        return Div(_wrap(other), self)

    def __neg__(self):
        return Neg(self)

    def __pow__(self, p):
        return Pow(self, p)

    @property
    def T(self):
        return T(self)

    def __call__(self, *args):
        return Call(self, *[_wrap(a) for a in args])

    def __getitem__(self, sub):
        """``X[sub]`` is the family member ``X_{sub}`` (``L[U * A]`` for ``L_{UA}``)."""
        return Indexed(self, _wrap(sub))


class Sym(Node):
    """A symbol: declared by the notation, or (``type`` given) declared here, locally."""

    def __init__(self, name: str, type: Optional[Type] = None):
        if not name:
            raise VerifyError("name", name, "a symbol needs a name")
        self.name = name
        self.type = type

    def text(self, rn=None):
        return (rn or {}).get(self.name, self.name)

    def infer(self, ctx, expected=None):
        declared = ctx.notation.symbols.get(self.name) if ctx.notation is not None else None
        if self.type is not None:
            pairs = ctx.pairs(self.type, declared) if declared is not None else []
            if isinstance(pairs, str) or any(ctx.facts.equal(a, b) is not True for a, b in pairs):
                ctx.note(f"{self.name} is declared here as {show(self.type)}, but as {show(declared)} in "
                         f"{ctx.notation.name}")
            return self.type
        if declared is not None:
            return declared
        if ctx.notation is None:
            ctx.problem("notation", self, f"{self.name} has no type (no notation given)")
            return Unknown()
        near = [k for k in ctx.notation.symbols if _base(k) == _base(self.name) and k != self.name]
        hint = f" (it declares {', '.join(near)})" if near else ""
        ctx.problem("notation", self, f"{self.name} is not declared in {ctx.notation.name}{hint}")
        return Unknown()


def _base(name: str) -> str:
    """A name without tildes, primes and decorations: Θ̃ -> Θ, ε̃ -> ε."""
    import unicodedata
    return "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))


class Named(Node):
    """A name for a subformula (``W`` for ``rowspan(A)``): prints the name, has the subformula's type."""
    _kids = ("x",)

    def __init__(self, name: str, x):
        self.name, self.x = name, x

    def text(self, rn=None):
        return (rn or {}).get(self.name, self.name)

    def infer(self, ctx, expected=None):
        return self.x.infer(ctx, expected)


class Num(Node):
    """A number, or a dimension used as a number (``d`` in ``d log ε``)."""

    def __init__(self, value):
        self.value = sp.sympify(value)

    def text(self, rn=None):
        return str(self.value)

    def infer(self, ctx, expected=None):
        ctx.check_dims(self.value, self)
        return SCALAR


class Idx(Node):
    """An index variable (bound by :class:`Sum`, :class:`Max`, :class:`Count`, or free in the formula)."""

    def __init__(self, name: str):
        self.name = name

    def text(self, rn=None):
        return self.name

    def infer(self, ctx, expected=None):
        return SCALAR


def _ix(i):
    return i if isinstance(i, Idx) else (i if isinstance(i, Num) else Num(i))


def _matrix(ctx, node, t, what) -> Optional[Mat]:
    if isinstance(t, Unknown):
        return None
    if isinstance(t, Mat) and t.sized:
        return t
    ctx.problem("shape", node, f"{what} needs a matrix, got {show(t)}")
    return None


class Entry(Node):
    """``X_ij``: entry (i, j), ``i <= rows``, ``j <= cols``."""
    _kids = ("x", "i", "j")

    def __init__(self, x, i, j):
        self.x, self.i, self.j = x, _ix(i), _ix(j)

    def text(self, rn=None):
        return f"{_base_text(self.x, rn)}_{{{self.i.text(rn)}{self.j.text(rn)}}}"

    def infer(self, ctx, expected=None):
        m = _matrix(ctx, self, self.x.infer(ctx), "an entry")
        if m is not None:
            ctx.use_index(self.i, m.rows, self, f"row of {self.x.text()}:")
            ctx.use_index(self.j, m.cols, self, f"column of {self.x.text()}:")
        return SCALAR


class DiagEntry(Node):
    """``X_ii``: a diagonal entry of a square matrix."""
    _kids = ("x", "i")

    def __init__(self, x, i):
        self.x, self.i = x, _ix(i)

    def text(self, rn=None):
        i = self.i.text(rn)
        return f"{_base_text(self.x, rn)}_{{{i}{i}}}"

    def infer(self, ctx, expected=None):
        m = _matrix(ctx, self, self.x.infer(ctx), "a diagonal entry")
        if m is not None:
            ctx.agree([(m.rows, m.cols)], self, f"a diagonal entry of the {show(m)} matrix {self.x.text()}")
            ctx.use_index(self.i, m.rows, self, f"diagonal of {self.x.text()}:")
        return SCALAR


class Col(Node):
    """``X_j``: column j (an ``R^rows`` vector)."""
    _kids = ("x", "j")

    def __init__(self, x, j):
        self.x, self.j = x, _ix(j)

    def text(self, rn=None):
        return f"{_base_text(self.x, rn)}_{self.j.text(rn)}"

    def infer(self, ctx, expected=None):
        m = _matrix(ctx, self, self.x.infer(ctx), "a column")
        if m is None:
            return Unknown()
        ctx.use_index(self.j, m.cols, self, f"columns of {self.x.text()}:")
        return Mat(m.rows, sp.Integer(1))


class Row(Node):
    """``X^(i)``: row i (a ``1 x cols`` row vector)."""
    _kids = ("x", "i")

    def __init__(self, x, i):
        self.x, self.i = x, _ix(i)

    def text(self, rn=None):
        return f"{_base_text(self.x, rn)}^({self.i.text(rn)})"

    def infer(self, ctx, expected=None):
        m = _matrix(ctx, self, self.x.infer(ctx), "a row")
        if m is None:
            return Unknown()
        ctx.use_index(self.i, m.rows, self, f"rows of {self.x.text()}:")
        return Mat(sp.Integer(1), m.cols)


class Comp(Node):
    """``x_k``: component k of a vector."""
    _kids = ("x", "k")

    def __init__(self, x, k):
        self.x, self.k = x, _ix(k)

    def text(self, rn=None):
        return f"{_base_text(self.x, rn)}_{self.k.text(rn)}"

    def infer(self, ctx, expected=None):
        m = _matrix(ctx, self, self.x.infer(ctx), "a component")
        if m is not None and ctx.agree([(m.cols, 1)], self, f"a component of {self.x.text()} ({show(m)})"):
            ctx.use_index(self.k, m.rows, self, f"components of {self.x.text()}:")
        return SCALAR


class Slice(Node):
    """``x_{lo:hi}``: components lo..hi of a vector."""
    _kids = ("x",)

    def __init__(self, x, lo, hi):
        self.x, self.lo, self.hi = x, sp.sympify(lo), sp.sympify(hi)

    def text(self, rn=None):
        return f"{_base_text(self.x, rn)}_{{{self.lo}:{self.hi}}}"

    def infer(self, ctx, expected=None):
        m = _matrix(ctx, self, self.x.infer(ctx), "a slice")
        if m is None:
            return Unknown()
        ctx.agree([(m.cols, 1)], self, f"a slice of {self.x.text()} ({show(m)})")
        ctx.use_index(self.lo, m.rows, self, f"components of {self.x.text()}:")
        ctx.use_index(self.hi, m.rows, self, f"components of {self.x.text()}:")
        return vec(self.hi - self.lo + 1)


class At(Node):
    """``X(t)`` or ``X_t``: a time-dependent object at time t (same type as X)."""
    _kids = ("x",)

    def __init__(self, x, t: str = "t", style: str = "()"):
        self.x, self.t, self.style = x, t, style

    def text(self, rn=None):
        return f"{_par(self.x, rn)}({self.t})" if self.style == "()" else f"{_par(self.x, rn)}_{self.t}"

    def infer(self, ctx, expected=None):
        return self.x.infer(ctx, expected)


class Mul(Node):
    """Juxtaposition: a scalar times anything, or a matrix product (inner dimensions must agree)."""
    _kids = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b

    def text(self, rn=None):
        a, b = _par(self.a, rn), _par(self.b, rn)
        return f"{a}·{b}" if isinstance(self.a, Num) and isinstance(self.b, Num) else (
            f"{a} {b}" if isinstance(self.a, Num) or isinstance(self.b, (Num, Fun)) else f"{a}{b}")

    def infer(self, ctx, expected=None):
        ta, tb = self.a.infer(ctx), self.b.infer(ctx)
        if isinstance(ta, Unknown) or isinstance(tb, Unknown):
            return Unknown()
        if isinstance(ta, Scalar) and isinstance(tb, (Scalar, Mat, Tup)):
            return tb
        if isinstance(tb, Scalar) and isinstance(ta, Mat):
            return ta
        if isinstance(ta, Mat) and isinstance(tb, Mat):
            if not ta.sized:
                return tb if ta.square else Mat()
            if not tb.sized:
                return ta if tb.square else Mat()
            ctx.agree([(ta.cols, tb.rows)], self, f"product of {self.a.text()} ({show(ta)}) and "
                                                  f"{self.b.text()} ({show(tb)})")
            return Mat(ta.rows, tb.cols)
        ctx.problem("shape", self, f"product of {show(ta)} and {show(tb)}")
        return Unknown()


class _Add(Node):
    _kids = ("a", "b")

    def __init__(self, a, b, op):
        self.a, self.b, self.op = a, b, op

    def text(self, rn=None):
        b = _par(self.b, rn) if self.op == "-" else self.b.text(rn)
        return f"{self.a.text(rn)} {self.op} {b}"

    def infer(self, ctx, expected=None):
        ta = self.a.infer(ctx, expected)
        tb = self.b.infer(ctx, ta if not isinstance(ta, Unknown) else expected)
        if isinstance(ta, Unknown) or isinstance(tb, Unknown):
            return Unknown()
        if not isinstance(ta, (Scalar, Mat, Tup)) or not isinstance(tb, (Scalar, Mat, Tup)):
            ctx.problem("shape", self, f"{'sum' if self.op == '+' else 'difference'} of {show(ta)} and {show(tb)}")
            return Unknown()
        ctx.same(ta, tb, self, f"{'sum' if self.op == '+' else 'difference'} of {self.a.text()} and {self.b.text()}")
        return ta if not (isinstance(ta, Mat) and not ta.sized) else tb


class Neg(Node):
    _kids = ("a",)

    def __init__(self, a):
        self.a = a

    def text(self, rn=None):
        return f"-{_par(self.a, rn)}"

    def infer(self, ctx, expected=None):
        return self.a.infer(ctx, expected)


class Div(Node):
    """``a / b``: b must be a scalar."""
    _kids = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b

    def text(self, rn=None):
        b = self.b.text(rn)
        b = f"({b})" if isinstance(self.b, (Mul, Div, _Add, Neg)) else b
        return f"{_par(self.a, rn)}/{b}"

    def infer(self, ctx, expected=None):
        ta, tb = self.a.infer(ctx, expected), self.b.infer(ctx)
        if not isinstance(tb, (Scalar, Unknown)):
            ctx.same(tb, SCALAR, self, f"division by {self.b.text()}")
        return ta


class T(Node):
    """Transpose."""
    _kids = ("x",)

    def __init__(self, x):
        self.x = x

    def text(self, rn=None):
        return f"{_par(self.x, rn)}ᵀ"

    def infer(self, ctx, expected=None):
        t = self.x.infer(ctx)
        if isinstance(t, (Scalar, Unknown)):
            return t
        if isinstance(t, Mat):
            return Mat(t.cols, t.rows, t.square)
        ctx.problem("shape", self, f"transpose of {show(t)}")
        return Unknown()


class Pow(Node):
    """``x^p``: any power of a scalar; ``X^p`` of a square matrix (``D^{1/2}``, ``D^{-1}``)."""
    _kids = ("x",)

    def __init__(self, x, p):
        self.x, self.p = x, sp.sympify(p)

    def text(self, rn=None):
        p = {2: "²", 3: "³"}.get(self.p, f"^{{{self.p}}}")
        return f"{_par(self.x, rn)}{p}"

    def infer(self, ctx, expected=None):
        t = self.x.infer(ctx)
        if isinstance(t, Mat) and t.sized and not (t.rows == 1 and t.cols == 1):
            ctx.agree([(t.rows, t.cols)], self, f"power {self.p} of the {show(t)} matrix {self.x.text()}")
            return t
        if isinstance(t, (Scalar, Mat, Unknown)):
            return t
        ctx.problem("shape", self, f"power of {show(t)}")
        return Unknown()


class Inv(Pow):
    def __init__(self, x):
        super().__init__(x, -1)


class Norm(Node):
    """``||X||`` (``sub`` = ``""``, ``"2"`` or ``"F"``) of a scalar, vector or matrix: a scalar."""
    _kids = ("x",)

    def __init__(self, x, sub: str = ""):
        self.x, self.sub = x, sub

    def text(self, rn=None):
        return f"||{self.x.text(rn)}||" + (f"_{self.sub}" if self.sub else "")

    def infer(self, ctx, expected=None):
        t = self.x.infer(ctx)
        if not isinstance(t, (Scalar, Mat, Unknown)):
            ctx.problem("shape", self, f"norm of {show(t)}")
        return SCALAR


class _Square(Node):
    _kids = ("x",)
    name = ""

    def __init__(self, x):
        self.x = x

    def text(self, rn=None):
        return f"{self.name}({self.x.text(rn)})"

    def infer(self, ctx, expected=None):
        t = self.x.infer(ctx)
        if isinstance(t, Mat) and not t.sized and t.square:
            return SCALAR
        m = _matrix(ctx, self, t, self.name)
        if m is not None:
            ctx.agree([(m.rows, m.cols)], self, f"{self.name} of the {show(m)} matrix {self.x.text()}")
        return SCALAR


class Tr(_Square):
    name = "Tr"


class Det(_Square):
    name = "det"


class Fun(Node):
    """A scalar function of scalars: ``log``, ``exp``, ``sqrt``, ``abs``."""
    _kids = ("x",)

    def __init__(self, name: str, x):
        self.name, self.x = name, _wrap(x)

    def text(self, rn=None):
        return f"{self.name}({self.x.text(rn)})"

    def infer(self, ctx, expected=None):
        t = self.x.infer(ctx)
        if not isinstance(t, (Scalar, Unknown)):
            ctx.same(t, SCALAR, self, f"{self.name} of {self.x.text()}")
        return SCALAR


class Inner(Node):
    """``<a, b>``: a and b of the same shape; a scalar."""
    _kids = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b

    def text(self, rn=None):
        return f"<{self.a.text(rn)}, {self.b.text(rn)}>"

    def infer(self, ctx, expected=None):
        ctx.same(self.a.infer(ctx), self.b.infer(ctx), self, "inner product")
        return SCALAR


class Tup_(Node):
    """A tuple ``(a, b, ...)``."""
    _kids = ("items",)

    def __init__(self, *items):
        self.items = tuple(_wrap(i) for i in items)

    def text(self, rn=None):
        return "(" + ", ".join(i.text(rn) for i in self.items) + ")"

    def infer(self, ctx, expected=None):
        exp = expected.items if isinstance(expected, Tup) and len(expected.items) == len(self.items) else [None] * len(self.items)
        return Tup(tuple(i.infer(ctx, e) for i, e in zip(self.items, exp)))


class Indexed(Node):
    """``F_X``: the member of the family F indexed by X (``L_A``, ``L_{UA}``)."""
    _kids = ("f", "sub")

    def __init__(self, f, sub):
        self.f, self.sub = f, sub

    def text(self, rn=None):
        s = self.sub.text(rn)
        return f"{self.f.text(rn)}_{s if len(s) == 1 else '{' + s + '}'}"

    def infer(self, ctx, expected=None):
        tf = self.f.infer(ctx)
        ts = self.sub.infer(ctx)
        if isinstance(tf, Unknown):
            return tf
        if not isinstance(tf, Fn) or tf.index is None:
            ctx.problem("argument", self, f"{self.f.text()} ({show(tf)}) is not a family indexed by a subscript")
            return Unknown()
        name, t = tf.index
        if not isinstance(ts, Unknown):
            pairs = ctx.pairs(ts, t)
            label = f"the subscript of {self.f.text()} ({name}) is {show(t)}, got {show(ts)}"
            if isinstance(pairs, str):
                ctx.problem("argument", self, label)
            else:
                ctx.agree(pairs, self, label, kind="argument")
        return Fn(tf.params, tf.result)


class Call(Node):
    """``F(a, b, ...)``: arity and the type of each argument are checked against F's signature; a
    single tuple-typed argument (``L(Θ̃)``) is spread over the parameters."""
    _kids = ("f", "args")

    def __init__(self, f, *args):
        self.f, self.args = f, tuple(_wrap(a) for a in args)

    def text(self, rn=None):
        return f"{self.f.text(rn)}(" + ", ".join(a.text(rn) for a in self.args) + ")"

    def infer(self, ctx, expected=None):
        tf = self.f.infer(ctx)
        if isinstance(tf, Unknown):
            for a in self.args:
                a.infer(ctx)
            return Unknown()
        if not isinstance(tf, Fn):
            ctx.problem("argument", self, f"{self.f.text()} ({show(tf)}) is called but is not a function")
            return Unknown()
        targs = [a.infer(ctx, p) for a, (_, p) in zip(self.args, tf.params)] + [
            a.infer(ctx) for a in self.args[len(tf.params):]]
        if any(isinstance(t, Unknown) for t in targs):
            return tf.result  # an argument already failed: no cascade
        if len(self.args) == 1 and isinstance(targs[0], Tup) and len(tf.params) != 1:
            targs = list(targs[0].items)
        sig = f"{self.f.text()}(" + ", ".join(n for n, _ in tf.params) + ")"
        if len(targs) != len(tf.params):
            ctx.problem("arity", self, f"{sig} takes {len(tf.params)} arguments, called with {len(targs)}")
            return tf.result
        for k, (t, (name, p)) in enumerate(zip(targs, tf.params), start=1):
            pairs = ctx.pairs(t, p)
            label = f"argument {k} of {sig} ({name}) is {show(p)}, got {show(t)}"
            if isinstance(pairs, str):
                ctx.problem("argument", self, label)
            else:
                ctx.agree(pairs, self, label, kind="argument")
        return tf.result


def _variable_like(node: Node) -> bool:
    if isinstance(node, Sym):
        return True
    if isinstance(node, (At, Row, Col, Entry, DiagEntry, Comp)):
        return _variable_like(node.x)
    return False


class Grad(Node):
    """``∇_X F(args)``: X must be an argument of the call (the partial gradient in that slot) or a
    variable (the total gradient); its type is X's.  ``∇ F(args)`` (no X): the tuple of all."""
    _kids = ("call", "wrt")

    def __init__(self, call, wrt=None):
        self.call, self.wrt = call, wrt

    def text(self, rn=None):
        sub = f"_{{{self.wrt.text(rn)}}}" if self.wrt is not None else ""
        return f"∇{sub}{self.call.text(rn)}"

    def infer(self, ctx, expected=None):
        tc = self.call.infer(ctx)
        if not isinstance(self.call, Call):
            ctx.problem("argument", self, f"∇ of {self.call.text()}, which is not a function call")
            return Unknown()
        if not isinstance(tc, (Scalar, Unknown)):
            ctx.problem("shape", self, f"gradient of a {show(tc)}-valued function")
        if self.wrt is None:
            tf = self.call.f.infer(ctx)
            return Tup(tuple(p for _, p in tf.params)) if isinstance(tf, Fn) else Unknown()
        tw = self.wrt.infer(ctx)
        args = [a.text() for a in self.call.args]
        for w in (self.wrt.items if isinstance(self.wrt, Tup_) else (self.wrt,)):
            if w.text() not in args and not _variable_like(w):
                ctx.problem("argument", self, f"∇ with respect to {w.text()}, which is neither an argument of "
                                              f"{self.call.text()} nor a variable")
        return tw


class Partial(Node):
    """``∂ body / ∂ X``: X a variable or an entry of one; the type of body (of a bare function
    symbol: its result)."""
    _kids = ("body", "wrt")

    def __init__(self, body, wrt):
        self.body, self.wrt = body, wrt

    def text(self, rn=None):
        if isinstance(self.body, Sym):
            return f"∂{self.body.text(rn)}/∂{self.wrt.text(rn)}"
        return f"∂/∂{self.wrt.text(rn)} ({self.body.text(rn)})"

    def infer(self, ctx, expected=None):
        tb = self.body.infer(ctx)
        self.wrt.infer(ctx)
        if not _variable_like(self.wrt):
            ctx.problem("argument", self, f"∂/∂{self.wrt.text()}: not a variable")
        return tb.result if isinstance(tb, Fn) else tb


class DDt(Node):
    """``d/dt X``: same type as X."""
    _kids = ("x",)

    def __init__(self, x):
        self.x = x

    def text(self, rn=None):
        return f"d/dt {_par(self.x, rn)}"

    def infer(self, ctx, expected=None):
        return self.x.infer(ctx, expected)


class _Binding(Node):
    """A node binding an index for its children; the range is ``lo..hi`` or inferred from uses."""

    symbol = ""

    def binds(self):
        return self.index.name

    def _enter(self, ctx) -> _Binder:
        name = self.index.name
        if any(b.name == name for b in ctx.bound):
            ctx.problem("binding", self, f"{self.symbol}_{name} rebinds {name}, already bound by an enclosing "
                                         f"{self.symbol or 'binder'} in this formula")
        elif name in ctx.free_names:
            ctx.problem("binding", self, f"{self.symbol}_{name} rebinds {name}, which is free elsewhere in this "
                                         f"formula (the two {name}'s are different indices)")
        b = _Binder(name, self)
        ctx.bound.append(b)
        return b

    def _leave(self, ctx, b: _Binder, lo=None, hi=None) -> None:
        ctx.bound.pop()
        if hi is not None:
            ctx.check_range(self.index.name, lo, hi, b.uses, self)
        elif not b.uses:
            ctx.problem("index", self, f"the range of {self.index.name} is not determined: the body does not use "
                                       f"{self.index.name}")
        else:
            ctx.check_agreeing_uses(self.index.name, b.uses, self)


def _range_text(lo, hi) -> str:
    return f"={lo}}}^{{{hi}}}" if hi is not None else "}"


class Sum(_Binding):
    """``Σ_{i=lo}^{hi} body`` (or ``Σ_i`` with the range from the uses; ``where``: Σ_{i: cond})."""
    _kids = ("index", "body", "where")
    symbol = "Σ"

    def __init__(self, index: Idx, body, lo=None, hi=None, where=None):
        self.index, self.body, self.where = index, _wrap(body), where
        self.lo = sp.sympify(lo) if lo is not None else (sp.Integer(1) if hi is not None else None)
        self.hi = sp.sympify(hi) if hi is not None else None

    def text(self, rn=None):
        head = f"Σ_{{{self.index.name}: {self.where.text(rn)}}}" if self.where is not None else (
            f"Σ_{{{self.index.name}{_range_text(self.lo, self.hi)}" if self.hi is not None else f"Σ_{self.index.name}")
        return f"{head} {_par(self.body, rn)}"

    def infer(self, ctx, expected=None):
        if self.hi is not None:
            ctx.check_dims(self.lo + self.hi, self)
        b = self._enter(ctx)
        if self.where is not None:
            self.where.infer(ctx)
        t = self.body.infer(ctx, expected)
        self._leave(ctx, b, self.lo, self.hi)
        if isinstance(t, (Fn, Space, Dist, Prop)):
            ctx.problem("shape", self, f"sum of {show(t)}")
        return t


class Max(_Binding):
    """``max_i body`` over an index (a scalar body)."""
    _kids = ("index", "body")
    symbol = "max"

    def __init__(self, index: Idx, body):
        self.index, self.body = index, _wrap(body)

    def text(self, rn=None):
        return f"max_{self.index.name} {_par(self.body, rn)}"

    def infer(self, ctx, expected=None):
        b = self._enter(ctx)
        t = self.body.infer(ctx)
        self._leave(ctx, b)
        if not isinstance(t, (Scalar, Unknown)):
            ctx.same(t, SCALAR, self, "max of a non-scalar")
        return SCALAR


class Count(_Binding):
    """``#{i : cond}``: a number."""
    _kids = ("index", "cond")
    symbol = "#"

    def __init__(self, index: Idx, cond):
        self.index, self.cond = index, cond

    def text(self, rn=None):
        return f"#{{{self.index.name}: {self.cond.text(rn)}}}"

    def infer(self, ctx, expected=None):
        b = self._enter(ctx)
        self.cond.infer(ctx)
        self._leave(ctx, b)
        return SCALAR


class Extremum(Node):
    """``min_X body`` / ``max_{t ∈ [0,T]} body`` over a variable (not an index): a scalar body."""
    _kids = ("var", "body")

    def __init__(self, op: str, var, body):
        self.op, self.var, self.body = op, var, _wrap(body)

    def text(self, rn=None):
        var = self.var if isinstance(self.var, str) else self.var.text(rn)
        return f"{self.op}_{{{var}}} {_par(self.body, rn)}"

    def infer(self, ctx, expected=None):
        if isinstance(self.var, Node):
            self.var.infer(ctx)
        t = self.body.infer(ctx)
        if not isinstance(t, (Scalar, Unknown)):
            ctx.same(t, SCALAR, self, f"{self.op} of a non-scalar")
        return SCALAR


class Lim(Node):
    """``lim_{t→∞} body``: the type of body."""
    _kids = ("body",)

    def __init__(self, body, var: str = "t"):
        self.body, self.var = _wrap(body), var

    def text(self, rn=None):
        return f"lim_{{{self.var}→∞}} {_par(self.body, rn)}"

    def infer(self, ctx, expected=None):
        return self.body.infer(ctx, expected)


class Normal(Node):
    """``N(mean, cov)``: mean in R^n, cov n x n; a distribution on R^n."""
    _kids = ("mean", "cov")

    def __init__(self, mean, cov):
        self.mean, self.cov = _wrap(mean), _wrap(cov)

    def text(self, rn=None):
        return f"N({self.mean.text(rn)}, {self.cov.text(rn)})"

    def infer(self, ctx, expected=None):
        n = expected.n if isinstance(expected, Dist) else None
        tm = self.mean.infer(ctx, vec(n) if n is not None else None)
        if n is None and isinstance(tm, Mat) and tm.sized:
            n = tm.rows
        tc = self.cov.infer(ctx, Mat(n, n) if n is not None else None)
        if n is None and isinstance(tc, Mat) and tc.sized:
            n = tc.rows
        if n is None:
            if not isinstance(tm, Unknown) and not isinstance(tc, Unknown):
                ctx.problem("shape", self, "the dimension of the distribution is not determined")
            return Unknown()
        ctx.same(tm, vec(n), self, "the mean of a Gaussian on R^" + str(n))
        ctx.same(tc, Mat(n, n), self, "the covariance of a Gaussian on R^" + str(n))
        return Dist(n)


class Sample(Node):
    """``x ~ dist``: x must live where dist does."""
    _kids = ("x", "dist")

    def __init__(self, x, dist):
        self.x, self.dist = x, dist

    def text(self, rn=None):
        return f"{self.x.text(rn)} ~ {self.dist.text(rn)}"

    def infer(self, ctx, expected=None):
        tx = self.x.infer(ctx)
        td = self.dist.infer(ctx, Dist(tx.rows) if isinstance(tx, Mat) and tx.sized else None)
        if isinstance(td, Dist):
            ctx.same(tx, vec(td.n), self, f"{self.x.text()} sampled from a distribution on R^{td.n}")
        elif not isinstance(td, Unknown):
            ctx.problem("shape", self, f"sampling from {show(td)}")
        return Prop()


class Expect(Node):
    """``E_{var ~ dist}[body]``: var must live where dist does; the type of body."""
    _kids = ("var", "dist", "body")

    def __init__(self, var, dist, body):
        self.var, self.dist, self.body = var, dist, _wrap(body)

    def text(self, rn=None):
        return f"E_{{{self.var.text(rn)}~{self.dist.text(rn)}}}[{self.body.text(rn)}]"

    def infer(self, ctx, expected=None):
        Sample(self.var, self.dist).infer(ctx)
        return self.body.infer(ctx, expected)


_REL = {"=", "≤", "<", "≥", ">", ":=", "≠", "→"}


class Rel(Node):
    """``a op b`` with op in = := ≠ → (same types) or < ≤ ≥ > (scalars)."""
    _kids = ("a", "b")

    def __init__(self, a, op: str, b):
        if op not in _REL:
            raise VerifyError("op", op, f"must be one of {sorted(_REL)}")
        self.a, self.op, self.b = _wrap(a), op, _wrap(b)

    def text(self, rn=None):
        return f"{self.a.text(rn)} {self.op} {self.b.text(rn)}"

    def infer(self, ctx, expected=None):
        ta = self.a.infer(ctx)
        tb = self.b.infer(ctx, ta if not isinstance(ta, Unknown) else None)
        if isinstance(ta, Unknown) and not isinstance(tb, Unknown) and isinstance(self.a, (Padded, Zero, Eye)):
            ta = self.a.infer(ctx, tb)
        if self.op in ("=", ":=", "≠", "→"):
            ctx.same(ta, tb, self, f"the two sides of {self.op}")
        else:
            for side, t in ((self.a, ta), (self.b, tb)):
                if not isinstance(t, (Scalar, Unknown)):
                    ctx.same(t, SCALAR, self, f"{side.text()} in an inequality {self.op}")
        return Prop()


class Chain(Node):
    """``a op1 b op2 c ...``: each adjacent pair is a :class:`Rel`."""
    _kids = ("items",)

    def __init__(self, *parts):
        if len(parts) < 3 or len(parts) % 2 == 0:
            raise VerifyError("parts", parts, "a chain is a, op, b[, op, c ...]")
        self.items = tuple(_wrap(p) for p in parts[0::2])
        self.ops = tuple(parts[1::2])

    def text(self, rn=None):
        out = self.items[0].text(rn)
        for op, item in zip(self.ops, self.items[1:]):
            out += f" {op} {item.text(rn)}"
        return out

    def infer(self, ctx, expected=None):
        for a, op, b in zip(self.items, self.ops, self.items[1:]):
            Rel(a, op, b).infer(ctx)
        return Prop()


class Padded(Node):
    """``[[I_k, 0], [0, 0]]``: the identity of size k in the top-left corner of a rows x cols zero
    matrix (shape from ``rows, cols`` or from the context); requires k <= rows and k <= cols."""

    def __init__(self, k, rows=None, cols=None):
        self.k = sp.sympify(k)
        self.rows = sp.sympify(rows) if rows is not None else None
        self.cols = sp.sympify(cols) if cols is not None else None

    def text(self, rn=None):
        return f"[[I_{{{self.k}}}, 0], [0, 0]]"

    def infer(self, ctx, expected=None):
        rows, cols = self.rows, self.cols
        ctx.check_dims(self.k, self)
        if rows is None and isinstance(expected, Mat) and expected.sized:
            rows, cols = expected.rows, expected.cols
        if rows is None:
            return Unknown()
        for n, what in ((rows, "rows"), (cols, "columns")):
            fits = ctx.facts.le(self.k, n)
            if fits is False:
                ctx.problem("index", self, f"I_{{{self.k}}} does not fit in {n} {what}")
            elif fits is None:
                ctx.problem("index", self, f"I_{{{self.k}}} fits in the {rows}×{cols} matrix only if "
                                           f"{self.k} <= {n}, which the assumptions do not imply")
        return Mat(rows, cols)


class Eye(Node):
    """``I_n`` (``n`` None: the size the context requires)."""

    def __init__(self, n=None):
        self.n = sp.sympify(n) if n is not None else None

    def text(self, rn=None):
        return "I" if self.n is None or rn is not None else f"I_{_d(self.n)}"

    def infer(self, ctx, expected=None):
        if self.n is not None:
            ctx.check_dims(self.n, self)
            return Mat(self.n, self.n)
        if isinstance(expected, Mat) and expected.sized:
            return expected
        return Mat(square=True)


class Zero(Node):
    """``0`` or ``0_{rows×cols}`` (no size: the size the context requires)."""

    def __init__(self, rows=None, cols=None):
        self.rows = sp.sympify(rows) if rows is not None else None
        self.cols = sp.sympify(cols) if cols is not None else None

    def text(self, rn=None):
        return "0" if self.rows is None or rn is not None else f"0_{{{self.rows}×{_d(self.cols)}}}"

    def infer(self, ctx, expected=None):
        if self.rows is not None:
            ctx.check_dims(self.rows + self.cols, self)
            neg = ctx.facts.le(0, self.cols)
            if neg is not True:
                ctx.problem("shape", self, f"a block with {self.cols} columns: well formed only if {self.cols} >= 0")
            return Mat(self.rows, self.cols)
        return expected if expected is not None else Mat()


class HStack(Node):
    """``[X Y ...]``: blocks side by side (rows must agree)."""
    _kids = ("blocks",)

    def __init__(self, *blocks):
        self.blocks = tuple(blocks)

    def text(self, rn=None):
        return "[" + " ".join(b.text(rn) for b in self.blocks) + "]"

    def infer(self, ctx, expected=None):
        ts = [b.infer(ctx) for b in self.blocks]
        ms = [t for t in ts if isinstance(t, Mat) and t.sized]
        if len(ms) != len(ts):
            return Unknown()
        ctx.agree([(ms[0].rows, m.rows) for m in ms[1:]], self, "the rows of side-by-side blocks")
        return Mat(ms[0].rows, sp.Add(*[m.cols for m in ms]))


class Entrywise(Node):
    """``σ(X)`` for a scalar function σ applied entrywise: the type of X."""
    _kids = ("f", "x")

    def __init__(self, f, x):
        self.f, self.x = f, x

    def text(self, rn=None):
        return f"{self.f.text(rn)}({self.x.text(rn)})"

    def infer(self, ctx, expected=None):
        tf = self.f.infer(ctx)
        if isinstance(tf, Fn) and (len(tf.params) != 1 or not isinstance(tf.params[0][1], Scalar)):
            ctx.problem("argument", self, f"{self.f.text()} ({show(tf)}) is not a scalar function")
        return self.x.infer(ctx, expected)


class RowSpan(Node):
    """The span of the rows of an m x n matrix: a subspace of R^n."""
    _kids = ("x",)

    def __init__(self, x):
        self.x = x

    def text(self, rn=None):
        return f"rowspan({self.x.text(rn)})"

    def infer(self, ctx, expected=None):
        m = _matrix(ctx, self, self.x.infer(ctx), "a row span")
        return Space(m.cols) if m is not None else Unknown()


class ColSpan(Node):
    """The span of the columns of an m x n matrix: a subspace of R^m."""
    _kids = ("x",)

    def __init__(self, x):
        self.x = x

    def text(self, rn=None):
        return f"colspan({self.x.text(rn)})"

    def infer(self, ctx, expected=None):
        m = _matrix(ctx, self, self.x.infer(ctx), "a column span")
        return Space(m.rows) if m is not None else Unknown()


def _space(ctx, node, t) -> Optional[Space]:
    if isinstance(t, Space):
        return t
    if not isinstance(t, Unknown):
        ctx.problem("shape", node, f"needs a subspace, got {show(t)}")
    return None


class Perp(Node):
    """The orthogonal complement of a subspace of R^n."""
    _kids = ("w",)

    def __init__(self, w):
        self.w = w

    def text(self, rn=None):
        return f"{_par(self.w, rn)}⊥"

    def infer(self, ctx, expected=None):
        s = _space(ctx, self, self.w.infer(ctx))
        return s if s is not None else Unknown()


class Proj(Node):
    """``P_W``: the orthogonal projection onto a subspace W of R^n, an n x n matrix."""
    _kids = ("w",)

    def __init__(self, w):
        self.w = w

    def text(self, rn=None):
        return f"P_{{{self.w.text(rn)}}}"

    def infer(self, ctx, expected=None):
        s = _space(ctx, self, self.w.infer(ctx))
        return Mat(s.n, s.n) if s is not None else Unknown()


class DimOf(Node):
    """``dim(W)``: a number."""
    _kids = ("w",)

    def __init__(self, w):
        self.w = w

    def text(self, rn=None):
        return f"dim({self.w.text(rn)})"

    def infer(self, ctx, expected=None):
        _space(ctx, self, self.w.infer(ctx))
        return SCALAR


class Sigma(Node):
    """``σ_k(X)``: the k-th largest singular value, ``1 <= k <= rows(X)`` (zero beyond the rank)."""
    _kids = ("k", "x")

    def __init__(self, k, x):
        self.k, self.x = _ix(k), x

    def text(self, rn=None):
        return f"σ_{self.k.text(rn)}({self.x.text(rn)})"

    def infer(self, ctx, expected=None):
        m = _matrix(ctx, self, self.x.infer(ctx), "a singular value")
        if m is not None:
            ctx.use_index(self.k, m.rows, self, f"singular values of {self.x.text()}:")
        return SCALAR


class BasisOf(Node):
    """``vectors ... form a basis of W``: the (row or column) vector must live in W's ambient space."""
    _kids = ("v", "w")

    def __init__(self, v, w):
        self.v, self.w = v, w

    def text(self, rn=None):
        return f"{self.v.text(rn)} ∈ basis of {self.w.text(rn)}"

    def infer(self, ctx, expected=None):
        tv = self.v.infer(ctx)
        s = _space(ctx, self, self.w.infer(ctx))
        m = _matrix(ctx, self, tv, "a basis vector")
        if m is not None and s is not None:
            length = m.cols if m.rows == 1 else m.rows
            ctx.agree([(length, s.n)], self, f"{self.v.text()} (a vector of R^{length}) in a basis of a subspace of "
                                              f"R^{s.n}")
        return Prop()


# ---------------------------------------------------------------------------------------------
# analysis


def _free_indices(node: Node, bound: frozenset = frozenset()) -> set:
    out = set()
    if isinstance(node, Idx):
        return set() if node.name in bound else {node.name}
    name = node.binds()
    inner = bound | {name} if name else bound
    for k in node.kids():
        if isinstance(node, _Binding) and k is node.index:
            continue
        out |= _free_indices(k, inner)
    return out


def analyse(expr: Union[Node, Sequence[Node]], notation: Optional[Notation] = None,
            indices: Optional[Mapping[str, object]] = None, assumptions: Sequence[tuple] = ()) -> Analysis:
    """Type ``expr`` (a node, or several formulas of one display) under ``notation``.

    ``indices`` gives the range ``1..n`` of the formula's free indices (``{"i": d}`` for "row i
    of A"); a free index without a range must be used with one range throughout.
    ``assumptions`` are :func:`at_least` pairs.
    """
    exprs = list(expr) if isinstance(expr, (list, tuple)) else [expr]
    for e in exprs:
        if not isinstance(e, Node):
            raise VerifyError("expr", e, "is not a formula node")
    facts = _Facts(assumptions)
    ctx = _Ctx(notation, facts, indices or {}, set())
    types = []
    for e in exprs:  # each formula has its own free indices
        ctx.free_names = _free_indices(e)
        types.append(e.infer(ctx))
    for name, uses in ctx.free_uses.items():
        if name in ctx.indices:
            n0 = sp.sympify(ctx.indices[name])
            ctx.check_range(name, sp.Integer(1), n0, uses, Idx(name))
        else:
            ctx.check_agreeing_uses(name, uses, Idx(name))
    return Analysis(tuple(ctx.problems), tuple(ctx.notes), types[0] if len(types) == 1 else Tup(tuple(types)))


def typecheck(expr, notation: Optional[Notation] = None, indices=None, assumptions=()) -> list:
    """The problems of ``expr`` (empty: well formed).  See :func:`analyse`."""
    return list(analyse(expr, notation, indices, assumptions).problems)


def _paths(node: Node, path=()) -> Iterator[tuple]:
    yield path, node
    for k, kid in enumerate(node.kids()):
        yield from _paths(kid, path + (k,))


def _replace(node: Node, path: tuple, new: Node) -> Node:
    if not path:
        return new
    kids = list(node.kids())
    kids[path[0]] = _replace(kids[path[0]], path[1:], new)
    return node.with_kids(kids)


def transpose_mutants(expr: Node, notation: Notation, assumptions=()) -> Iterator[tuple]:
    """Each ``(description, mutant)`` that transposes one occurrence of a declared non-square matrix
    symbol: every such mutant of a well-formed formula must be rejected by :func:`typecheck`."""
    facts = _Facts(assumptions)
    seen: dict = {}
    for path, node in _paths(expr):
        if isinstance(node, Sym):
            t = node.type or notation.symbols.get(node.name)
            if isinstance(t, Mat) and t.sized and facts.equal(t.rows, t.cols) is not True:
                seen[node.name] = seen.get(node.name, 0) + 1
                yield (f"occurrence {seen[node.name]} of {node.name} transposed ({node.name}ᵀ)",
                       _replace(expr, path, T(node)))
