"""Layer space: the input plane's grid and the data points mapped through one layer, first the
affine part Wˡ·a + bˡ, then the activation's bend (a slider blends between the two). Two neurons
of the layer are the axes; a 1-neuron layer is drawn on a line.

The mapping runs through engine.inspect.layer_map on a copy of the snapshot's network, so the
points are exactly the engine's Zˡ and Aˡ.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from ..theme import CLASS_COLOURS, LIGHT, Theme

GRID_LINES = 13
LINE_POINTS = 60
NO_PLANE = ("Layer space maps the input plane's grid and the data points through a layer: it needs data "
            "drawn on a 2-D plane (the Playground's sets, or a CSV imported with two plot columns).")


def network_of(snap):
    """An engine Network holding the snapshot's weights (the views' own copy)."""
    from engine import Network
    acts = list(snap.activations)
    return Network.from_dict({"sizes": list(snap.sizes), "activations": acts, "loss": snap.state.loss,
                              "weights": [np.asarray(w).tolist() for w in snap.weights],
                              "biases": [np.asarray(b)[:, 0].tolist() for b in snap.biases]})


def grid_lines(extent, lines: int = GRID_LINES, points: int = LINE_POINTS):
    """Polylines of a grid over the plane as a (2, N) array with NaN columns between lines."""
    xmin, xmax, ymin, ymax = extent
    xs = np.linspace(xmin, xmax, lines)
    ys = np.linspace(ymin, ymax, lines)
    t_x = np.linspace(xmin, xmax, points)
    t_y = np.linspace(ymin, ymax, points)
    parts = []
    gap = np.full((2, 1), np.nan)
    for y in ys:
        parts += [np.vstack([t_x, np.full(points, y)]), gap]
    for x in xs:
        parts += [np.vstack([np.full(points, x), t_y]), gap]
    return np.hstack(parts)


class LayerSpaceView(QWidget):
    def __init__(self, parent=None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self.snap = None
        self._sizes = None
        self.Z = self.A = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        row = QHBoxLayout()
        row.addWidget(QLabel("Layer"))
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("The layer whose output space is drawn")
        row.addWidget(self.layer_box)
        row.addWidget(QLabel("axes"))
        self.x_box = QComboBox()
        self.x_box.setToolTip("The neuron along the horizontal axis")
        self.y_box = QComboBox()
        self.y_box.setToolTip("The neuron along the vertical axis")
        row.addWidget(self.x_box)
        row.addWidget(self.y_box)
        lay.addLayout(row)
        srow = QHBoxLayout()
        srow.addWidget(QLabel("affine Wˡ·a+bˡ"))
        self.stage = QSlider(Qt.Horizontal)
        self.stage.setRange(0, 100)
        self.stage.setValue(100)
        self.stage.setToolTip("Slide from the affine part (rotate, scale, shear, shift) to the activation's bend")
        srow.addWidget(self.stage, 1)
        activated = QLabel("activated Aˡ")
        activated.setContentsMargins(0, 0, 4, 0)    # the superscript ˡ draws past its measured width
        srow.addWidget(activated)
        lay.addLayout(srow)
        self.plot = pg.PlotWidget()
        self.plot.setToolTip("The input plane's grid lines and the training points after the chosen layer")
        self.lines = pg.PlotCurveItem(pen=pg.mkPen((120, 120, 120), width=1), connect="finite")
        self.points = pg.ScatterPlotItem(size=6, pen=pg.mkPen(None))
        self.plot.addItem(self.lines)
        self.plot.addItem(self.points)
        lay.addWidget(self.plot, 1)
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        lay.addWidget(self.caption)
        self.layer_box.currentIndexChanged.connect(self._on_layer_changed)
        self.x_box.currentIndexChanged.connect(self._on_axes_changed)
        self.y_box.currentIndexChanged.connect(self._on_axes_changed)
        self.stage.valueChanged.connect(self._on_axes_changed)
        self.apply_theme(theme)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.plot.setBackground(theme.plot_bg)

    def update_snapshot(self, snap) -> None:
        if snap is None:
            return
        if snap.points_train is None or snap.extent is None:
            self._show_nothing()
            return
        if self.snap is None:
            self._set_controls_enabled(True)
        self.snap = snap
        if tuple(snap.sizes) != self._sizes:
            self._sizes = tuple(snap.sizes)
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            for l in range(1, len(snap.sizes)):
                self.layer_box.addItem(f"layer {l} ({snap.sizes[l]} neurons)", l - 1)
            self.layer_box.setCurrentIndex(0)
            self.layer_box.blockSignals(False)
            self._fill_axes()
            self.Z = None                   # a map of the old network does not fit the new axes
        if self.isVisible() or self.Z is None:
            self.compute()

    def showEvent(self, event) -> None:
        # while hidden, snapshots were taken but not mapped: map the latest now, not at the next step
        super().showEvent(event)
        if self.snap is not None:
            self.compute()

    def _show_nothing(self) -> None:
        """Data without a plane of points (images, a table without two plot columns): no map, and no
        map left from the data before it."""
        if self.snap is None and self.caption.text() == NO_PLANE:
            return
        self.snap, self.Z, self.A, self._sizes = None, None, None, None
        self.lines.setData([], [])
        self.points.setData([], [])
        for box in (self.layer_box, self.x_box, self.y_box):
            box.blockSignals(True)
            box.clear()
            box.blockSignals(False)
        self._set_controls_enabled(False)
        self.caption.setText(NO_PLANE)

    def _set_controls_enabled(self, on: bool) -> None:
        for w in (self.layer_box, self.x_box, self.y_box, self.stage):
            w.setEnabled(on)

    def _fill_axes(self) -> None:
        n = self._sizes[self.layer_box.currentIndex() + 1] if self._sizes else 1
        for box, default in ((self.x_box, 0), (self.y_box, min(1, n - 1))):
            box.blockSignals(True)
            box.clear()
            for j in range(n):
                box.addItem(f"neuron {j + 1}", j)
            box.setCurrentIndex(default)
            box.blockSignals(False)

    def _on_layer_changed(self, _i) -> None:
        self._fill_axes()
        self.compute()

    def _on_axes_changed(self, _i) -> None:
        self._draw()

    def compute(self) -> None:
        """Map the grid and the training points through the chosen layer (engine.inspect.layer_map)."""
        from engine import inspect
        snap = self.snap
        if snap is None:
            return
        layer = self.layer_box.currentData() or 0
        net = network_of(snap)
        lines = grid_lines(snap.extent)
        ok = np.all(np.isfinite(lines), axis=0)
        pts = np.hstack([lines[:, ok], np.asarray(snap.points_train)])
        X = snap.plane_inputs(pts)
        Z, A = inspect.layer_map(net, X, layer)
        n_lines = int(ok.sum())
        self.Z = np.full((Z.shape[0], lines.shape[1]), np.nan)
        self.A = np.full_like(self.Z, np.nan)
        self.Z[:, ok] = Z[:, :n_lines]
        self.A[:, ok] = A[:, :n_lines]
        self.point_Z, self.point_A = Z[:, n_lines:], A[:, n_lines:]
        self.layer = layer
        self._draw()

    def mapped(self, which: str = "A"):
        """(lines, points) as drawn: rows are neurons."""
        return (self.A, self.point_A) if which == "A" else (self.Z, self.point_Z)

    def _draw(self) -> None:
        if self.Z is None:
            return
        t = self.stage.value() / 100.0
        jx = self.x_box.currentData() or 0
        jy = self.y_box.currentData() or 0
        lines = (1 - t) * self.Z + t * self.A
        pts = (1 - t) * self.point_Z + t * self.point_A
        one = self.Z.shape[0] == 1
        ly = np.where(np.isnan(lines[0]), np.nan, 0.0) if one else lines[jy]
        py = np.zeros(pts.shape[1]) if one else pts[jy]
        self.lines.setData(lines[jx], ly)
        labels = self.snap.labels_train
        if labels is not None and self.snap.kind != "regression":
            brushes = [pg.mkBrush(*CLASS_COLOURS[int(c) % len(CLASS_COLOURS)]) for c in labels]
        else:
            brushes = pg.mkBrush(8, 119, 189)
        self.points.setData(pts[jx], py, brush=brushes)
        n = self.layer + 1
        plane = ("The input plane" if self.snap.held_inputs is None else
                 "The slice through {} and {} (the other inputs at their training means)".format(*self.snap.axis_names))
        self.caption.setText(f"{plane} after layer {n}: "
                             + ("the affine map Z" if t == 0 else "the activation A" if t == 1 else "between Z and A")
                             + (" (one neuron: drawn on a line)" if one else
                                f", neurons {jx + 1} and {jy + 1}"))
