"""Gradient descent seen on the cost: for the selected weight, J over a range of w with every
other parameter fixed, the current w, the tangent of slope ∂J/∂w and where the next update lands.
With a second weight chosen, the cost as a contour map with the path the weights took."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from engine.inspect import param_symbol
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from ..theme import LIGHT, Theme, style_plot
from ..numbers import num, nums_apart

PATH_MAX = 2000


def slice_caption(s, sym: str, batch_source: str) -> str:
    """What the 1-D slice shows, in words. The weight and the cost are written with the digits it
    takes to see the update change them: a step of 3e−5 would otherwise read "0.5328 to 0.5328"."""
    w, new_w = nums_apart(s.w, s.new_w)
    cost, new_cost = nums_apart(s.cost, s.new_cost, digits=6)
    head = (f"J along {sym} on {batch_source} (everything else fixed): at w = {w}, J = {cost}, "
            f"slope ∂J/∂w = {num(s.slope)}; ")
    if s.new_w == s.w:
        return head + "the update leaves w where it is."
    move = s.new_w - s.w
    if not np.isfinite(move):
        return head + f"the update takes w to {new_w}."
    change = s.new_cost - s.cost
    effect = ("" if not np.isfinite(change) else " (unchanged)" if change == 0 else
              f" ({num(-change)} lower)" if change < 0 else f" ({num(change)} higher)")
    return head + f"the update moves w by {'+' if move > 0 else ''}{num(move)} to {new_w}, where J = {new_cost}{effect}."


def surface_fractions(costs) -> tuple[np.ndarray, float, float]:
    """The cost surface as fractions of its finite range, for an image item, and that range (low,
    high). Fractions, not costs: the item rescales in float32, where a range of finite costs may be
    too wide (a cost above 3e38) or too narrow (1e-40) to rescale. A cost that overflowed (NaN or
    infinite) is drawn as the highest; a flat surface (no range beyond rounding) as the lowest."""
    costs = np.asarray(costs, dtype=np.float64)
    finite = costs[np.isfinite(costs)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    span = hi - lo
    if not span > 1e-12 * max(abs(lo), abs(hi)):
        return np.zeros(costs.shape, np.float32), lo, lo
    # every finite cost lies in [lo, hi] already: only the overflowed ones need a place
    placed = np.nan_to_num(costs, nan=hi, posinf=hi, neginf=lo)
    return np.ascontiguousarray((placed - lo) / span, dtype=np.float32), lo, hi


class CostSliceView(QWidget):
    pin_requested = Signal()          # pin the selected weight as the second axis of a contour map
    unpin_requested = Signal()

    def __init__(self, parent=None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self.view = None
        self.path: list[tuple[float, float]] = []
        self._path_key = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.caption = QLabel("Select a weight on the graph to see the cost along it.")
        self.caption.setWordWrap(True)
        self.caption.setToolTip("J over one weight with everything else fixed; the slope at the current w "
                                "is ∂J/∂w. Shift-click a second weight for a contour map of two.")
        lay.addWidget(self.caption)
        row = QHBoxLayout()
        self.pin_button = QPushButton("Pin for a 2-D map")
        self.pin_button.setToolTip("Keep the selected weight as the second axis; then select another weight "
                                   "to see the cost over both as a contour map with the optimizer's path")
        self.unpin_button = QPushButton("Back to 1-D")
        self.unpin_button.setToolTip("Forget the pinned weight and show the cost along one weight")
        self.pin_button.clicked.connect(self.pin_requested)
        self.unpin_button.clicked.connect(self.unpin_requested)
        row.addWidget(self.pin_button)
        row.addWidget(self.unpin_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.stack = QStackedWidget()
        lay.addWidget(self.stack, 1)
        # 1-D slice
        self.plot = pg.PlotWidget()
        self.plot.setToolTip("Cost J along the selected weight: the curve, the current w (dot), the tangent "
                             "of slope ∂J/∂w (dashed) and where the next update lands (square)")
        self.plot.setLabel("bottom", "w")
        self.plot.setLabel("left", "J")
        self.curve = self.plot.plot([], [], pen=pg.mkPen("#0877bd", width=2))
        self.tangent = self.plot.plot([], [], pen=pg.mkPen("#d93025", width=1.5, style=pg.QtCore.Qt.DashLine))
        self.current = pg.ScatterPlotItem(size=11, brush=pg.mkBrush("#d93025"), pen=pg.mkPen("w"))
        self.next_point = pg.ScatterPlotItem(size=11, symbol="s", brush=pg.mkBrush("#2ea043"), pen=pg.mkPen("w"))
        self.step_line = self.plot.plot([], [], pen=pg.mkPen("#2ea043", width=1.5))
        self.plot.addItem(self.current)
        self.plot.addItem(self.next_point)
        self.stack.addWidget(self.plot)
        # 2-D contour
        self.plot2 = pg.PlotWidget()
        self.plot2.setToolTip("Cost J over two weights (darker = lower) with the path the optimizer took")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(pg.colormap.get("viridis").getLookupTable(nPts=256))
        self.plot2.addItem(self.image)
        self.isos = []
        self.path_curve = self.plot2.plot([], [], pen=pg.mkPen("#ffffff", width=2), symbol="o", symbolSize=4,
                                          symbolBrush="#ffffff")
        self.here = pg.ScatterPlotItem(size=12, brush=pg.mkBrush("#d93025"), pen=pg.mkPen("w"))
        self.plot2.addItem(self.here)
        self.stack.addWidget(self.plot2)
        self.apply_theme(theme)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        for p in (self.plot, self.plot2):
            style_plot(p, theme)

    def update_snapshot(self, snap) -> None:
        """Record the path of the two selected weights as training moves them."""
        v = self.view
        if v is None or v.second is None or v.selection is None or v.selection[0] != "weight":
            return
        key = (v.selection, v.second, snap.arch_version)
        if key != self._path_key:
            self._path_key = key
            self.path = []
        _, l, j, k = v.selection
        l2, j2, k2 = v.second
        try:
            point = (float(snap.weights[l][j, k]), float(snap.weights[l2][j2, k2]))
        except (IndexError, TypeError):
            return
        if not self.path or self.path[-1] != point:
            self.path.append(point)
            del self.path[:-PATH_MAX]
        self._draw_path()

    def set_view(self, view) -> None:
        self.view = view
        self._enable_buttons(view)
        s = None if view is None else view.slice
        if s is None:
            self.caption.setText("Select a weight on the graph to see the cost along it.")
            for item in (self.curve, self.tangent, self.step_line):
                item.setData([], [])
            self.current.setData([], [])
            self.next_point.setData([], [])
            self.stack.setCurrentIndex(0)
            # the empty plot's default range puts its top tick label on the edge, half cut off
            self.plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.05)
            return
        self.plot.enableAutoRange()
        sym = view.chain.symbol if view.chain is not None else "w"
        if view.surface is not None:
            self._show_surface(view, sym)
            return
        self.stack.setCurrentIndex(0)
        self.plot.setLabel("bottom", sym)
        finite = np.isfinite(s.costs)       # a diverged network's cost overflows along part of the line
        self.curve.setData(s.values[finite], s.costs[finite])
        if np.all(np.isfinite([s.w, s.cost, s.slope, s.new_w, s.new_cost])):
            half = 0.35 * (s.values[-1] - s.values[0])
            xs = np.array([s.w - half, s.w + half])
            with np.errstate(over="ignore", invalid="ignore"):    # a huge slope's tangent overflows
                tangent = s.cost + s.slope * (xs - s.w)
                step_end = s.cost + s.slope * (s.new_w - s.w)
            if np.all(np.isfinite(tangent)) and np.isfinite(step_end):
                self.tangent.setData(xs, tangent)
                self.step_line.setData([s.w, s.new_w], [s.cost, step_end])
            else:
                self.tangent.setData([], [])
                self.step_line.setData([], [])
            self.current.setData([s.w], [s.cost])
            self.next_point.setData([s.new_w], [s.new_cost])
        else:
            for item in (self.tangent, self.step_line, self.current, self.next_point):
                item.setData([], [])
        caption = slice_caption(s, sym, view.batch_source)
        if not finite.any():
            # nothing to fit a range to: show the line's span of w, not an empty plot's 0 to 1
            self.plot.setRange(xRange=(s.values[0], s.values[-1]), yRange=(0, 1), padding=0.05)
            caption += " J is infinite all along this line, so there is no curve to draw."
        self.caption.setText(caption)

    def _enable_buttons(self, view) -> None:
        """Pin needs a selected weight that is not already the pinned one; Back to 1-D needs a pinned
        weight."""
        weight = None if view is None or view.selection is None or view.selection[0] != "weight" \
            else tuple(view.selection[1:])
        pinned = view is not None and view.second is not None
        self.pin_button.setEnabled(weight is not None and weight != (view.second if pinned else None))
        self.unpin_button.setEnabled(pinned)

    def _show_surface(self, view, sym) -> None:
        self.stack.setCurrentIndex(1)
        sf = view.surface
        v1, v2, costs = sf["values1"], sf["values2"], sf["costs"]
        shown, lo, hi = surface_fractions(costs)
        self.image.setImage(shown, levels=(0.0, 1.0))
        self.image.setRect(pg.QtCore.QRectF(v1[0], v2[0], v1[-1] - v1[0], v2[-1] - v2[0]))
        for iso in self.isos:
            self.plot2.removeItem(iso)
        self.isos = []
        for level in np.linspace(0.0, 1.0, 9)[1:-1] if hi > lo else ():
            iso = pg.IsocurveItem(data=shown, level=float(level), pen=pg.mkPen((255, 255, 255, 120)))
            iso.setParentItem(self.image)
            self.isos.append(iso)
        l2, j2, k2 = view.second
        sym2 = param_symbol(l2, j2, k2, "W")
        self.plot2.setLabel("bottom", sym)
        self.plot2.setLabel("left", sym2)
        self.here.setData([view.slice.w], [view.second_value])
        self._draw_path()
        colours = f"from {num(lo, 6)} (dark) to {num(hi, 6)} (yellow)" if hi > lo else f"flat at {num(lo, 6)}"
        self.caption.setText(f"J over {sym} (across) and {sym2} (up), {colours}; the white line is the path the "
                             f"two weights took, the red dot is where they are now.")

    def _draw_path(self) -> None:
        if self.path:
            p = np.array(self.path)
            self.path_curve.setData(p[:, 0], p[:, 1])
        else:
            self.path_curve.setData([], [])
