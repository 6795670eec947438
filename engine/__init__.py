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

__all__ = [
    "Network", "Trainer", "Trace", "Gradients", "StepResult", "Phase", "TrainingDiverged",
    "datasets", "grid", "HIDDEN_ACTIVATIONS", "OUTPUT_ACTIVATIONS", "LOSSES", "OPTIMIZERS", "INITS",
]
