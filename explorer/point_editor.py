"""Drawing your own 2-D data: add a point of the selected class with a click, remove the nearest with
a right-click. Each edit builds a new Dataset through engine.datasets.with_points, keeping the
features, classes and extent, so the network trained so far still fits and training goes on.

`PlotClicks` turns clicks on a pyqtgraph plot into data coordinates; the rest is plain logic.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from engine import datasets

from .numbers import num

PARTS = ("train", "test")


class PointEditError(ValueError):
    """An edit that cannot be made; the message says why. The data stays as it was."""


@dataclass(frozen=True)
class Removed:
    """Which point a removal took: its part, index in that part, coordinates and label."""

    part: str
    index: int
    x: float
    y: float
    label: float


def editable_reason(data) -> str | None:
    """None when points can be drawn on ``data``, else a sentence saying why not."""
    if data is None:
        return "no data is loaded"
    if data.image_shape is not None:
        return f"{data.name} is an image dataset; points can be drawn only on 2-D data"
    if datasets.is_table(data) and data.d > 1 and data.points_train is None:
        return (f"{data.name} has {data.d} input columns and no plot to draw on; import it with two plot "
                "columns to draw points on a slice through them")
    return None


def _check(data) -> None:
    reason = editable_reason(data)
    if reason is not None:
        raise PointEditError(reason)


def _values(data, part: str) -> np.ndarray:
    if data.kind == "regression":
        return getattr(data, f"Y_{part}")[0].astype(np.float64)
    return getattr(data, f"labels_{part}")


def _one_column(data) -> bool:
    """A table of one input column: its plot is the network over that column, a point is (x, value)."""
    return datasets.is_table(data) and data.d == 1


def _plot_coordinates(data, part: str) -> np.ndarray:
    """(2, m): where each point of a part is on the plot a click lands on."""
    if _one_column(data):
        return np.stack([getattr(data, f"X_{part}")[0].astype(np.float64), _values(data, part).astype(np.float64)])
    return getattr(data, f"points_{part}")


def _new_sample(data, x: float, y: float) -> np.ndarray:
    """The input column (d, 1) of a table's point clicked at (x, y): x itself for one column; on a
    slice, the two plot columns at (x, y) and the others at their training means, as the slice
    shows them."""
    if _one_column(data):
        return np.array([[float(x)]])
    sample = data.X_train.astype(np.float64).mean(axis=1)
    for name, value in zip(data.axis_names, (x, y)):
        sample[data.features.index(name)] = value
    return sample[:, None]


def _with_part(data, part: str, keep=None, added=None):
    """``data`` with one part's points kept where ``keep`` is true and/or (x, y, label) added."""
    vals = _values(data, part)
    table = datasets.is_table(data)
    inputs = getattr(data, f"X_{part}" if table else f"points_{part}").astype(np.float64)
    if keep is not None:
        inputs, vals = inputs[:, keep], vals[keep]
    if added is not None:
        x, y, label = added
        new = _new_sample(data, x, y) if table else np.array([[float(x)], [float(y)]])
        inputs = np.concatenate([inputs, new], axis=1)
        vals = np.concatenate([vals, np.array([label], dtype=vals.dtype)])
    if table:
        return datasets.with_samples(data, **{f"X_{part}": inputs, f"labels_{part}": vals})
    return datasets.with_points(data, **{f"points_{part}": inputs, f"labels_{part}": vals})


def add_point(data, x: float, y: float, label, part: str = "train"):
    """``data`` with one more point at (x, y) of class ``label`` (a target value for regression).

    On a table of one column, x is the input and y the click's height, not part of the point."""
    _check(data)
    if part not in PARTS:
        raise PointEditError(f"part must be one of {PARTS}, got {part!r}")
    if not (np.isfinite(x) and np.isfinite(y)):
        raise PointEditError("a point needs finite coordinates")
    if data.extent is not None:        # beyond it a point would sit outside the drawn plane
        xmin, xmax, ymin, ymax = data.extent
        if not (xmin <= x <= xmax and ymin <= y <= ymax):
            raise PointEditError(f"({num(x, 3)}, {num(y, 3)}) is outside the plotted area (x from {num(xmin, 3)} to "
                                 f"{num(xmax, 3)}, y from {num(ymin, 3)} to {num(ymax, 3)}); click inside it")
    if data.kind != "regression":
        if isinstance(label, bool) or int(label) != label or not 0 <= int(label) < data.n_classes:
            raise PointEditError(f"class must be 0..{data.n_classes - 1}, got {label!r}")
        label = int(label)
    elif not np.isfinite(label):
        raise PointEditError("a point's target must be a finite number")
    return _with_part(data, part, added=(x, y, label))


