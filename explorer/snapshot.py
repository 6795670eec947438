"""Snapshot: an immutable picture of the training session, built by the worker, read by the views.

Every array is a private copy marked read-only, so a view can keep a snapshot as long as it
likes while the worker trains on.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .state import AppState


def frozen(a) -> np.ndarray | None:
    """A read-only copy of ``a`` (None stays None)."""
    if a is None:
        return None
    out = np.array(a, copy=True)
    out.setflags(write=False)
    return out


def frozen_list(arrays) -> tuple:
    return tuple(frozen(a) for a in arrays) if arrays is not None else ()


def slice_inputs(held, features, axis_names, pts) -> np.ndarray:
    """Inputs (d, m) on a 2-D slice through a table: the columns named axis_names at the points
    pts (2, m), every other column at its held value (held: (d,))."""
    X = np.repeat(np.asarray(held, dtype=np.float64)[:, None], np.shape(pts)[1], axis=1)
    for row, name in enumerate(axis_names):
        X[list(features).index(name)] = pts[row]
    return X


def epoch_goal(epoch: int, every: int) -> int | None:
    """The epoch count at which Play pauses: the next multiple of ``every`` after ``epoch`` epochs
    (None when ``every`` is 0: no pause)."""
    if every <= 0:
        return None
    return (epoch // every + 1) * every


@dataclass(frozen=True)
class Curve:
    """The network as a function of its one input: the output at evenly spaced input values, and
    the data's inputs, for a plot of ŷ over x (a table of one input column has no plane to draw)."""
    input_name: str
    xs: np.ndarray                    # (r,)
    output: np.ndarray                # (n_out, r)
    inputs_train: np.ndarray          # (m_train,)
    inputs_test: np.ndarray | None    # (m_test,)
    activations: tuple = ()           # per layer 1..L, (n_l, r): each neuron over the same inputs


@dataclass(frozen=True)
class EditMarker:
    step: int
    text: str


@dataclass(frozen=True)
class Snapshot:
    """What the views draw. Layer lists are 0-based (index l is layer l+1 on screen)."""

    serial: int                       # increases with every published snapshot
    state: AppState                   # the settings the worker has applied
    step: int
    epoch: int
    playing: bool
    steps_per_second: float

    sizes: tuple                      # (d, n1, ..., nL)
    activations: tuple                # per weight layer, the last one is the output's
    features: tuple
    weights: tuple                    # W[l] (n_out, n_in)
    biases: tuple                     # b[l] (n_out, 1)
    # the last step (None before the first step)
    grad_weights: tuple = ()          # dW[l]
    grad_biases: tuple = ()           # db[l]
    mean_dz: tuple = ()               # mean over the batch of dZ[l], (n_l,)
    mean_activations: tuple = ()      # without an input plane: mean over the batch of A[l], inputs first
    weight_changes: tuple = ()        # new - old of the last update
    bias_changes: tuple = ()
    batch_loss: float | None = None
    optimizer_state: dict = field(default_factory=dict)   # name -> {"weights": (...), "biases": (...)}

    # evaluation on the whole sets
    train_loss: float | None = None
    test_loss: float | None = None
    train_accuracy: float | None = None
    test_accuracy: float | None = None
    eval_samples: int = 0             # losses measured on the first this many samples of each set (0: all)

    # loss curves (one point per evaluation), and where the architecture was edited
    history_steps: np.ndarray | None = None
    history_train: np.ndarray | None = None
    history_test: np.ndarray | None = None
    markers: tuple = ()               # EditMarker

    # a second network trained beside this one (a lesson's comparison), as a Snapshot of its own
    compare: "Snapshot | None" = None
    compare_title: str = ""
    compare_note: str = ""            # why the comparison stopped (it diverged), else ""

    # the input plane: grids computed by engine.grid.evaluate on the worker
    extent: tuple | None = None       # (xmin, xmax, ymin, ymax)
    grid_xs: np.ndarray | None = None
    grid_ys: np.ndarray | None = None
    grid_output: np.ndarray | None = None       # (n_out, r, r)
    grid_activations: tuple = ()                # per layer 1..L, (n_l, r, r)
    input_images: np.ndarray | None = None      # (d, r, r): each input feature over the plane
    curve: Curve | None = None                  # one input and no plane: the output over that input

    # the data (only changes when data_version does)
    data_version: int = 0
    arch_version: int = 0
    kind: str = "binary"
    n_classes: int = 2
    points_train: np.ndarray | None = None      # (2, m)
    points_test: np.ndarray | None = None
    labels_train: np.ndarray | None = None      # int per sample, or float targets for regression
    labels_test: np.ndarray | None = None
    dataset_name: str = ""
    image_shape: tuple | None = None            # (h, w) for image data
    class_names: tuple = ()
    axis_names: tuple | None = None             # what the plane's two axes are (CSV column names)
    slice_note: str = ""                        # how the plane cuts a >2-D input space ("" when it does not)
    held_inputs: np.ndarray | None = None       # on such a slice, every input's held value (training means)

    # image data: the network's answers on a page of test images (explorer.views.image_views.ImageResults),
    # refreshed at most every IMAGE_RESULTS_INTERVAL s while playing, and on every pause or step
    image_results: object = None
    steps_per_epoch: int = 0
    target_epochs: int = 0                      # training pauses after each this many epochs (0: no limit)
    epoch_fraction: float = 0.0                 # samples of this epoch used / training samples
    m_train: int = 0                            # training and test samples
    m_test: int = 0
    # the serial of the snapshot this one repeats with newly measured losses (history, losses and
    # accuracies are all that differ), or 0: views that show no losses need not redraw for it
    refines: int = 0

    def plane_inputs(self, pts) -> np.ndarray:
        """The network's inputs (d, m) at points (2, m) of the plane: the playground's features of
        them, or on a slice through a table the two plot columns at the points and every other
        input where the slice holds it."""
        if self.held_inputs is None:
            from engine import datasets
            return datasets.feature_matrix(pts, self.features)
        return slice_inputs(self.held_inputs, self.features, self.axis_names, pts)

    @property
    def has_plane(self) -> bool:
        """True when there is a 2-D input plane to draw (not for images or unplotted tables)."""
        return self.grid_output is not None and self.extent is not None

    @property
    def epoch_progress(self) -> float:
        """How far through the current epoch training is, 0..1 (by samples: right after a change of
        batch size too)."""
        return self.epoch_fraction

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    @property
    def has_step(self) -> bool:
        return len(self.grad_weights) == len(self.weights) and len(self.weights) > 0

    def optimizer_values(self, kind: str, l: int, j: int, k: int = 0) -> dict:
        """The optimizer's state for weight (l, j, k) or bias (l, j): name -> float."""
        out = {}
        for name, entry in (self.optimizer_state or {}).items():
            try:
                arrays = entry["weights" if kind == "weight" else "biases"]
                a = arrays[l]
                out[name] = float(a[j, k] if kind == "weight" else a[j, 0] if a.ndim == 2 else a[j])
            except (KeyError, IndexError, TypeError):
                continue
        return out
