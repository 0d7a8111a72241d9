r"""Numerical derivatives of a scalar function: finite differences and the complex step.

`numerical_gradient` differentiates one entry at a time, with step $h_i = h \max(1, |x_i|)$
for entry $i$ (``2 x.size`` evaluations of ``f`` for central differences):

* central $D(h) = (f(x + h e_i) - f(x - h e_i)) / 2h$, error $O(h^2)$ plus round-off
  $\sim \epsilon |f| / h$;
* Richardson $(4 D(h/2) - D(h)) / 3$, error $O(h^4)$;
* complex step $\operatorname{Im} f(x + i h e_i) / h$ (Squire & Trapp 1998), no subtraction:
  first-order forward-mode differentiation carried by complex arithmetic, for functions that
  are analytic and written to carry the imaginary part through.

`directional_derivative` applies the same schemes along one direction $d$, which costs two
evaluations (central) however large ``x`` is: the check that scales.

Examples
--------
>>> import numpy as np
>>> from nnspec.differences import directional_derivative, numerical_gradient
>>> x = np.array([0.5, -1.0])
>>> g = numerical_gradient(lambda v: np.sum(v**3), x, method="complex")
>>> bool(np.allclose(g, 3 * x**2, rtol=1e-15))
True
>>> d = np.array([0.6, 0.8])
>>> bool(np.isclose(directional_derivative(lambda v: np.sum(v**3), x, d), g @ d, rtol=1e-9))
True
"""

from __future__ import annotations

import warnings

import numpy as np

from ._validation import describe, finite_array, positive_float
from .errors import ArgumentError

__all__ = [
    "DEFAULT_STEPS",
    "better_step",
    "check_method",
    "derivative_with_bound",
    "direction_step",
    "directional_derivative",
    "numerical_gradient",
    "require_float64",
]

#: Default relative step ``h`` per method (the step of entry i is ``h * max(1, |x_i|)``).
DEFAULT_STEPS = {"central": 1e-5, "richardson": 1e-3, "complex": 1e-20}

_FLOAT32_ADVICE = (
    "finite differences in float32 cannot resolve gradients: round-off (eps/h) and truncation "
    "(h**2) balance at a step h ~ eps**(1/3) ~ 5e-3, where the relative error is still about "
    "eps**(2/3) ~ 2e-5 for a well-scaled function and around 1e-3 for network gradients "
    "(eps = 1.2e-7), far above any useful tolerance. Check in float64 instead: "
    "model.copy(dtype=np.float64) and X.astype(np.float64)"
)


def require_float64(array_dtype, name: str, *, exact: bool = False) -> None:
    """Refuse a float32 ``name`` (a dtype) with the reason and the float64 recipe.

    With ``exact=True`` every dtype other than float64 is refused (float32 with the advice).
    """
    dtype = np.dtype(array_dtype)
    if dtype == np.float32:
        raise ArgumentError(f"{name} is float32; {_FLOAT32_ADVICE}")
    if exact and dtype != np.float64:
        raise ArgumentError(f"{name} must be float64, got {dtype}")


def check_method(method) -> str:
    """Return ``method`` if it names a difference scheme, else raise listing the valid ones."""
    if not isinstance(method, str) or method not in DEFAULT_STEPS:
        raise ArgumentError(f"method must be one of {', '.join(map(repr, DEFAULT_STEPS))}; got {method!r}")
    return method


def _real_value(value, where: str) -> float:
    """The real scalar ``f`` returned, or an error naming what came instead."""
    array = np.asarray(value)
    if array.size != 1 or array.dtype.kind not in "iuf":
        raise ArgumentError(f"f must return a real scalar, got {describe(value)} at {where}")
    result = float(array.reshape(()))
    if not np.isfinite(result):
        raise ArgumentError(f"f returned {result} at {where}; numerical gradients need finite values")
    return result


def _central(f, x: np.ndarray, index, step: float) -> float:
    original = x[index]
    up, down = original + step, original - step
    x[index] = up
    f_up = _real_value(f(x.copy()), f"x[{index}] + h")
    x[index] = down
    f_down = _real_value(f(x.copy()), f"x[{index}] - h")
    x[index] = original
    return (f_up - f_down) / (up - down)  # the step actually taken, after rounding


