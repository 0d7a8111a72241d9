"""nnspec: neural-network fundamentals as executable specifications.

``import nnspec as ns`` gives the activations, initializers, losses, the MLP with
hand-written backpropagation, SGD and the training loop.
"""

from . import activations, expressions, gradcheck, initializers, losses, network, optim, symbolic, training
from .activations import (
    ACTIVATIONS,
    ELU,
    Activation,
    LeakyReLU,
    activation,
    elu,
    gelu,
    identity,
    leaky_relu,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from .errors import ArgumentError, ExpressionError, GradientMismatch, ShapeError
from .expressions import ChainRule, chain_rule, derive, parse
from .gradcheck import GradientReport, ParameterCheck, check_gradients, numerical_gradient, relative_error
from .initializers import (
    INITIALIZERS,
    Initializer,
    compute_fans,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    initializer,
    lecun_normal,
    lecun_uniform,
    random_normal,
    random_uniform,
    zeros,
)
from .losses import LOSSES, Loss, binary_crossentropy, categorical_crossentropy, loss, mse
from .network import MLP, Dense
from .optim import SGD, Adam, Momentum, Optimizer, critical_learning_rate, gradient_descent
from .training import History, TrainStep, train

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "ELU",
    "INITIALIZERS",
    "LOSSES",
    "MLP",
    "SGD",
    "Activation",
    "Adam",
    "ArgumentError",
    "ChainRule",
    "Dense",
    "ExpressionError",
    "GradientMismatch",
    "GradientReport",
    "History",
    "Initializer",
    "LeakyReLU",
    "Loss",
    "Momentum",
    "Optimizer",
    "ParameterCheck",
    "ShapeError",
    "TrainStep",
    "activation",
    "activations",
    "binary_crossentropy",
    "categorical_crossentropy",
    "chain_rule",
    "check_gradients",
    "compute_fans",
    "critical_learning_rate",
    "derive",
    "elu",
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
