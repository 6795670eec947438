"""The network as a node graph: the centre of the app.

One column per layer; each neuron a small heatmap of its activation over the input plane; edges
coloured by the weight's sign and sized by its magnitude; every bias a small square at its node's
corner. A toggle shows the last step's gradients instead (∂J/∂w on the edges, the mean dZ on the
nodes, ∂J/∂b on the biases), each scaled to the largest magnitude so tiny gradients stay readable.
During a phase walk it shows the pass's own gradients as the backward pass computes them, top layer
first: the layers it has not reached yet are blank.

Items are built once per architecture. Per frame only ``setData`` / ``setImage`` run: edges are
grouped into a handful of pens (sign × magnitude bucket), one ``PlotCurveItem`` with
``connect='pairs'`` per pen, so a frame costs ~10 draw calls however many edges there are.
"""
from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QPen
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QMenu, QPushButton,
                               QSizePolicy, QToolButton, QToolTip, QVBoxLayout, QWidget)

from ..snapshot import Snapshot
from ..state import MAX_HIDDEN_LAYERS, MAX_NEURONS
from ..theme import BOUNDED, LIGHT, NEGATIVE, POSITIVE, Theme, colour_mapped, levels_for, levels_of_each, within_levels
from engine.inspect import param_symbol

from .graph_layout import MAX_NODES, network_layout
from ..numbers import num, typed_number

pg.setConfigOptions(imageAxisOrder="row-major")

N_BUCKETS = 5
HEADER_H = 64
MIN_HEADER_W = 60          # narrower, a header's combo and buttons no longer fit
MIN_FULL_NODE_PX = 20      # a layer wider than MAX_NODES is drawn in full while its nodes get this tall
RERANK_INTERVAL = 2.0      # s: how often a wide layer's drawn neurons follow the changing weights
INFO_INTERVAL = 0.25       # s: how often the info line's numbers follow training
INFO_HINT = "Hover an edge, a bias or a neuron for its numbers; click to edit or enlarge."
LEFT_MARGIN = 64
RIGHT_MARGIN = 40


def fmt(v) -> str:
    """A number as a person reads it, as the Math panel prints it: 4 significant digits, scientific
    when tiny or huge (5.028e−6), a true minus sign; "—" for no value."""
    if v is None:
        return "—"
    return num(v)


def finite_span(values) -> tuple[float, float] | None:
    """(lowest, highest) of the finite values, or None when none is finite."""
    finite = np.asarray(values)[np.isfinite(values)]
    return (float(finite.min()), float(finite.max())) if finite.size else None


def _drawing_scale(largest: float, values: np.ndarray) -> float:
    """The magnitude a drawing is scaled to: the largest, unless that is infinite or NaN (then the
    largest finite one, found only then) or zero (then 1)."""
    return largest if 1e-12 < largest < math.inf else levels_for("linear", values)[1]


def _relative(magnitudes: np.ndarray, scale: float) -> np.ndarray:
    """magnitudes / scale in [0, 1] for drawing: a value beyond the scale (infinite) at 1, NaN at 0."""
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(np.clip(magnitudes / scale, 0.0, 1.0), nan=0.0)


class ValueEditor(QLineEdit):
    """An inline editor for one weight or bias: Enter applies, Escape cancels."""

    accepted = Signal(float)

    TIP = "Type a new value and press Enter (Escape cancels). It takes effect at the next step."

    def __init__(self, parent):
        super().__init__(parent)
        self.setFixedWidth(120)
        self.setToolTip(self.TIP)
        self.returnPressed.connect(self._on_return_pressed)
        self._shown = ""
        self.hide()

    def open_at(self, pos: QPoint, value: float, what: str) -> None:
        self.setPlaceholderText(what)
        self._shown = f"{value:.6g}"        # rounded for reading: Enter on it unchanged keeps the exact value
        self.setText(self._shown)
        self.setStyleSheet("")
        self.setToolTip(self.TIP)
        self.move(max(0, min(pos.x(), self.parent().width() - self.width())),
                  max(0, min(pos.y(), self.parent().height() - self.height())))
        self.show()
        self.raise_()
        self.setFocus()
        self.selectAll()

    def _on_return_pressed(self) -> None:
        if self.text().strip() == self._shown:
            self.hide()
            return
        text = self.text().strip()
        try:
            v = typed_number(text)
            if not math.isfinite(v) or abs(v) > 1e6:
                raise ValueError
        except ValueError:
            self.setStyleSheet("border: 2px solid #d93025;")
            self.setToolTip(f"{text!r} is not allowed: type a finite number between −1e6 and 1e6, e.g. −0.5")
            QToolTip.showText(self.mapToGlobal(QPoint(0, self.height())), self.toolTip(), self)
            return
        self.hide()
        self.accepted.emit(v)

    def keyPressEvent(self, ev):
        if ev.key() == Qt.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(ev)

    def focusOutEvent(self, ev):
        super().focusOutEvent(ev)
        self.hide()


