"""Views for image datasets: test images with the network's guess, a confusion matrix, the first
layer's weights as images, and the class probabilities of one selected image.

The numbers come from the engine: `compute_results` calls ``net.predict`` on the test images (the
worker can call it and pass the record along); the views only count, sort and draw.
Image i of a dataset is ``X[:, i].reshape(h, w)``, row 0 at the top, drawn as it is.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy,
                               QSplitter, QTabWidget, QToolTip, QVBoxLayout, QWidget)

from ..theme import NEGATIVE, POSITIVE

WRONG = QColor(214, 39, 40)
RIGHT = QColor(46, 160, 67)


# --------------------------------------------------------------------------------------------------
# The record the views draw


@dataclass(frozen=True)
class ImageResults:
    """The network's answers on the test images.

    images (m, h, w) float 0..1; labels (m,) true classes; probs (k, m) the network's output;
    weights0 (n1, h·w) the first layer's weights (or None); step: the training step they belong to.
    """

    images: np.ndarray
    labels: np.ndarray
    probs: np.ndarray
    class_names: tuple
    weights0: np.ndarray | None = None
    step: int = 0
    test_total: int = 0          # the size of the whole test set, when these are only its first images

    def __post_init__(self):
        m = self.images.shape[0]
        if self.images.ndim != 3 or self.labels.shape != (m,) or self.probs.ndim != 2 or self.probs.shape[1] != m:
            raise ValueError(f"images (m, h, w), labels (m,) and probs (k, m) must agree; got "
                             f"{self.images.shape}, {self.labels.shape}, {self.probs.shape}")
        if self.probs.shape[0] != len(self.class_names):
            raise ValueError(f"{self.probs.shape[0]} outputs but {len(self.class_names)} class names")
        predicted = np.argmax(self.probs, axis=0)
        object.__setattr__(self, "predicted", predicted)
        object.__setattr__(self, "confidence", self.probs[predicted, np.arange(m)].astype(np.float64))

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple:
        return self.images.shape[1:]

    @property
    def wrong(self) -> np.ndarray:
        """Indices of the misclassified test images."""
        return np.flatnonzero(self.predicted != self.labels)

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.predicted == self.labels)) if self.labels.size else 0.0

    def confusion(self) -> np.ndarray:
        """counts[true, predicted] over the test images."""
        k = self.n_classes
        return np.bincount(self.labels * k + self.predicted, minlength=k * k).reshape(k, k)


def compute_results(net, data, step: int = 0, limit: int | None = None) -> ImageResults:
    """Run the engine's ``net.predict`` on the test images of an image Dataset."""
    if data.image_shape is None or data.kind != "multiclass":
        raise ValueError(f"dataset {data.name!r} is not an image classification set")
    X = data.X_test if limit is None else data.X_test[:, :limit]
    probs = net.predict(X)
    h, w = data.image_shape
    images = np.ascontiguousarray(X.T.reshape(-1, h, w), dtype=np.float32)
    labels = data.labels_test if limit is None else data.labels_test[:limit]
    w0 = np.array(net.weights[0], dtype=np.float32) if net.sizes[0] == h * w else None
    return ImageResults(images, np.asarray(labels, dtype=np.int64), np.asarray(probs), tuple(data.class_names),
                        w0, int(step), int(data.m_test))


# --------------------------------------------------------------------------------------------------
# Drawing helpers


def gray_image(pixels: np.ndarray, invert: bool = False) -> QImage:
    """A float image in 0..1 as an 8-bit grey QImage (a copy, so the array may go away)."""
    a = np.clip(np.asarray(pixels, dtype=np.float32), 0.0, 1.0)
    if invert:
        a = 1.0 - a
    u8 = np.ascontiguousarray((a * 255.0 + 0.5).astype(np.uint8))
    h, w = u8.shape
    return QImage(u8.data, w, h, w, QImage.Format_Grayscale8).copy()