def nearest(data, x: float, y: float, radius: float | None = None, parts=PARTS) -> Removed | None:
    """The point of ``parts`` (train, test or both) nearest to (x, y) on its plot, or None when none
    lies within ``radius``. On a table of one column, y is the point's target or class."""
    _check(data)
    best = None
    for part in parts:
        pts = _plot_coordinates(data, part)
        if pts.shape[1] == 0:
            continue
        d2 = (pts[0] - x) ** 2 + (pts[1] - y) ** 2
        i = int(np.argmin(d2))
        if best is None or d2[i] < best[0]:
            best = (float(d2[i]), part, i)
    if best is None or (radius is not None and best[0] > radius * radius):
        return None
    d2, part, i = best
    pts = _plot_coordinates(data, part)
    return Removed(part, i, float(pts[0, i]), float(pts[1, i]), float(_values(data, part)[i]))


def remove_nearest(data, x: float, y: float, radius: float | None = None, parts=PARTS):
    """(new data, Removed) without the point of ``parts`` nearest to (x, y).

    PointEditError when no point lies within ``radius``, or when it is the last one of its part
    (training and testing each keep at least one point).
    """
    hit = nearest(data, x, y, radius, parts)
    if hit is None:
        raise PointEditError("no point near the click to remove")
    m = _plot_coordinates(data, hit.part).shape[1]
    if m <= 1:
        what = "training" if hit.part == "train" else "test"
        raise PointEditError(f"that is the last {what} point; the {what} set keeps at least one")
    return _with_part(data, hit.part, keep=np.arange(m) != hit.index), hit


def function_point(snap, axis: int, u: float) -> tuple[float, float]:
    """The (x1, x2) of a point added by a click at input value u on the one-input function plot:
    u on the input the network reads (axis 0 or 1), the other at the training points' mean,
    where the plane view would show it (the network does not read it)."""
    other = float(np.mean(snap.points_train[1 - axis])) if snap.points_train.shape[1] else 0.0
    return (u, other) if axis == 0 else (other, u)


def function_nearest(snap, curve, heights, u: float, v: float, spans, with_test: bool, fraction: float = 0.04):
    """What remove_nearest needs to take the point nearest to a click at (u, v) on the one-input
    function plot: the point's (x1, x2) for the playground's points, or its (input, target or class)
    for a table of one column. None when no point is within ``fraction`` of the plot's visible
    ``spans`` (width, height). heights(labels) is where the plot draws points of those labels; test
    points count only ``with_test`` (when they are drawn)."""
    parts = [(curve.inputs_train, snap.labels_train, snap.points_train)]
    if with_test and curve.inputs_test is not None and snap.labels_test is not None:
        parts.append((curve.inputs_test, snap.labels_test, snap.points_test))
    inputs = np.concatenate([np.asarray(x, dtype=np.float64) for x, _, _ in parts])
    if inputs.size == 0:
        return None
    drawn = np.concatenate([heights(labels) for _, labels, _ in parts])
    width, height = (max(float(s), 1e-12) for s in spans)
    d = np.hypot((inputs - u) / width, (drawn - v) / height)
    i = int(np.argmin(d))
    if d[i] > fraction:
        return None
    if snap.points_train is None:          # a table of one column: the point is (input, value)
        values = np.concatenate([np.asarray(labels, dtype=np.float64) for _, labels, _ in parts])
        return float(inputs[i]), float(values[i])
    points = np.concatenate([pts for _, _, pts in parts], axis=1)
    return float(points[0, i]), float(points[1, i])


def pick_radius(data, fraction: float = 0.05) -> float:
    """A removal radius: ``fraction`` of the plot's diagonal."""
    xmin, xmax, ymin, ymax = data.extent if data.extent is not None else (-6, 6, -6, 6)
    return fraction * float(np.hypot(xmax - xmin, ymax - ymin))


