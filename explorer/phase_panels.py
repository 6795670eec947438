"""Plugs phase stepping, the math panel, the cost slice, layer space, gradient norms and the
teaching presets into the main window.

``install(window)`` is called once by MainWindow. It adds the docks, the Next / Previous phase
actions (N, Shift+N), a Lessons menu, lights the layer being computed on the node graph (forward
blue, backward red) and routes commands to the worker's Inspector (``post("inspect", ...)``).
"""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QMenu, QPushButton, QVBoxLayout, QWidget

from . import presets as preset_mod
from .views.compare import ComparePanel
from .views.cost_slice import CostSliceView
from .views.layer_space import LayerSpaceView
from .numbers import num
from .views.math_panel import MathPanel
from .views.phase_bar import BACKWARD_COLOUR, FORWARD_COLOUR, PhaseBar


BAR = "#d93025"
OVERFLOWED_BAR = "#9aa0a6"


class GradientNormsView(QWidget):
    """‖dWˡ‖ per layer as bars: how much gradient reaches each layer (vanishing gradients)."""

    def __init__(self, parent=None, theme=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.plot = pg.PlotWidget()
        self.plot.setToolTip("The size of the gradient ‖dWˡ‖ of each layer (log scale) for the batch the math "
                             "panel explains; in a deep sigmoid network it shrinks towards the first layer")
        self.plot.setLogMode(y=True)
        for ax in ("left", "bottom"):             # no "(x0.001)" beside a log axis
            self.plot.getAxis(ax).enableAutoSIPrefix(False)
        self.plot.setLabel("bottom", "layer")
        self.plot.setLabel("left", "‖dW‖")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush=BAR)
        self.plot.addItem(self.bars)
        self.caption = QLabel("")
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.caption)
        self.norms = None
        if theme is not None:
            self.plot.setBackground(theme.plot_bg)

    def apply_theme(self, theme) -> None:
        self.plot.setBackground(theme.plot_bg)

    def set_view(self, view) -> None:
        norms = None if view is None else view.gradient_norms
        self.norms = norms
        if norms is None or len(norms) == 0:
            return
        norms = np.asarray(norms, np.float64)
        finite = np.isfinite(norms)
        # bars of log10 ‖dW‖ (the axis is in log mode); a norm that overflowed is drawn grey, a
        # decade above the largest finite one
        h = np.log10(np.maximum(np.where(finite, norms, 1.0), 1e-30))
        h = np.where(finite, h, (h[finite].max() if finite.any() else 0.0) + 1)
        self.plot.removeItem(self.bars)
        self.bars = pg.BarGraphItem(x=np.arange(1, len(norms) + 1), y0=np.full(len(norms), min(h.min(), 0) - 1), y1=h,
                                    width=0.6, brushes=[BAR if ok else OVERFLOWED_BAR for ok in finite])
        self.plot.addItem(self.bars)
        self.caption.setText(self.caption_for(norms))

    @staticmethod
    def caption_for(norms: np.ndarray) -> str:
        overflowed = np.flatnonzero(~np.isfinite(norms)) + 1
        if overflowed.size:
            which = ("layers " if overflowed.size > 1 else "layer ") + ", ".join(str(layer) for layer in overflowed)
            return f"‖dW‖ of {which} overflowed (NaN or ∞): the network is diverging"
        if norms[-1] == 0:
            return "‖dWᴸ‖ = 0: no gradient reaches the output layer's weights"
        with np.errstate(over="ignore"):              # a ratio beyond 1e308 is shown as ∞
            return f"‖dW¹‖ / ‖dWᴸ‖ = {num(norms[0] / norms[-1])}"


