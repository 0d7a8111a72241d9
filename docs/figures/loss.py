"""Figures of the loss page: each loss against the prediction, and its gradient in the logit."""

import numpy as np
from _kit import figure, plt

import nnspec as ns

BLUE, ORANGE = "#3949ab", "#e65100"


def _per_prediction(loss, y_true, predictions, **options):
    """The loss of each single prediction row against the one target row ``y_true``."""
    return np.array([loss(y_true, row[None, :], **options) for row in predictions])


@figure("loss.svg")
def losses_against_prediction():
    fig, axes = plt.subplots(2, 2, figsize=(8.0, 6.0))
    (mse_ax, bce_ax), (cce_ax, grad_ax) = axes

    y_hat = np.linspace(-1.0, 3.0, 401)
    mse = _per_prediction(ns.mse, np.array([[1.0]]), y_hat[:, None])
    mse_ax.plot(y_hat, mse, color=BLUE, linewidth=2)
    mse_ax.set(title="Mean squared error, target $y = 1$", xlabel=r"prediction $\hat y$", ylabel="loss")

    p = np.linspace(0.001, 0.999, 999)
    for label, colour in [(1.0, BLUE), (0.0, ORANGE)]:
        bce = _per_prediction(ns.binary_crossentropy, np.array([[label]]), p[:, None])
        bce_ax.plot(p, bce, color=colour, linewidth=2, label=f"$y = {label:g}$")
    bce_ax.set(title="Binary cross-entropy", xlabel="predicted probability $p$", ylabel="loss")
    bce_ax.set_ylim(0, 7)
    bce_ax.legend(loc="upper center")

    rest = (1 - p) / 2  # the remaining probability, split between two other classes
    rows = np.column_stack([p, rest, rest])
    cce = _per_prediction(ns.categorical_crossentropy, np.array([[1.0, 0.0, 0.0]]), rows)
    cce_ax.plot(p, cce, color=BLUE, linewidth=2)
    cce_ax.set(
        title="Categorical cross-entropy (3 classes)",
        xlabel="probability of the true class",
        ylabel="loss",
        ylim=(0, 7),
    )

    z = np.linspace(-12.0, 6.0, 361)
    target = np.array([[1.0]])
    # dL/dz for one sample, as on the page: the MSE through the sigmoid by the chain rule,
    # the cross-entropy directly from the logit.
    mse_slope = [(ns.mse.grad(target, ns.sigmoid([[v]])) * ns.sigmoid.grad(v))[0, 0] for v in z]
    bce_slope = [ns.binary_crossentropy.grad(target, [[v]], from_logits=True)[0, 0] for v in z]
    grad_ax.plot(z, np.abs(bce_slope), color=BLUE, linewidth=2, label="cross-entropy (from logits)")
    grad_ax.plot(z, np.abs(mse_slope), color=ORANGE, linewidth=2, label=r"MSE on $\sigma(z)$")
    grad_ax.set(
        title="Gradient size in the logit, target $y = 1$",
        xlabel="logit $z$",
        ylabel=r"$|\partial L / \partial z|$",
        ylim=(0, 1.05),
    )
    grad_ax.legend(loc="center left")
    fig.tight_layout()
    return fig


@figure("loss-margin.svg")
def losses_against_margin():
    """0-1, hinge and logistic losses of one sample against its margin m = t z."""
    margin = np.linspace(-3.0, 3.0, 601)
    zero_one = (margin <= 0).astype(float)
    hinge = np.maximum(0.0, 1.0 - margin)
    # logistic loss log(1 + e^-m) = binary cross-entropy of label 1 at logit m, here in bits
    logistic = np.array([ns.binary_crossentropy([[1.0]], [[m]], from_logits=True) for m in margin])
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    ax.plot(margin, zero_one, color="black", linewidth=2.2, label="0–1 loss (1 − accuracy)")
    ax.plot(margin, hinge, color=BLUE, linewidth=2, linestyle="--", label="hinge  max(0, 1 − m)")
    ax.plot(margin, logistic / np.log(2), color=ORANGE, linewidth=2, linestyle="-.",
            label="logistic  log₂(1 + e⁻ᵐ)")  # fmt: skip
    ax.set(xlabel="margin $m = t\\,z$ (label $t = \\pm 1$ times score $z$)", ylabel="loss", ylim=(0, 4))
    ax.set_title("Hinge and logistic losses bound the 0–1 loss from above, and have a slope")
    ax.legend(loc="upper right")
    return fig


def _overfit_curves():
    """Train and validation MSE of a 1-32-32-1 network on 12 noisy samples of sin(3x)."""
    rng = np.random.default_rng(0)

    def sample(n):
        X = rng.uniform(-1, 1, size=(n, 1))
        return X, np.sin(3 * X) + 0.3 * rng.normal(size=(n, 1))

    (X, Y), (Xv, Yv) = sample(12), sample(200)
    model = ns.MLP((1, 32, 32, 1), activation="tanh", seed=0)
    optimizer = ns.Adam(0.01)
    epochs, train, validation = [], [], []
    for chunk in range(1, 31):
        history = ns.train(model, X, Y, loss="mse", optimizer=optimizer, epochs=50)
        epochs.append(50 * chunk)
        train.append(history.losses[-1])
        validation.append(ns.mse(Yv, model.forward(Xv)))
    return np.array(epochs), np.array(train), np.array(validation)


@figure("loss-train-validation.svg")
def train_and_validation():
    epochs, train, validation = _overfit_curves()
    best = int(np.argmin(validation))
    fig, ax = plt.subplots()
    ax.plot(
        epochs, train, color=BLUE, marker="o", markersize=3, linewidth=2, label="training loss (12 samples)"
    )
    ax.plot(epochs, validation, color=ORANGE, marker="s", markersize=3, linewidth=2, linestyle="--",
            label="validation loss (200 new samples)")  # fmt: skip
    ax.axhline(0.09, color="grey", linewidth=1, linestyle=":", label="noise variance 0.09")
    ax.axvline(epochs[best], color="grey", linewidth=1)
    ax.annotate(f"best validation loss {validation[best]:.3f}\nat epoch {epochs[best]}",
                (epochs[best], validation[best]), xytext=(epochs[best] + 350, 0.115), fontsize=9,
                arrowprops={"arrowstyle": "->", "color": "grey"})  # fmt: skip
    ax.set(yscale="log", xlabel="epoch", ylabel="mean squared error",
           title="Training loss keeps falling; validation loss turns up: overfitting")  # fmt: skip
    ax.legend(loc="lower left")
    return fig
