"""CPU cost of single statements, each in a fresh Python process (issue 17).  Run:

    python benchmarks/statements.py                    # the inequality and the symbolic statements
    python benchmarks/statements.py lemma1 theorem3    # some of them
    python benchmarks/statements.py --parts            # also the derivation engine's parts inside each

Each statement runs in its own Python process (as a report worker would: cold SymPy caches, no flow
runs shared with another statement), and the line gives its verdict, CPU (process_time) and wall
seconds.  With --parts the engine's pieces are timed by wrapping them: SymPy's decision of an
equality (_sympy_zero) and its sign test (_sympy_sign), the choice of the random function maps
(_instantiate_pair), the evaluation of both sides at the random points and exact re-evaluations
(_evaluate), the adversarial search (_adversarial, its exact confirmations included), the interval
enclosure (_enclose) and Gaussian quadrature (quadrature_value).  They overlap (a search's
confirmations are _evaluate calls), so they do not add up to the total, and they do not cover a
statement's non-derivation checks (Hypothesis properties, Monte Carlo, flows).  Compare CPU, not
wall, on a shared machine.

Measured on the shared 2-core machine, CPU seconds, before (commit 9b7fda4) -> after this session:
Lemma 1 ~47 -> 7.7-8.0, Theorem 3 ~16 -> 4.4-6.8, Theorem 4 22.4 -> 2.0-2.1; Lemma 3 5.1 -> 1.7-4.5,
Lemma 4 24.6 -> 11-13, Lemma 5 5.8 -> 2.6-3.2, Lemma 7 16.7 -> 2.3-3.3, Lemma 8 9.1 -> 4.3-5.0.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

#: The statements timed by default: those decided by inequalities, then the symbolic ones.
STATEMENTS = ("lemma1", "theorem3", "theorem4", "lemma3", "lemma4", "lemma5", "lemma7", "lemma8")
PARTS = {"verify.derivation": ("_evaluate", "_sympy_sign", "_sympy_zero", "_adversarial", "_enclose",
                               "_instantiate_pair"),
         "verify.symbolic._expectation": ("quadrature_value",)}


def _one(statement: str, parts: bool) -> dict:
    import importlib

    from verify import registry

    registry.main.load()
    spent: dict = {}
    if parts:
        for module_name, names in PARTS.items():
            module = importlib.import_module(module_name)
            for name in names:
                original = getattr(module, name)

                def timed(*args, _f=original, _n=name, **kwargs):
                    c = time.process_time()
                    try:
                        return _f(*args, **kwargs)
                    finally:
                        spent[_n] = spent.get(_n, 0.0) + time.process_time() - c

                setattr(module, name, timed)
        import verify.derivation as derivation  # it imported quadrature_value by name
        derivation.quadrature_value = importlib.import_module("verify.symbolic._expectation").quadrature_value
    c, w = time.process_time(), time.perf_counter()
    result = registry.main.check(statement)
    return {"statement": statement, "verdict": result.verdict.value,
            "cpu_s": round(time.process_time() - c, 2), "wall_s": round(time.perf_counter() - w, 2),
            "parts_cpu_s": {k: round(v, 2) for k, v in sorted(spent.items(), key=lambda kv: -kv[1])}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("statements", nargs="*", default=list(STATEMENTS))
    ap.add_argument("--parts", action="store_true", help="time the engine's parts inside each statement")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_one(args.statements[0], args.parts)))
        return 0
    total = 0.0
    for s in args.statements:
        cmd = [sys.executable, __file__, s, "--child"] + (["--parts"] if args.parts else [])
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        row = json.loads(out)
        total += row["cpu_s"]
        parts = "  " + ", ".join(f"{k} {v}" for k, v in row["parts_cpu_s"].items()) if row["parts_cpu_s"] else ""
        print(f"{row['statement']:10s} {row['verdict']:22s} cpu {row['cpu_s']:6.1f} s  wall {row['wall_s']:6.1f} s{parts}",
              flush=True)
    print(f"{'total':10s} {'':22s} cpu {total:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
