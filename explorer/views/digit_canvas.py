"""Draw a digit with the mouse and watch the network classify it live.

The drawing is prepared the way the dataset's images were, so the network sees what it was trained on:

- digits (scikit-learn, 8×8): the ink's bounding box is scaled to the full height of a 32×32 bitmap,
  centred, then each 4×4 block's mean ink becomes one pixel in 0..1 (the data's 0..16 counts / 16);
- mnist (28×28): the ink is scaled so its longer side is 20 px and placed so its centre of mass sits
  at the centre of a 28×28 image;
- fashion-mnist (28×28): the ink is scaled so its longer side fills the 28×28 image, centred.

Images are row-major with row 0 at the top, like the data; the network gets one column, X (h·w, 1).
Predictions come from the engine's ``net.predict``.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from .image_views import ClassProbabilities

STYLES = ("digits", "mnist", "fashion-mnist")
CANVAS = 280                       # the drawing's resolution (pixels per side)
PEN = 22                           # pen width at that resolution


# --------------------------------------------------------------------------------------------------
# Preparing a drawing (pure NumPy)


def _area_matrix(n_out: int, n_in: int) -> np.ndarray:
    """(n_out, n_in) weights averaging the input cells each output cell covers (fractional overlap)."""
    edges = np.linspace(0.0, n_in, n_out + 1)
    lo, hi = edges[:-1, None], edges[1:, None]
    cells = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, cells + 1) - np.maximum(lo, cells), 0.0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def resize(a: np.ndarray, shape) -> np.ndarray:
    """Resample a 2-D array to ``shape`` by area averaging (up- or down-sampling)."""
    a = np.asarray(a, dtype=np.float64)
    h, w = int(shape[0]), int(shape[1])
    if h < 1 or w < 1:
        raise ValueError(f"cannot resize to {shape}")
    return _area_matrix(h, a.shape[0]) @ a @ _area_matrix(w, a.shape[1]).T


def _bbox(ink: np.ndarray, threshold: float = 0.05):
    rows = np.flatnonzero(ink.max(axis=1) > threshold)
    cols = np.flatnonzero(ink.max(axis=0) > threshold)
    if rows.size == 0:
        return None
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def _fit(crop: np.ndarray, box_h: float, box_w: float) -> np.ndarray:
    """Scale crop (keeping its aspect) to fit a box_h × box_w box, at least 1 px per side."""
    ch, cw = crop.shape
    s = min(box_h / ch, box_w / cw)
    return resize(crop, (max(1, round(ch * s)), max(1, round(cw * s))))


def _paste(small: np.ndarray, size: tuple, top: int, left: int) -> np.ndarray:
    out = np.zeros(size)
    top = int(np.clip(top, 0, size[0] - small.shape[0]))
    left = int(np.clip(left, 0, size[1] - small.shape[1]))
    out[top:top + small.shape[0], left:left + small.shape[1]] = small
    return out


def prepare(ink: np.ndarray, style: str, shape=None) -> np.ndarray:
    """A drawing (H, W) of ink in 0..1 as the dataset's image (h, w) in 0..1, row 0 at the top.

    An empty drawing gives an all-zero image.
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, got {style!r}")
    ink = np.clip(np.asarray(ink, dtype=np.float64), 0.0, 1.0)
    if ink.ndim != 2:
        raise ValueError(f"a drawing is a 2-D array, got shape {ink.shape}")
    shape = tuple(shape) if shape is not None else ((8, 8) if style == "digits" else (28, 28))
    box = _bbox(ink)
    if box is None:
        return np.zeros(shape)
    crop = ink[box[0]:box[1], box[2]:box[3]]
    h, w = shape
    if style == "digits":
        big = (h * 4, w * 4)                                # the 32×32 bitmap of the UCI digits
        scaled = (_fit(crop, big[0], big[1]) > 0.5).astype(np.float64)
        bitmap = _paste(scaled, big, (big[0] - scaled.shape[0]) // 2, (big[1] - scaled.shape[1]) // 2)
        return bitmap.reshape(h, 4, w, 4).mean(axis=(1, 3))
    if style == "mnist":
        inner = (round(h * 20 / 28), round(w * 20 / 28))
        scaled = np.clip(_fit(crop, inner[0], inner[1]), 0.0, 1.0)
        total = scaled.sum()
        cy = (scaled.sum(axis=1) @ np.arange(scaled.shape[0])) / total
        cx = (scaled.sum(axis=0) @ np.arange(scaled.shape[1])) / total
        return _paste(scaled, shape, round((h - 1) / 2 - cy), round((w - 1) / 2 - cx))
    scaled = np.clip(_fit(crop, h, w), 0.0, 1.0)
    return _paste(scaled, shape, (h - scaled.shape[0]) // 2, (w - scaled.shape[1]) // 2)


def network_input(image: np.ndarray, dtype=np.float32) -> np.ndarray:
    """An image (h, w) as the network's input column X (h·w, 1), row-major like the data."""
    return np.ascontiguousarray(np.asarray(image, dtype=dtype).reshape(-1, 1))


def style_for(dataset_name: str) -> str:
    """The preparation that matches a dataset."""
    return dataset_name if dataset_name in STYLES else "mnist"


# --------------------------------------------------------------------------------------------------
# The canvas


class DigitCanvas(QWidget):
    """A square to draw on with the mouse (left button draws, right button erases)."""

    drawn = Signal()                   # the ink changed

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ink_image = QImage(CANVAS, CANVAS, QImage.Format_Grayscale8)
        self.ink_image.fill(0)
        self._last: QPointF | None = None
        self._erasing = False
        self.setMinimumSize(96, 96)
        self.setCursor(Qt.CrossCursor)
        self.setToolTip("Draw here with the left mouse button (the right button erases); "
                        "the network classifies the drawing as you go")

    # geometry: the canvas is a centred square in the widget
    def _square(self) -> QRectF:
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _to_canvas(self, pos) -> QPointF:
        sq = self._square()
        return QPointF((pos.x() - sq.left()) * CANVAS / sq.width(), (pos.y() - sq.top()) * CANVAS / sq.height())

    def ink(self) -> np.ndarray:
        """The drawing as a (CANVAS, CANVAS) float array in 0..1, row 0 at the top."""
        ptr = self.ink_image.constBits()
        bpl = self.ink_image.bytesPerLine()
        a = np.frombuffer(ptr, dtype=np.uint8, count=bpl * CANVAS).reshape(CANVAS, bpl)[:, :CANVAS]
        return a.astype(np.float64) / 255.0

    def clear(self) -> None:
        self.ink_image.fill(0)
        self.update()
        self.drawn.emit()

    def set_ink(self, image: np.ndarray) -> None:
        """Show an image (any size, 0..1) on the canvas, e.g. a test image to start from."""
        big = np.clip(resize(image, (CANVAS, CANVAS)), 0.0, 1.0)
        u8 = np.ascontiguousarray((big * 255 + 0.5).astype(np.uint8))
        self.ink_image = QImage(u8.data, CANVAS, CANVAS, CANVAS, QImage.Format_Grayscale8).copy()
        self.update()
        self.drawn.emit()

    def stroke(self, points, erase: bool = False) -> None:
        """Draw a polyline given in canvas coordinates (0..CANVAS), as a mouse drag would."""
        p = QPainter(self.ink_image)
        p.setRenderHint(QPainter.Antialiasing)
        p.setPen(QPen(QColor(0, 0, 0) if erase else QColor(255, 255, 255), PEN * (2 if erase else 1),
                      Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
        pts = [QPointF(*pt) for pt in points]
        if len(pts) == 1:
            p.drawPoint(pts[0])
        for a, b in zip(pts, pts[1:]):
            p.drawLine(a, b)
        p.end()
        self.update()
        self.drawn.emit()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().color(self.backgroundRole()))
        sq = self._square()
        p.drawImage(sq, self.ink_image)
        p.setPen(self.palette().color(self.palette().ColorRole.Mid))
        p.drawRect(sq.adjusted(0, 0, -1, -1))
        p.end()

    def mousePressEvent(self, event) -> None:
        self._erasing = event.button() == Qt.RightButton
        self._last = self._to_canvas(event.position())
        self.stroke([(self._last.x(), self._last.y())], self._erasing)

    def mouseMoveEvent(self, event) -> None:
        if self._last is None:
            return
        now = self._to_canvas(event.position())
        self.stroke([(self._last.x(), self._last.y()), (now.x(), now.y())], self._erasing)
        self._last = now

    def mouseReleaseEvent(self, _event) -> None:
        self._last = None


class OneLineLabel(QLabel):
    """A label on one line that never widens its panel: its whole text when it fits, else the text
    before the first comma (keep the rest in the tooltip). Wrapped instead, the digit canvas's hint
    took three lines, more height than a short dock has, and was drawn over the canvas."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.full_text = ""
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        fits = self.fontMetrics().horizontalAdvance(self.full_text) <= self.width()
        self.setText(self.full_text if fits else self.full_text.split(",")[0])


class DigitCanvasPanel(QWidget):
    """The canvas, what the network sees (the prepared image) and its class probabilities.

    Give it a network with :meth:`set_network` (an engine Network, e.g. built from a snapshot's
    weights) and the dataset's look with :meth:`set_dataset`.
    """

    classified = Signal(object)        # the probabilities (k,) of the latest drawing

    def __init__(self, parent=None):
        super().__init__(parent)
        self.net = None
        self.style = "digits"
        self.image_shape = (8, 8)
        self.class_names = tuple(str(i) for i in range(10))
        self.last_input: np.ndarray | None = None
        self.last_probs: np.ndarray | None = None
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        left = QVBoxLayout()
        self.canvas = DigitCanvas()
        left.addWidget(self.canvas, 1)
        row = QHBoxLayout()
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Wipe the drawing")
        self.clear_button.clicked.connect(self.canvas.clear)
        self.hint = OneLineLabel()
        row.addWidget(self.clear_button)
        row.addWidget(self.hint, 1)
        left.addLayout(row)
        lay.addLayout(left, 1)
        self.result = ClassProbabilities(empty_text="Draw in the box to see the network's class probabilities")
        self.result.setToolTip("What the network sees (the drawing prepared like the dataset's images) "
                               "and its probability for each class")
        lay.addWidget(self.result, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(30)
        self._timer.timeout.connect(self.classify)
        self.canvas.drawn.connect(self._timer.start)
        self._update_hint()

    def set_dataset(self, name: str, image_shape, class_names) -> None:
        self.style = style_for(name)
        self.image_shape = tuple(image_shape)
        self.class_names = tuple(class_names)
        self._update_hint()
        self.classify()

    def set_network(self, net) -> None:
        self.net = net
        self.classify()

    def _update_hint(self) -> None:
        h, w = self.image_shape
        how = {"digits": "height filled, 4×4 blocks averaged", "mnist": "20 px box, centred by mass",
               "fashion-mnist": "scaled to fill, centred"}[self.style]
        self.hint.set_full_text(f"{h}×{w}, {how}")
        self.hint.setToolTip(f"How the drawing is prepared before the network sees it: {h}×{w}, {how}")

    def classify(self) -> np.ndarray | None:
        """Prepare the drawing and run it through the network; returns the probabilities."""
        image = prepare(self.canvas.ink(), self.style, self.image_shape)
        self.last_input = network_input(image, self.net.dtype if self.net is not None else np.float32)
        if self.net is None or self.net.sizes[0] != self.last_input.shape[0]:
            self.last_probs = None
            self.result.set_image(image, None, self.class_names, title="no network for this image size")
            return None
        if not image.any():
            self.last_probs = None
            self.result.set_image(image, None, self.class_names, title="draw something")
            return None
        self.last_probs = np.asarray(self.net.predict(self.last_input))[:, 0]
        pred = int(np.argmax(self.last_probs))
        name = self.class_names[pred] if pred < len(self.class_names) else str(pred)
        self.result.set_image(image, self.last_probs, self.class_names,
                              title=f"the network says {name} ({self.last_probs[pred]:.0%})")
        self.classified.emit(self.last_probs)
        return self.last_probs


def network_from_snapshot(snap):
    """An engine Network holding a snapshot's weights, for predictions in the GUI thread."""
    from engine import Network
    sizes = list(snap.sizes)
    acts = list(snap.activations)
    loss = snap.state.loss if acts[-1] != "softmax" else "cce"
    # zeros: no random draw for weights that are overwritten at once (400,000 of them for MNIST)
    net = Network(sizes, hidden=acts[0] if len(acts) > 1 else "tanh", output=acts[-1], loss=loss,
                  init="zeros", seed=0, dtype=snap.weights[0].dtype)
    for l, act in enumerate(acts[:-1]):
        if net.activations[l] != act:
            net.set_activation(l, act)
    for l in range(len(snap.weights)):
        net.weights[l][...] = snap.weights[l]
        net.biases[l][...] = snap.biases[l]
    return net
