"""Backprop Explorer's training engine: NumPy + Numba, no GUI, usable from a script or a notebook.

    from engine import Network, Trainer, datasets
    net = Network([2, 8, 8, 1], hidden="tanh", output="sigmoid", loss="bce")
    trainer = Trainer(net, datasets.make("spiral", n=500, noise=0.1))
    trainer.train(steps=50_000)
"""

from . import datasets, grid
from .names import HIDDEN_ACTIVATIONS, INITS, LOSSES, OPTIMIZERS, OUTPUT_ACTIVATIONS
from .network import Gradients, Network, Trace
from .trainer import Phase, StepResult, Trainer, TrainingDiverged


def warmup(dtypes=("float64", "float32")):
    """Compile (or load from the cache) every kernel a session uses, so the first real step is
    instant. Returns the seconds it took."""
    import time

    import numpy as np

    start = time.perf_counter()
    rng = np.random.default_rng(0)
    for dtype in dtypes:
        X = rng.normal(size=(2, 40)).astype(dtype)
        Y = (X[0] > 0).astype(dtype)[None]
        for hidden, output, loss, optimizer in (("tanh", "sigmoid", "bce", "sgd"), ("relu", "softmax", "cce", "adam")):
            targets = Y if loss == "bce" else np.vstack([Y, 1 - Y])
            net = Network([2, 3, targets.shape[0]], hidden=hidden, output=output, loss=loss, dtype=dtype)
            trainer = Trainer(net, (X, targets), optimizer=optimizer, batch_size=8)
            trainer.step()
            trainer.train(steps=2)
            trainer.evaluate()
            grid.evaluate(net, ("x1", "x2"), (-1, 1, -1, 1), resolution=4)
    return time.perf_counter() - start


__all__ = [
    "warmup", "Network", "Trainer", "Trace", "Gradients", "StepResult", "Phase", "TrainingDiverged",
    "datasets", "grid", "HIDDEN_ACTIVATIONS", "OUTPUT_ACTIVATIONS", "LOSSES", "OPTIMIZERS", "INITS",
]
