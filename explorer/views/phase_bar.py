"""The phase bar: where in one forward and backward pass the app stands, Next / Previous phase,
and the step granularity (one sample, one mini-batch, one epoch)."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy,
                               QToolButton, QWidget)

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
        # the chips of a deep network can be wider than a small window: they then scroll sideways,
        # following the current phase (or the mouse wheel), without a bar that would make the row taller
        chips = QWidget()
        self.chip_box = QHBoxLayout(chips)
        self.chip_box.setContentsMargins(0, 0, 0, 0)
        self.chip_box.setSpacing(2)
        self.chip_scroll = QScrollArea()
        self.chip_scroll.setWidget(chips)
        self.chip_scroll.setWidgetResizable(True)
        self.chip_scroll.setFrameShape(QFrame.NoFrame)
        self.chip_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.chip_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.chip_scroll.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.chip_scroll.setFixedHeight(self.prev_button.sizeHint().height())
        self.chip_scroll.setMinimumWidth(120)
        self._scroll_target: QLabel | None = None
        # new chips are laid out after set_view returns: scroll to the current one once they are
        self.chip_scroll.horizontalScrollBar().rangeChanged.connect(
            lambda *_: QTimer.singleShot(0, self._scroll_to_target))
        # on a side where chips are scrolled out of sight, how many ("‹ 6", "9 ›"); a click scrolls there
        self.more_before, self.more_after = QToolButton(), QToolButton()
        for more, direction in ((self.more_before, -1), (self.more_after, 1)):
            more.setAutoRaise(True)
            more.setToolTip("More phases out of sight: click to scroll to them; they also scroll into view as "
                            "the walk reaches them, or with the mouse wheel")
            more.setVisible(False)
            more.clicked.connect(lambda _=False, d=direction: self._scroll_page(d))
        bar = self.chip_scroll.horizontalScrollBar()
        bar.rangeChanged.connect(lambda *_: QTimer.singleShot(0, self._show_more))   # once the chips are placed
        bar.valueChanged.connect(lambda *_: self._show_more())
        lay.addWidget(self.more_before)
        lay.addWidget(self.chip_scroll, 1)
        lay.addWidget(self.more_after)
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

    def hidden_chips(self) -> tuple[int, int]:
        """How many chips are wholly or partly out of sight on the left and on the right."""
        left = self.chip_scroll.horizontalScrollBar().value()
        right = left + self.chip_scroll.viewport().width()
        return (sum(chip.x() < left for chip in self.chips),
                sum(chip.x() + chip.width() > right for chip in self.chips))

    def _show_more(self) -> None:
        bar = self.chip_scroll.horizontalScrollBar()
        before, after = self.hidden_chips()
        self.more_before.setText(f"‹ {before}")
        self.more_after.setText(f"{after} ›")
        self.more_before.setVisible(bar.value() > bar.minimum() and before > 0)
        self.more_after.setVisible(bar.value() < bar.maximum() and after > 0)

    def _scroll_page(self, direction: int) -> None:
        bar = self.chip_scroll.horizontalScrollBar()
        bar.setValue(bar.value() + direction * bar.pageStep())

    def _scroll_to_target(self) -> None:
        if self._scroll_target in self.chips:
            self.chip_scroll.ensureWidgetVisible(self._scroll_target, 24, 0)

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
        self._scroll_target = self.chips[cur] if 0 <= cur < len(self.chips) else None
        self._scroll_to_target()
        v = self.view
        if v is None or v.phase is None:
            self.status.setText(f"step {v.step:,}" if v is not None else "")
        else:
            self.status.setText(f"phase {cur + 1}/{len(self._plan)}")
        self.prev_button.setEnabled(cur > 0)