class LayerHeader(QWidget):
    """Controls above one column: neuron count with − / +, the layer's activation, and a menu (the
    ⋮ button, or a right-click) to insert a hidden layer next to this column or remove this one."""

    def __init__(self, parent, layer: int, kind: str, n: int, activation: str, names, graph):
        super().__init__(parent)
        self.layer = layer
        self.key = (layer, kind, n, activation)       # a header with the same key can be kept across builds
        self.layer_actions = self._make_layer_actions(kind, layer, graph)
        self.addActions(self.layer_actions)
        self.setContextMenuPolicy(Qt.ActionsContextMenu)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        row = QHBoxLayout()
        row.setSpacing(2)
        if kind == "hidden":
            self.minus = QToolButton(self)
            self.minus.setText("−")
            self.minus.setToolTip(f"Remove a neuron from layer {layer + 1} (a layer keeps at least 1)")
            self.minus.clicked.connect(lambda: graph.neuron_remove_requested.emit(layer))
            self.plus = QToolButton(self)
            self.plus.setText("+")
            self.plus.setToolTip(f"Add a neuron to layer {layer + 1} (at most {MAX_NEURONS})")
            self.plus.clicked.connect(lambda: graph.neuron_add_requested.emit(layer))
            row.addWidget(self.minus)
            row.addWidget(self.plus)
        self.label = QLabel(self)
        text = {"input": f"{n} input{'s' if n != 1 else ''}", "hidden": f"{n} neuron{'s' if n != 1 else ''}",
                "output": "output"}[kind]
        self.label.setText(text)
        self._full_text, self._short_text = text, (str(n) if kind != "output" else text)
        self.label.setToolTip(text)
        self.label.setAlignment(Qt.AlignCenter)
        row.addWidget(self.label)
        lay.addLayout(row)
        self.menu_button = QToolButton(self)
        self.menu_button.setText("⋮")
        self.menu_button.setToolTip("Insert a hidden layer here, or remove this one")
        self.menu_button.setPopupMode(QToolButton.InstantPopup)
        self.menu_button.setStyleSheet("QToolButton::menu-indicator { image: none; }")
        self.menu_button.setFixedWidth(18)          # narrow: columns of a deep network are too
        menu = QMenu(self.menu_button)
        menu.addActions(self.layer_actions)
        self.menu_button.setMenu(menu)
        self.combo = None
        if kind == "input":
            row.addWidget(self.menu_button)         # no activation to choose: the menu sits by the count
            self._row_buttons = [self.menu_button]
            self.adjustSize()
            return
        self._row_buttons = [self.minus, self.plus] if kind == "hidden" else []
        self.combo = QComboBox(self)
        self.combo.addItems(list(names))
        self.combo.setCurrentText(activation)
        self.combo.setToolTip(f"Activation of layer {layer + 1}" + (" (the output)" if kind == "output" else ""))
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.combo.activated.connect(lambda _i: graph.activation_requested.emit(layer, self.combo.currentText()))
        below = QHBoxLayout()
        below.setSpacing(2)
        below.addWidget(self.combo, 1)
        below.addWidget(self.menu_button)
        lay.addLayout(below)
        self.adjustSize()

    def _make_layer_actions(self, kind: str, layer: int, graph) -> list[QAction]:
        """The layer edits that make sense at this column. `layer` is the column's index among the
        weight layers (−1 for the inputs); a new hidden layer at position i goes after hidden layer i−1."""
        def action(text, signal, index):
            act = QAction(text, self)
            act.triggered.connect(lambda _checked=False: signal.emit(index))
            return act
        if kind == "input":
            return [action("Insert a hidden layer after the inputs", graph.layer_add_requested, 0)]
        if kind == "output":
            return [action("Insert a hidden layer before the output", graph.layer_add_requested, layer)]
        return [action(f"Insert a layer before layer {layer + 1}", graph.layer_add_requested, layer),
                action(f"Insert a layer after layer {layer + 1}", graph.layer_add_requested, layer + 1),
                action(f"Remove layer {layer + 1} (the others keep their weights)", graph.layer_remove_requested, layer)]

    def fit_width(self, width: int) -> None:
        """Show "8 neurons" where it fits, else just "8" (the tooltip keeps the words)."""
        self.label.setText(self._full_text if self.full_width() <= width else self._short_text)

    def full_width(self) -> int:
        """The width the header needs with its full text. Measured from the text, not from size
        hints, which Qt updates only at the next layout pass."""
        buttons = sum(_drawn_width(b) + 2 for b in self._row_buttons)
        row = buttons + self.label.fontMetrics().horizontalAdvance(self._full_text) + 4
        if self.combo is None:
            return row
        return max(row, self.combo.sizeHint().width() + 2 + _drawn_width(self.menu_button))


def _drawn_width(button) -> int:
    """A button's width as laid out: its size hint, or its fixed width when that is narrower (the
    ⋮ button's hint is 28 px, and it is drawn 18 px wide)."""
    return min(button.sizeHint().width(), button.maximumWidth())