class PlotClicks(QObject):
    """Clicks on a pyqtgraph PlotItem in data coordinates: left = add, right = remove.

    Installed on a plot item; emits ``add_requested(x, y)`` and ``remove_requested(x, y)``. Only
    clicks inside the plot's view box count; drags (panning) are not clicks. Disconnects on close.
    """

    add_requested = Signal(float, float)
    remove_requested = Signal(float, float)

    def __init__(self, plot_item, parent=None):
        super().__init__(parent)
        self.plot_item = plot_item
        self.enabled = True
        self._scene = plot_item.scene()
        self._scene.sigMouseClicked.connect(self._on_clicked)

    def close(self) -> None:
        try:
            self._scene.sigMouseClicked.disconnect(self._on_clicked)
        except (RuntimeError, TypeError):
            pass

    def _on_clicked(self, event) -> None:
        if not self.enabled or event.double():
            return
        vb = self.plot_item.getViewBox()
        pos = event.scenePos()
        if not vb.sceneBoundingRect().contains(pos):
            return
        p = vb.mapSceneToView(pos)
        if event.button() == Qt.LeftButton:
            self.add_requested.emit(float(p.x()), float(p.y()))
            event.accept()
        elif event.button() == Qt.RightButton:
            self.remove_requested.emit(float(p.x()), float(p.y()))
            event.accept()


class DrawClassPicker(QWidget):
    """"Click adds a point of class [▾]" under the decision boundary; follows the data's classes and
    their names. For regression data it offers the target value of the points a click adds."""

    def __init__(self, parent=None):
        from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("Click adds a point of class")
        self.label.setToolTip("Left-click the plot to add a training point, right-click to remove the nearest point. "
                              "On a plot of ŷ against one input, a regression point's target is the click's "
                              "height")
        self.label.setWordWrap(True)          # wraps rather than widening a narrow panel
        self.combo = QComboBox()
        self.combo.setToolTip("The class of the points a left-click adds to the training data")
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.target = QDoubleSpinBox()
        self.target.setRange(-1e9, 1e9)
        self.target.setDecimals(3)
        self.target.setKeyboardTracking(False)
        self.target.setToolTip("The target value of the points a left-click adds to the training data")
        # room for targets up to ±99999.999; its range (±1e9) alone would make it twice as wide
        self.target.setMinimumWidth(self.target.fontMetrics().horizontalAdvance("-99999.999") + 36)
        lay.addWidget(self.label)
        lay.addWidget(self.combo)
        lay.addWidget(self.target)
        lay.addStretch(1)
        self._key = None
        self.regression = False
        self.target.setVisible(False)       # until regression data comes: it must not widen the panel

    @property
    def selected(self):
        """The class (an int) or, for regression data, the target value (a float) of a new point."""
        if self.regression:
            return float(self.target.value())
        return max(self.combo.currentIndex(), 0)

    def update_snapshot(self, snap) -> None:
        from .views.boundary import BoundaryView
        names = tuple(getattr(snap, "class_names", ()) or ())
        on_function_plot = BoundaryView.has_function_plot(snap)
        key = (snap.kind, snap.n_classes, names, snap.dataset_name, on_function_plot)
        if key == self._key:
            return
        self._key = key
        self.regression = snap.kind == "regression"
        self.setVisible(snap.points_train is not None or snap.curve is not None)
        self.combo.setVisible(not self.regression)
        self.target.setVisible(self.regression and not on_function_plot)
        if on_function_plot and self.regression:         # the click's height is the target
            self.label.setText("Click adds a point there, right-click removes one")
            return
        if self.regression:
            self.label.setText("Click adds a point with target")
            targets = np.asarray(snap.labels_train if snap.labels_train is not None else [0.0], dtype=float)
            self.target.setValue(float(np.median(targets)) if targets.size else 0.0)
            return
        self.label.setText("Click adds a point of class")
        keep = self.combo.currentIndex()
        self.combo.clear()
        n = 2 if snap.kind == "binary" else int(snap.n_classes)
        names = names if len(names) == n else tuple(str(c) for c in range(n))
        if snap.kind == "binary":
            self.combo.addItems([f"{names[0]} (orange)", f"{names[1]} (blue)"])
        else:
            self.combo.addItems([names[c] if names[c] == str(c) else f"{c}: {names[c]}" for c in range(n)])
        self.combo.setCurrentIndex(keep if 0 <= keep < self.combo.count() else 0)