"""Two networks side by side: a second network, trained by the worker on the same data and step
for step, drawn beside the main one's Output (a lesson such as "linear layers vs relu")."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..numbers import num
from ..snapshot import Snapshot
from ..theme import LIGHT, Theme
from .boundary import BoundaryView

EMPTY_TEXT = ("No comparison running. A lesson that compares two networks (Lessons ▸ "
              "“A deep network of linear layers draws a straight line”) trains its second network "
              "here, beside yours, on the same data and step for step.")


def describe(snap: Snapshot) -> str:
    """One line on the compared network: what it is and how it does."""
    c = snap.compare
    layers = " → ".join(str(n) for n in c.sizes)
    acts = ", ".join(dict.fromkeys(c.activations[:-1])) or "no hidden layer"
    parts = [f"<b>{snap.compare_title}</b>", f"{layers} ({acts})", f"step {c.step:,}"]
    if c.test_accuracy is not None:
        parts.append(f"test accuracy {c.test_accuracy:.1%}")
    elif c.test_loss is not None:
        parts.append(f"test loss {num(c.test_loss)}")          # ∞ once it has diverged, not "inf"
    if snap.test_accuracy is not None:
        parts.append(f"yours {snap.test_accuracy:.1%}")
    return " · ".join(parts)


class ComparePanel(QWidget):
    """The compared network's decision boundary, with its accuracy beside the main network's."""

    shows_losses = True        # redrawn for a snapshot that only adds measured losses

    stop_requested = Signal()

    def __init__(self, parent=None, theme: Theme = LIGHT):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        self.title = QLabel("")
        self.title.setWordWrap(True)
        self.title.setToolTip("The second network: its layers, activations, step and accuracy, and yours")
        self.stop_button = QPushButton("Stop comparing")
        self.stop_button.setToolTip("Stop training the second network")
        self.stop_button.clicked.connect(self.stop_requested.emit)
        top.addWidget(self.title, 1)
        top.addWidget(self.stop_button)
        lay.addLayout(top)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #d93025;")
        self.note.hide()
        lay.addWidget(self.note)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setMargin(12)
        lay.addWidget(self.empty, 1)
        self.boundary = BoundaryView(theme=theme)
        # the plot gets the panel's height: the display options are those of the Output panel's copy
        # (the legend stays, so the colours can be read)
        for w in (self.boundary.show_test, self.boundary.discretize):
            w.hide()
        self.boundary.options_hidden = True
        lay.addWidget(self.boundary, 1)
        self._show_comparison(False)

    def _show_comparison(self, on: bool) -> None:
        self.empty.setVisible(not on)
        self.boundary.setVisible(on)
        self.title.setVisible(on)
        self.stop_button.setVisible(on)

    def update_snapshot(self, snap: Snapshot) -> None:
        if snap.compare is None:
            self._show_comparison(False)
            self.note.hide()
            return
        self._show_comparison(True)
        self.title.setText(describe(snap))
        self.note.setText(f"The second network stopped: {snap.compare_note}" if snap.compare_note else "")
        self.note.setVisible(bool(snap.compare_note))
        self.boundary.update_snapshot(snap.compare)

    def apply_theme(self, theme: Theme) -> None:
        self.boundary.apply_theme(theme)
