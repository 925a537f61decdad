"""CPU cost of the symbolic statements (issue 17): Lemmas 3, 4, 5, 7 and 8.  Run:

    python benchmarks/symbolic.py                  # the five statements, each in a fresh process
    python benchmarks/symbolic.py lemma4           # one of them
    python benchmarks/symbolic.py --parts          # also the derivation engine's parts inside each

Each statement runs in its own Python process (cold SymPy caches, as a report worker), and the line
gives its verdict, CPU (process_time) and wall seconds.  With --parts the engine's pieces are timed
by wrapping them: SymPy's decision of an equality (_sympy_zero), the choice of the random function
maps (_instantiate_pair) and the evaluation of both sides at the random points (_evaluate: the direct
mpmath evaluation of verify.symbolic._indexed.direct_value, SymPy's substitution and evalf only where
it declines); they overlap with nothing else but do not cover the statement's non-derivation checks
(Hypothesis properties, Monte Carlo, NumPy agreement checks).  The machine is shared: repeat and
compare CPU, not wall.

Measured on the shared 2-core machine (load 3-7), CPU seconds, before (commit 9b7fda4) -> after:
lemma3 5.1 -> 1.7-4.5, lemma4 24.6 -> 11-13, lemma5 5.8 -> 2.6-3.2, lemma7 16.7 -> 2.3-3.3,
lemma8 9.1 -> 4.3-5.0; the five 61 -> 24-27.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

STATEMENTS = ("lemma3", "lemma4", "lemma5", "lemma7", "lemma8")
PARTS = ("_sympy_zero", "_instantiate_pair", "_evaluate")


def _one(statement: str, parts: bool) -> dict:
    import verify.derivation as derivation
    from verify import registry

    registry.main.load()
    spent: dict = {}
    if parts:
        for name in PARTS:
            original = getattr(derivation, name)

            def timed(*args, _f=original, _n=name, **kwargs):
                c = time.process_time()
                try:
                    return _f(*args, **kwargs)
                finally:
                    spent[_n] = spent.get(_n, 0.0) + time.process_time() - c

            setattr(derivation, name, timed)
    c, w = time.process_time(), time.perf_counter()
    result = registry.main.check(statement)
    verdict = result.verdict.value if hasattr(result.verdict, "value") else str(result.verdict)
    return {"statement": statement, "verdict": verdict, "cpu_s": round(time.process_time() - c, 2),
            "wall_s": round(time.perf_counter() - w, 2),
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
        print(f"{row['statement']:8s} {row['verdict']:18s} cpu {row['cpu_s']:6.1f} s  wall {row['wall_s']:6.1f} s{parts}",
              flush=True)
    print(f"{'total':8s} {'':18s} cpu {total:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
