"""A scalar reverse-mode engine: backpropagation on any graph of scalar operations.

Each `Value` keeps its number (``data``), the derivative of the output with respect to it
(``grad``), and, for every input it was computed from, the *local* derivative of that
operation at the forward values (the numbers written on the edges of a computational graph).
`Value.backward` visits the nodes from the output back to the inputs in reverse topological
order and adds ``local * grad`` into each input's ``grad``: the chain rule, one edge at a
time, with the contributions of all paths into a node summed (``+=``).

Pure Python floats (IEEE float64); no numpy, no SymPy. The idea is the one of A. Karpathy's
micrograd; this module is written independently.

Conventions at kinks: ``relu'(0) = 0``, ``abs'(0) = 0``; at a tie ``max`` and ``min`` give
each argument 1/2 (a Clarke subgradient, as ``torch.maximum``).

Examples
--------
>>> import nnspec as ns
>>> w, x, b = ns.Value(2.0), ns.Value(-1.0), ns.Value(0.5)
>>> y = (w * x + b).tanh()
>>> y.backward()
>>> round(w.grad, 12) == round((1 - y.data**2) * x.data, 12)
True
"""

from __future__ import annotations

import math
from numbers import Real
from typing import NamedTuple

from nnspec.errors import ArgumentError

__all__ = ["Edge", "Graph", "Value"]


class Edge(NamedTuple):
    """One input of an operation: ``source`` feeds ``target`` with local derivative ``local``."""

    source: Value
    target: Value
    local: float


class Graph(NamedTuple):
    """The nodes (inputs first, output last) and the edges of a computational graph."""

    nodes: list
    edges: list


def _number(data, name: str) -> float:
    if isinstance(data, bool) or not isinstance(data, Real):
        raise ArgumentError(f"{name} must be a real number or a Value, got {type(data).__name__}")
    value = float(data)
    if not math.isfinite(value):
        raise ArgumentError(f"{name} must be finite, got {value!r}")
    return value


def _lift(other) -> Value:
    return other if isinstance(other, Value) else Value(_number(other, "operand"))