class PhaseHighlight:
    """A coloured frame around the layer being computed, drawn on the node graph."""

    def __init__(self, graph):
        self.graph = graph
        self.layer = None
        self.direction = None
        self.rect = QGraphicsRectItem()
        self.rect.setZValue(-5)
        self.rect.setVisible(False)
        graph.nodes_placed.connect(lambda: self.set(self.layer, self.direction))   # follow a resize

    def set(self, layer, direction) -> None:
        self.layer, self.direction = layer, direction
        g = self.graph
        if layer is None:
            self.rect.setVisible(False)
            return
        try:
            rects = [r for col in (layer - 1, layer) for r in g._node_rects[col]]
        except (AttributeError, IndexError):
            self.rect.setVisible(False)
            return
        if self.rect.scene() is None:
            g.vb.addItem(self.rect)
        x0 = min(r[0] for r in rects)
        x1 = max(r[0] + r[2] for r in rects)
        y0 = min(r[1] for r in rects)
        y1 = max(r[1] + r[3] for r in rects)
        pad = 0.1 * (x1 - x0)
        colour = QColor(FORWARD_COLOUR if direction == "forward" else BACKWARD_COLOUR)
        frame = QRectF(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad)
        (vx0, vx1), (vy0, vy1) = g.vb.viewRange()
        # inside the view, so none of its 3 px border is cut off when the nodes fill the height
        self.rect.setRect(frame.intersected(QRectF(vx0 + 2, vy0 + 2, vx1 - vx0 - 4, vy1 - vy0 - 4)))
        pen = QPen(colour, 0)
        pen.setWidth(3)
        pen.setCosmetic(True)
        self.rect.setPen(pen)
        fill = QColor(colour)
        fill.setAlpha(40)
        self.rect.setBrush(QBrush(fill))
        self.rect.setVisible(True)


