r"""Adaptive optimizers: AdaGrad, RMSProp, Adam and AdamW (internal; public from `nnspec.optim`).

Each divides the step by a running size of the gradient, coordinate by coordinate, so a
coordinate with large gradients takes smaller steps. They differ in how that size is kept:
AdaGrad sums every squared gradient (the step only shrinks), RMSProp keeps an exponential
moving average (old gradients are forgotten), Adam adds a moving average of the gradient
itself and corrects both averages for their start at zero, and AdamW adds weight decay
outside the adaptive scaling.
"""

from __future__ import annotations

import numpy as np

from ._optimizer import Optimizer, fraction
from ._validation import nonnegative_float, positive_float

__all__ = ["AdaGrad", "Adam", "AdamW", "RMSProp"]


class AdaGrad(Optimizer):
    r"""AdaGrad (Duchi, Hazan & Singer, 2011): steps scaled by the root of all past squared gradients.

    With $G$ the running sum (0 at first), each update is

    $$ G \leftarrow G + g^2, \qquad \theta \leftarrow \theta - \eta\,\frac{g}{\sqrt{G} + \epsilon} , $$

    all operations elementwise. The first step is about $\eta\,\mathrm{sign}(g)$; under a
    constant gradient the $t$-th step is about $\eta/\sqrt{t}$, so the effective rate only decays.

    Parameters
    ----------
    learning_rate : float
        $\eta > 0$.
    epsilon : float
        $\epsilon > 0$ (default 1e-8), added to $\sqrt{G}$.

    Examples
    --------
    >>> theta, opt = np.array([0.0]), ns.AdaGrad(0.1)
    >>> for _ in range(2):
    ...     opt.update(theta, np.array([3.0]))  # steps 0.1 * 3/3, then 0.1 * 3/sqrt(18)
    >>> theta.round(6).tolist()
    [-0.170711]
    """

    def __init__(self, learning_rate, epsilon=1e-8):
        super().__init__(learning_rate)
        self.epsilon = positive_float(epsilon, "epsilon")

    def update(self, param, grad):
        self._check(param, grad)
        total, work = self._state(param, 2)[:2]
        total += np.square(grad, out=work)
        np.sqrt(total, out=work)
        work += self.epsilon
        np.divide(grad, work, out=work)
        work *= self.learning_rate
        param -= work

    def __repr__(self) -> str:
        return f"AdaGrad(learning_rate={self.learning_rate}, epsilon={self.epsilon})"


