"""The decision boundary: the network's output over the input plane, with the data points."""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..snapshot import Curve, Snapshot
from ..theme import CLASS_COLOURS, LIGHT, Theme, drawable, levels_for, style_plot, within_levels
from ..numbers import num

pg.setConfigOptions(imageAxisOrder="row-major")

OUTPUT_LEVELS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "softmax": (0.0, 1.0)}
RUG_SPACING = 0.05        # several classes on the one-input plot: class c's dots in a row at −(c+1)·this


class BoundaryView(QWidget):
    """ImageItem of the output over the plane + train/test ScatterPlotItems, built once."""

    options_changed = Signal()

    def __init__(self, parent=None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self._snap = None
        self._data_version = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setToolTip("What the plot shows when the data has more than two inputs")
        self.note.setStyleSheet("font-weight: bold;")
        self.note.hide()
        lay.addWidget(self.note)
        self.empty = QLabel("No 2-D input plane for this data: every image is a point in a space of "
                            "hundreds of pixels. See the Images panel for the network's answers.")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setMargin(16)
        self.empty.hide()
        lay.addWidget(self.empty, 1)
        self._axes = None
        self.options_hidden = False          # a copy elsewhere (Compare) shows no options of its own
        self.plot = pg.PlotWidget()
        self.plot.setAspectLocked(True)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setToolTip("The network's output over the input plane; dots are the data "
                             "(white rims: training points, dark rims: test points)")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=6, pxMode=True)
        self.test_points = pg.ScatterPlotItem(size=6, pxMode=True)
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.test_points)
        lay.addWidget(self.plot, 1)
        # one input feature and a regression target: the network is a function of one variable,
        # drawn as a line through the points at their targets (a plane would put every point on y = 0)
        self.function_plot = pg.PlotWidget()
        self.function_plot.setMenuEnabled(False)
        self.function_plot.setMouseEnabled(False, False)
        self.function_plot.hideButtons()
        self.function_plot.showGrid(x=True, y=True, alpha=0.2)
        self.function_plot.setToolTip("The network's output for each value of its one input (lines); "
                                      "dots are the data (white rims: training, dark rims: test)")
        self.prediction = self.function_plot.plot([], [], pen=pg.mkPen("#0877bd", width=2))
        self.class_lines = []                 # several classes: one probability line each
        self.function_train = pg.ScatterPlotItem(size=8, pxMode=True, brush=pg.mkBrush("#f59322"))
        self.function_test = pg.ScatterPlotItem(size=8, pxMode=True, brush=pg.mkBrush("#f5c289"))
        self.function_plot.addItem(self.function_train)
        self.function_plot.addItem(self.function_test)
        self.function_plot.hide()
        lay.addWidget(self.function_plot, 1)
        row = QHBoxLayout()
        self.show_test = QCheckBox("Show test data")
        self.show_test.setToolTip("Also draw the test points (dark rims)")
        self.show_test.toggled.connect(self._on_option_toggled)
        self.discretize = QCheckBox("Discretize output")
        self.discretize.setToolTip("Colour each point of the plane by the predicted class instead of the output value")
        self.discretize.toggled.connect(self._on_option_toggled)
        self.legend = QLabel("")
        self.legend.setWordWrap(True)           # may take two lines in a narrow panel
        self.legend.setTextFormat(Qt.RichText)
        self.legend.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.legend.setToolTip("Colour scale of the output")
        # a line of its own under the plot: beside the options, a narrow panel left it a word per line
        lay.addWidget(self.legend)
        row.addWidget(self.show_test)
        row.addWidget(self.discretize)
        row.addStretch(1)
        lay.addLayout(row)
        self.frames = 0
        self.apply_theme(theme)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme)
        style_plot(self.function_plot, theme)
        self._lut = theme.diverging_lut()
        # the plane is drawn paler than the points, so a point on its own class's side stays visible
        mid = np.array(theme.mid, np.float32)
        self._plane_lut = np.clip(mid + (self._lut.astype(np.float32) - mid) * 0.6, 0, 255).astype(np.uint8)
        self._data_version = None
        if self._snap is not None:
            self.update_snapshot(self._snap)

    def _on_option_toggled(self, _on: bool) -> None:
        self._data_version = None
        if self._snap is not None:
            self.update_snapshot(self._snap)
        self.options_changed.emit()

    def _point_brushes(self, snap: Snapshot, labels, levels):
        if labels is None:
            return None
        if snap.kind == "regression":
            lo, hi = levels
            idx = np.clip((np.asarray(labels) - lo) / max(hi - lo, 1e-12) * 255, 0, 255).astype(int)
            return [pg.mkBrush(*map(int, self._lut[i])) for i in idx]
        if snap.kind == "binary":
            cols = [self._lut[0], self._lut[-1]]
        else:
            cols = CLASS_COLOURS
        cache = [pg.mkBrush(*map(int, c[:3])) for c in cols]
        return [cache[int(c) % len(cache)] for c in labels]

    def _levels(self, snap: Snapshot):
        out = snap.activations[-1]
        if out in OUTPUT_LEVELS:
            return OUTPUT_LEVELS[out]
        if snap.kind == "regression" and snap.labels_train is not None and len(snap.labels_train):
            lo, hi = float(np.min(snap.labels_train)), float(np.max(snap.labels_train))
            m = max(abs(lo), abs(hi), 1e-9)
            return (-m, m)
        g = snap.grid_output
        return levels_for("linear", g) if g is not None else (-1.0, 1.0)

    @staticmethod
    def no_plane_text(snap: Snapshot) -> str:
        if snap.image_shape is not None:
            return ("No 2-D input plane for this data: every image is a point in a space of "
                    f"{snap.sizes[0]} pixels. See the Images panel for the network's answers.")
        return ("No 2-D input plane for this data: choose two plot columns when importing the CSV "
                "to see a slice of the network's output.")

    def _show_plane(self, on: bool, snap: Snapshot) -> None:
        if not on:
            self.empty.setText(self.no_plane_text(snap))
        self.empty.setVisible(not on)
        self.plot.setVisible(on)
        for w in (self.show_test, self.discretize):
            w.setVisible(on and not self.options_hidden)
        self.legend.setVisible(on)
        note = snap.slice_note if on else ""
        self.note.setText(note)
        self.note.setVisible(bool(note))
        axes = tuple(snap.axis_names) if on and snap.axis_names else None
        if axes != self._axes:
            self._axes = axes
            self.plot.setLabel("bottom", axes[0] if axes else "")
            self.plot.setLabel("left", axes[1] if axes else "")
            # the playground's x1 and x2 share a unit; two table columns need not (income, age)
            self.plot.setAspectLocked(axes is None)

    @staticmethod
    def function_input(snap: Snapshot):
        """0 or 1 (x1 or x2) when the network has that one playground input and a regression
        target, else None."""
        if snap.kind != "regression" or snap.grid_output is None or snap.points_train is None:
            return None
        return {("x1",): 0, ("x2",): 1}.get(tuple(snap.features))

    @classmethod
    def has_function_plot(cls, snap: Snapshot) -> bool:
        """Whether the data is drawn as ŷ over one input (see function_curve), without making the curve."""
        return snap.curve is not None or cls.function_input(snap) is not None

    @classmethod
    def function_curve(cls, snap: Snapshot) -> Curve | None:
        """The network as a function of its one input, when it has one: a table of one input column
        (the worker's curve), or the playground's x1 or x2 alone with a regression target (a plane
        would put every point at one height; the grid is constant along the other axis)."""
        if snap.curve is not None:
            return snap.curve
        axis = cls.function_input(snap)
        if axis is None:
            return None
        out = snap.grid_output
        xs, ys = (snap.grid_xs, out[:, 0, :]) if axis == 0 else (snap.grid_ys, out[:, :, 0])
        test = None if snap.points_test is None else snap.points_test[axis]
        return Curve(snap.features[0], xs, ys, snap.points_train[axis], test)

    def _show_function_plot(self) -> None:
        self._data_version = None             # the points go on this plot now
        self.plot.hide()
        self.empty.hide()
        self.note.hide()
        self.discretize.hide()
        self.show_test.setVisible(not self.options_hidden)
        self.function_plot.show()

    def _class_line(self, c: int):
        """The line of class c's probability, made the first time it is needed."""
        while len(self.class_lines) <= c:
            colour = CLASS_COLOURS[len(self.class_lines) % len(CLASS_COLOURS)]
            self.class_lines.append(self.function_plot.plot([], [], pen=pg.mkPen(colour, width=2)))
        return self.class_lines[c]

    def _draw_lines(self, snap: Snapshot, curve: Curve) -> None:
        out = curve.output
        several = snap.kind == "multiclass" or out.shape[0] > 1
        if several:
            self.prediction.setData([], [])
        else:
            self.prediction.setData(curve.xs, out[0])
        shown = out.shape[0] if several else 0
        for c in range(shown):
            self._class_line(c).setData(curve.xs, out[c])
        for line in self.class_lines[shown:]:
            line.setData([], [])

    @staticmethod
    def point_heights(snap: Snapshot, labels):
        """Where the data's points sit on the function plot: at their targets (a regression's value,
        0 or 1 for two classes, whatever the output activation); several classes in a row each
        under the lines."""
        if snap.kind == "multiclass":
            return -RUG_SPACING * (np.asarray(labels, dtype=np.int64) + 1.0)
        return np.asarray(labels, dtype=np.float64)

    def _set_y_range(self, snap: Snapshot) -> None:
        """Probabilities and a bounded output get their whole range; other outputs follow the data."""
        out = snap.activations[-1]
        if snap.kind == "multiclass":
            self.function_plot.setYRange(-RUG_SPACING * (snap.n_classes + 1), 1.0, padding=0.02)
        elif snap.kind == "binary" and out in OUTPUT_LEVELS:
            lo, hi = OUTPUT_LEVELS[out]
            self.function_plot.setYRange(min(lo, 0.0), max(hi, 1.0), padding=0.08)
        else:
            self.function_plot.enableAutoRange(axis="y")

    def _class_names(self, snap: Snapshot, n: int):
        names = tuple(snap.class_names or ())
        return names if len(names) == n else tuple(str(c) for c in range(n))

    def _function_texts(self, snap: Snapshot, name: str):
        """(left axis label, legend) of the function plot for this kind of data."""
        name = html.escape(name)           # the legend is rich text (a multiclass legend has colours)
        if snap.kind == "regression":
            return "y and ŷ", f"line: the network's ŷ({name}) · dots: the targets"
        if snap.kind == "binary":
            first, second = (html.escape(label) for label in self._class_names(snap, 2))
            return "ŷ", (f"line: the network's ŷ({name}) · dots: the data, {first} (orange) at 0, "
                         f"{second} (blue) at 1")
        n = int(snap.n_classes)
        keys = " ".join(f'<span style="color: {pg.mkColor(CLASS_COLOURS[c % len(CLASS_COLOURS)]).name()}">■</span>'
                        f" {html.escape(label)}" for c, label in enumerate(self._class_names(snap, n)))
        return "P(class)", (f"lines: each class's probability over {name} · dots: the data, "
                            f"a row per class under the lines · {keys}")

    def _draw_function_points(self, snap: Snapshot, curve: Curve) -> None:
        regression = snap.kind == "regression"
        parts = [(self.function_train, curve.inputs_train, snap.labels_train, self.theme.train_edge, 1)]
        test_shown = curve.inputs_test is not None and snap.labels_test is not None and self.show_test.isChecked()
        parts.append((self.function_test, curve.inputs_test if test_shown else None, snap.labels_test,
                      self.theme.test_edge, 1.2))
        for item, inputs, labels, edge, width in parts:
            if inputs is None or labels is None:
                item.setData([], [])
                continue
            brush = None if regression else self._point_brushes(snap, labels, (0.0, 1.0))
            item.setData(np.asarray(inputs), self.point_heights(snap, labels), pen=pg.mkPen(edge, width=width),
                         **({} if brush is None else {"brush": brush}))
        left, legend = self._function_texts(snap, curve.input_name)
        self.function_plot.setLabel("bottom", curve.input_name)
        self.function_plot.setLabel("left", left)
        self.legend.setText(legend)
        self.legend.setVisible(True)
        self._set_y_range(snap)

    def _show_function(self, snap: Snapshot, curve: Curve) -> None:
        """ŷ against the one input: a line per output, the data as dots."""
        if self.function_plot.isHidden():     # its own flag: a closed or tabbed-away panel is not visible either
            self._show_function_plot()
        self._draw_lines(snap, curve)
        drawn_for = (snap.data_version, snap.activations[-1])     # the y range follows the output activation
        if drawn_for != self._data_version:
            self._data_version = drawn_for
            self._draw_function_points(snap, curve)

    def update_snapshot(self, snap: Snapshot) -> None:
        if snap is None:
            return
        curve = self.function_curve(snap)
        if curve is not None:
            self._snap = snap
            self._show_function(snap, curve)
            self.frames += 1
            return
        if not self.function_plot.isHidden():
            self.function_plot.hide()
            self._snap = None                 # the plane's widgets are shown again below
            self._data_version = None
        if snap.grid_output is None or snap.extent is None:
            self._snap = snap
            self._show_plane(False, snap)
            return
        if self._snap is None or self.plot.isHidden() or snap.slice_note != self.note.text() \
                or (tuple(snap.axis_names) if snap.axis_names else None) != self._axes:
            self._show_plane(True, snap)
        self._snap = snap
        levels = self._levels(snap)
        out = snap.grid_output
        if snap.kind == "multiclass" or out.shape[0] > 1:
            probs = out
            if self.discretize.isChecked():
                arg = np.argmax(probs, axis=0)
                probs = np.stack([(arg == c) for c in range(out.shape[0])]).astype(np.float32)
            cols = np.array([CLASS_COLOURS[c % len(CLASS_COLOURS)] for c in range(out.shape[0])], np.float32)
            mid = np.array(self.theme.mid, np.float32)
            conf = np.clip(probs.max(axis=0), 0, 1)[..., None]
            rgb = np.tensordot(probs.transpose(1, 2, 0), cols, axes=1)
            rgb = mid + (rgb - mid) * (0.2 + 0.4 * conf)
            self.image.setLookupTable(None)
            self.image.setImage(np.clip(drawable(rgb, (0, 255)), 0, 255).astype(np.uint8), autoLevels=False,
                                levels=(0, 255))
            self.legend.setText("colour: predicted class")
        else:
            img = out[0]
            lo, hi = levels
            if self.discretize.isChecked() and snap.kind != "regression":
                img = np.where(img >= 0.5 * (lo + hi), hi, lo).astype(np.float32)
            self.image.setLookupTable(self._plane_lut)
            self.image.setImage(within_levels(img, levels), levels=levels, autoLevels=False)
            self.legend.setText(f"output: {num(lo, 3)} (orange) … {num(hi, 3)} (blue)")
        x0, x1, y0, y1 = snap.extent
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        if snap.data_version != self._data_version:
            self._data_version = snap.data_version
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
            if snap.points_train is not None:
                self.train_points.setData(snap.points_train[0], snap.points_train[1],
                                          brush=self._point_brushes(snap, snap.labels_train, levels),
                                          pen=pg.mkPen(self.theme.train_edge, width=1))
            else:
                self.train_points.setData([], [])
            if snap.points_test is not None and self.show_test.isChecked():
                self.test_points.setData(snap.points_test[0], snap.points_test[1],
                                         brush=self._point_brushes(snap, snap.labels_test, levels),
                                         pen=pg.mkPen(self.theme.test_edge, width=1.2))
            else:
                self.test_points.setData([], [])
        self.frames += 1
