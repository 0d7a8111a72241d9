"""Shared pieces for the site's figures (imported by the figure modules in this folder).

A figure module defines functions decorated with ``@figure("name.svg")`` that return a
matplotlib Figure; docs/hooks/figures.py renders each to ``figures/name.svg`` at build time.
Pages show them with ``![alt text](figures/name.svg)`` (alt text is required) followed by a
caption.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

REGISTRY: dict[str, object] = {}

STYLE = {
    "figure.figsize": (7.0, 3.6),
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "legend.frameon": False,
    "svg.hashsalt": "nnspec",
    "svg.fonttype": "path",
}


def figure(name: str):
    """Register the decorated function as the maker of ``figures/<name>``."""
    if not name.endswith(".svg"):
        raise ValueError(f"figure names end with .svg, got {name!r}")

    def register(make):
        if name in REGISTRY:
            raise ValueError(f"two figures are called {name!r}")
        REGISTRY[name] = make
        return make

    return register


__all__ = ["REGISTRY", "STYLE", "figure", "plt"]
