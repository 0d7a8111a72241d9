import math
import sys

import numpy as np
import pytest
import sympy as sp

import nnspec as ns
from nnspec.autodiff import Value


class _ValueOps:
    """The functions of an expression, spelled for `ns.Value`."""

    exp, log, tanh, sigmoid, relu = Value.exp, Value.log, Value.tanh, Value.sigmoid, Value.relu
    maximum, minimum = Value.max, Value.min
    absolute = abs


class _SympyOps:
    """The same functions, spelled for SymPy (sigmoid and relu written out)."""

    exp, log, tanh = sp.exp, sp.log, sp.tanh
    absolute = sp.Abs

    @staticmethod
    def sigmoid(u):
        return 1 / (1 + sp.exp(-u))

    @staticmethod
    def relu(u):
        return sp.Max(0, u)

    maximum, minimum = sp.Max, sp.Min


CORPUS = {
    "add-mul": lambda x, y, f: x * y + x,
    "sub-div": lambda x, y, f: (x - y) / (x * x + 1),
    "rdiv-rsub": lambda x, y, f: 3 / (2 - x * y),
    "power": lambda x, y, f: (x * x + y * y) ** 1.5 + x**3 - y**-2,
    "neuron": lambda x, y, f: f.sigmoid(f.tanh(x * y + 0.5)),
    "exp-log": lambda x, y, f: f.log(f.exp(x) + f.exp(y)),
    "shared": lambda x, y, f: f.tanh(x) * f.tanh(x) + f.exp(x * y) * x,
    "relu": lambda x, y, f: f.relu(x * y - 0.3) + f.relu(-x) * y,
    "max-min": lambda x, y, f: f.maximum(x * x, y) - f.minimum(x, y * y) * 2,
    "abs": lambda x, y, f: f.absolute(x - y) * -x,
    "deep": lambda x, y, f: f.tanh(f.tanh(f.tanh(x * 0.9 + y) * 1.4 - x) * 0.7 + y) / (1 + y * y),
}
POINTS = [(0.7, -1.3), (-0.45, 0.8), (1.9, 0.35)]


@pytest.mark.parametrize("name", CORPUS)
@pytest.mark.parametrize("point", POINTS)
def test_gradients_match_sympy(name, point):
    make = CORPUS[name]
    x, y = Value(point[0]), Value(point[1])
    out = make(x, y, _ValueOps)
    out.backward()

    xs, ys = sp.symbols("x y", real=True)
    expression = make(xs, ys, _SympyOps)
    at = {xs: point[0], ys: point[1]}
    assert out.data == pytest.approx(float(expression.evalf(30, subs=at)), rel=1e-13, abs=1e-15)
    for leaf, symbol in ((x, xs), (y, ys)):
        exact = float(sp.diff(expression, symbol).evalf(30, subs=at))
        assert leaf.grad == pytest.approx(exact, rel=1e-12, abs=1e-14), (name, symbol)


def test_a_value_used_twice_accumulates():
    x = Value(3.0)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad == 7.0

    a = Value(0.5)
    t = a.tanh()
    z = t * t  # t feeds the product twice: dz/dt = 2t
    z.backward()
    assert t.grad == pytest.approx(2 * math.tanh(0.5), rel=1e-15)
    assert a.grad == pytest.approx(2 * math.tanh(0.5) * (1 - math.tanh(0.5) ** 2), rel=1e-15)


def test_backward_twice_gives_the_same_gradients():
    x = Value(1.5)
    y = (x * x).exp()
    y.backward()
    first = x.grad
    y.backward()
    assert x.grad == first == pytest.approx(2 * 1.5 * math.exp(2.25), rel=1e-15)


def test_a_deep_chain_needs_no_recursion():
    assert sys.getrecursionlimit() < 10_000
    x = Value(0.3)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert len(y.topological_order()) == 10_001 + 10_000  # the chain and one constant per step
    assert x.grad == pytest.approx(1.0001**10_000, rel=1e-10)

    w = Value(0.9)
    h, expected = w, 1.0
    for _ in range(5_000):
        expected *= 1 - math.tanh(h.data) ** 2
        h = h.tanh()
    h.backward()
    assert w.grad == pytest.approx(expected, rel=1e-12)


def _mlp_by_nodes(model, X, Y):
    """The MLP's MSE written one scalar node at a time; returns the loss and the weight Values."""
    params = [([[Value(v) for v in row] for row in W], [Value(v) for v in b]) for W, b in model.parameters()]
    total = Value(0.0)
    for x_row, y_row in zip(X, Y):
        a = [Value(v) for v in x_row]
        for index, (W, b) in enumerate(params):
            z = [sum((a[i] * W[i][j] for i in range(len(a))), b[j]) for j in range(len(b))]
            a = z if index == len(params) - 1 else [unit.tanh() for unit in z]
        for prediction, target in zip(a, y_row):
            total = total + (prediction - float(target)) ** 2
    return total / Y.size, params