class RMSProp(Optimizer):
    r"""RMSProp (Tieleman & Hinton, 2012, lecture 6e): steps scaled by a moving root mean square.

    With $v$ the moving average of squared gradients (0 at first) and decay $\rho$,

    $$ v \leftarrow \rho v + (1-\rho) g^2, \qquad \theta \leftarrow \theta - \eta\,\frac{g}{\sqrt{v} + \epsilon} . $$

    There is no bias correction: the first step is $\eta g / (\sqrt{1-\rho}\,|g| + \epsilon)$,
    about $3.16\,\eta$ for $\rho = 0.9$. Under a constant gradient the step tends to $\eta$.

    Parameters
    ----------
    learning_rate : float
        $\eta > 0$.
    rho : float
        Decay of the average, in [0, 1) (default 0.9).
    epsilon : float
        $\epsilon > 0$ (default 1e-8), added to $\sqrt{v}$.

    Examples
    --------
    >>> theta = np.array([0.0])
    >>> ns.RMSProp(0.01, rho=0.75).update(theta, np.array([4.0]))  # v = 0.25 * 16 = 4
    >>> theta.round(9).tolist()  # -0.01 * 4 / 2
    [-0.02]
    """

    def __init__(self, learning_rate, rho=0.9, epsilon=1e-8):
        super().__init__(learning_rate)
        self.rho = fraction(rho, "rho")
        self.epsilon = positive_float(epsilon, "epsilon")

    def update(self, param, grad):
        self._check(param, grad)
        average, work = self._state(param, 2)[:2]
        average *= self.rho
        average += np.multiply(np.square(grad, out=work), 1 - self.rho, out=work)
        np.sqrt(average, out=work)
        work += self.epsilon
        np.divide(grad, work, out=work)
        work *= self.learning_rate
        param -= work

    def __repr__(self) -> str:
        return f"RMSProp(learning_rate={self.learning_rate}, rho={self.rho}, epsilon={self.epsilon})"


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015, Algorithm 1), with bias-corrected moments.

    At the $t$-th update of a parameter (counted per parameter, from 1):

    $$
    m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
    v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
    \theta \leftarrow \theta - \eta\,\frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon}.
    $$

    The first step therefore moves each coordinate by about $\eta$ against the sign of its
    gradient, whatever the gradient's size.

    Parameters
    ----------
    learning_rate : float
        $\eta > 0$ (default 1e-3).
    beta1, beta2 : float
        Decay rates of the moment estimates, in [0, 1) (defaults 0.9, 0.999).
    epsilon : float
        $\epsilon > 0$ (default 1e-8).

    Examples
    --------
    >>> theta = np.array([1.0, 1.0])
    >>> ns.Adam(0.01).update(theta, np.array([1e-3, -50.0]))
    >>> (theta - 1).round(6).tolist()  # about -eta * sign(g) in every coordinate
    [-0.01, 0.01]
    """

    def __init__(self, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        self.beta1, self.beta2 = fraction(beta1, "beta1"), fraction(beta2, "beta2")
        self.epsilon = positive_float(epsilon, "epsilon")

    def update(self, param, grad):
        self._check(param, grad)
        state = self._state(param, 3)
        m, v, work = state[:3]
        state[3] += 1
        t = state[3]
        m *= self.beta1
        m += np.multiply(grad, 1 - self.beta1, out=work)
        v *= self.beta2
        v += np.multiply(np.square(grad, out=work), 1 - self.beta2, out=work)
        np.divide(v, 1 - self.beta2**t, out=work)
        np.sqrt(work, out=work)
        work += self.epsilon
        np.divide(m, work, out=work)
        work *= self.learning_rate / (1 - self.beta1**t)
        self._decay(param)
        param -= work

    def _decay(self, param) -> None:
        """Adam has no weight decay (AdamW overrides this)."""

    def __repr__(self) -> str:
        return (
            f"Adam(learning_rate={self.learning_rate}, beta1={self.beta1}, beta2={self.beta2}, "
            f"epsilon={self.epsilon})"
        )


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019, Algorithm 2).

    The Adam step of `Adam` plus a shrinkage of the parameter itself, outside the adaptive
    scaling:

    $$
    \theta \leftarrow \theta - \eta\left(\frac{\hat m}{\sqrt{\hat v} + \epsilon} + \lambda\,\theta\right),
    \qquad \hat m = \frac{m}{1-\beta_1^t},\ \hat v = \frac{v}{1-\beta_2^t},
    $$

    with the decay applied to the parameter before this update (the paper's Algorithm 2 with
    its schedule multiplier $\eta_t$ equal to the learning rate and $\alpha = 1$; PyTorch's
    ``AdamW`` uses the same form). Adding $\tfrac{\lambda}{2}\lVert\theta\rVert^2$ to the loss
    instead (L2 regularization in Adam) would pass $\lambda\theta$ through the division by
    $\sqrt{\hat v}$, so parameters with large gradients would be decayed less; here every
    parameter shrinks by the same factor $1 - \eta\lambda$ per step. ``step`` decays every array
    it is given, biases included.

    Parameters
    ----------
    learning_rate : float
        $\eta > 0$ (default 1e-3).
    beta1, beta2 : float
        In [0, 1) (defaults 0.9, 0.999).
    epsilon : float
        $\epsilon > 0$ (default 1e-8).
    weight_decay : float
        $\lambda \ge 0$ (default 0.01); 0 is `Adam`.

    Examples
    --------
    >>> theta = np.array([2.0])
    >>> ns.AdamW(0.1, weight_decay=0.5).update(theta, np.array([0.0]))  # zero gradient: decay only
    >>> theta.round(12).tolist()  # 2 - 0.1 * 0.5 * 2
    [1.9]
    """

    def __init__(self, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=0.01):
        super().__init__(learning_rate, beta1, beta2, epsilon)
        self.weight_decay = nonnegative_float(weight_decay, "weight_decay")

    def _decay(self, param) -> None:
        param *= 1 - self.learning_rate * self.weight_decay

    def __repr__(self) -> str:
        return (
            f"AdamW(learning_rate={self.learning_rate}, beta1={self.beta1}, beta2={self.beta2}, "
            f"epsilon={self.epsilon}, weight_decay={self.weight_decay})"
        )
