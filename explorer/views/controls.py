"""The toolbar's training controls: learning rate (log slider + typed value), optimizer, loss,
regularisation and its rate, batch size, speed. They propose changes; ``set_state`` syncs them."""
from __future__ import annotations

import math

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QSlider, QToolTip, QWidget

from ..numbers import num, typed_number
from ..state import LR_MAX, LR_MIN, MAX_BATCH, REG_RATES, AppState
from ..worker import SPEEDS
from .number_box import WholeNumberBox

LR_TIP = f"Learning rate α (log scale from {num(LR_MIN)} to {num(LR_MAX)}); drag or type a value"

BATCH_TIP = f"Mini-batch size: samples per step (1 to {MAX_BATCH}, at most the number of training points)"
LR_TICKS = 600          # slider resolution: 100 ticks per decade from 1e-5 to 10


def lr_to_tick(lr: float) -> int:
    return int(round((math.log10(lr) - math.log10(LR_MIN)) / (math.log10(LR_MAX) - math.log10(LR_MIN)) * LR_TICKS))


def tick_to_lr(t: int) -> float:
    e = math.log10(LR_MIN) + (math.log10(LR_MAX) - math.log10(LR_MIN)) * t / LR_TICKS
    return float(f"{10 ** e:.3g}")


def _labelled(text: str, widget: QWidget, tip: str) -> QWidget:
    w = QWidget()
    lay = QHBoxLayout(w)
    lay.setContentsMargins(4, 0, 4, 0)
    lay.setSpacing(3)
    lab = QLabel(text)
    lab.setToolTip(tip)
    widget.setToolTip(tip)
    lay.addWidget(lab)
    lay.addWidget(widget)
    return w