def test_matches_the_mlp_backward_pass():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    model = ns.MLP((2, 3, 2), activation="tanh", seed=0)
    expected_loss, grads = model.loss_and_grads(X, Y, "mse")

    loss, params = _mlp_by_nodes(model, X, Y)
    loss.backward()
    assert loss.data == pytest.approx(expected_loss, rel=1e-14)
    for (W, b), (dW, db) in zip(params, grads):
        np.testing.assert_allclose([[v.grad for v in row] for row in W], dW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose([v.grad for v in b], db, rtol=1e-12, atol=1e-15)


def test_kink_conventions():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0  # relu'(0) = 0
    abs(x).backward()
    assert x.grad == 0.0  # abs'(0) = 0
    Value(-2.0).relu().backward()
    y = Value(2.0)
    y.relu().backward()
    assert y.grad == 1.0

    a, b = Value(1.5), Value(1.5)
    for op in (Value.max, Value.min):
        op(a, b).backward()
        assert (a.grad, b.grad) == (0.5, 0.5)  # a tie splits the gradient
    c = Value(-1.0)
    a.max(c).backward()
    assert (a.grad, c.grad) == (1.0, 0.0)  # max routes to the larger input
    a.min(c).backward()
    assert (a.grad, c.grad) == (0.0, 1.0)


def test_sigmoid_is_stable_at_both_ends():
    for x, s in ((-800.0, 0.0), (800.0, 1.0), (-30.0, 1 / (1 + math.exp(30.0)))):
        v = Value(x)
        out = v.sigmoid()
        out.backward()
        assert out.data == pytest.approx(s, rel=1e-15, abs=1e-300)
        assert v.grad == pytest.approx(s * (1 - s), rel=1e-14, abs=1e-300)


def test_graph_lists_nodes_inputs_first_and_edges_with_local_gradients():
    w, x, b = Value(2.0, "w"), Value(-1.0, "x"), Value(0.5, "b")
    product = w * x
    z = product + b
    y = z.tanh()
    nodes, edges = y.graph()
    assert nodes[-1] is y and set(nodes) == {w, x, b, product, z, y}
    position = {node: i for i, node in enumerate(nodes)}
    assert all(position[e.source] < position[e.target] for e in edges)
    locals_ = {(e.source.label or e.source.op, e.target.op): e.local for e in edges}
    assert locals_ == {("w", "*"): -1.0, ("x", "*"): 2.0, ("*", "+"): 1.0, ("b", "+"): 1.0,
                       ("+", "tanh"): 1 - math.tanh(-1.5) ** 2}  # fmt: skip
    assert [n.op for n in nodes if not n.inputs] == ["", "", ""]
    assert repr(w) == "Value(data=2.0, grad=0.0, label='w')"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Value(float("nan")), "data must be finite"),
        (lambda: Value(math.inf), "data must be finite"),
        (lambda: Value("1.0"), "data must be a real number"),
        (lambda: Value(True), "data must be a real number"),
        (lambda: Value(1.0, label=3), "label must be a str"),
        (lambda: Value(1.0) + "x", "operand must be a real number"),
        (lambda: Value(1.0) * float("nan"), "operand must be finite"),
        (lambda: Value(0.0).log(), "log needs x > 0"),
        (lambda: Value(-1.0).log(), "log needs x > 0"),
        (lambda: Value(1.0) / Value(0.0), "division by a Value whose data is 0"),
        (lambda: 1.0 / Value(0.0), "division by a Value whose data is 0"),
        (lambda: Value(2.0) ** Value(2.0), "exponent must be a constant"),
        (lambda: Value(-2.0) ** 0.5, "needs x >= 0"),
        (lambda: Value(0.0) ** -1, "no finite derivative at x = 0"),
        (lambda: Value(0.0) ** 0.5, "no finite derivative at x = 0"),
        (lambda: Value(710.0).exp(), "exp overflows"),
        (lambda: Value(1e200) * 1e200, r"\* of .* overflows float64"),
        (lambda: Value(1e200) ** 2, "overflows float64"),
        (lambda: Value(1.0) / 5e-324, "overflows float64"),
    ],
)
def test_bad_input_is_refused(make, message):
    with pytest.raises(ns.ArgumentError, match=message):
        make()


def test_edge_cases_that_are_allowed():
    assert (Value(-2.0) ** 3).data == -8.0  # integer exponents of negative numbers
    zero = Value(0.0)
    out = zero**2
    out.backward()
    assert (out.data, zero.grad) == (0.0, 0.0)
    one = Value(5.0) ** 0
    assert one.data == 1.0 and one.inputs[0][1] == 0.0
    assert Value(709.0).exp().data == math.exp(709.0)
    assert Value(np.float64(0.25)).data == 0.25 and type(Value(np.float32(0.5)).data) is float


def test_an_overflowing_gradient_is_refused():
    big = Value(1e-300)
    z = (big * 1e300) * 1e300  # z = 1e300 is finite, but dz/dbig = 1e600 is not
    assert z.data == pytest.approx(1e300, rel=1e-15)
    with pytest.raises(ns.ArgumentError, match="gradient overflows"):
        z.backward()
