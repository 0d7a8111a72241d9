"""The derive corpus: expressions a reader of the pages writes, and their derivation cost.

Each entry is ``(family, text, wrt)``. The families are deep nestings, long sums, products of
activations, rational expressions, network-sized expressions (a 2-2-1 and a 2-3-1 network
written out, as on the pages) and a 30-line scalar expression of two variables of the kind a
reader writes to check a hand-worked backprop example.

``python bench/derive_corpus.py`` derives every entry in ``--processes`` fresh processes
(SymPy caches results, so a second derivation in one process would be free), each entry under
``--cap`` seconds, and prints per family and overall the median, 95th percentile and worst of
the per-entry medians over processes, with the result size (``sympy.count_ops`` and printed
length). ``--simplify none|auto|full`` picks the level (older versions without the argument:
``--simplify legacy``). Each call passes ``timeout=cap``, so since issue 20 it runs in nnspec's
warm worker process (started before the timing) and the times include the round trip through
its pipe. The tests derive every entry without a limit (``tests/test_expressions.py``) and
check that "auto" agrees with the raw derivative; how long it takes is measured here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _nest(function: str, depth: int, inner: str = "x", around: str = "{}") -> str:
    text = inner
    for _ in range(depth):
        text = f"{function}({around.format(text)})"
    return text


#: A hand-worked backprop check: two inputs, two ReLU units, a quadratic loss, a penalty and a
#: ratio, written over 30 lines (joined into one line for the parser).
THIRTY_LINES = [
    "0.5*(",
    "  1.5*relu(0.5*a - 0.25*b + 0.1)",
    "  - 0.75*relu(-0.3*a + 0.8*b - 0.2)",
    "  + 0.05",
    "  - 1",
    ")**2",
    "+ 0.01*(",
    "  a**2",
    "  + b**2",
    ")",
    "+ (a*b + 2*a - 3*b)",
    "  / (1 + a**2 + b**2)",
    "+ 0.2*(a - b)**3",
    "- 0.1*a*b**2",
    "+ (2*a + 1)",
    "  *(b - 1)",
    "  *(a + b)",
    "+ 0.3*(",
    "  a",
    "  - 2*b",
    "  + 1",
    ")**2",
    "* 0.5",
    "- 0.25*a",
    "+ 0.125*b",
    "+ (a + 1)**2",
    "  *(b + 2)**2",
    "  / 4",
    "- a/8",
    "+ 1",
]
THIRTY_LINE_TEXT = " ".join(line.strip() for line in THIRTY_LINES)

_H = ["tanh(0.5*a - 0.4*b + 0.1)", "tanh(-0.3*a + 0.9*b - 0.2)", "tanh(0.7*a + 0.2*b)"]
_NET_221 = f"0.5*(sigmoid(1.2*{_H[0]} - 0.8*{_H[1]} + 0.3) - y)**2"
_NET_231 = f"0.5*(1.1*{_H[0]} - 0.6*{_H[1]} + 0.4*{_H[2]} + 0.05 - y)**2"
_NET_RELU = "0.5*(w3*relu(w1*a + w2*b + c1) - w4*relu(w2*a - w1*b + c2) + c3 - y)**2"  # weights as names

CORPUS: list[tuple[str, str, list[str]]] = [
    # deep nestings
    ("nesting", _nest("tan", 10), ["x"]),
    ("nesting", _nest("relu", 8), ["x"]),
    ("nesting", _nest("relu", 8, around="{} - 1"), ["x"]),
    ("nesting", _nest("sigmoid", 6, inner="w*x + b"), ["w", "b"]),
    ("nesting", _nest("tanh", 8, inner="w*x"), ["w"]),
    ("nesting", _nest("sin", 6, inner="x**2"), ["x"]),
    ("nesting", _nest("exp", 4, inner="-x**2"), ["x"]),
    ("nesting", _nest("log", 4, inner="1 + x**2", around="1 + {}"), ["x"]),
    ("nesting", _nest("softplus", 5, inner="x*y"), ["x", "y"]),
    ("nesting", _nest("gelu", 3), ["x"]),
    # long sums
    ("sum", " + ".join(f"w{i}*x{i}" for i in range(40)), ["w0", "x39"]),
    ("sum", " + ".join(f"{i + 1}*sigmoid({i}*x - w)" for i in range(20)), ["x", "w"]),
    ("sum", " + ".join(f"(x - {i})**2" for i in range(30)), ["x"]),
    ("sum", " + ".join(f"tanh(x + {i}*y)" for i in range(20)), ["x", "y"]),
    ("sum", " + ".join(f"relu(x - {i})" for i in range(25)), ["x"]),
    ("sum", " + ".join(f"x**{i}/{i + 1}" for i in range(1, 25)), ["x"]),
    # products of activations
    ("product", "sigmoid(x)*tanh(y)*relu(x*y)*softplus(x - y)", ["x", "y"]),
    ("product", "relu(x)*relu(y)*relu(x + y)*relu(x - y)", ["x", "y"]),
    ("product", "sigmoid(w*x + b)**3*(1 - sigmoid(w*x + b))**2", ["w", "b"]),
    ("product", "gelu(x)*elu(y)*leaky_relu(x - y)", ["x", "y"]),
    ("product", "*".join(f"sigmoid(x + {i})" for i in range(8)), ["x"]),
    ("product", "tanh(x)**5*sin(x)**3*exp(-x**2)", ["x"]),
    # rational expressions
    ("rational", "(x**2 + 1)/(x - y)**3 + (y**3 - x)/(x**2 + y**2 + 1)", ["x", "y"]),
    ("rational", "1/(1 + 1/(1 + 1/(1 + 1/(1 + 1/(1 + x)))))", ["x"]),
    ("rational", "(x**5 - 3*x**3 + x)/(x**4 + 2*x**2 + 1)**2", ["x"]),
    ("rational", "((x + 1)**10*(y - 2)**8)/(x**2 + y**2 + 1)**3", ["x", "y"]),
    ("rational", "(a*x + b)/(c*x + d) - (a*d - b*c)/(c*x + d)**2", ["x", "a", "c"]),
    ("rational", "((x+1)**40*(y-2)**30 + sin(x*y)**7)/(exp(x) + tanh(y))**5", ["x", "y"]),
    # network-sized
    ("network", _NET_221, ["a", "b"]),
    ("network", _NET_231, ["a", "b", "y"]),
    ("network", _NET_RELU, ["w1", "w2", "c1"]),
    (
        "network",
        "-(y*log(sigmoid(w1*tanh(v1*a + v2*b) + w2*tanh(v3*a + v4*b) + c))"
        " + (1 - y)*log(1 - sigmoid(w1*tanh(v1*a + v2*b) + w2*tanh(v3*a + v4*b) + c)))",
        ["v1", "w1", "c"],
    ),
    ("network", "log(exp(a) + exp(b) + exp(c)) - a", ["a", "b", "c"]),
    # the 30-line expression
    ("thirty-line", THIRTY_LINE_TEXT, ["a", "b"]),
]


def _size(result) -> tuple[int, int]:
    import sympy as sp

    return int(sp.count_ops(result)), len(str(result))


def child(simplify: str, cap: float) -> list[dict]:
    """Derive every entry once in this process; one record per entry."""
    import nnspec as ns
    from nnspec.errors import ExpressionError, ExpressionTimeout

    if simplify != "legacy":
        ns.derive("x", "x", timeout=cap)  # start the warm worker that runs limited calls, untimed
    records = []
    for family, text, wrt in CORPUS:
        kwargs = {} if simplify == "legacy" else {"simplify": simplify}
        started = time.perf_counter()
        levels = None
        try:
            if simplify == "legacy":
                result = ns.derive(text, wrt, timeout=cap)
            else:
                derivation = ns.derivation(text, wrt, timeout=cap, **kwargs)
                result, levels = derivation.partials, sorted(set(derivation.simplify_level.values()))
            status = "ok"
        except (ExpressionError, ExpressionTimeout) as error:
            result, status = None, "timeout" if "timed out" in str(error) else f"error: {error}"
        seconds = time.perf_counter() - started
        ops = chars = None
        if result is not None:
            sizes = [_size(value) for value in result.values()]
            ops, chars = sum(s[0] for s in sizes), sum(s[1] for s in sizes)
        records.append(
            {
                "family": family,
                "seconds": seconds,
                "status": status,
                "ops": ops,
                "chars": chars,
                "levels": levels,
            }
        )
    return records


def _quantiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return statistics.median(ordered), p95, ordered[-1]


def summarize(runs: list[list[dict]]) -> tuple[list[dict], str]:
    """Per-entry medians over processes, then per-family and overall distributions."""
    entries = []
    for index, (family, text, wrt) in enumerate(CORPUS):
        seen = [run[index] for run in runs]
        times = [record["seconds"] for record in seen]
        entries.append(
            {
                "family": family,
                "text": text if len(text) <= 70 else text[:67] + "...",
                "wrt": wrt,
                "seconds_median": statistics.median(times),
                "seconds_spread": max(times) - min(times),
                "statuses": sorted({record["status"] for record in seen}),
                "ops": seen[0]["ops"],
                "chars": seen[0]["chars"],
                "levels": [record.get("levels") for record in seen],
            }
        )
    lines = [
        f"{'family':<12} {'n':>3} {'median s':>9} {'p95 s':>8} {'worst s':>8} {'capped':>6} {'ops median':>10} {'ops worst':>9}"
    ]
    families = [*dict.fromkeys(entry["family"] for entry in entries), "all"]
    for family in families:
        chosen = [e for e in entries if family in ("all", e["family"])]
        median, p95, worst = _quantiles([e["seconds_median"] for e in chosen])
        capped = sum(e["statuses"] != ["ok"] for e in chosen)
        ops = [e["ops"] for e in chosen if e["ops"] is not None]
        ops_median = f"{statistics.median(ops):.0f}" if ops else "-"
        ops_worst = f"{max(ops)}" if ops else "-"
        lines.append(
            f"{family:<12} {len(chosen):>3} {median:>9.3f} {p95:>8.3f} {worst:>8.3f} {capped:>6} {ops_median:>10} {ops_worst:>9}"
        )
    full = sum(all(levels == ["full"] for levels in e["levels"]) for e in entries)
    if any(levels for e in entries for levels in e["levels"]):
        lines.append(
            f"fully simplified (sympy.simplify finished within the budget) in every process: {full} of {len(entries)}"
        )
    return entries, "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simplify", default="auto", choices=["none", "auto", "full", "legacy"])
    parser.add_argument("--cap", type=float, default=5.0, help="seconds allowed per entry (default 5)")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--label", default=None, help="name of the results file (default derive_<simplify>)")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.simplify, args.cap)))
        return
    sys.path.insert(0, str(HERE))
    from _common import in_processes, save

    runs = in_processes(__file__, ["--simplify", args.simplify, "--cap", str(args.cap)], args.processes)
    entries, report = summarize(runs)
    header = (
        f"derive corpus, simplify={args.simplify}, cap {args.cap:g} s per entry, "
        f"median of {args.processes} fresh process(es) per entry; a capped entry counts at its cap"
    )
    print(header)
    print(report)
    label = args.label or f"derive_{args.simplify}"
    save(
        label,
        {"simplify": args.simplify, "cap_s": args.cap, "processes": args.processes, "entries": entries},
        header + "\n" + report,
    )


if __name__ == "__main__":
    main()