def diverging_image(values: np.ndarray, scale: float | None = None, mid=(240, 240, 240)) -> QImage:
    """Signed values as orange (negative) / neutral / blue (positive), symmetric around 0."""
    v = np.asarray(values, dtype=np.float32)
    s = float(scale) if scale else float(np.max(np.abs(v))) or 1.0
    t = np.clip(v / s, -1.0, 1.0)[..., None]
    neg, pos, m = (np.array(c, np.float32) for c in (NEGATIVE, POSITIVE, mid))
    rgb = np.where(t < 0, m + (neg - m) * (-t), m + (pos - m) * t)
    u8 = np.ascontiguousarray(np.clip(rgb, 0, 255).astype(np.uint8))
    h, w = u8.shape[:2]
    return QImage(u8.data, w, h, 3 * w, QImage.Format_RGB888).copy()


MIN_CAPTION_PX = 7         # the smallest text the image views draw
# the smallest cell of the test image grid: a 28×28 image at about its own size and a caption such
# as "Sneaker 53%" in a small font
MIN_CELL_PX = 52


def _grid_shape(count: int, width: float, height: float) -> tuple[int, int]:
    """Columns and rows for count square cells filling a width × height area best."""
    best = (1, count)
    best_size = 0.0
    for cols in range(1, count + 1):
        rows = -(-count // cols)
        size = min(width / cols, height / rows)
        if size > best_size:
            best, best_size = (cols, rows), size
    return best


class _Painted(QWidget):
    """A widget that paints itself; keeps a minimum size and the palette's colours."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(100, 100)

    def _text_colour(self) -> QColor:
        return self.palette().color(self.foregroundRole())

    def _base_colour(self) -> QColor:
        return self.palette().color(self.backgroundRole())

    def _cell_at(self, pos) -> int | None:
        """The item painted at pos: paintEvent records (rect, item) pairs in self._cells."""
        for rect, item in getattr(self, "_cells", ()):
            if rect.contains(QPointF(pos)):
                return item
        return None


# --------------------------------------------------------------------------------------------------
# Test images with the network's guess


class TestImageGrid(_Painted):
    """A page of test images, each captioned with the predicted class and its confidence.

    A wrong guess gets a red frame and the true class in its caption. Click an image to select it.
    """

    __test__ = False                      # not a pytest test class despite its name
    image_selected = Signal(int)          # index into the test set
    page_size_changed = Signal()          # a resize changed how many images a page shows

    def __init__(self, parent=None, per_page: int = 36):
        super().__init__(parent)
        self.max_per_page = per_page
        self.per_page = per_page
        self.results: ImageResults | None = None
        self.indices = np.zeros(0, dtype=np.int64)     # the test images this grid pages through
        self.page = 0
        self.selected: int | None = None
        self._cells: list[tuple[QRectF, int]] = []
        self.setToolTip("Test images with the network's guess and its confidence; wrong guesses are framed "
                        "in red with the true class after the arrow. Click one to see all its class probabilities.")

    def set_results(self, results: ImageResults | None, indices=None) -> None:
        self.results = results
        if results is None:
            self.indices = np.zeros(0, dtype=np.int64)
        else:
            self.indices = np.arange(results.labels.size) if indices is None else np.asarray(indices, np.int64)
        self.page = min(self.page, max(self.n_pages - 1, 0))
        self.update()

    @property
    def n_pages(self) -> int:
        return max(1, -(-self.indices.size // self.per_page))

    def visible(self) -> np.ndarray:
        """The test indices on the current page."""
        start = self.page * self.per_page
        return self.indices[start:start + self.per_page]

    def set_page(self, page: int) -> None:
        self.page = int(np.clip(page, 0, self.n_pages - 1))
        self.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_page_size()

    def _fit_page_size(self) -> None:
        """As many images a page as cells of MIN_CELL_PX fit, up to max_per_page: a narrow panel
        pages through fewer, readable images rather than showing tiny ones. The first image of the
        page stays on it."""
        fit = max(1, self.width() // MIN_CELL_PX) * max(1, self.height() // MIN_CELL_PX)
        per_page = int(min(self.max_per_page, fit))
        if per_page == self.per_page:
            return
        first = self.page * self.per_page
        self.per_page = per_page
        self.page = min(first // per_page, self.n_pages - 1)
        self.page_size_changed.emit()

    def caption(self, i: int) -> str:
        r = self.results
        pred, conf = int(r.predicted[i]), r.confidence[i]
        text = f"{r.class_names[pred]} {conf:.0%}"
        if pred != r.labels[i]:
            text += f" → {r.class_names[int(r.labels[i])]}"
        return text

    def fitted_caption(self, i: int, width: float, metrics) -> str:
        """The longest caption that fits the cell: the guess, its confidence and the true class; then
        without the true class; then with the guess shortened ("Sand… 57%"); then the confidence
        alone, then without its % sign (hover or select an image for the rest)."""
        r = self.results
        pred, conf = int(r.predicted[i]), r.confidence[i]
        name, percent = r.class_names[pred], f"{conf:.0%}"
        shortened = metrics.elidedText(name, Qt.ElideRight, int(width - 2 - metrics.horizontalAdvance(" " + percent)))
        candidates = [self.caption(i), f"{name} {percent}"]
        if len(shortened) >= 3 and shortened != name:         # at least two letters and the "…"
            candidates.append(f"{shortened} {percent}")
        for text in (*candidates, percent, f"{conf * 100:.0f}"):
            if metrics.horizontalAdvance(text) <= width - 2:
                return text
        return ""          # not even that: the red frame still marks a wrong guess

    def describe(self, i: int) -> str:
        """One test image's answer in full, for its tooltip."""
        r = self.results
        pred, true = int(r.predicted[i]), int(r.labels[i])
        verdict = "correct" if pred == true else f"wrong: it is {r.class_names[true]}"
        return f"test image {i}: the network says {r.class_names[pred]} ({r.confidence[i]:.0%}), {verdict}"

    def event(self, event) -> bool:
        if event.type() == QEvent.ToolTip and self.results is not None:
            i = self.index_at(event.pos())
            if i is not None:
                QToolTip.showText(event.globalPos(), self.describe(i), self)
                return True
        return super().event(event)

    def caption_font(self, cell_width: float, caption_height: float) -> QFont:
        """The captions' font: 80% of their line's height, smaller (down to 7 px) in a narrow panel
        so that a confidence, "100%", still fits its cell."""
        font = QFont(self.font())
        font.setPixelSize(int(caption_height * 0.8))
        while QFontMetrics(font).horizontalAdvance("100%") > cell_width - 2 and font.pixelSize() > MIN_CAPTION_PX:
            font.setPixelSize(font.pixelSize() - 1)
        return font

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self._base_colour())
        self._cells = []
        r = self.results
        vis = self.visible() if r is not None else np.zeros(0, np.int64)
        if vis.size == 0:
            p.setPen(self._text_colour())
            p.drawText(self.rect(), Qt.AlignCenter, "No test images" if r is not None else "Load an image dataset")
            return
        cols, rows = _grid_shape(self.per_page, self.width(), self.height())
        cw, ch = self.width() / cols, self.height() / rows
        cap_h = max(13.0, min(17.0, ch * 0.2))      # text of at least 10 px
        font = self.caption_font(cw, cap_h)
        metrics = QFontMetrics(font)
        p.setFont(font)
        side = max(4.0, min(cw - 6, ch - cap_h - 6))
        for n, i in enumerate(vis):
            c, rr = n % cols, n // cols
            x0, y0 = c * cw + (cw - side) / 2, rr * ch + 3
            target = QRectF(x0, y0, side, side)
            p.drawImage(target, gray_image(r.images[i]))
            wrong = r.predicted[i] != r.labels[i]
            if wrong or i == self.selected:
                pen = QPen(WRONG if wrong else self.palette().color(self.palette().ColorRole.Highlight))
                pen.setWidth(3 if i == self.selected else 2)
                p.setPen(pen)
                p.drawRect(target.adjusted(-1, -1, 1, 1))
            p.setPen(WRONG if wrong else self._text_colour())
            p.drawText(QRectF(c * cw, y0 + side + 1, cw, cap_h), Qt.AlignHCenter | Qt.AlignTop,
                       self.fitted_caption(int(i), cw, metrics))
            self._cells.append((QRectF(c * cw, rr * ch, cw, ch), int(i)))
        p.end()

    def index_at(self, pos) -> int | None:
        """The test image at pos."""
        return self._cell_at(pos)

    def mousePressEvent(self, event) -> None:
        i = self.index_at(event.position())
        if i is not None:
            self.selected = i
            self.update()
            self.image_selected.emit(i)


