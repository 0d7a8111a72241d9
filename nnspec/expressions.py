"""Explore derivatives safely: parse text into a SymPy expression, never evaluating it.

:func:`parse` turns text such as ``"tanh(w*x + b)"`` into a SymPy expression through an
``ast`` whitelist that builds SymPy objects directly; nothing is evaluated, so text is never
code. The refusals and limits are listed in :mod:`nnspec._parser` and :mod:`nnspec._whitelist`.
``sigmoid``, ``relu``, ``softplus``, ``gelu``, ``elu`` and ``leaky_relu`` stay named functions
(``sigmoid(x)`` differentiates to ``sigmoid(x)*(1 - sigmoid(x))``); :func:`expand_activations`
replaces them by nnspec's definitions.

Examples
--------
>>> import nnspec as ns
>>> ns.parse("sigmoid(w*x + b)")
sigmoid(b + w*x)
"""

from __future__ import annotations

from ._parser import FUNCTIONS, parse
from ._sympy_activations import expand_activations

__all__ = ["FUNCTIONS", "expand_activations", "parse"]
