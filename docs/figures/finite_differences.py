"""Figure of the finite-differences page: error against step for three numerical derivatives."""

import numpy as np
import sympy as sp
from _kit import figure, plt

import nnspec as ns

BLUE, VERMILLION, GREEN, GREY = "#0072B2", "#D55E00", "#009E73", "#555555"
POINTS = np.linspace(0.2, 1.5, 8)  # the page's points; f(x) = exp(sin 3x) / (1 + x^2)


def f(x):
    return np.sum(np.exp(np.sin(3 * x)) / (1 + x**2))


def exact_derivative():
    """f' at POINTS from SymPy, evaluated with 30 significant digits, rounded to float64."""
    t = sp.Symbol("t", real=True)
    derivative = sp.diff(sp.exp(sp.sin(3 * t)) / (1 + t**2), t)
    return np.array([float(derivative.evalf(30, subs={t: sp.Float(p, 30)})) for p in POINTS])


def worst(method, steps, exact):
    """Largest relative error over POINTS of ``ns.numerical_gradient`` for each step."""
    return np.array(
        [np.max(ns.relative_error(ns.numerical_gradient(f, POINTS, method, h), exact)) for h in steps]
    )


@figure("finite-differences-error.svg")
def error_against_step():
    exact = exact_derivative()
    eps = np.finfo(np.float64).eps
    steps = np.logspace(0, -13, 53)
    central, richardson = worst("central", steps, exact), worst("richardson", steps, exact)
    complex_step = worst("complex", np.logspace(0, -20, 41), exact)
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    ax.loglog(steps, central, "o-", color=BLUE, markersize=3.5, label="central differences")
    ax.loglog(steps, richardson, "^-", color=VERMILLION, markersize=3.5, label="Richardson")
    shown = np.maximum(complex_step, eps / 4)  # an exact match (error 0) is drawn at eps/4
    ax.loglog(
        np.logspace(0, -20, 41), shown, "s--", color=GREEN, markersize=3.5, mfc="none", label="complex step"
    )
    # The two halves of the V for central differences: truncation ~ h^2, round-off ~ eps / h.
    anchor = central[np.argmin(np.abs(steps - 1e-2))] / 1e-4  # c in c h^2, read off at h = 0.01
    h = np.logspace(0, -7, 8)
    ax.loglog(h, anchor * h**2, ":", color=GREY, linewidth=1.5, label="truncation $\\propto h^2$")
    h = np.logspace(-3, -13, 11)
    ax.loglog(h, eps / h, "-.", color=GREY, linewidth=1.3, label="round-off $\\approx \\epsilon / h$")
    best = steps[np.argmin(central)]
    ax.annotate(
        f"best central step {best:.0e}\n(about $\\epsilon^{{1/3}}$)",
        (best, central.min()),
        textcoords="offset points",
        xytext=(10, -60),
        ha="center",
        arrowprops={"arrowstyle": "->", "color": BLUE},
        fontsize=8,
        color=BLUE,
    )
    ax.set(
        xlabel="step $h$ (smaller to the right)",
        ylabel="largest relative error over 8 points",
        title=r"Derivative of $e^{\sin 3x} / (1 + x^2)$ by three schemes",
        ylim=(2e-17, 10.0),
    )
    ax.invert_xaxis()
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig
