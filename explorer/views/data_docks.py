"""Docks for real data: the image views, the digit canvas, and the epoch progress bar.

Each takes snapshots (``update_snapshot``) like every other view. For 2-D data the image docks show
what they are for and how to get there instead of an empty panel.
"""
from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QStackedWidget

from ..snapshot import epoch_goal
from .digit_canvas import DigitCanvasPanel, network_from_snapshot
from .image_views import ImageViewsPanel

NETWORK_INTERVAL = 0.5        # the canvas gets the latest weights at most this often while training


def _empty_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignCenter)
    label.setMargin(16)
    label.setStyleSheet("color: palette(mid); font-size: 13px;")
    return label


EMPTY_IMAGES = ("No images to show: the data is a 2-D set.\n\nPick digits, mnist or fashion-mnist in the "
                "Data panel, or a lesson such as “Small digits: 64-32-10” (Lessons menu), to see test images "
                "with the network's guesses, a confusion matrix and the first layer's weights.")
EMPTY_CANVAS = ("The digit canvas needs image data.\n\nLoad digits, mnist or fashion-mnist, train a little, "
                "then draw here and watch the network classify your drawing.")


class ImagesDock(QStackedWidget):
    """ImageViewsPanel fed with the snapshot's ``image_results``; an explanation for 2-D data."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.empty = _empty_label(EMPTY_IMAGES)
        self.panel = ImageViewsPanel()
        self.addWidget(self.empty)
        self.addWidget(self.panel)
        self._results = None

    @property
    def showing_images(self) -> bool:
        return self.currentWidget() is self.panel

    def update_snapshot(self, snap) -> None:
        r = getattr(snap, "image_results", None)
        if r is None:
            if snap.image_shape is None:
                self.setCurrentWidget(self.empty)
                self._results = None
            return
        self.setCurrentWidget(self.panel)
        if r is not self._results:
            self._results = r
            self.panel.set_results(r)


class DigitCanvasDock(QStackedWidget):
    """DigitCanvasPanel holding a copy of the latest weights (network_from_snapshot)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.empty = _empty_label(EMPTY_CANVAS)
        self.panel = DigitCanvasPanel()
        self.addWidget(self.empty)
        self.addWidget(self.panel)
        self._data_key = None
        self._net_key = None
        self._net_at = 0.0

    def update_snapshot(self, snap) -> None:
        if snap.image_shape is None:
            self.setCurrentWidget(self.empty)
            self._data_key = None
            return
        self.setCurrentWidget(self.panel)
        key = (snap.dataset_name, snap.image_shape, snap.class_names)
        if key != self._data_key:
            self._data_key = key
            self.panel.set_dataset(snap.dataset_name, snap.image_shape, snap.class_names or
                                   tuple(str(i) for i in range(snap.sizes[-1])))
        net_key = (snap.arch_version, snap.step)
        now = time.perf_counter()
        if net_key != self._net_key and (not snap.playing or now - self._net_at >= NETWORK_INTERVAL):
            self._net_key = net_key
            self._net_at = now
            self.panel.set_network(network_from_snapshot(snap))


def format_seconds(s: float) -> str:
    s = max(0, int(round(s)))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"


class EpochProgress(QProgressBar):
    """Progress through the current epoch with the time left, for data big enough to need it."""

    MIN_STEPS = 40            # shown when an epoch has at least this many steps (images, big tables)
    PLAYING_INTERVAL = 0.2    # seconds between updates while training runs

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setRange(0, 1000)
        self._last_update = 0.0
        self.setFixedWidth(260)
        self.setTextVisible(True)
        self.setToolTip("Progress through the current epoch (one pass over the training set) and the time "
                        "left at the current speed. Epochs are numbered from 1 here; the count beside Play is "
                        "of completed epochs.")
        self.setVisible(False)

    def update_snapshot(self, snap) -> None:
        spe = int(snap.steps_per_epoch)
        show = snap.image_shape is not None or spe >= self.MIN_STEPS
        self.setVisible(show)
        if not show or spe <= 0:
            return
        # QProgressBar repaints at once on every new value: a few times a second is enough to read
        now = time.perf_counter()
        if snap.playing and now - self._last_update < self.PLAYING_INTERVAL:
            return
        self._last_update = now
        fraction = min(max(snap.epoch_progress, 0.0), 1.0)
        # whole steps done: rounding would count a step not taken (3 of 300 on 1000 samples is 3.6 of 4)
        done = int(fraction * spe + 1e-9)
        text = f"Epoch {snap.epoch + 1}: {done:,}/{spe:,} steps"
        goal = epoch_goal(snap.epoch, snap.target_epochs)
        if goal is not None:                  # Play pauses at the end of this epoch
            text = f"Epoch {snap.epoch + 1} of {goal}: {done:,}/{spe:,} steps"
        if snap.playing and snap.steps_per_second > 0:
            left = (spe - done) / snap.steps_per_second
            text += f" · {format_seconds(left)} left"
        self.setFormat(text)
        self.setValue(int(1000 * fraction))