def _complex_value(f, z: np.ndarray, index):
    advice = "f is not complex-safe; use method='central'"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            value = f(z)
    except np.exceptions.ComplexWarning as error:
        raise ArgumentError(f"f discarded the imaginary part of its input ({error}); {advice}") from error
    except TypeError as error:
        raise ArgumentError(f"f raised TypeError on complex input ({error}); {advice}") from error
    array = np.asarray(value)
    if array.size != 1 or array.dtype.kind not in "iufc":
        raise ArgumentError(f"f must return a scalar, got {describe(value)} at x[{index}] + ih")
    if array.dtype.kind != "c":
        raise ArgumentError(
            f"f returned a real {array.dtype} for complex input x[{index}] + ih: it dropped the "
            f"imaginary part, so the complex step cannot see the derivative; {advice}"
        )
    result = complex(array.reshape(()))
    if not np.isfinite(result):
        raise ArgumentError(f"f returned {result} at x[{index}] + ih; numerical gradients need finite values")
    return result


def _complex_step(f, x: np.ndarray, steps: np.ndarray) -> np.ndarray:
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        z = x.astype(np.complex128)
        z[index] += 1j * steps[index]
        grad[index] = _complex_value(f, z, index).imag / steps[index]

    # An exactly zero imaginary part is either a zero derivative or a dropped imaginary part
    # (np.real, abs, a cast inside f). Central differences of Re f tell the two apart.
    def real_part(values):
        return _complex_value(f, values.astype(np.complex128), "x").real

    zeros = np.argwhere(grad == 0)
    scale = abs(real_part(x)) if len(zeros) else 0.0  # one more evaluation, only when needed
    for index in zeros:
        index = tuple(int(i) for i in index)  # (0, 1), not (np.int64(0), np.int64(1)), in messages
        step = DEFAULT_STEPS["central"] * max(1.0, abs(x[index]))
        noise = 1e3 * np.finfo(np.float64).eps * max(scale, 1.0) / step
        estimate = _central(real_part, x.copy(), index, step)
        if abs(estimate) > noise:
            raise ArgumentError(
                f"Im f(x + ih e_i) is exactly 0 at index {index} while central differences give "
                f"{estimate:.6g}: f drops the imaginary part, so it is not complex-safe; use method='central'"
            )
    return grad


def numerical_gradient(f, x, method="central", h=None) -> np.ndarray:
    r"""Gradient of a scalar function by finite differences, one entry at a time.

    Parameters
    ----------
    f : callable
        Maps an array shaped like ``x`` to a scalar. For ``method="complex"`` it receives a
        complex128 array and must carry the imaginary part through to its (complex) result.
    x : array_like of float64, any shape
        The point; float32 is refused (see `check_gradients`).
    method : {"central", "richardson", "complex"}
        See the module docstring for the formulas and their error orders.
    h : float > 0, optional
        Relative step; entry ``i`` moves by $h \max(1, |x_i|)$. Defaults:
        `DEFAULT_STEPS` (1e-5 central, 1e-3 Richardson, 1e-20 complex).

    Returns
    -------
    ndarray of float64, shape of ``x``

    Raises
    ------
    ArgumentError
        Unknown method, non-finite ``x`` or ``f(x)``, a non-scalar ``f``; with
        ``method="complex"``, a function that is not complex-safe: it returns a real number,
        discards the imaginary part on the way (``ComplexWarning``), refuses complex input, or
        gives an imaginary part of exactly 0 where central differences see a slope.
    """
    if not callable(f):
        raise ArgumentError(f"f must be callable, got {describe(f)}")
    method = check_method(method)
    x = finite_array(x, "x")
    require_float64(x.dtype, "x")
    x = np.array(x, dtype=np.float64)
    step = DEFAULT_STEPS[method] if h is None else positive_float(h, "h")
    steps = step * np.maximum(1.0, np.abs(x))
    if method == "complex":
        return _complex_step(f, x, steps)
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        coarse = _central(f, x, index, steps[index])
        if method == "central":
            grad[index] = coarse
        else:
            grad[index] = (4 * _central(f, x, index, steps[index] / 2) - coarse) / 3
    return grad


