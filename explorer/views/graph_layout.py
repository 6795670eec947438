"""Which neurons a node graph draws when a layer is too wide to draw them all.

A 784-input network cannot be drawn as 784 circles. A layer wider than ``MAX_NODES`` collapses into
a labelled block that shows a few of its neurons, the strongest ones (largest weight norm) when
weights are given, evenly spread ones otherwise, and says how many it leaves out. A selected neuron
is always among those shown, so selection keeps working. (The node graph raises the limit, up to the
playground's widest layer, when it is tall enough to draw every node legibly.)

Pure NumPy, no Qt: the node-graph view asks for a layout per layer and draws only ``shown``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_NODES = 16          # layers up to this size are drawn in full
SHOWN = 12              # neurons drawn for a collapsed layer
MODES = ("strongest", "sample")


@dataclass(frozen=True)
class LayerLayout:
    """The drawing plan of one layer.

    size: neurons in the layer; shown: their indices to draw, ascending; collapsed: whether some are
    left out; hidden_count: how many; ranking: "all", "strongest" or "sample" (how shown was chosen).
    """

    size: int
    shown: tuple
    collapsed: bool
    hidden_count: int
    ranking: str
    what: str = "neurons"

    @property
    def label(self) -> str:
        """A short caption for the block, e.g. "784 inputs · 12 strongest shown · 772 more"."""
        if not self.collapsed:
            return f"{self.size} {self.what}"
        how = "strongest" if self.ranking == "strongest" else "sampled"
        return f"{self.size} {self.what} · {len(self.shown)} {how} shown · {self.hidden_count} more"

    def slot(self, neuron: int) -> int | None:
        """The drawing position (0-based) of a neuron, or None when it is not drawn."""
        try:
            return self.shown.index(int(neuron))
        except ValueError:
            return None

    def neuron(self, slot: int) -> int:
        """The neuron drawn at a position."""
        return self.shown[slot]


def strength(weights_out: np.ndarray | None = None, weights_in: np.ndarray | None = None) -> np.ndarray:
    """A neuron's strength: the L2 norm of its outgoing weights (columns of the next W).

    For the output layer, which has no outgoing weights, the norm of its incoming weights (rows of W).
    """
    if weights_out is not None:
        return np.sqrt(np.einsum("ij,ij->j", weights_out, weights_out, dtype=np.float64))
    if weights_in is not None:
        return np.sqrt(np.einsum("ij,ij->i", weights_in, weights_in, dtype=np.float64))
    raise ValueError("strength needs the layer's outgoing or incoming weights")


def layer_layout(size: int, scores=None, selected=None, max_nodes: int = MAX_NODES, shown: int = SHOWN,
                 mode: str = "strongest", what: str = "neurons") -> LayerLayout:
    """The neurons to draw for a layer of ``size`` neurons.

    scores: one number per neuron (e.g. from :func:`strength`); with mode "strongest" the ``shown``
    highest are drawn. Without scores, or with mode "sample", an even spread is drawn. ``selected``
    (a neuron index or a collection of them) is always drawn. Ties keep the lower index.
    """
    size = int(size)
    if size < 1:
        raise ValueError(f"a layer has at least 1 neuron, got {size}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if not 1 <= shown <= max_nodes:
        raise ValueError(f"shown must be between 1 and max_nodes={max_nodes}, got {shown}")
    if size <= max_nodes:
        return LayerLayout(size, tuple(range(size)), False, 0, "all", what)
    must = [] if selected is None else sorted({int(s) for s in np.atleast_1d(selected) if 0 <= int(s) < size})
    must = must[:shown]
    if scores is not None and mode == "strongest":
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if scores.size != size:
            raise ValueError(f"{scores.size} scores for a layer of {size} neurons")
        scores = np.where(np.isfinite(scores), scores, -np.inf)
        order = np.lexsort((np.arange(size), -scores))          # highest first, lower index on ties
        ranking = "strongest"
    else:
        order = np.unique(np.linspace(0, size - 1, shown).round().astype(int))
        order = np.concatenate([order, np.setdiff1d(np.arange(size), order)])
        ranking = "sample"
    chosen = list(must)
    for j in order:
        if len(chosen) >= shown:
            break
        if int(j) not in chosen:
            chosen.append(int(j))
    chosen = tuple(sorted(chosen))
    return LayerLayout(size, chosen, True, size - len(chosen), ranking, what)


def network_layout(sizes, weights=None, selected=None, max_nodes: int = MAX_NODES, shown: int = SHOWN,
                   mode: str = "strongest") -> list[LayerLayout]:
    """One LayerLayout per layer of a network (inputs first).

    weights: the network's W list (W[l] is (n_{l+1}, n_l)) to rank neurons by strength; selected:
    {layer index in sizes: neuron or neurons} that must stay visible.
    """
    sizes = [int(s) for s in sizes]
    if weights is not None and len(weights) != len(sizes) - 1:
        raise ValueError(f"{len(weights)} weight matrices for {len(sizes)} layers")
    selected = selected or {}
    out = []
    for i, n in enumerate(sizes):
        scores = None
        if weights is not None and n > max_nodes:
            scores = strength(weights_out=weights[i]) if i < len(sizes) - 1 else strength(weights_in=weights[i - 1])
        what = "inputs" if i == 0 else ("outputs" if i == len(sizes) - 1 else "neurons")
        out.append(layer_layout(n, scores, selected.get(i), max_nodes, shown, mode, what))
    return out
