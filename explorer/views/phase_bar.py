"""The phase bar: where in one forward and backward pass the app stands, Next / Previous phase,
and the step granularity (one sample, one mini-batch, one epoch)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from ..theme import LIGHT, Theme
from .math_panel import short_phase

FORWARD_COLOUR = "#0877bd"      # forward phases: blue
BACKWARD_COLOUR = "#d93025"     # backward phases: red
OTHER_COLOUR = "#2ea043"        # cost and update
GRANULARITY_TEXT = {"sample": "one sample", "batch": "one mini-batch", "epoch": "one epoch"}


def phase_colour(kind: str) -> str:
    if kind in ("affine", "activation"):
        return FORWARD_COLOUR
    if kind == "backward":
        return BACKWARD_COLOUR
    return OTHER_COLOUR


class PhaseBar(QWidget):
    next_requested = Signal()
    previous_requested = Signal()
    step_requested = Signal()
    granularity_changed = Signal(str)

    def __init__(self, parent=None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self.view = None
        self._plan: tuple = ()
        self.chips: list[QLabel] = []
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        self.prev_button = QPushButton("◀ Previous phase")
        self.prev_button.setToolTip("Go back to the previous phase of this pass (Shift+N); "
                                    "an update once applied stays applied")
        self.next_button = QPushButton("Next phase ▶")
        self.next_button.setToolTip("Compute the next phase: forward layer by layer, the cost, backward from "
                                    "the output, then the update (N)")
        self.prev_button.clicked.connect(self.previous_requested)
        self.next_button.clicked.connect(self.next_requested)
        lay.addWidget(self.prev_button)
        self.chip_box = QHBoxLayout()
        self.chip_box.setSpacing(2)
        lay.addLayout(self.chip_box, 1)
        lay.addWidget(self.next_button)
        lay.addWidget(QLabel("Step:"))
        self.granularity = QComboBox()
        for key, text in GRANULARITY_TEXT.items():
            self.granularity.addItem(text, key)
        self.granularity.setCurrentIndex(1)
        self.granularity.setToolTip("What one Step (and one phase walk) covers: a single sample (a batch of 1), "
                                    "one mini-batch, or one whole epoch (a phase walk of an epoch runs it up to its "
                                    "last mini-batch, then walks that one)")
        self.granularity.currentIndexChanged.connect(
            lambda i: self.granularity_changed.emit(self.granularity.itemData(i)))
        lay.addWidget(self.granularity)
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("Run one step of the chosen size at once")
        self.step_button.clicked.connect(self.step_requested)
        lay.addWidget(self.step_button)
        self.status = QLabel("")
        self.status.setMinimumWidth(120)
        lay.addWidget(self.status)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._style()

    @property
    def current_granularity(self) -> str:
        return self.granularity.currentData()

    def set_view(self, view) -> None:
        self.view = view
        if view is None:
            return
        if tuple(view.plan) != self._plan:
            self._build(view.plan)
        self._style()

    def current_index(self) -> int:
        v = self.view
        return -1 if v is None or v.phase is None else v.phase.index

    def _build(self, plan) -> None:
        for chip in self.chips:
            self.chip_box.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        self._plan = tuple(plan)
        for kind, layer in plan:
            chip = QLabel(short_phase(kind, layer))
            chip.setAlignment(Qt.AlignCenter)
            chip.setToolTip({"affine": f"Forward: the weighted sums of layer {layer}",
                             "activation": f"Forward: the activation of layer {layer}",
                             "cost": "The cost J of the batch",
                             "backward": f"Backward: the error and gradients of layer {layer}",
                             "update": "The optimizer updates every weight and bias"}[kind])
            self.chip_box.addWidget(chip)
            self.chips.append(chip)

    def _style(self) -> None:
        cur = self.current_index()
        furthest = -1 if self.view is None else self.view.furthest
        for i, ((kind, _), chip) in enumerate(zip(self._plan, self.chips)):
            colour = phase_colour(kind)
            if i == cur:
                chip.setStyleSheet(f"background:{colour}; color:white; font-weight:bold; border-radius:3px; "
                                   "padding:2px 4px;")
            elif i <= furthest:
                chip.setStyleSheet(f"color:{colour}; border:1px solid {colour}; border-radius:3px; padding:1px 3px;")
            else:
                chip.setStyleSheet(f"color:{self.theme.muted}; border:1px solid transparent; padding:1px 3px;")
        v = self.view
        if v is None or v.phase is None:
            self.status.setText(f"step {v.step:,}" if v is not None else "")
        else:
            self.status.setText(f"phase {cur + 1}/{len(self._plan)}")
        self.prev_button.setEnabled(cur > 0)