class NetworkGraphView(QWidget):
    """The node graph. Emits requests; the window turns them into worker commands."""

    weight_edited = Signal(int, int, int, float)        # l, j, k, value
    bias_edited = Signal(int, int, float)                # l, j, value
    neuron_clicked = Signal(int, int)                    # column (0 = inputs), j
    selection_changed = Signal(str, int, int, int)       # kind ("weight" | "bias" | "neuron"), l, j, k
    layer_add_requested = Signal(int)                    # index of the new hidden layer
    layer_remove_requested = Signal(int)                 # index of the hidden layer
    neuron_add_requested = Signal(int)                   # hidden layer index
    neuron_remove_requested = Signal(int)                # hidden layer index
    activation_requested = Signal(int, str)              # layer index (last = output), name
    nodes_placed = Signal()                              # the nodes moved: a resize or a new network
    gradients_toggled = Signal(bool)

    def __init__(self, parent=None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self._snap: Snapshot | None = None
        self._arch_key = None
        self._sizes: list[int] = []
        self._acts: list[str] = []
        self._node_items: list[list[pg.ImageItem]] = []
        self._node_rects: list[np.ndarray] = []         # per column (n, 4): x, y, w, h
        self._edge_xy = np.zeros((0, 4))
        self._edge_offsets = [0]
        self._edge_items: list[pg.PlotCurveItem] = []
        self._bias_item = None
        self._bias_xy = np.zeros((0, 2))
        self._labels: list[pg.TextItem] = []
        self._headers: list[LayerHeader] = []
        # Kept from the last build for the next: creating a deep network's ~300 node images and its
        # headers took most of the time of an edit, and an edit changes one layer at most.
        self._spare_nodes: list[pg.ImageItem] = []
        self._spare_headers: dict[tuple, LayerHeader] = {}
        self._layouts = []                              # graph_layout.LayerLayout per column
        self._max_nodes = MAX_NODES                     # the widest layer drawn in full, for the view's height
        self._shown: list[np.ndarray] = []              # per column, the neuron drawn in each slot
        self._blocks: list = []                         # (frame, caption) of each collapsed column
        self._ranked_at = 0.0                           # when the drawn neurons were last chosen
        self._selected = None
        self._zoom = None
        self.show_gradients = False
        self._pass = None                               # (step, {layer: (dW, db, mean dZ)}) of a phase walk
        self.frames = 0

        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(2)
        top = QHBoxLayout()
        self.add_layer_btn = QPushButton("+ Layer")
        self.add_layer_btn.setToolTip(f"Add a hidden layer before the output (at most {MAX_HIDDEN_LAYERS})")
        self.add_layer_btn.clicked.connect(lambda: self.layer_add_requested.emit(max(0, len(self._sizes) - 2)))
        self.remove_layer_btn = QPushButton("− Layer")
        self.remove_layer_btn.setToolTip("Remove the last hidden layer (the weights of the others are kept)")
        self.remove_layer_btn.clicked.connect(lambda: self.layer_remove_requested.emit(max(0, len(self._sizes) - 3)))
        self.layers_label = QLabel("")
        self.layers_label.setToolTip("Number of hidden layers")
        self.grad_check = QCheckBox("Show gradients")
        self.grad_check.setToolTip("Colour edges by ∂J/∂w, nodes by the mean error dZ and biases by ∂J/∂b "
                                   "of the last step (during a phase walk, of the pass so far), scaled to "
                                   "the largest magnitude")
        self.grad_check.toggled.connect(self._on_gradients_toggled)
        self.scale_label = QLabel("")
        self.scale_label.setToolTip("Edge width and colour are relative to this largest magnitude")
        top.addWidget(self.add_layer_btn)
        top.addWidget(self.remove_layer_btn)
        top.addWidget(self.layers_label)
        top.addStretch(1)
        top.addWidget(self.grad_check)
        outer.addLayout(top)

        self.header = QWidget(self)
        self.header.setFixedHeight(HEADER_H)
        outer.addWidget(self.header)

        self.view = pg.GraphicsView(self)
        self.vb = pg.ViewBox(enableMouse=False, enableMenu=False, invertY=True)
        self.vb.setMouseEnabled(False, False)
        self.view.setCentralItem(self.vb)
        self.view.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.view.setMinimumSize(300, 160)
        self.view.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.view.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.view.setToolTip("")
        outer.addWidget(self.view, 1)
        outer.addWidget(self.scale_label)              # its own line: with gradients on it is long

        self.info = QLabel(INFO_HINT)
        self._info_for = None                   # what the info line describes: (kind, l, j, k)
        self._info_at = 0.0
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.info.setMinimumHeight(36)
        self.info.setToolTip("Details of the edge, bias or neuron under the mouse")
        outer.addWidget(self.info)

        self.editor = ValueEditor(self.view)
        self.editor.accepted.connect(self._on_editor_accepted)
        self._editing = None

        self._highlight = pg.PlotCurveItem(pen=pg.mkPen("#d93025", width=3))
        self._highlight.setZValue(30)
        self._node_box = pg.QtWidgets.QGraphicsRectItem()
        self._node_box.setPen(QPen(QColor("#d93025"), 2))
        self._node_box.setZValue(30)
        self._node_box.hide()
        self.vb.addItem(self._highlight)
        self.vb.addItem(self._node_box)
        self.apply_theme(theme)

    # ------------------------------------------------------------------ public
    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.view.setBackground(theme.plot_bg)
        self._lut = theme.diverging_lut()
        self._pens = self._make_pens()
        for it, pen in zip(self._edge_items, self._pens):
            it.setPen(pen)
        for it in self._labels:
            it.setColor(theme.text)
        if self._snap is not None:
            self._update_values(self._snap)

    def update_snapshot(self, snap: Snapshot) -> None:
        if snap is None:
            return
        key = (snap.arch_version, tuple(snap.sizes), tuple(snap.activations), tuple(snap.features))
        self._snap = snap
        if key != self._arch_key:
            self._arch_key = key
            self._rebuild(snap)
        else:
            self._rerank(snap)
        self._update_values(snap)
        self._refresh_info()
        if self._zoom is not None and self._zoom.isVisible():
            self._zoom.update_snapshot(snap)
        self.frames += 1

    def set_pass_gradients(self, step: int, gradients: dict | None) -> None:
        """The gradients a phase walk has computed so far ({layer: (dW, db, mean dZ)}, from
        InspectView.gradients_so_far) before its update, which moves the training past `step`; None
        when no walk is in progress."""
        if gradients is None and self._pass is None:
            return                                      # no walk before or now: nothing to redraw
        self._pass = None if gradients is None else (int(step), gradients)
        if self._snap is not None:
            self._update_values(self._snap)
            self._info_at = 0.0
            self._refresh_info()

    def _walk(self, snap: Snapshot) -> dict | None:
        """The walk's gradients while they belong to what is on screen: paused at the walk's step, with
        the same layers (an edit of the network ends the walk, and its new snapshot may come first)."""
        if self._pass is None or snap.playing or snap.step != self._pass[0]:
            return None
        walk = self._pass[1]
        if any(l >= len(snap.weights) or np.shape(walk[l][0]) != np.shape(snap.weights[l]) for l in walk):
            return None
        return walk

    def _gradients(self, snap: Snapshot):
        """(dW, db, mean dZ) lists the gradient view draws, or None when there are none yet: a walk's
        so far (zeros where it has not reached), else the last step's."""
        walk = self._walk(snap)
        if walk is not None:
            rows = [walk[l] if l in walk else (np.zeros_like(w), np.zeros_like(b), np.zeros(w.shape[0]))
                    for l, (w, b) in enumerate(zip(snap.weights, snap.biases))]
            dW, db, mean_dz = (list(part) for part in zip(*rows))
            return dW, db, mean_dz
        if snap.has_step:
            return list(snap.grad_weights), list(snap.grad_biases), list(snap.mean_dz)
        return None

    def _refresh_info(self) -> None:
        """Keep the numbers of the item the info line describes (the last hovered or selected) current,
        a few times a second while training runs."""
        now = time.perf_counter()
        playing = self._snap is not None and self._snap.playing
        if self._info_for is None or (playing and now - self._info_at < INFO_INTERVAL):
            return
        self._info_at = now
        try:
            self.info.setText(self.describe(self._info_for))
        except (IndexError, ValueError):      # the item went with an edit of the network
            self._info_for = None
            self.info.setText(INFO_HINT)

    def slot(self, column: int, j: int) -> int:
        """Where neuron j of a column is drawn; ValueError when a collapsed layer leaves it out."""
        hits = np.flatnonzero(self._shown[column] == int(j))
        if not hits.size:
            raise ValueError(f"neuron {j + 1} of layer {column} is not drawn (only the strongest of a wide layer are)")
        return int(hits[0])

    def _edge_index(self, l: int, j: int, k: int) -> int:
        return self._edge_offsets[l] + self.slot(l + 1, j) * len(self._shown[l]) + self.slot(l, k)

    @property
    def n_items(self) -> int:
        """Nodes and captions drawn (a 784-input network must not draw 784 nodes)."""
        return sum(len(c) for c in self._node_items) + len(self._labels) + sum(f is not None for f, _ in self._blocks)

    @property
    def captions(self) -> list[str]:
        return [lay.label for lay in self._layouts if lay.collapsed]

    def edge_center(self, l: int, j: int, k: int) -> QPointF:
        """Where edge W[l][j, k] is drawn (view coordinates); tests click it."""
        i = self._edge_index(l, j, k)
        x0, y0, x1, y1 = self._edge_xy[i]
        # a point a quarter of the way along, clear of the crossings in the middle
        return QPointF(x0 + 0.3 * (x1 - x0), y0 + 0.3 * (y1 - y0))

    def node_center(self, column: int, j: int) -> QPointF:
        x, y, w, h = self._node_rects[column][self.slot(column, j)]
        return QPointF(x + w / 2, y + h / 2)

    def bias_center(self, l: int, j: int) -> QPointF:
        i = sum(len(sh) for sh in self._shown[1:l + 1]) + self.slot(l + 1, j)
        return QPointF(*self._bias_xy[i])

    def view_to_widget(self, p: QPointF) -> QPoint:
        """A view point as a position in ``self.view.viewport()`` (for clicks)."""
        return self.view.mapFromScene(self.vb.mapViewToScene(p))

    def edit(self, kind: str, l: int, j: int, k: int = 0) -> None:
        """Open the inline editor for a weight (kind 'weight') or a bias (kind 'bias')."""
        snap = self._snap
        if snap is None:
            return
        if kind == "weight":
            value = float(snap.weights[l][j, k])
            pos = self.view_to_widget(self.edge_center(l, j, k))
            what = param_symbol(l, j, k, "W")
        else:
            value = float(snap.biases[l][j, 0])
            pos = self.view_to_widget(self.bias_center(l, j))
            what = param_symbol(l, j, None, "b")
        self._editing = (kind, l, j, k)
        self.editor.open_at(pos + QPoint(8, 8), value, what)

    # ------------------------------------------------------------------ building
    def _make_pens(self):
        """One pen per sign × magnitude bucket: weak weights thin and faint, strong ones wide and
        full. Faint is the colour mixed with the background rather than drawn with alpha: Qt
        strokes wide translucent lines several times slower (the graph repaints every frame)."""
        bg = QColor(self.theme.plot_bg)
        pens = []
        for sign in (0, 1):
            base = NEGATIVE if sign == 0 else POSITIVE
            for b in range(N_BUCKETS):
                a = (90 + 165 * b / (N_BUCKETS - 1)) / 255
                mixed = QColor(*(int(round(c * a + back * (1 - a)))
                                 for c, back in zip(base, (bg.red(), bg.green(), bg.blue()))))
                pens.append(pg.mkPen(mixed, width=0.8 + 1.0 * b))
        return pens

    def _clear(self) -> None:
        for col in self._node_items:
            for im in col:
                im.hide()
                self._spare_nodes.append(im)
        for it in self._edge_items + self._labels:
            self.vb.removeItem(it)
        for frame, caption in self._blocks:
            if frame is not None:
                self.vb.removeItem(frame)
                self.vb.removeItem(caption)
        self._blocks = []
        if self._bias_item is not None:
            self.vb.removeItem(self._bias_item)
        self._spare_headers = {h.key: h for h in self._headers}
        self._node_items, self._edge_items, self._labels, self._headers = [], [], [], []
        self._bias_item = None

    def _rebuild(self, snap: Snapshot) -> None:
        self._clear()
        self._sizes = list(snap.sizes)
        self._acts = list(snap.activations)
        self._max_nodes = self._nodes_that_fit()
        self._layouts = network_layout(self._sizes, snap.weights, selected=self._must_show(),
                                       max_nodes=self._max_nodes)
        self._shown = [np.asarray(lay.shown, dtype=np.int64) for lay in self._layouts]
        self._ranked_at = time.monotonic()
        n_hidden = len(self._sizes) - 2
        self.layers_label.setText(f"{n_hidden} hidden layer{'s' if n_hidden != 1 else ''}")
        self.add_layer_btn.setEnabled(True)
        self.remove_layer_btn.setEnabled(True)
        for i in range(len(self._sizes)):
            col = []
            for _slot in range(len(self._shown[i])):
                col.append(self._node_image())
            self._node_items.append(col)
        for pen in self._pens:
            it = pg.PlotCurveItem(pen=pen, connect="pairs", antialias=False)
            it.setZValue(1)
            self.vb.addItem(it)
            self._edge_items.append(it)
        self._bias_item = pg.ScatterPlotItem(symbol="s", pxMode=True, pen=pg.mkPen(self.theme.plot_fg, width=0.5))
        self._bias_item.setZValue(20)
        self.vb.addItem(self._bias_item)
        for j in self._shown[0]:
            t = pg.TextItem(self._input_name(snap, j), color=self.theme.text, anchor=(1, 0.5))
            self.vb.addItem(t)
            self._labels.append(t)
        for lay in self._layouts:
            if not lay.collapsed:
                self._blocks.append((None, None))
                continue
            frame = pg.QtWidgets.QGraphicsRectItem()
            frame.setPen(pg.mkPen(self.theme.muted, width=1, style=Qt.DashLine))
            frame.setZValue(0)
            caption = pg.TextItem(lay.label.replace(" · ", "\n"), color=self.theme.text, anchor=(0.5, 0))
            caption.setToolTip("A wide layer: only its strongest neurons (largest weights) are drawn. A taller "
                               f"graph draws a layer of up to {MAX_NEURONS} in full.")
            self.vb.addItem(frame)
            self.vb.addItem(caption)
            self._blocks.append((frame, caption))
        from engine import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
        for i, n in enumerate(self._sizes):
            kind = "input" if i == 0 else ("output" if i == len(self._sizes) - 1 else "hidden")
            names = OUTPUT_ACTIVATIONS if kind == "output" else HIDDEN_ACTIVATIONS
            activation = self._acts[i - 1] if i else ""
            h = self._spare_headers.pop((i - 1, kind, n, activation), None)
            if h is None:
                h = LayerHeader(self.header, i - 1, kind, n, activation, names, self)
                h.show()
            elif h.combo is not None:
                h.combo.setCurrentText(activation)     # in case a choice in it was refused
            self._headers.append(h)
        for h in self._spare_headers.values():
            h.deleteLater()
        self._spare_headers = {}
        self._selected = None
        self._highlight.setData([], [])
        self._node_box.hide()
        self._layout()

    def _node_image(self) -> pg.ImageItem:
        """An image item for one node: a spare one from an earlier build, or a new one."""
        if self._spare_nodes:
            im = self._spare_nodes.pop()
            im.show()
        else:
            im = pg.ImageItem(axisOrder="row-major")
            im.setZValue(10)
            self.vb.addItem(im)
        return im

    @staticmethod
    def _input_name(snap: Snapshot, j: int) -> str:
        return snap.features[j] if j < len(snap.features) else f"x{j}"

    def _must_show(self) -> dict[int, list[int]]:
        """{column: neurons} a collapsed layer must draw: those of the selected neuron, bias or weight."""
        sel = self._selected
        if sel is None:
            return {}
        kind, l, j, k = sel
        if kind == "neuron":
            return {l: [j]}
        if kind == "bias":
            return {l + 1: [j]}
        return {l: [k], l + 1: [j]}

    def _rerank(self, snap: Snapshot) -> None:
        """A wide layer draws its strongest neurons, and training changes which ones those are: every
        RERANK_INTERVAL s they are ranked again. The nodes stay; only the neurons they show change."""
        if not any(lay.collapsed for lay in self._layouts) or snap.weights is None:
            return
        now = time.monotonic()
        if now - self._ranked_at < RERANK_INTERVAL:
            return
        self._ranked_at = now
        layouts = network_layout(self._sizes, snap.weights, selected=self._must_show(), max_nodes=self._max_nodes)
        shown = [np.asarray(lay.shown, dtype=np.int64) for lay in layouts]
        if all(np.array_equal(new, old) for new, old in zip(shown, self._shown)):
            return
        self._layouts, self._shown = layouts, shown
        for t, j in zip(self._labels, shown[0]):
            t.setText(self._input_name(snap, int(j)))
        self._update_selection_marker()

    def _layout(self) -> None:
        """Place nodes, edges, biases and headers for the current widget size."""
        if not self._sizes:
            return
        W = max(200, self.view.viewport().width())
        H = max(150, self.view.viewport().height())
        self.vb.setRange(xRange=(0, W), yRange=(0, H), padding=0)
        ncol = len(self._sizes)
        counts = [len(sh) for sh in self._shown]
        n_max = max(counts)
        left = self._left_margin()
        usable_w = W - left - RIGHT_MARGIN
        col_w = usable_w / max(1, ncol - 1)
        captions = [(i, caption) for i, (frame, caption) in enumerate(self._blocks) if frame is not None]
        if captions:
            # each caption wraps within its column and the view (it is centred on its column), and
            # the nodes leave room for the tallest
            for i, caption in captions:
                cx = left + i * col_w
                caption.setTextWidth(max(40.0, min(170.0, col_w - 10, 2 * cx - 4, 2 * (W - cx) - 4)))
            H = H - max(c.textItem.boundingRect().height() for _, c in captions) - 8
        s = min(64.0, (H - 16) / (n_max * 1.25), col_w * 0.45)
        s = max(6.0, s)
        step = min(s * 1.6, (H - 16 - s) / max(1, n_max - 1)) if n_max > 1 else s
        rects = []
        for i, n in enumerate(counts):
            cx = left + i * col_w
            total = (n - 1) * step + s
            y0 = max(8.0, (H - total) / 2)
            r = np.array([[cx - s / 2, y0 + j * step, s, s] for j in range(n)], dtype=float)
            rects.append(r)
            for j, im in enumerate(self._node_items[i]):
                im.setRect(QRectF(*r[j]))
        self._node_rects = rects
        for i, (frame, caption) in enumerate(self._blocks):
            if frame is None:
                continue
            r = rects[i]
            x0, y0 = r[:, 0].min() - 6, r[:, 1].min() - 6
            x1, y1 = (r[:, 0] + r[:, 2]).max() + 6, (r[:, 1] + r[:, 3]).max() + 6
            frame.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
            caption.setPos((x0 + x1) / 2, y1 + 2)
        for j, t in enumerate(self._labels):
            x, y, w, h = rects[0][j]
            t.setPos(x - 4, y + h / 2)
        # edges: from the right side of node k in column l to the left side of node j in column l+1
        xy, offs = [], [0]
        for l in range(ncol - 1):
            a, b = rects[l], rects[l + 1]
            n_in, n_out = len(a), len(b)
            jj, kk = np.meshgrid(np.arange(n_out), np.arange(n_in), indexing="ij")
            jj, kk = jj.ravel(), kk.ravel()
            seg = np.stack([a[kk, 0] + a[kk, 2], a[kk, 1] + a[kk, 3] / 2, b[jj, 0], b[jj, 1] + b[jj, 3] / 2], axis=1)
            xy.append(seg)
            offs.append(offs[-1] + len(seg))
        self._edge_xy = np.concatenate(xy) if xy else np.zeros((0, 4))
        self._edge_offsets = offs
        # biases: the bottom-left corner of every non-input node
        bs = max(5.0, s * 0.28)
        self._bias_size = bs
        pts = [np.stack([r[:, 0] + bs * 0.5 - 2, r[:, 1] + r[:, 3] - bs * 0.5 + 2], axis=1) for r in rects[1:]]
        self._bias_xy = np.concatenate(pts) if pts else np.zeros((0, 2))
        # headers: centred over their columns
        view_x = self.view.geometry().x() - self.header.geometry().x()
        # columns too close for their headers (a deep network, a narrow window): every other header
        # goes to a second row, so each may take the width of two columns
        staggered = ncol > 1 and col_w * 0.9 < MIN_HEADER_W
        rows = 2 if staggered else 1
        if self.header.height() != rows * HEADER_H:
            self.header.setFixedHeight(rows * HEADER_H)
        right_edge = [-2] * rows                  # of the last header placed in each row
        for i, h in enumerate(self._headers):
            cx = view_x + left + i * col_w
            room = int(col_w * 0.9 * rows) if ncol > 1 else 200               # a gap between neighbours
            if i == ncol - 1:
                # the output's header has no neighbour on its right: it may use the strip to its end
                room = max(room, self.header.width() - right_edge[i % rows] - 2)
            w = int(max(min(h.full_width(), room), MIN_HEADER_W))
            # centred over the column, but inside the header strip (the inputs' one sits near its
            # edge) and clear of the header before it in its row
            x = min(max(0, int(cx - w / 2)), max(0, self.header.width() - w))
            row = i % rows
            x = max(x, right_edge[row] + 2)
            w = max(min(w, self.header.width() - x), 1)
            h.fit_width(w)
            h.setGeometry(x, row * HEADER_H, w, HEADER_H)
            right_edge[row] = x + w
        if self._snap is not None:
            self._update_values(self._snap)
        self._update_selection_marker()
        self.nodes_placed.emit()

    def _left_margin(self) -> float:
        """Room left of the input column for its labels (x1·x2, sin x1, …) and half a node."""
        metrics = self.fontMetrics()
        widest = max((metrics.horizontalAdvance(t.toPlainText()) for t in self._labels), default=0)
        return max(LEFT_MARGIN, widest + 44)

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        if self._snap is not None and self._sizes and self._collapses(self._nodes_that_fit()) != self._collapses(
                self._max_nodes):
            # the view's new height draws a layer in full that was collapsed, or the other way round
            selected = self._selected
            self._rebuild(self._snap)
            self._selected = selected
            self._update_selection_marker()
            return
        self._layout()

    def _nodes_that_fit(self) -> int:
        """How wide a layer may be and still be drawn in full: MAX_NODES, or as many more (up to the
        playground's widest layer) as the view's height gives nodes of MIN_FULL_NODE_PX."""
        height = max(150, self.view.viewport().height())
        return max(MAX_NODES, min(MAX_NEURONS, int((height - 16) / (1.25 * MIN_FULL_NODE_PX))))

    def _collapses(self, max_nodes: int) -> list[bool]:
        return [n > max_nodes for n in self._sizes]

    def showEvent(self, ev):
        super().showEvent(ev)
        self._layout()

    # ------------------------------------------------------------------ per frame
    def _edge_values(self, snap: Snapshot, gradients=None):
        mats = gradients[0] if gradients is not None else snap.weights
        sh = self._shown
        if len(sh) != len(mats) + 1:
            return np.zeros(0)
        return np.concatenate([m[np.ix_(sh[l + 1], sh[l])].ravel() for l, m in enumerate(mats)])

    def _set_node_images(self, column: int, images: np.ndarray, levels) -> None:
        """Colour a stack of images (one per drawn node of a column, in slot order) with levels
        (low, high), each a number or one per image, and show each in its node."""
        colours = colour_mapped(images, levels, self._lut)
        for slot, im in enumerate(self._node_items[column]):
            old = im.image
            im.setImage(colours[slot], levels=None)
            # ImageItem.setRect scales by the image's size: the node's rect is applied again when
            # the size changes (heatmap ↔ the single value of the gradient view)
            if old is None or old.shape != colours[slot].shape:
                im.setRect(QRectF(*self._node_rects[column][slot]))

    def _show_mean_activations(self, snap: Snapshot) -> None:
        """Without an input plane (images, a table imported without two plot columns): each node in one
        colour, its mean activation over the last step's batch, on one scale per layer so that a
        layer's neurons compare; the middle colour before the first step. A lone node of an unbounded
        activation (a regression's one output) has no layer to compare with: it is scaled against
        every unbounded node of the network, not by itself into full colour."""
        means = snap.mean_activations
        layers = []
        for i in range(len(self._sizes)):
            if i < len(means) and len(means[i]) == self._sizes[i]:
                values = np.asarray(means[i], dtype=np.float64)
            else:
                values = np.full(self._sizes[i], np.nan)
            layers.append(("linear" if i == 0 else self._acts[i - 1], values, values[np.isfinite(values)]))
        unbounded = [finite for activation, _v, finite in layers if activation not in BOUNDED]
        network = np.concatenate(unbounded) if unbounded else np.zeros(0)
        for i, (activation, values, finite) in enumerate(layers):
            scaled_by = network if finite.size == 1 else finite
            self._set_node_images(i, values[self._shown[i]].reshape(-1, 1, 1), levels_for(activation, scaled_by))
        if means:
            self.scale_label.setText(self.scale_label.text() + " · nodes: mean activation on the last step's batch")

    def _show_curves(self, curve) -> None:
        """One input and no plane (a table of one column): each node is a strip of its value over
        that input, lowest input on the left, on its own colour scale as a heatmap is."""
        xs = np.asarray(curve.xs, np.float64)
        self._set_node_images(0, np.repeat(xs[None, None, :], len(self._shown[0]), axis=0),
                              levels_for("linear", xs))
        for i in range(1, len(self._sizes)):
            if i - 1 >= len(curve.activations) or curve.activations[i - 1].shape[0] != self._sizes[i]:
                continue
            strips = np.asarray(curve.activations[i - 1])[self._shown[i], None, :]
            self._set_node_images(i, strips, levels_of_each(self._acts[i - 1], strips))
        self.scale_label.setText(self.scale_label.text() + f" · nodes: each one over {curve.input_name}, "
                                 f"{fmt(xs[0])} (left) to {fmt(xs[-1])} (right)")

    def _update_values(self, snap: Snapshot) -> None:
        if len(self._node_rects) != len(self._sizes) or not self._sizes:
            return
        gradients = self._gradients(snap) if self.show_gradients else None
        grads = gradients is not None
        # edges
        v = self._edge_values(snap, gradients)
        if len(v) == len(self._edge_xy):
            mag = np.abs(v)
            scale = float(mag.max()) if mag.size else 0.0
            rel = np.sqrt(_relative(mag, _drawing_scale(scale, v)))
            bucket = np.minimum((rel * N_BUCKETS).astype(np.int64), N_BUCKETS - 1) + N_BUCKETS * (v >= 0)
            xy = self._edge_xy
            for b, item in enumerate(self._edge_items):
                m = bucket == b
                cnt = int(m.sum())
                if cnt == 0:
                    item.setData([], [])
                    continue
                seg = xy[m]
                xs = np.empty(2 * cnt)
                ys = np.empty(2 * cnt)
                xs[0::2], xs[1::2] = seg[:, 0], seg[:, 2]
                ys[0::2], ys[1::2] = seg[:, 1], seg[:, 3]
                item.setData(xs, ys)
            what = "max |∂J/∂w|" if grads else "max |w|"
            if grads and self._walk(snap) is not None:
                what += " (this pass so far)"
            self.scale_label.setText(f"edges: {what} = {fmt(scale)}")
        # nodes
        if grads:
            with np.errstate(over="ignore"):          # a gradient beyond float32 shows as the largest
                dz = [np.asarray(d, dtype=np.float32) for d in gradients[2]]
            flat = np.concatenate([d.ravel() for d in dz]) if dz else np.zeros(0, np.float32)
            largest = float(np.abs(flat).max()) if flat.size else 0.0
            m = _drawing_scale(largest, flat)          # all zero shows as zero
            for i in range(1, len(self._sizes)):
                self._set_node_images(i, dz[i - 1][self._shown[i]].reshape(-1, 1, 1), (-m, m))
            self._set_node_images(0, np.zeros((len(self._shown[0]), 1, 1), np.float32), (-1, 1))
            self.scale_label.setText(self.scale_label.text() + f" · nodes: max |mean dZ| = {fmt(largest)}")
        elif snap.curve is not None:
            self._show_curves(snap.curve)
        elif not snap.has_plane:
            self._show_mean_activations(snap)
        else:
            if snap.input_images is not None:
                images = np.asarray(snap.input_images)[self._shown[0], ::-1]
                self._set_node_images(0, images, levels_of_each("linear", images))
            for i in range(1, len(self._sizes)):
                acts = snap.grid_activations[i - 1] if i - 1 < len(snap.grid_activations) else None
                if acts is None:
                    continue
                images = np.asarray(acts)[self._shown[i], ::-1]
                self._set_node_images(i, images, levels_of_each(self._acts[i - 1], images))
        # biases
        if len(self._bias_xy):
            bv = np.concatenate([b[self._shown[l + 1]].ravel() for l, b in
                                 enumerate(gradients[1] if grads else snap.biases)])
            mag = np.abs(bv)
            scale = _drawing_scale(float(mag.max()) if mag.size else 0.0, bv)
            signed = np.where(bv < 0, -1.0, 1.0) * _relative(mag, scale)
            idx = np.round((signed * 0.5 + 0.5) * 255).astype(int)
            brushes = [self._brush(i) for i in idx]
            self._bias_item.setData(pos=self._bias_xy, size=self._bias_size, brush=brushes)

    @staticmethod
    def _curve_range(curve, l: int, j: int) -> str:
        """What a node's strip spans: its lowest and highest value over the one input."""
        if l == 0:
            return f"drawn over {fmt(curve.xs[0])} … {fmt(curve.xs[-1])}"
        if l - 1 >= len(curve.activations) or j >= curve.activations[l - 1].shape[0]:
            return ""
        span = finite_span(curve.activations[l - 1][j])
        if span is None:
            return f"not a number anywhere over {curve.input_name}"
        return f"from {fmt(span[0])} to {fmt(span[1])} over {curve.input_name}"

    def _brush(self, i: int) -> QBrush:
        cache = getattr(self, "_brush_cache", None)
        if cache is None or cache[0] is not self._lut:
            cache = (self._lut, [pg.mkBrush(*map(int, c)) for c in self._lut])
            self._brush_cache = cache
        return cache[1][i]

    # ------------------------------------------------------------------ hit testing
    def _hit(self, p: QPointF):
        """What lies under view point p: ('neuron', col, j) | ('bias', l, j) | ('weight', l, j, k) | None."""
        if not self._node_rects:
            return None
        x, y = p.x(), p.y()
        if len(self._bias_xy):
            d = np.hypot(self._bias_xy[:, 0] - x, self._bias_xy[:, 1] - y)
            i = int(np.argmin(d))
            if d[i] <= self._bias_size * 0.75:
                l = 0
                while i >= len(self._shown[l + 1]):
                    i -= len(self._shown[l + 1])
                    l += 1
                return ("bias", l, int(self._shown[l + 1][i]), 0)
        for c, r in enumerate(self._node_rects):
            inside = (x >= r[:, 0]) & (x <= r[:, 0] + r[:, 2]) & (y >= r[:, 1]) & (y <= r[:, 1] + r[:, 3])
            if inside.any():
                return ("neuron", c, int(self._shown[c][int(np.argmax(inside))]), 0)
        xy = self._edge_xy
        if len(xy):
            x0, y0, x1, y1 = xy[:, 0], xy[:, 1], xy[:, 2], xy[:, 3]
            dx, dy = x1 - x0, y1 - y0
            t = np.clip(((x - x0) * dx + (y - y0) * dy) / np.maximum(dx * dx + dy * dy, 1e-9), 0, 1)
            d = np.hypot(x0 + t * dx - x, y0 + t * dy - y)
            i = int(np.argmin(d))
            if d[i] <= 4.0:
                l = int(np.searchsorted(self._edge_offsets, i, side="right") - 1)
                r = i - self._edge_offsets[l]
                n_in = len(self._shown[l])
                return ("weight", l, int(self._shown[l + 1][r // n_in]), int(self._shown[l][r % n_in]))
        return None

    def describe(self, hit) -> str:
        """The numbers behind an edge, a bias or a neuron, as one line of text."""
        snap = self._snap
        if snap is None or hit is None:
            return ""
        kind, l, j, k = hit
        parts = []
        if kind == "weight":
            source = f"input {k + 1}" if l == 0 else f"neuron {k + 1} of layer {l}"
            parts.append(f"<b>{param_symbol(l, j, k, 'W')}</b> ({source} → neuron {j + 1} of layer {l + 1})")
            parts.append(f"value {fmt(snap.weights[l][j, k])}")
            parts += self._gradient_parts(snap, kind, l, j, k)
        elif kind == "bias":
            parts.append(f"<b>{param_symbol(l, j, None, 'b')}</b> (bias of neuron {j + 1} of layer {l + 1})")
            parts.append(f"value {fmt(snap.biases[l][j, 0])}")
            parts += self._gradient_parts(snap, kind, l, j, k)
        else:
            if l == 0:
                name = f"<b>input {j + 1}: {self._input_name(snap, j)}</b>"
                if snap.has_plane:
                    return f"{name}, shown over the input plane"
                parts.append(name)
            else:
                parts.append(f"<b>neuron {j + 1} of layer {l}</b> ({snap.activations[l - 1]})")
            span = self._curve_range(snap.curve, l, j) if snap.curve is not None else ""
            if span:
                parts.append(span)
            if snap.curve is None and not snap.has_plane and l < len(snap.mean_activations) \
                    and j < len(snap.mean_activations[l]):
                parts.append(f"mean {'value' if l == 0 else 'activation'} {fmt(snap.mean_activations[l][j])} "
                             "on the last step's batch")
            if l > 0:
                parts.append(f"bias {fmt(snap.biases[l - 1][j, 0])}")
                parts += self._gradient_parts(snap, kind, l - 1, j, k)
                if snap.has_plane or snap.curve is not None:
                    parts.append("click to enlarge")
            return " · ".join(parts)
        opt = snap.optimizer_values(kind, l, j, k)
        for name, val in opt.items():
            parts.append(f"{name.replace('_', ' ')} {fmt(val)}")
        if not snap.has_step and self._walk(snap) is None:
            parts.append("no step yet")
        parts.append("click to type a value")
        return " · ".join(parts)

    def _gradient_parts(self, snap: Snapshot, kind: str, l: int, j: int, k: int) -> list[str]:
        """The gradient of a weight or bias of layer l+1, or the mean error of one of its neurons: a
        phase walk's while one is under way (the backward pass reaches the top layer first), else the
        last step's."""
        symbol = {"weight": "∂J/∂w", "bias": "∂J/∂b", "neuron": "mean dZ"}[kind]
        walk = self._walk(snap)
        if walk is not None:
            if l not in walk:
                return [f"{symbol} not computed yet in this pass (the backward pass reaches layer {l + 1} "
                        f"after the layers above it)"]
            dW, db, mean_dz = walk[l]
            value = dW[j, k] if kind == "weight" else (db[j, 0] if kind == "bias" else mean_dz[j])
            return [f"{symbol} {fmt(value)} (this pass's batch)"]
        if not snap.has_step:
            return []
        if kind == "neuron":
            return [f"{symbol} {fmt(snap.mean_dz[l][j])}"]
        if kind == "weight":
            grad, change = snap.grad_weights[l][j, k], snap.weight_changes[l][j, k]
        else:
            grad, change = snap.grad_biases[l][j, 0], snap.bias_changes[l][j, 0]
        return [f"{symbol} {fmt(grad)} (last step's batch)", f"last change {fmt(change)}"]

    def _on_mouse_moved(self, scene_pos) -> None:
        if self._snap is None:
            return
        p = self.vb.mapSceneToView(scene_pos)
        hit = self._hit(p)
        if hit is None:
            return
        text = self.describe(hit)
        self.info.setText(text)
        self._info_for = hit
        gp = self.view.mapToGlobal(self.view.mapFromScene(scene_pos))
        QToolTip.showText(gp + QPoint(12, 12), text.replace(" · ", "<br>"), self.view)

    def _on_mouse_clicked(self, ev) -> None:
        if self._snap is None or ev.button() != Qt.LeftButton:
            return
        p = self.vb.mapSceneToView(ev.scenePos())
        hit = self._hit(p)
        if hit is None:
            return
        ev.accept()
        self.select(*hit)
        kind, l, j, k = hit
        if kind in ("weight", "bias"):
            self.edit(kind, l, j, k)
        else:
            self.neuron_clicked.emit(l, j)
            if self._snap.has_plane or self._snap.curve is not None:    # over the plane, or its one input
                self.enlarge(l, j)

    def select(self, kind: str, l: int, j: int, k: int = 0) -> None:
        self._selected = (kind, l, j, k)
        if kind == "neuron" and self._snap is not None and 0 <= l < len(self._shown) \
                and not np.any(self._shown[l] == j):
            self._rebuild(self._snap)          # a wide layer: bring the selected neuron into view
            self._selected = (kind, l, j, k)
        self.info.setText(self.describe(self._selected))
        self._info_for = self._selected
        self._update_selection_marker()
        self.selection_changed.emit(kind, l, j, k)

    def _update_selection_marker(self) -> None:
        sel = self._selected
        self._highlight.setData([], [])
        self._node_box.hide()
        if sel is None or not self._node_rects:
            return
        kind, l, j, k = sel
        try:
            if kind == "weight":
                i = self._edge_index(l, j, k)
                x0, y0, x1, y1 = self._edge_xy[i]
                self._highlight.setData([x0, x1], [y0, y1])
            elif kind == "neuron":
                x, y, w, h = self._node_rects[l][self.slot(l, j)]
                self._node_box.setRect(QRectF(x - 2, y - 2, w + 4, h + 4))
                self._node_box.show()
            elif kind == "bias":
                c = self.bias_center(l, j)
                s = self._bias_size
                self._node_box.setRect(QRectF(c.x() - s / 2 - 2, c.y() - s / 2 - 2, s + 4, s + 4))
                self._node_box.show()
        except (IndexError, ValueError):
            self._selected = None

    def _on_editor_accepted(self, value: float) -> None:
        if self._editing is None:
            return
        kind, l, j, k = self._editing
        self._editing = None
        if kind == "weight":
            self.weight_edited.emit(l, j, k, value)
        else:
            self.bias_edited.emit(l, j, value)

    def _on_gradients_toggled(self, on: bool) -> None:
        self.show_gradients = bool(on)
        if self._snap is not None:
            self._update_values(self._snap)
        self.gradients_toggled.emit(self.show_gradients)

    # ------------------------------------------------------------------ enlarged neuron
    def enlarge(self, column: int, j: int) -> None:
        if self._zoom is None:
            self._zoom = NeuronZoom(self)
        self._zoom.show_neuron(column, j, self._snap, self.theme)

    def closeEvent(self, ev):
        if self._zoom is not None:
            self._zoom.close()
        super().closeEvent(ev)


class NeuronZoom(QWidget):
    """One neuron's activation over the input plane, large, with the training points; or, for data
    of one input without a plane, its activation as a line over that input; live."""

    def __init__(self, graph: NetworkGraphView):
        super().__init__(graph, Qt.Tool)
        self.setWindowTitle("Neuron")
        self.resize(360, 380)
        lay = QVBoxLayout(self)
        self.title = QLabel("")
        lay.addWidget(self.title)
        self.plot = pg.PlotWidget()
        self.plot.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.points = pg.ScatterPlotItem(size=4, pen=pg.mkPen("w", width=0.5))
        self.plot.addItem(self.points)
        self.line = self.plot.plot([], [], pen=pg.mkPen("#0877bd", width=2))
        lay.addWidget(self.plot)
        self._over_curve = False
        self.column = 0
        self.j = 0
        self._data_version = None

    def show_neuron(self, column: int, j: int, snap: Snapshot, theme: Theme) -> None:
        self.column, self.j = column, j
        self.image.setLookupTable(theme.diverging_lut())
        self.plot.setBackground(theme.plot_bg)
        self._data_version = None
        self.update_snapshot(snap)
        self.show()
        self.raise_()

    def _curve_mode(self, on: bool, input_name: str = "") -> None:
        """A line over the one input (unlocked axes, labelled) or an image over the plane."""
        if on != self._over_curve:
            self._over_curve = on
            self.plot.setAspectLocked(not on)
            self.plot.showGrid(x=on, y=on, alpha=0.2)
            if on:
                self.image.clear()
                self.points.setData([], [])
                self._data_version = None
            else:
                self.line.setData([], [])
        self.plot.setLabel("bottom", input_name if on else "")

    def _show_curve(self, snap: Snapshot) -> bool:
        """The neuron's activation over the one input; False when it no longer exists."""
        curve, c, j = snap.curve, self.column, self.j
        if c == 0:
            values, name = np.asarray(curve.xs), f"input {curve.input_name}"
        elif c - 1 < len(curve.activations) and j < curve.activations[c - 1].shape[0]:
            values, name = curve.activations[c - 1][j], f"neuron {j + 1} of layer {c} ({snap.activations[c - 1]})"
        else:
            return False
        self._curve_mode(True, curve.input_name)
        self.setWindowTitle(name)
        span = finite_span(values)
        spanned = "not a number anywhere" if span is None else f"range {fmt(span[0])} … {fmt(span[1])}"
        self.title.setText(f"{name}: step {snap.step:,}, {spanned} over {curve.input_name}")
        self.line.setData(np.asarray(curve.xs), np.asarray(values))
        return True

    def update_snapshot(self, snap: Snapshot) -> None:
        if snap is None:
            return
        if snap.curve is not None:
            if not self._show_curve(snap):
                self.title.setText("This neuron no longer exists.")
            return
        self._curve_mode(False)
        if not snap.has_plane:
            self.title.setText("This data has no 2-D input plane to draw a neuron over.")
            self.image.clear()
            self.points.setData([], [])
            self._data_version = None
            return
        c, j = self.column, self.j
        if c == 0:
            if j >= len(snap.features) or snap.input_images is None:
                return
            img, act, name = snap.input_images[j], "linear", f"input {snap.features[j]}"
        else:
            if c - 1 >= len(snap.grid_activations) or j >= snap.grid_activations[c - 1].shape[0]:
                self.title.setText("This neuron no longer exists.")
                return
            img, act = snap.grid_activations[c - 1][j], snap.activations[c - 1]
            name = f"neuron {j + 1} of layer {c} ({act})"
        self.setWindowTitle(name)
        lv = levels_for(act, img)
        self.title.setText(f"{name}: step {snap.step:,}, range {fmt(img.min())} … {fmt(img.max())}")
        self.image.setImage(within_levels(img, lv), levels=lv, autoLevels=False)
        x0, x1, y0, y1 = snap.extent
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        if snap.data_version != self._data_version and snap.points_train is not None:
            self._data_version = snap.data_version
            self.points.setData(snap.points_train[0], snap.points_train[1])
