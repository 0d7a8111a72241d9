"""The ``nnspec`` command line: ``derive``, ``chain`` and ``check``.

* ``nnspec derive "tanh(w*x + b)" --wrt w,b [--at w=1,x=2,b=0] [--simplify auto|full|none]
  [--latex]`` prints one partial derivative per name, and with ``--at`` the expression's and
  each derivative's value at that point (`derivation`);
* ``nnspec chain "sin(x**2)" --wrt x [--at x=2] [--latex]`` prints the chain-rule steps
  (`chain_rule`), with each step's value at the point;
* ``nnspec check [--sizes 2,4,4,1] [--activation tanh] [--loss mse] ...`` builds a seeded MLP
  and batch and prints, per parameter, the worst relative error between backpropagation and
  three references: SymPy layer-wise, SymPy whole expression, central differences.

Exit status: 0 on success, 1 when ``check`` finds a mismatch, 2 on any error, which is one
line on stderr (``nnspec: error: ...``), time-outs included; output cut short by a closed pipe
(``nnspec chain ... | head -c 10``) ends quietly. ``nnspec --version`` prints the installed
version. The command line owns its process: ``--timeout`` is a ``SIGALRM`` timer in its main
thread (`nnspec.cli.time_limit`), not a worker process.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import ArgumentError, ExpressionTimeout
from ..expressions.time_limit import INTERACTIVE_TIMEOUT, quote

__all__ = ["build_parser", "main"]


_DERIVE_EXAMPLES = """examples:
  nnspec derive "tanh(w*x + b)" --wrt w
  nnspec derive "sigmoid(w*x + b)" --wrt w,b --latex
  nnspec derive "0.5*(y - relu(w*x))**2" --wrt w
  nnspec derive "a**2*b + relu(a - b)" --wrt a,b --at a=-4,b=2
  nnspec derive "tanh(tanh(tanh(x)))" --wrt x --simplify none

--simplify auto (default) returns a cheap normal form (common factors pulled out, a small
fraction cancelled), decided by the expression, so the output is the same on every machine;
full runs sympy.simplify (within --timeout); none gives the raw derivative. Every
formula printed reads back as an expression. With --at, every variable needs a value: each
value is correctly rounded to float64 (printed as the shortest decimal that reads back as
that float) or refused. At a kink: relu'(0) = 0, abs'(0) = 0, and max/min split 1/2, 1/2
at a tie.
"""
_CHAIN_EXAMPLES = """examples:
  nnspec chain "sin(x**2)" --wrt x
  nnspec chain "sigmoid(tanh(3*x))" --wrt x --latex
  nnspec chain "x*sin(x)" --wrt x          (two paths: the product rule)
  nnspec chain "sin(x**2)" --wrt x --at x=2
"""
_CHECK_EXAMPLES = """examples:
  nnspec check
  nnspec check --sizes 3,8,2 --activation relu --loss cce
  nnspec check --sizes 2,4,1 --loss bce --from-logits --seed 1 --batch 8

The output activation defaults to sigmoid for bce, softmax for cce, and identity for mse
or with --from-logits. Exit status 1 means some reference disagrees with backprop.
With relu or leaky_relu, batch rows (or biases) whose pre-activations lie within 1e-3 of the
kink are moved off it first, and the output says so: central differences cannot measure a
derivative across a kink. Requests too large to finish in reasonable time are refused at
once; --timeout (default 60 s) stops the rest.
"""
_MAIN_EXAMPLES = """examples:
  nnspec derive "tanh(w*x + b)" --wrt w,b
  nnspec chain "sin(x**2)" --wrt x --latex
  nnspec check --sizes 2,4,4,1 --activation tanh --loss mse

Each command has its own --help with more examples.
"""


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _command_line(message: str) -> str:
    """A library message in the command line's words: ``at:`` is ``--at:``, ``wrt:`` is ``--wrt:``."""
    for name in ("at", "wrt"):
        if message.startswith(f"{name}: "):
            return f"--{message}"
    return message


def _silence_stdout() -> None:
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (an in-memory stdout)
        pass


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