# --------------------------------------------------------------------------------------------------
# Confusion matrix


class ConfusionMatrixView(_Painted):
    """counts[true, predicted]: rows are the true class, columns the guess; the diagonal is right.

    Click a cell to list those images in the grid.
    """

    cell_selected = Signal(int, int)      # true class, predicted class

    def __init__(self, parent=None):
        super().__init__(parent)
        self.counts: np.ndarray | None = None
        self.class_names: tuple = ()
        self._geom = None
        self.setToolTip("Confusion matrix on the test set: row = true class, column = the network's guess. "
                        "The diagonal counts right answers; click a cell to show its images.")

    def set_results(self, results: ImageResults | None) -> None:
        self.counts = None if results is None else results.confusion()
        self.class_names = () if results is None else results.class_names
        self.update()

    def labels_and_sizes(self, fm) -> tuple[list, list, float, float]:
        """(column labels, row labels, the row labels' width, a cell's size). The columns are labelled
        with the class names when each fits its cell; otherwise with the class numbers, and each row
        label ends with its number, so a narrow panel says "Shirt 6" over a column headed "6" where it
        would show ten "…"."""
        names = list(self.class_names)
        k = len(names)

        def fit(rows):
            label_w = min(max(fm.horizontalAdvance(r) for r in rows) + 8, self.width() * 0.3)
            top = fm.height() * 2 + 4
            size = max(8.0, min((self.width() - label_w - 4) / k, (self.height() - top - fm.height() - 4) / k))
            return label_w, size

        label_w, size = fit(names)
        if all(fm.horizontalAdvance(n) <= size - 2 for n in names):
            return names, names, label_w, size
        rows = [f"{name} {i}" for i, name in enumerate(names)]
        label_w, size = fit(rows)
        return [str(i) for i in range(k)], rows, label_w, size

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self._base_colour())
        if self.counts is None:
            p.setPen(self._text_colour())
            p.drawText(self.rect(), Qt.AlignCenter, "No predictions yet")
            return
        k = self.counts.shape[0]
        fm = p.fontMetrics()
        columns, rows, label_w, size = self.labels_and_sizes(fm)
        top = fm.height() * 2 + 4
        x0, y0 = label_w, top
        self._geom = (x0, y0, size, k)
        row_tot = np.maximum(self.counts.sum(axis=1, keepdims=True), 1)
        frac = self.counts / row_tot
        font = QFont(self.font())
        font.setPixelSize(int(max(9, min(13, size * 0.32))))
        p.setPen(self._text_colour())
        p.drawText(QRectF(x0, 0, size * k, fm.height()), Qt.AlignCenter, "predicted")
        for j in range(k):
            p.drawText(QRectF(x0 + j * size, fm.height() + 2, size, fm.height()), Qt.AlignCenter,
                       fm.elidedText(columns[j], Qt.ElideRight, int(size)))
        for i in range(k):
            p.setPen(self._text_colour())
            p.drawText(QRectF(0, y0 + i * size, label_w - 4, size), Qt.AlignRight | Qt.AlignVCenter,
                       fm.elidedText(rows[i], Qt.ElideLeft, int(label_w - 4)))
            for j in range(k):
                f = float(frac[i, j])
                base = np.array(RIGHT.getRgb()[:3] if i == j else WRONG.getRgb()[:3], float)
                bg = np.array(self._base_colour().getRgb()[:3], float)
                col = bg + (base - bg) * (f ** 0.5 if self.counts[i, j] else 0.0)
                rect = QRectF(x0 + j * size, y0 + i * size, size - 1, size - 1)
                p.fillRect(rect, QColor(*[int(c) for c in col]))
                if size >= 16 and self.counts[i, j]:
                    p.setFont(font)
                    p.setPen(QColor("white") if f > 0.45 else self._text_colour())
                    p.drawText(rect, Qt.AlignCenter, str(int(self.counts[i, j])))
                    p.setFont(self.font())
        p.setPen(self._text_colour())
        total = int(self.counts.sum())
        right = int(np.trace(self.counts))
        p.drawText(QRectF(0, y0 + k * size + 2, self.width(), fm.height()), Qt.AlignLeft,
                   f"true class ↓   {right}/{total} right ({right / max(total, 1):.1%})")
        p.end()

    def cell_at(self, pos) -> tuple[int, int] | None:
        if self._geom is None:
            return None
        x0, y0, size, k = self._geom
        j, i = int((pos.x() - x0) // size), int((pos.y() - y0) // size)
        return (i, j) if 0 <= i < k and 0 <= j < k else None

    def mousePressEvent(self, event) -> None:
        cell = self.cell_at(event.position())
        if cell is not None:
            self.cell_selected.emit(*cell)


# --------------------------------------------------------------------------------------------------
# First-layer weights as images


class WeightImagesView(_Painted):
    """Each hidden neuron of the first layer: its weights from every pixel, drawn as an image.

    Blue pixels push the neuron up, orange ones down. Wide layers show the first ``max_shown``
    neurons (or the strongest, see order). Click one to select the neuron.
    """

    neuron_selected = Signal(int)

    def __init__(self, parent=None, max_shown: int = 64):
        super().__init__(parent)
        self.max_shown = max_shown
        self.weights: np.ndarray | None = None
        self.image_shape = None
        self.order = "index"
        self.selected: int | None = None
        self._cells: list[tuple[QRectF, int]] = []
        self.setToolTip("The first layer's weights into each hidden neuron, drawn over the image grid: "
                        "blue pixels raise the neuron's input, orange ones lower it. Click one to select it.")

    def set_weights(self, W0: np.ndarray | None, image_shape) -> None:
        self.weights = None if W0 is None else np.asarray(W0)
        self.image_shape = image_shape
        self.update()

    def shown_neurons(self) -> np.ndarray:
        if self.weights is None:
            return np.zeros(0, np.int64)
        n = self.weights.shape[0]
        if self.order == "strongest":
            norms = np.linalg.norm(self.weights, axis=1)
            return np.sort(np.argsort(-norms, kind="stable")[:self.max_shown])
        return np.arange(min(n, self.max_shown))

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self._base_colour())
        self._cells = []
        shown = self.shown_neurons()
        if shown.size == 0 or self.image_shape is None:
            p.setPen(self._text_colour())
            p.drawText(self.rect(), Qt.AlignCenter, "No first-layer weights to draw")
            return
        h, w = self.image_shape
        fm = p.fontMetrics()
        head = fm.height() + 2
        n = self.weights.shape[0]
        p.setPen(self._text_colour())
        more = f" (the first {shown.size} of {n})" if n > shown.size and self.order == "index" else \
            f" (the {shown.size} strongest of {n})" if n > shown.size else ""
        p.drawText(QRectF(0, 0, self.width(), head), Qt.AlignLeft, f"weights into hidden neurons{more}")
        cols, rows = _grid_shape(shown.size, self.width(), self.height() - head)
        cw, ch = self.width() / cols, (self.height() - head) / rows
        side = max(3.0, min(cw, ch) - 3)
        scale = float(np.max(np.abs(self.weights[shown]))) or 1.0
        mid = tuple(self._base_colour().getRgb()[:3])
        for t, j in enumerate(shown):
            c, r = t % cols, t // cols
            rect = QRectF(c * cw + (cw - side) / 2, head + r * ch + (ch - side) / 2, side, side)
            p.drawImage(rect, diverging_image(self.weights[j].reshape(h, w), scale, mid))
            if j == self.selected:
                pen = QPen(self.palette().color(self.palette().ColorRole.Highlight))
                pen.setWidth(3)
                p.setPen(pen)
                p.drawRect(rect.adjusted(-1, -1, 1, 1))
            self._cells.append((QRectF(c * cw, head + r * ch, cw, ch), int(j)))
        p.end()

    def neuron_at(self, pos) -> int | None:
        """The hidden neuron whose weight image is at pos."""
        return self._cell_at(pos)

    def mousePressEvent(self, event) -> None:
        j = self.neuron_at(event.position())
        if j is not None:
            self.selected = j
            self.update()
            self.neuron_selected.emit(j)


