"""nnspec: neural-network fundamentals as executable specifications.

``import nnspec as ns`` gives the activations, initializers, losses, the MLP with
hand-written backpropagation, SGD and the training loop, and the symbolic side (``ns.parse``,
``ns.derive``, ``ns.chain_rule``, ...).

Names are imported on first use (PEP 562): ``import nnspec`` itself loads neither numpy nor
SymPy, and the expression side (``nnspec.expressions``) needs no numpy at all.

Examples
--------
>>> import nnspec as ns
>>> ns.derive("x**3", "x")
{'x': 3*x**2}
"""

from __future__ import annotations

import importlib

#: The submodule that defines each public name.
_HOMES = {
    "ACTIVATIONS": "activations",
    "ELU": "activations",
    "LeakyReLU": "activations",
    "Activation": "activations",
    "activation": "activations",
    "elu": "activations",
    "gelu": "activations",
    "identity": "activations",
    "leaky_relu": "activations",
    "relu": "activations",
    "sigmoid": "activations",
    "softmax": "activations",
    "softplus": "activations",
    "tanh": "activations",
    "ArgumentError": "errors",
    "ExpressionTimeout": "errors",
    "NnspecError": "errors",
    "ExpressionError": "errors",
    "GradientMismatch": "errors",
    "ShapeError": "errors",
    "directional_derivative": "differences",
    "ChainRule": "expressions",
    "Derivation": "expressions",
    "chain_rule": "expressions",
    "derivation": "expressions",
    "derive": "expressions",
    "parse": "expressions",
    "parse_point": "expressions",
    "GradientCheckInconclusive": "errors",
    "GradientReport": "gradcheck",
    "ParameterCheck": "gradcheck",
    "check_gradients": "gradcheck",
    "numerical_gradient": "gradcheck",
    "relative_error": "gradcheck",
    "INITIALIZERS": "initializers",
    "Initializer": "initializers",
    "compute_fans": "initializers",
    "glorot_normal": "initializers",
    "glorot_uniform": "initializers",
    "he_normal": "initializers",
    "he_uniform": "initializers",
    "initializer": "initializers",
    "lecun_normal": "initializers",
    "lecun_uniform": "initializers",
    "random_normal": "initializers",
    "random_uniform": "initializers",
    "zeros": "initializers",
    "LOSSES": "losses",
    "Loss": "losses",
    "binary_crossentropy": "losses",
    "categorical_crossentropy": "losses",
    "loss": "losses",
    "mse": "losses",
    "MLP": "network",
    "Dense": "network",
    "SGD": "optim",
    "Optimizer": "optim",
    "Momentum": "optim",
    "Adam": "optim",
    "AdamW": "optim",
    "AdaGrad": "optim",
    "RMSProp": "optim",
    "clip_by_norm": "optim",
    "critical_learning_rate": "optim",
    "gradient_descent": "optim",
    "History": "training",
    "TrainStep": "training",
    "train": "training",
    "Value": "autodiff",
}
_SUBMODULES = (
    "activations",
    "autodiff",
    "differences",
    "errors",
    "expressions",
    "gradcheck",
    "initializers",
    "losses",
    "network",
    "optim",
    "symbolic",
    "training",
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nnspec")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    elif name == "__version__":
        value = _version()
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, "__version__"})


__all__ = [
    "ACTIVATIONS",
    "ELU",
    "INITIALIZERS",
    "LOSSES",
    "MLP",
    "SGD",
    "Activation",
    "AdaGrad",
    "Adam",
    "AdamW",
    "ArgumentError",
    "ChainRule",
    "Dense",
    "Derivation",
    "ExpressionError",
    "ExpressionTimeout",
    "GradientCheckInconclusive",
    "GradientMismatch",
    "GradientReport",
    "History",
    "Initializer",
    "LeakyReLU",
    "Loss",
    "Momentum",
    "NnspecError",
    "Optimizer",
    "ParameterCheck",
    "RMSProp",
    "ShapeError",
    "TrainStep",
    "Value",
    "activation",
    "activations",
    "autodiff",
    "binary_crossentropy",
    "categorical_crossentropy",
    "chain_rule",
    "check_gradients",
    "clip_by_norm",
    "compute_fans",
    "critical_learning_rate",
    "derivation",
    "derive",
    "differences",
    "directional_derivative",
    "elu",
    "errors",
    "expressions",
    "gelu",
    "glorot_normal",
    "glorot_uniform",
    "gradcheck",
    "gradient_descent",
    "he_normal",
    "he_uniform",
    "identity",
    "initializer",
    "initializers",
    "leaky_relu",
    "lecun_normal",
    "lecun_uniform",
    "loss",
    "losses",
    "mse",
    "network",
    "numerical_gradient",
    "optim",
    "parse",
    "parse_point",
    "random_normal",
    "random_uniform",
    "relative_error",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "symbolic",
    "tanh",
    "train",
    "training",
    "zeros",
]