class PhasePanels:
    """Owns the panels and keeps them in step with the worker's Inspector."""

    shows_losses = True        # judges the last good weights by the loss, so sees every new loss

    def __init__(self, window):
        self.window = window
        theme = window.theme
        self.phase_bar = PhaseBar(theme=theme)
        self.math_panel = MathPanel(theme=theme)
        self.cost_slice = CostSliceView(theme=theme)
        self.layer_space = LayerSpaceView(theme=theme)
        self.grad_norms = GradientNormsView(theme=theme)
        self.highlight = PhaseHighlight(window.graph)
        self.last_good = None
        self._weights_seen, self._weights_finite = None, False
        self._shown_serial = -1
        self.preset = None
        self.presets, self.preset_errors = preset_mod.load_all()

        window.add_panel("Phases", self.phase_bar, Qt.TopDockWidgetArea)
        self.math_dock = window.add_panel("Math", self.math_panel, Qt.BottomDockWidgetArea)
        window.add_panel("Cost slice", self.cost_slice, Qt.BottomDockWidgetArea)
        window.add_panel("Layer space", self.layer_space, Qt.BottomDockWidgetArea, visible=False)
        window.add_panel("Gradient norms", self.grad_norms, Qt.BottomDockWidgetArea, visible=False)
        window.tabifyDockWidget(window.panel("Cost slice"), window.panel("Layer space"))
        window.tabifyDockWidget(window.panel("Layer space"), window.panel("Gradient norms"))
        # enough height for a readable cost curve and a few lines of equations
        window.resizeDocks([self.math_dock, window.panel("Cost slice")], [250, 250], Qt.Vertical)
        window.resizeDocks([self.math_dock, window.panel("Cost slice")], [560, 840], Qt.Horizontal)
        self.compare = ComparePanel(theme=window.theme)
        # in the left column, under the lesson that opens it: the two boundaries are seen together,
        # each in a column of its own
        self.compare_dock = window.add_panel("Compare", self.compare, Qt.LeftDockWidgetArea, visible=False)
        self.compare.stop_requested.connect(self.stop_comparing)
        window.panel("Cost slice").raise_()
        self.explanation = QLabel("")
        self.explanation.setWordWrap(True)
        self.explanation.setToolTip("What the open lesson shows")
        self.restore_button = QPushButton("Restore last good weights")
        self.restore_button.setToolTip("Put back the weights of the last step before training diverged")
        self.restore_button.setVisible(False)
        self.restore_button.clicked.connect(self.restore_last_good)
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.addWidget(self.explanation)
        lay.addWidget(self.restore_button)
        lay.addStretch(1)
        # scrollable: a comparison's boundary shares the left column with it
        self.lesson_dock = window.add_panel("Lesson", box, Qt.LeftDockWidgetArea, visible=False, scrollable=True)
        window.tabifyDockWidget(window.panel("Data"), self.lesson_dock)   # room to read the explanation

        def action(text, tip, key, slot):
            a = QAction(text, window)
            a.setToolTip(tip)
            a.setStatusTip(tip)
            a.setShortcut(QKeySequence(key))
            a.triggered.connect(slot)
            window.addAction(a)
            return a

        self.next_action = action("Next phase", "Compute the next phase of the pass (N)", "N", self.next_phase)
        self.prev_action = action("Previous phase", "Show the previous phase of this pass (Shift+N)", "Shift+N",
                                  self.previous_phase)
        window.training_menu.addSeparator()
        window.training_menu.addAction(self.next_action)
        window.training_menu.addAction(self.prev_action)
        menu = QMenu("&Lessons", window)
        window.menuBar().insertMenu(window.help_menu.menuAction(), menu)     # Help stays last
        menu.setToolTipsVisible(True)
        self.lessons_menu = menu
        for p in self.presets:
            a = menu.addAction(p.title)
            a.setToolTip(p.explanation[:200] + ("…" if len(p.explanation) > 200 else ""))
            a.triggered.connect(lambda _c=False, pr=p: self.window.confirm_discard() and self.open_preset(pr))
        if self.preset_errors:
            menu.addSeparator()
            for err in self.preset_errors:
                bad = menu.addAction(f"(unusable) {err.split(':')[0]}")
                bad.setToolTip(err)
                bad.setEnabled(False)

        self.phase_bar.next_requested.connect(self.next_phase)
        self.phase_bar.previous_requested.connect(self.previous_phase)
        self.phase_bar.step_requested.connect(lambda: self.post("step"))
        self.phase_bar.granularity_changed.connect(lambda g: self.post("granularity", g))
        self.math_panel.sample_requested.connect(lambda sample: self.post("sample", sample))
        self.math_panel.refused.connect(lambda msg: window.show_message(msg, error=True))
        self.cost_slice.pin_requested.connect(self._on_pin_requested)
        self.cost_slice.unpin_requested.connect(lambda: self.post("second", None))
        window.selection_changed.connect(self._on_selection_changed)
        window.snapshot_shown.connect(self._on_snapshot_shown)
        window.training_diverged.connect(self._on_diverged)     # re-emitted in the GUI thread
        window.data_load_failed.connect(self._on_data_error)
        window.add_view(self)

    # ----------------------------------------------------------------- commands
    def post(self, name, *args) -> None:
        self.window.post("inspect", name, *args)

    def next_phase(self) -> None:
        self.window._set_playing(False)
        self.post("next")

    def previous_phase(self) -> None:
        self.post("previous")

    def select(self, kind, layer, j, k=0) -> None:
        self.post("select", kind, layer, j, k)

    def _on_selection_changed(self, kind, layer, j, k) -> None:
        self.select(kind, layer, j, k)
        if kind in ("weight", "bias") and self.window.loss_below:
            # a short window keeps the Cost slice behind the Loss tab: a click on a weight asks for it
            self.window.panel("Cost slice").raise_()

    def _on_pin_requested(self) -> None:
        v = self.view
        if v is not None and v.selection is not None and v.selection[0] == "weight":
            self.post("second", *v.selection[1:])

    def open_preset(self, preset) -> None:
        self.window._set_playing(False)
        self.preset = preset
        self.explanation.setText(f"<b>{preset.title}</b><br>{preset.explanation}")
        self.lesson_dock.setVisible(True)
        self.lesson_dock.raise_()
        self.window.resizeDocks([self.math_dock, self.window.panel("Cost slice")], [250, 250], Qt.Vertical)
        self.restore_button.setVisible(False)
        self.last_good = None
        self.post("preset", preset)
        # a lesson plays at the speed it is meant to be watched at (as fast as possible unless it says)
        self.window.controls.speed.setCurrentText(preset.hints.get("speed", "max"))
        self._compare_with(preset.hints.get("compare"))
        select = preset.hints.get("select")
        if select:
            self.window.graph._selected = tuple(select)
            self.select(*select)
        if preset.hints.get("show") == "gradient_norms":
            self.window.panel("Gradient norms").setVisible(True)
            self.window.panel("Gradient norms").raise_()

    def _compare_with(self, name) -> None:
        """Train the preset named `name` beside the lesson's network (or stop any comparison)."""
        other = next((p for p in self.presets if p.name == name), None) if name else None
        if other is None:
            self.window.post("compare", None, "")
            self.compare_dock.setVisible(False)        # an empty panel would only take the lesson's room
            return
        self.window.post("compare", other.state, other.title)
        self.compare_dock.setVisible(True)
        self.compare_dock.raise_()
        self.window.fit_compare_panel()

    def stop_comparing(self) -> None:
        self.window.post("compare", None, "")
        self.compare_dock.setVisible(False)            # its room goes back to the lesson

    def _on_diverged(self, text: str) -> None:
        if self.last_good is not None:
            step, loss = self.last_good[3], self.last_good[4]
            back = (f"<b>Restore last good weights</b> goes back to those of step {step:,} "
                    f"(training loss {num(loss)}), before it went wrong.")
        else:
            back = "Reset gives new weights."
        self.explanation.setText(f"<b style='color:#d93025;'>{html.escape(text)}</b><br>{back}")
        self.lesson_dock.setVisible(True)
        self.restore_button.setVisible(self.last_good is not None)

    def _on_data_error(self, text: str) -> None:
        """The open lesson's data could not be loaded: its explanation must not describe a network
        that is not there."""
        if self.preset is not None and self.preset.state.dataset != self.window.state.dataset:
            first = (text.splitlines() or [""])[0]
            self.explanation.setText(f"<b style='color:#d93025;'>Could not open “{self.preset.title}”.</b> "
                                     f"{first}<br>The network and data on screen are the ones from before.")
            self.preset = None

    def restore_last_good(self) -> None:
        if self.last_good is not None:
            self.post("restore", *self.last_good)
            self.restore_button.setVisible(False)

    # ----------------------------------------------------------------- drawing
    @property
    def view(self):
        return self.window.worker.inspector.latest()

    def update_snapshot(self, snap) -> None:
        v = self.view
        if snap.playing and (v is None or v.phase is None):
            # the inspector's view is brought up to date when training pauses; the count moves now
            self.phase_bar.status.setText(f"step {snap.step:,}")
        if snap.weights is not self._weights_seen:       # a losses-only snapshot repeats the weights
            self._weights_seen = snap.weights
            self._weights_finite = all(np.all(np.isfinite(w)) for w in snap.weights)
        w_ok = self._weights_finite and np.isfinite(snap.train_loss)
        if w_ok and (self.last_good is None or self.last_good[2] != snap.arch_version
                     or snap.train_loss <= 1e6):
            # a snapshot's arrays are read-only copies: keeping them needs no copy
            self.last_good = (list(snap.weights), list(snap.biases), snap.arch_version, snap.step,
                              float(snap.train_loss))

    def _on_snapshot_shown(self, snap) -> None:
        v = self.view
        if v is None or v.serial == self._shown_serial:
            return
        self._shown_serial = v.serial
        self.refresh(v)

    def refresh(self, v=None) -> None:
        v = v or self.view
        self.phase_bar.set_view(v)
        self.math_panel.set_view(v)
        self.cost_slice.set_view(v)
        self.grad_norms.set_view(v)
        self.window.graph.set_pass_gradients(0 if v is None else v.step,
                                             None if v is None else v.gradients_so_far())
        p = None if v is None else v.phase
        if p is None or p.layer is None:
            self.highlight.set(None, None)
        else:
            self.highlight.set(p.layer, "backward" if p.kind == "backward" else "forward")


def install(window) -> PhasePanels:
    panels = PhasePanels(window)
    window.phase_panels = panels
    return panels