class Value:
    """A scalar node of a computational graph, with its value and its gradient.

    Parameters
    ----------
    data : float
        The value (a finite real number; stored as a Python float, i.e. float64).
    label : str, optional
        A name to show in drawings (``"w"``, ``"x"``).

    Attributes
    ----------
    data : float
        The forward value.
    grad : float
        d(output)/d(this node) after the output's `backward`; 0.0 before.
    op : str
        The operation that made the node (``""`` for an input, ``"*"``, ``"tanh"``, ...).
    inputs : tuple of (Value, float)
        Each input node with the local derivative d(this)/d(input) at the forward values.

    Examples
    --------
    >>> import nnspec as ns
    >>> x = ns.Value(3.0, label="x")
    >>> y = x * x + x  # x feeds two operations: 2x + 1 = 7
    >>> y.backward()
    >>> x.grad
    7.0
    """

    __slots__ = ("data", "grad", "inputs", "label", "op")

    def __init__(self, data, label: str = "", *, _op: str = "", _inputs: tuple = ()):
        if not isinstance(label, str):
            raise ArgumentError(f"label must be a str, got {type(label).__name__}")
        self.data = _number(data, "data")
        self.grad = 0.0
        self.label = label
        self.op = _op
        self.inputs = _inputs

    @staticmethod
    def _make(data: float, op: str, *inputs) -> Value:
        """A new node; refuses a value or a local derivative that overflowed float64."""
        numbers = [data, *(local for _, local in inputs)]
        if not all(math.isfinite(n) for n in numbers):
            raise ArgumentError(f"{op} of {[v.data for v, _ in inputs]} overflows float64")
        return Value(data, _op=op, _inputs=tuple((v, float(local)) for v, local in inputs))

    # arithmetic ------------------------------------------------------------------------------
    def __add__(self, other) -> Value:
        other = _lift(other)
        return self._make(self.data + other.data, "+", (self, 1.0), (other, 1.0))

    def __mul__(self, other) -> Value:
        other = _lift(other)
        return self._make(self.data * other.data, "*", (self, other.data), (other, self.data))

    def __pow__(self, exponent) -> Value:
        if isinstance(exponent, Value):
            raise ArgumentError("exponent must be a constant number, got a Value (use exp and log)")
        c, x = _number(exponent, "exponent"), self.data
        if x < 0 and not c.is_integer():
            raise ArgumentError(f"x**{c!r} needs x >= 0 for a non-integer exponent, got x = {x!r}")
        if x == 0 and c < 1 and c != 0:
            raise ArgumentError(f"x**{c!r} has no finite derivative at x = 0")
        try:
            power, local = x**c, (c * x ** (c - 1) if c != 0 else 0.0)
        except OverflowError:
            power = local = math.inf  # refused by _make
        return self._make(power, f"**{c:g}", (self, local))

    def __truediv__(self, other) -> Value:
        other = _lift(other)
        if other.data == 0:
            raise ArgumentError(f"division by a Value whose data is 0 (numerator {self.data!r})")
        q = self.data / other.data
        return self._make(q, "/", (self, 1.0 / other.data), (other, -q / other.data))

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other) -> Value:
        other = _lift(other)
        return self._make(self.data - other.data, "-", (self, 1.0), (other, -1.0))

    def __radd__(self, other) -> Value:
        return _lift(other) + self

    def __rmul__(self, other) -> Value:
        return _lift(other) * self

    def __rsub__(self, other) -> Value:
        return _lift(other) - self

    def __rtruediv__(self, other) -> Value:
        return _lift(other) / self

    # functions -------------------------------------------------------------------------------
    def exp(self) -> Value:
        """e**x, local derivative e**x (refuses x > 709.78, where float64 overflows)."""
        if self.data > 709.782712893384:
            raise ArgumentError(f"exp overflows float64 for x = {self.data!r} (x > 709.78)")
        e = math.exp(self.data)
        return self._make(e, "exp", (self, e))

    def log(self) -> Value:
        """Natural logarithm for x > 0, local derivative 1/x."""
        if self.data <= 0:
            raise ArgumentError(f"log needs x > 0, got x = {self.data!r}")
        return self._make(math.log(self.data), "log", (self, 1.0 / self.data))

    def tanh(self) -> Value:
        """tanh(x), local derivative 1 - tanh(x)**2."""
        t = math.tanh(self.data)
        return self._make(t, "tanh", (self, 1.0 - t * t))

    def sigmoid(self) -> Value:
        """1 / (1 + e**-x) in a form that never overflows; local derivative s (1 - s)."""
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return self._make(s, "sigmoid", (self, s * (1.0 - s)))

    def relu(self) -> Value:
        """max(0, x), local derivative 1 for x > 0 and 0 for x <= 0 (relu'(0) = 0)."""
        return self._make(max(self.data, 0.0), "relu", (self, 1.0 if self.data > 0 else 0.0))

    def __abs__(self) -> Value:
        """|x|, local derivative sign(x) (abs'(0) = 0)."""
        x = self.data
        return self._make(abs(x), "abs", (self, (x > 0) - (x < 0)))

    def max(self, other) -> Value:
        """max(x, y): the gradient goes to the larger input; at a tie, half to each."""
        other = _lift(other)
        share = 1.0 if self.data > other.data else 0.0 if self.data < other.data else 0.5
        return self._make(max(self.data, other.data), "max", (self, share), (other, 1.0 - share))

    def min(self, other) -> Value:
        """min(x, y): the gradient goes to the smaller input; at a tie, half to each."""
        other = _lift(other)
        share = 1.0 if self.data < other.data else 0.0 if self.data > other.data else 0.5
        return self._make(min(self.data, other.data), "min", (self, share), (other, 1.0 - share))

    # the graph and the backward pass ----------------------------------------------------------
    def topological_order(self) -> list[Value]:
        """Every node this one depends on, each after all of its inputs; ``self`` is last.

        Inputs of an operation appear in the order they were given (``w`` before ``x`` in
        ``w * x``).

        Iterative depth-first search, so a chain of any length needs no recursion.
        """
        order, seen = [], set()
        stack = [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((source, False) for source, _ in reversed(node.inputs) if source not in seen)
        return order

    def graph(self) -> Graph:
        """The nodes in topological order and every edge ``(source, target, local)``, for drawing."""
        nodes = self.topological_order()
        edges = [Edge(source, node, local) for node in nodes for source, local in node.inputs]
        return Graph(nodes, edges)

    def backward(self) -> None:
        """Fill ``grad`` of every node in the graph with d(self)/d(node).

        Sets every ``grad`` to 0, seeds ``self.grad = 1``, then visits the nodes from the
        output back to the inputs and adds ``local * node.grad`` into each input's ``grad``.
        Calling it twice gives the same gradients (nothing carries over between calls).
        """
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            if not math.isfinite(node.grad):
                raise ArgumentError(f"the gradient overflows float64 at the node {node!r}")
            for source, local in node.inputs:
                source.grad += local * node.grad

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{name})"
