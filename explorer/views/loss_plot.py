"""Train and test loss over steps, with the current numbers and the architecture edits marked."""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..snapshot import Snapshot
from ..theme import LIGHT, Theme, style_plot
from .network_graph import fmt


TRAIN_COLOUR = "#0877bd"
TEST_COLOUR = "#f59322"


def _line_swatch(pen, width: int = 24, height: int = 12) -> QPixmap:
    """A short stroke of ``pen``: the loss curves' key."""
    pixmap = QPixmap(width, height)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    thick = QPen(pen)
    thick.setWidth(2)
    painter.setPen(thick)
    painter.drawLine(1, height // 2, width - 1, height // 2)
    painter.end()
    return pixmap


MARKER_LABEL_AT = 0.06       # an edit marker's label starts this far up its line (a fraction of the height)


class LossPlotView(QWidget):
    """Redraws at most ``MAX_RATE`` times a second while training plays (axes are costly to paint);
    every snapshot is drawn when paused, so a Step always shows."""

    shows_losses = True        # redrawn for a snapshot that only adds measured losses

    MAX_RATE = 10.0

    def __init__(self, parent=None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self._snap = None
        self._markers = ()
        self._marker_items: list[pg.InfiniteLine] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.numbers = QLabel("—")
        self.numbers.setWordWrap(True)        # the sampled-set note is long; it must not widen the dock
        self.numbers.setToolTip("Loss and accuracy over the whole training and test sets")
        lay.addWidget(self.numbers)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "loss")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.setToolTip("Training loss (solid) and test loss (dashed); vertical lines mark edits")
        train_pen = pg.mkPen(TRAIN_COLOUR, width=1)
        test_pen = pg.mkPen(TEST_COLOUR, width=1, style=Qt.DashLine)
        self.plot.getViewBox().sigResized.connect(lambda *_: self._fit_marker_labels())
        self.train_curve = self.plot.plot([], [], pen=train_pen)
        self.test_curve = self.plot.plot([], [], pen=test_pen)
        lay.addWidget(self.plot, 1)
        row = QHBoxLayout()
        self.log_check = QCheckBox("Log scale")
        self.log_check.setToolTip("Show the loss on a logarithmic axis")
        self.log_check.toggled.connect(self._on_log_toggled)
        row.addWidget(self.log_check)
        row.addStretch(1)
        # the key sits under the plot, where it can never hide a piece of the curves
        self.legend = {}
        for name, pen in (("train", train_pen), ("test", test_pen)):
            swatch, label = QLabel(), QLabel(name)
            swatch.setPixmap(_line_swatch(pen))
            row.addWidget(swatch)
            row.addWidget(label)
            self.legend[name] = label
        lay.addLayout(row)
        self._pinned_x = self._pinned_y = False      # axes set by _fit_short_history
        self.frames = 0
        self.apply_theme(theme)

    def _fit_marker_labels(self) -> None:
        """Each edit marker's label, shortened with "…" to the height above where it starts, so that
        a short plot does not cut it off at the top (its tooltip says it in full)."""
        room = int(self.plot.getViewBox().height() * (1 - MARKER_LABEL_AT)) - 8
        metrics = QFontMetrics(self.font())
        for line, marker in zip(self._marker_items, self._markers):
            text = metrics.elidedText(marker.text, Qt.ElideRight, max(room, 0))
            line.label.setFormat(text.replace("{", "{{").replace("}", "}}"))     # a format string

    def marker_labels(self) -> list[str]:
        return [line.label.toPlainText() for line in self._marker_items]

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        style_plot(self.plot, theme)
        for it in self._marker_items:
            it.setPen(pg.mkPen(theme.muted, width=1, style=pg.QtCore.Qt.DashLine))

    def _on_log_toggled(self, on: bool) -> None:
        self.plot.setLogMode(y=bool(on))
        if self._snap is not None:
            self._set_curves(self._snap)

    def _set_curves(self, snap: Snapshot) -> None:
        s, tr, te = snap.history_steps, snap.history_train, snap.history_test
        if s is None:
            return
        if self.log_check.isChecked():
            ok_tr = np.isfinite(tr) & (tr > 0)
            ok_te = np.isfinite(te) & (te > 0)
        else:
            ok_tr = np.isfinite(tr)
            ok_te = np.isfinite(te)
        self.train_curve.setData(s[ok_tr], tr[ok_tr])
        self.test_curve.setData(s[ok_te], te[ok_te])
        self._fit_short_history(s, tr[ok_tr], te[ok_te])

    def _fit_short_history(self, steps, *curves) -> None:
        """Axes a person can read before the curve has a shape: steps 0..10 for the first steps
        (not −400..400 ×0.001), and a ±5 % band around a loss that has not moved yet (not ticks
        of 1.098612288668112). Auto-range comes back once there is a curve; a user's zoom is left."""
        vb = self.plot.getViewBox()
        short = len(steps) == 0 or float(steps[-1]) < 10
        if short:
            self.plot.setXRange(0, 10, padding=0)
        elif self._pinned_x:
            vb.enableAutoRange(x=True)
        self._pinned_x = short
        # the lowest and highest values drawn (in log10 on a log axis; only positive values are drawn there)
        drawn = [c for c in curves if c.size]
        lo = min((float(c.min()) for c in drawn), default=None)
        hi = max((float(c.max()) for c in drawn), default=None)
        if lo is not None and self.log_check.isChecked():
            lo, hi = np.log10(lo), np.log10(hi)
        flat = lo is not None and hi - lo <= 1e-9 * max(1.0, abs(lo), abs(hi))
        if flat:
            y = 0.5 * (lo + hi)
            d = max(0.05 * abs(y), 1e-3)
            self.plot.setYRange(y - d, y + d, padding=0)
        elif self._pinned_y:
            vb.enableAutoRange(y=True)
        self._pinned_y = flat

    def update_snapshot(self, snap: Snapshot) -> None:
        if snap is None:
            return
        self._snap = snap
        now = time.perf_counter()
        if snap.playing and now - getattr(self, "_drawn_at", 0.0) < 1.0 / self.MAX_RATE:
            return
        self._drawn_at = now
        self._set_curves(snap)
        if snap.markers != self._markers:
            self._markers = snap.markers
            for it in self._marker_items:
                self.plot.removeItem(it)
            self._marker_items = []
            for m in snap.markers:
                line = pg.InfiniteLine(pos=m.step, angle=90, movable=False,
                                       pen=pg.mkPen(self.theme.muted, width=1, style=pg.QtCore.Qt.DashLine),
                                       label="", labelOpts={"position": MARKER_LABEL_AT, "color": self.theme.muted,
                                                            "rotateAxis": (1, 0), "anchors": [(0, 0), (0, 0)]})
                line.setToolTip(f"step {m.step:,}: {m.text}")
                self.plot.addItem(line)
                self._marker_items.append(line)
            self._fit_marker_labels()
        parts = [f"Train loss <b>{fmt(snap.train_loss)}</b>", f"Test loss <b>{fmt(snap.test_loss)}</b>"]
        if snap.train_accuracy is not None:
            parts.append(f"Train acc <b>{100 * snap.train_accuracy:.1f}%</b>")
        if snap.test_accuracy is not None:
            parts.append(f"Test acc <b>{100 * snap.test_accuracy:.1f}%</b>")
        if snap.eval_samples:
            parts.append(f"on the first {snap.eval_samples:,} samples of each set")
        # a narrow dock wraps the line between the numbers, never inside "Test acc 96.8%"
        self.numbers.setText(" · ".join(p if p.startswith("on the first") else p.replace(" ", "&nbsp;")
                                        for p in parts))
        self.frames += 1