# --------------------------------------------------------------------------------------------------
# Class probabilities of one image


class ClassProbabilities(_Painted):
    """One image, large, and a bar per class: the network's probability for it. The guess is
    coloured, the true class (when known) is marked with a ✓."""

    def __init__(self, parent=None, empty_text: str = "Click a test image to see its class probabilities"):
        super().__init__(parent)
        self.empty_text = empty_text       # shown until there is an image
        self.image: np.ndarray | None = None
        self.probs: np.ndarray | None = None
        self.class_names: tuple = ()
        self.true_class: int | None = None
        self.title = ""
        self.setToolTip("The selected image and the network's probability for each class "
                        "(✓ marks the true class)")

    def set_image(self, image, probs, class_names, true_class=None, title: str = "") -> None:
        self.image = None if image is None else np.asarray(image)
        self.probs = None if probs is None else np.asarray(probs, dtype=np.float64).reshape(-1)
        self.class_names = tuple(class_names)
        self.true_class = None if true_class is None else int(true_class)
        self.title = title
        self.update()

    @property
    def predicted(self) -> int | None:
        return None if self.probs is None else int(np.argmax(self.probs))

    def row_font(self, row_height: float) -> QFont:
        """The rows' font in a panel too short for the usual one: one whose lines fit the rows (down
        to 7 px), so that the class names do not overlap."""
        font = QFont(self.font())
        font.setPixelSize(max(MIN_CAPTION_PX, int(row_height * 0.8)))
        while QFontMetrics(font).height() > row_height and font.pixelSize() > MIN_CAPTION_PX:
            font.setPixelSize(font.pixelSize() - 1)
        return font

    def columns(self, fm, head: float):
        """(image side, left edge of the names, names' width, percentages' width). The class names
        get their full width first (down to a short bar); the image takes what is left."""
        label_need = max(fm.horizontalAdvance(n) for n in self.class_names) + fm.horizontalAdvance(" ✓") + 6
        percent_w = fm.horizontalAdvance("100%") + 10
        side = max(0.0, min(self.height() - head - 8, self.width() * 0.3, 180.0,
                            self.width() - 16 - label_need - percent_w - 40))
        left = (side + 12) if self.image is not None else 4
        return side, left, min(label_need, (self.width() - left) * 0.6), percent_w

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self._base_colour())
        text = self._text_colour()
        if self.probs is None:
            p.setPen(text)
            p.drawText(self.rect(), Qt.AlignCenter | Qt.TextWordWrap, self.empty_text)
            return
        fm = p.fontMetrics()
        head = fm.height() + 4
        p.setPen(text)
        p.drawText(QRectF(4, 0, self.width() - 8, head), Qt.AlignLeft | Qt.AlignVCenter,
                   fm.elidedText(self.title, Qt.ElideRight, self.width() - 8))
        k = self.probs.size
        row_h = (self.height() - head - 8) / k
        if fm.height() > row_h:
            p.setFont(self.row_font(row_h))
            fm = p.fontMetrics()
        side, left, label_w, percent_w = self.columns(fm, head)
        if self.image is not None:
            p.drawImage(QRectF(4, head + 4, side, side), gray_image(self.image))
        bar_x = left + label_w
        bar_w = max(10.0, self.width() - bar_x - percent_w)
        pred = self.predicted
        for c in range(k):
            y = head + 4 + c * row_h
            name = self.class_names[c] + (" ✓" if c == self.true_class else "")
            p.setPen(text)
            p.drawText(QRectF(left, y, label_w - 4, row_h), Qt.AlignRight | Qt.AlignVCenter,
                       fm.elidedText(name, Qt.ElideRight, int(label_w - 4)))
            colour = self.palette().color(self.palette().ColorRole.Highlight) if c == pred else QColor(150, 150, 150)
            if c == pred and self.true_class is not None and pred != self.true_class:
                colour = WRONG
            p.fillRect(QRectF(bar_x, y + row_h * 0.15, bar_w * float(self.probs[c]), row_h * 0.7), colour)
            p.setPen(text)
            p.drawText(QRectF(bar_x + bar_w + 4, y, 60, row_h), Qt.AlignLeft | Qt.AlignVCenter,
                       f"{self.probs[c]:.0%}")
        p.end()


