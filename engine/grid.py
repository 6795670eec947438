"""The network over a grid of the input plane: the decision boundary and the neuron thumbnails."""

from dataclasses import dataclass

import numpy as np

from .datasets import feature_matrix


@dataclass(frozen=True)
class GridValues:
    """Row i of every (r, r) image is y = ys[i]; column j is x = xs[j]."""
    xs: np.ndarray
    ys: np.ndarray
    output: np.ndarray        # (n_out, r, r)
    activations: list         # per layer 1..L: (n_l, r, r)


def grid_points(extent, resolution):
    """The r×r grid's (x1, x2) coordinates as a (2, r²) array, row by row from ys[0]."""
    xmin, xmax, ymin, ymax = (float(v) for v in extent)
    if not (np.isfinite([xmin, xmax, ymin, ymax]).all() and xmin < xmax and ymin < ymax):
        raise ValueError(f"extent must be finite (xmin, xmax, ymin, ymax) with xmin < xmax and ymin < ymax, "
                         f"got {extent}")
    if not isinstance(resolution, (int, np.integer)) or not 2 <= resolution <= 1000:
        raise ValueError(f"resolution must be a whole number from 2 to 1000, got {resolution!r}")
    xs = np.linspace(xmin, xmax, resolution)
    ys = np.linspace(ymin, ymax, resolution)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.vstack([gx.ravel(), gy.ravel()])


def evaluate(net, features, extent, resolution=50):
    """The output and every neuron's activation over an r×r grid of the (x1, x2) plane, with the
    inputs mapped through the given features; the forward pass runs in the compiled kernels."""
    xs, ys, points = grid_points(extent, resolution)
    X = feature_matrix(points, features)
    if X.shape[0] != net.sizes[0]:
        raise ValueError(f"{len(features)} features given but the network has {net.sizes[0]} inputs")
    trace = net.forward(X.astype(net.dtype))
    r = resolution
    layers = [a.reshape(a.shape[0], r, r) for a in trace.A[1:]]
    return GridValues(xs, ys, layers[-1], layers)
