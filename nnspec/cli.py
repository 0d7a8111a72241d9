"""The ``nnspec`` command line: ``derive``, ``chain`` and ``check``.

* ``nnspec derive "tanh(w*x + b)" --wrt w,b [--latex]`` prints one simplified partial
  derivative per name (`derive`);
* ``nnspec chain "sin(x**2)" --wrt x [--latex]`` prints the chain-rule steps
  (`chain_rule`);
* ``nnspec check [--sizes 2,4,4,1] [--activation tanh] [--loss mse] ...`` builds a seeded MLP
  and batch and prints, per parameter, the worst relative error between backpropagation and
  three references: SymPy layer-wise, SymPy whole expression, central differences.

Exit status: 0 on success, 1 when ``check`` finds a mismatch, 2 on any error, which is one
line on stderr (``nnspec: error: ...``).
"""

from __future__ import annotations

import argparse
import sys

import sympy as sp

from ._check_command import run_check
from .errors import ArgumentError
from .expressions import DEFAULT_TIMEOUT, chain_rule, derive, parse

__all__ = ["build_parser", "main"]


_DERIVE_EXAMPLES = """examples:
  nnspec derive "tanh(w*x + b)" --wrt w
  nnspec derive "sigmoid(w*x + b)" --wrt w,b --latex
  nnspec derive "0.5*(y - relu(w*x))**2" --wrt w
"""
_CHAIN_EXAMPLES = """examples:
  nnspec chain "sin(x**2)" --wrt x
  nnspec chain "sigmoid(tanh(3*x))" --wrt x --latex
  nnspec chain "x*sin(x)" --wrt x          (two paths: the product rule)
"""
_CHECK_EXAMPLES = """examples:
  nnspec check
  nnspec check --sizes 3,8,2 --activation relu --loss cce
  nnspec check --sizes 2,4,1 --loss bce --from-logits --seed 1 --batch 8

The output activation defaults to sigmoid for bce, softmax for cce, and identity for mse
or with --from-logits. Exit status 1 means some reference disagrees with backprop.
"""
_MAIN_EXAMPLES = """examples:
  nnspec derive "tanh(w*x + b)" --wrt w,b
  nnspec chain "sin(x**2)" --wrt x --latex
  nnspec check --sizes 2,4,4,1 --activation tanh --loss mse

Each command has its own --help with more examples.
"""


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {_one_line(message)}\n")


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated names, got {text!r}")
    return names


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected at least two positive integers such as 2,4,4,1, got {text!r}"
        )
    return sizes


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _run_derive(args) -> int:
    results = derive(args.expression, args.wrt, timeout=args.timeout)
    expression = parse(args.expression, timeout=args.timeout)
    d = r"\partial" if len(expression.free_symbols) > 1 else "d"
    for name, derivative in results.items():
        if args.latex:
            function = sp.latex(expression)
            print(rf"\frac{{{d}}}{{{d} {name}}}\left[{function}\right] = {sp.latex(derivative)}")
        else:
            print(f"d/d{name} = {derivative}")
    return 0


def _run_chain(args) -> int:
    if len(args.wrt) != 1:
        raise ArgumentError(f"chain takes one variable, got {len(args.wrt)}: {', '.join(args.wrt)}")
    steps = chain_rule(args.expression, args.wrt[0], timeout=args.timeout)
    print(steps.latex() if args.latex else steps)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``nnspec`` and its three commands."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="nnspec",
        description="Derivatives, chain-rule steps and gradient checks from nnspec.",
        epilog=_MAIN_EXAMPLES,
        formatter_class=formatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{derive,chain,check}")
    for name, run, examples, summary in [
        ("derive", _run_derive, _DERIVE_EXAMPLES, "simplified partial derivatives of an expression"),
        ("chain", _run_chain, _CHAIN_EXAMPLES, "chain-rule steps of a derivative"),
    ]:
        command = commands.add_parser(
            name, help=summary, description=summary, epilog=examples, formatter_class=formatter
        )
        command.add_argument(
            "expression",
            help='e.g. "tanh(w*x + b)"; functions: sin cos tan exp log sqrt abs '
            "tanh sigmoid relu softplus gelu elu leaky_relu erf max min",
        )
        command.add_argument(
            "--wrt",
            required=True,
            type=_names,
            help="variable names, comma-separated" if name == "derive" else "the variable",
        )
        command.add_argument("--latex", action="store_true", help="print LaTeX instead of plain text")
        command.add_argument(
            "--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds allowed (default 5)"
        )
        command.set_defaults(run=run)
    summary = "compare backprop with SymPy and finite differences on a seeded MLP"
    check = commands.add_parser(
        "check", help=summary, description=summary, epilog=_CHECK_EXAMPLES, formatter_class=formatter
    )
    check.add_argument("--sizes", type=_sizes, default=(2, 4, 4, 1), help="layer widths (default 2,4,4,1)")
    check.add_argument("--activation", default="tanh", help="hidden activation (default tanh)")
    check.add_argument("--loss", default="mse", help="mse, bce or cce (default mse)")
    check.add_argument("--output", default=None, help="output activation (default: by loss, see below)")
    check.add_argument("--from-logits", action="store_true", help="read the output as logits (bce, cce)")
    check.add_argument("--seed", type=int, default=0, help="seed of the weights and the batch (default 0)")
    check.add_argument("--batch", type=_positive_int, default=4, help="rows in the random batch (default 4)")
    check.set_defaults(run=run_check)
    return parser


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status.

    Examples
    --------
    >>> main(["derive", "w*x**2", "--wrt", "x,w"])
    d/dx = 2*w*x
    d/dw = x**2
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (status 0) or a usage error, already printed
        return stop.code if isinstance(stop.code, int) else 2
    try:
        return args.run(args)
    except ArgumentError as error:
        print(f"nnspec: error: {_one_line(error)}", file=sys.stderr)
        return 2