class TrainingControls(QWidget):
    """Widgets for the toolbar. Emits proposals; never edits the state itself."""

    hyper_change_requested = Signal(dict)      # lr, optimizer, batch_size, regularization, reg_rate
    loss_change_requested = Signal(str)
    speed_changed = Signal(object)             # steps per second, or None for as fast as possible
    refused = Signal(str)                      # a typed value was refused: why

    def __init__(self, parent=None):
        super().__init__(parent)
        from engine import LOSSES, OPTIMIZERS
        self._state: AppState | None = None
        self._syncing = False
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)

        self.speed = QComboBox()
        self.speed.addItems(list(SPEEDS))
        self.speed.currentTextChanged.connect(lambda t: self.speed_changed.emit(SPEEDS[t]))
        lay.addWidget(_labelled("Speed", self.speed, "Training speed while playing: as fast as possible, "
                                "or a fixed number of steps per second"))

        self.lr_slider = QSlider(Qt.Horizontal)
        self.lr_slider.setRange(0, LR_TICKS)
        self.lr_slider.setFixedWidth(80)
        self.lr_slider.valueChanged.connect(self._on_lr_slider_moved)
        self.lr_slider.sliderReleased.connect(self._on_lr_slider_released)
        self.lr_edit = QLineEdit()
        self.lr_edit.setFixedWidth(62)
        self.lr_edit.editingFinished.connect(self._on_lr_typed)
        lr_box = QWidget()
        lb = QHBoxLayout(lr_box)
        lb.setContentsMargins(4, 0, 4, 0)
        lb.setSpacing(3)
        lab = QLabel("Learning rate")
        for w in (lab, self.lr_slider, self.lr_edit):
            w.setToolTip(LR_TIP)
            lb.addWidget(w)
        lay.addWidget(lr_box)

        self.optimizer = QComboBox()
        self.optimizer.addItems(list(OPTIMIZERS))
        self.optimizer.activated.connect(lambda _i: self._propose(optimizer=self.optimizer.currentText()))
        lay.addWidget(_labelled("Optimizer", self.optimizer, "How each step turns the gradient into an update"))

        self.loss = QComboBox()
        self.loss.addItems(list(LOSSES))
        self.loss.activated.connect(self._on_loss_activated)
        lay.addWidget(_labelled("Loss", self.loss, "mse: any output · bce: sigmoid output · cce: softmax output"))

        self.reg = QComboBox()
        self.reg.addItems(["none", "l1", "l2"])
        self.reg.activated.connect(lambda _i: self._propose(regularization=self.reg.currentText()))
        lay.addWidget(_labelled("Regularisation", self.reg, "Penalty on the weights: none, L1 (λ·Σ|w|) or L2 (λ/2·Σw²)"))

        self.reg_rate = QComboBox()
        self.reg_rate.setEditable(True)
        self.reg_rate.setInsertPolicy(QComboBox.NoInsert)     # a typed value, refused or not, is not added to the list
        self.reg_rate.addItems([f"{r:g}" for r in REG_RATES])
        self.reg_rate.setFixedWidth(70)
        self.reg_rate.lineEdit().editingFinished.connect(self._on_reg_rate_typed)
        self.reg_rate.activated.connect(lambda _i: self._on_reg_rate_typed())
        lay.addWidget(_labelled("Rate", self.reg_rate, "Regularisation rate λ, from 0 to 10"))

        self.batch = WholeNumberBox()
        self.batch.setRange(1, MAX_BATCH)
        self.batch.setKeyboardTracking(False)
        self.batch.valueChanged.connect(self._on_batch_changed)
        self.batch.out_of_range.connect(
            lambda text: self._refuse(self.batch, f"Batch size {text} refused: type a whole number from 1 to "
                                                  f"{MAX_BATCH}, at most the number of training points"))
        lay.addWidget(_labelled("Batch", self.batch, BATCH_TIP))
        lay.addStretch(1)          # on a toolbar row of its own the controls stay packed to the left

    # ------------------------------------------------------------------ proposals
    def _propose(self, **changes) -> None:
        if self._syncing or self._state is None:
            return
        changes = {k: v for k, v in changes.items() if getattr(self._state, k) != v}
        if changes:
            self.hyper_change_requested.emit(changes)

    def _refuse(self, widget: QWidget, message: str) -> None:
        widget.setStyleSheet("border: 2px solid #d93025;")
        widget.setToolTip(message)
        QToolTip.showText(widget.mapToGlobal(QPoint(0, widget.height())), message, widget)
        self.refused.emit(message)

    def _on_lr_slider_moved(self, t: int) -> None:
        if self._syncing:
            return
        self.lr_edit.setText(f"{tick_to_lr(t):g}")
        if not self.lr_slider.isSliderDown():
            self._propose(lr=tick_to_lr(t))

    def _on_lr_slider_released(self) -> None:
        self._propose(lr=tick_to_lr(self.lr_slider.value()))

    def _on_lr_typed(self) -> None:
        text = self.lr_edit.text().strip()
        try:
            lr = typed_number(text)
            if not (LR_MIN <= lr <= LR_MAX):
                raise ValueError
        except ValueError:
            self._refuse(self.lr_edit, f"Learning rate {text!r} refused: type a number from {num(LR_MIN)} to {num(LR_MAX)}")
            if self._state is not None:
                self.lr_edit.setText(f"{self._state.lr:g}")
            return
        self.lr_edit.setStyleSheet("")
        self.lr_edit.setToolTip(LR_TIP)
        self._syncing = True
        self.lr_slider.setValue(lr_to_tick(lr))
        self._syncing = False
        self._propose(lr=lr)

    def _on_reg_rate_typed(self) -> None:
        text = self.reg_rate.currentText().strip()
        try:
            r = typed_number(text)
            if not 0 <= r <= 10:
                raise ValueError
        except ValueError:
            self._refuse(self.reg_rate, f"Regularisation rate {text!r} refused: type a number from 0 to 10")
            if self._state is not None:
                self.reg_rate.setEditText(f"{self._state.reg_rate:g}")
            return
        self.reg_rate.setStyleSheet("")
        self._propose(reg_rate=r)

    def _on_batch_changed(self, value: int) -> None:
        self.batch.setStyleSheet("")
        self.batch.setToolTip(BATCH_TIP)
        self._propose(batch_size=int(value))

    def _on_loss_activated(self, _i) -> None:
        if not self._syncing and self._state is not None and self.loss.currentText() != self._state.loss:
            self.loss_change_requested.emit(self.loss.currentText())

    # ------------------------------------------------------------------ sync
    def set_state(self, state: AppState) -> None:
        self._state = state
        self._syncing = True
        try:
            self.lr_slider.setValue(lr_to_tick(state.lr))
            self.lr_edit.setText(f"{state.lr:g}")
            self.optimizer.setCurrentText(state.optimizer)
            self.loss.setCurrentText(state.loss)
            self.reg.setCurrentText(state.regularization)
            self.reg_rate.setEditText(f"{state.reg_rate:g}")
            self.batch.setValue(int(state.batch_size))
        finally:
            self._syncing = False