def directional_derivative(f, x, direction, method="central", h=None) -> float:
    r"""Derivative of a scalar function at ``x`` along ``direction``: $\nabla f(x) \cdot d$.

    The one-dimensional function $t \mapsto f(x + t d)$ is differentiated at $t = 0$ with
    the scheme ``method``: two evaluations of ``f`` for central differences, four for
    Richardson, one complex one for the complex step, whatever the size of ``x``. Comparing
    it with an analytic gradient projected on ``d`` checks the whole gradient at once along
    ``d`` (what ``torch.autograd.gradcheck(fast_mode=True)`` and JAX's ``check_grads`` do).

    Parameters
    ----------
    f : callable
        Maps an array shaped like ``x`` to a scalar (complex-safe for ``method="complex"``).
    x, direction : array_like of float64, the same shape
        The point and the direction (not normalized here; the result scales with it).
    method : {"central", "richardson", "complex"}
    h : float > 0, optional
        Step in $t$; default `DEFAULT_STEPS` times ``max(1, max|x|)``. (`check_gradients`
        takes its step from `direction_step` instead, so that one large entry does not set
        the step of every direction.)

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from nnspec.differences import directional_derivative
    >>> round(directional_derivative(lambda v: np.sum(np.sin(v)), np.zeros(3), np.ones(3)), 9)
    3.0
    """
    if not callable(f):
        raise ArgumentError(f"f must be callable, got {describe(f)}")
    method = check_method(method)
    x = finite_array(x, "x")
    require_float64(x.dtype, "x")
    direction = finite_array(direction, "direction")
    require_float64(direction.dtype, "direction")
    if direction.shape != x.shape:
        raise ArgumentError(f"direction must have the shape of x, {x.shape}; got {direction.shape}")
    x, direction = np.asarray(x, dtype=np.float64), np.asarray(direction, dtype=np.float64)
    if h is None:
        h = DEFAULT_STEPS[method] * max(1.0, float(np.max(np.abs(x), initial=0.0)))

    def along(t):
        return f(x + t[0] * direction)

    return float(numerical_gradient(along, np.zeros(1), method, h)[0])


def direction_step(x, direction, h: float) -> float:
    r"""Step in $t$ along ``direction``: $h \max(1, |d \cdot x| / \|d\|) / \|d\|$ (``h`` if $d = 0$)."""
    norm = float(np.linalg.norm(direction))
    if norm == 0:
        return h
    return h * max(1.0, abs(float(np.vdot(direction, x))) / norm) / norm


#: Factor on the scheme's own truncation estimate: the leading-term estimate times 2.
_TRUNCATION = {"central": 2.0 / 3.0, "richardson": 2.0 / 15.0}


def derivative_with_bound(g, h: float, method: str) -> tuple[float, float, float]:
    r"""Derivative at 0 of a function of one variable, with an error bound from the scheme itself.

    ``g(t)`` returns ``(value, noise)``: $g(t)$ and a bound on its round-off. With
    $D(s) = (g(s) - g(-s)) / 2s$ the estimates and their truncation errors are

    * central: $D(h)$; its error is $\approx (D(2h) - D(h)) / 3$ (the $h^2$ term of
      $D(2h)$ is four times that of $D(h)$), taken twice for safety;
    * Richardson: $R(h) = (4 D(h/2) - D(h)) / 3$; its error is $\approx (R(2h) - R(h)) / 15$
      (the $h^4$ term grows 16-fold), taken twice.

    Round-off is the noise of the evaluations divided by the step: $(n_+ + n_-) / 2h$ for
    $D(h)$, $(4 N(h/2) + N(h)) / 3$ for $R(h)$.

    Returns
    -------
    (value, round_off, truncation) : floats
        The bound is ``round_off + truncation``.

    Examples
    --------
    >>> import numpy as np
    >>> from nnspec.differences import derivative_with_bound
    >>> value, rounding, truncation = derivative_with_bound(lambda t: (np.exp(t), 1e-16), 1e-3, "central")
    >>> bool(abs(value - 1.0) <= rounding + truncation), bool(truncation < 1e-6)
    (True, True)
    """
    if method not in _TRUNCATION:
        raise ArgumentError(
            f"derivative_with_bound differences with 'central' or 'richardson', got {method!r}"
        )
    cache = {}

    def quotient(s):
        up, down = cache.setdefault(s, g(s)), cache.setdefault(-s, g(-s))
        return (up[0] - down[0]) / (2 * s), (up[1] + down[1]) / (2 * s)

    if method == "central":
        (d1, n1), (d2, _) = quotient(h), quotient(2 * h)
        return d1, n1, _TRUNCATION[method] * abs(d2 - d1)
    (half, n_half), (d1, n1), (d2, _) = quotient(h / 2), quotient(h), quotient(2 * h)
    r1, r2 = (4 * half - d1) / 3, (4 * d1 - d2) / 3
    return r1, (4 * n_half + n1) / 3, _TRUNCATION[method] * abs(r2 - r1)


def better_step(h: float, round_off: float, truncation: float, method: str) -> float:
    r"""The step that minimizes the bound $R h_0 / h + T (h / h_0)^p$ ($p$ = 2 central, 4 Richardson).

    Given the round-off $R$ and truncation $T$ measured at step $h_0$ = ``h``, the
    minimum is at $h_0 (R / pT)^{1/(p+1)}$, kept within a factor 100 of ``h`` (and 100 h
    when $T = 0$).
    """
    order = 2 if method == "central" else 4
    if truncation <= 0:
        return 100 * h
    ratio = (round_off / (order * truncation)) ** (1 / (order + 1))
    return h * min(100.0, max(0.01, ratio))