def _limited(function, args, kwargs: dict, timeout, what: str):
    from functools import partial

    from .time_limit import run_with_time_limit

    return run_with_time_limit(partial(function, *args, **kwargs), (), timeout, what)


def _run_derive(args) -> int:
    import sympy as sp

    from ..expressions import derivation, latex
    from ..expressions.point import number_text

    kwargs = {"at": args.at, "simplify": args.simplify}
    what = f"the derivative of {quote(args.expression)}"
    result = _limited(derivation, (args.expression, args.wrt), kwargs, args.timeout, what)
    if not args.latex:
        print(result)
    else:
        expression = result.expression
        d = r"\partial" if len(expression.free_symbols) > 1 else "d"
        where = ""
        if result.point is not None:
            where = r",\ ".join(f"{latex(sp.Symbol(n))} = {latex(v)}" for n, v in result.point.items())
            print(rf"\left.{latex(expression)}\right|_{{{where}}} = {number_text(result.value)}")
        for name, derivative in result.partials.items():
            line = rf"\frac{{{d}}}{{{d} {name}}}\left[{latex(expression)}\right] = {latex(derivative)}"
            if result.point is not None:
                line += rf" \Big|_{{{where}}} = {number_text(result.partial_values[name])}"
            print(line)
    return 0


def _run_chain(args) -> int:
    from ..expressions import chain_rule

    if len(args.wrt) != 1:
        raise ArgumentError(f"--wrt: chain takes one variable, got {len(args.wrt)}: {', '.join(args.wrt)}")
    kwargs = {"at": args.at, "simplify": args.simplify}
    what = f"the chain rule for {quote(args.expression)}"
    steps = _limited(chain_rule, (args.expression, args.wrt[0]), kwargs, args.timeout, what)
    print(steps.latex() if args.latex else steps)
    return 0


def _run_check(args) -> int:
    from .check import run_check

    return run_check(args)


def _timeout(text: str):
    if text.strip().lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds or none, got {text!r}") from None
    from ..expressions.time_limit import check_timeout

    try:
        return check_timeout(value, "--timeout", "none")
    except ArgumentError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _version() -> str:
    import nnspec

    return nnspec.__version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``nnspec`` and its three commands."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="nnspec",
        description="Derivatives, chain-rule steps and gradient checks from nnspec.",
        epilog=_MAIN_EXAMPLES,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"nnspec {_version()}")
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
            help='e.g. "tanh(w*x + b)"; functions: sin cos tan exp log sqrt abs sign step '
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
            "--at", default=None, help="a point, e.g. a=-4,b=2: print the values there (every variable)"
        )
        command.add_argument(
            "--simplify",
            default="auto",
            choices=["auto", "full", "none"],
            help="auto (default): a cheap normal form, the same on every machine; full: sympy.simplify; none",
        )
        command.add_argument(
            "--timeout",
            type=_timeout,
            default=INTERACTIVE_TIMEOUT,
            help=f"seconds allowed, at most 86400, or none (default {INTERACTIVE_TIMEOUT:g})",
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
    check.add_argument(
        "--timeout", type=_timeout, default=60.0, help="seconds allowed, at most 86400, or none (default 60)"
    )
    check.set_defaults(run=_run_check)
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
        status = args.run(args)
        sys.stdout.flush()  # here, so that a closed pipe is caught below and not at exit
        return status
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as cat does
        _silence_stdout()
        return 0
    except (ArgumentError, ExpressionTimeout) as error:
        print(f"nnspec: error: {_command_line(_one_line(error))}", file=sys.stderr)
        return 2
    except RecursionError:
        print("nnspec: error: the computation exceeded Python's recursion limit", file=sys.stderr)
        return 2
    except MemoryError:
        print("nnspec: error: the computation ran out of memory", file=sys.stderr)
        return 2
    except Exception as error:  # a bug in nnspec or SymPy: still one line, and the way to report it
        print(
            f"nnspec: error: internal error {type(error).__name__}: {_one_line(error)} (please report it)",
            file=sys.stderr,
        )
        return 2