# --------------------------------------------------------------------------------------------------
# The panel


class ImageViewsPanel(QWidget):
    """Everything for an image dataset in one dock: a tab per view and the selected image's
    probabilities beside them. Feed it with :meth:`set_results`."""

    image_selected = Signal(int)
    neuron_selected = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.results: ImageResults | None = None
        self.selected: int | None = None
        self.filter: tuple | None = None           # (true, predicted) from the confusion matrix
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.show_combo = QComboBox()
        self.show_combo.addItems(["all test images", "wrong guesses only"])
        self.show_combo.setToolTip("Which test images the grid pages through")
        self.show_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.prev_button = QPushButton("◀")
        self.prev_button.setToolTip("Previous page of test images")
        self.prev_button.clicked.connect(lambda: self._on_page(-1))
        self.next_button = QPushButton("▶")
        self.next_button.setToolTip("Next page of test images")
        self.next_button.clicked.connect(lambda: self._on_page(+1))
        for b in (self.prev_button, self.next_button):
            b.setFixedWidth(32)
        self.page_label = QLabel("")
        self.page_label.setToolTip("Page of the test images shown, and how many there are")
        # wraps onto a second line in a narrow panel rather than forcing the window wider
        self.page_label.setWordWrap(True)
        self.strongest = QCheckBox("strongest neurons")
        self.strongest.setToolTip("Weights view: show the neurons with the largest weights instead of the first ones")
        self.strongest.toggled.connect(self._on_order_toggled)
        self.summary = QLabel("")
        self.summary.setToolTip("Test accuracy of the network on these images, and the step it was measured at")
        bar.addWidget(self.show_combo)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.page_label)
        bar.addWidget(self.next_button)
        bar.addWidget(self.strongest)
        bar.addStretch(1)
        lay.addLayout(bar)
        # its own line, wrapped: a long summary must not force the whole window wider
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        lay.addWidget(self.summary)
        split = QSplitter(Qt.Horizontal)
        self.tabs = QTabWidget()
        self.tabs.setToolTip("Views of the network's answers on the test images")
        self.grid = TestImageGrid()
        self.confusion = ConfusionMatrixView()
        self.weights = WeightImagesView()
        self.tabs.addTab(self.grid, "Test images")
        self.tabs.addTab(self.confusion, "Confusion matrix")
        self.tabs.addTab(self.weights, "Layer-1 weights")
        self.probabilities = ClassProbabilities()
        # the bar shows the controls of the tab in front: paging for the grid, order for the weights
        self.tabs.currentChanged.connect(self._show_tab_controls)
        self._show_tab_controls()
        split.addWidget(self.tabs)
        split.addWidget(self.probabilities)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 400])
        lay.addWidget(split, 1)
        self.grid.image_selected.connect(self.select_image)
        self.grid.page_size_changed.connect(self._refresh_bar)
        self.confusion.cell_selected.connect(self._on_cell_selected)
        self.weights.neuron_selected.connect(self.neuron_selected)
        self._refresh_bar()

    # -------------------------------------------------------------- feeding
    def set_results(self, results: ImageResults | None) -> None:
        self.results = results
        self.grid.set_results(results, self._indices())
        self.confusion.set_results(results)
        self.weights.set_weights(None if results is None else results.weights0,
                                 None if results is None else results.image_shape)
        if results is not None and (self.selected is None or self.selected >= results.labels.size):
            self.selected = 0 if results.labels.size else None
        self._show_selected()
        self._refresh_bar()

    def _indices(self):
        r = self.results
        if r is None:
            return None
        if self.filter is not None:
            t, pr = self.filter
            return np.flatnonzero((r.labels == t) & (r.predicted == pr))
        if self.show_combo.currentIndex() == 1:
            return r.wrong
        return None

    def select_image(self, i: int) -> None:
        self.selected = int(i)
        self.grid.selected = self.selected
        self.grid.update()
        self._show_selected()
        self.image_selected.emit(self.selected)

    def _show_selected(self) -> None:
        r, i = self.results, self.selected
        if r is None or i is None:
            self.probabilities.set_image(None, None, ())
            return
        verdict = "right" if r.predicted[i] == r.labels[i] else "wrong"
        self.probabilities.set_image(r.images[i], r.probs[:, i], r.class_names, int(r.labels[i]),
                                     f"test image {i}: {r.class_names[int(r.predicted[i])]} "
                                     f"({r.confidence[i]:.0%}, {verdict})")

    # -------------------------------------------------------------- controls
    def _on_filter_changed(self, _index: int) -> None:
        self.filter = None
        self.grid.page = 0
        self.grid.set_results(self.results, self._indices())
        self._refresh_bar()

    def _on_cell_selected(self, true: int, pred: int) -> None:
        self.filter = (true, pred)
        self.grid.page = 0
        self.grid.set_results(self.results, self._indices())
        self.tabs.setCurrentWidget(self.grid)
        self._refresh_bar()

    def _on_page(self, delta: int) -> None:
        self.grid.set_page(self.grid.page + delta)
        self._refresh_bar()

    def _show_tab_controls(self, _index: int = 0) -> None:
        grid = self.tabs.currentWidget() is self.grid
        for w in (self.show_combo, self.prev_button, self.page_label, self.next_button):
            w.setVisible(grid)
        self.strongest.setVisible(self.tabs.currentWidget() is self.weights)

    def _on_order_toggled(self, on: bool) -> None:
        self.weights.order = "strongest" if on else "index"
        self.weights.update()

    def _refresh_bar(self) -> None:
        r = self.results
        n = self.grid.indices.size
        self.page_label.setText(f"page {self.grid.page + 1}/{self.grid.n_pages} · {n} image{'s' if n != 1 else ''}")
        self.prev_button.setEnabled(self.grid.page > 0)
        self.next_button.setEnabled(self.grid.page < self.grid.n_pages - 1)
        if r is None:
            self.summary.setText("")
            return
        subset = ""
        if r.test_total > len(r.labels):
            subset = f" on the first {len(r.labels):,} of {r.test_total:,} test images"
        shown = ""
        if self.filter is not None:        # on the wrapping line: class names can be long
            t, pr = self.filter
            shown = f" · the grid shows: true {r.class_names[t]}, guessed {r.class_names[pr]}"
        self.summary.setText(f"test accuracy {r.accuracy:.1%}{subset} · {r.wrong.size} wrong · step {r.step}{shown}")
