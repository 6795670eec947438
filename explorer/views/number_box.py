"""A whole-number box that lets a value outside its range be typed, then refuses it aloud.

Qt's QSpinBox silently swallows the keystroke that would leave its range: typing 5000 into a box
of 1 to 500 leaves 500 on screen and no word of why. This box keeps what was typed, and when it is
entered emits ``out_of_range`` with the text and goes back to its last good value."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QSpinBox


class WholeNumberBox(QSpinBox):
    out_of_range = Signal(str)      # the typed text, refused

    def _outside(self, text: str) -> bool:
        digits = text.strip().lstrip("+-")
        return digits.isdigit() and not self.minimum() <= int(text.strip()) <= self.maximum()

    def validate(self, text: str, pos: int):
        if self._outside(text):
            return QValidator.State.Intermediate, text, pos    # may be typed; refused when entered
        return super().validate(text, pos)

    def fixup(self, text: str):
        # called on Enter or leaving the box when the text is not acceptable
        if self._outside(text):
            self.out_of_range.emit(text.strip())
        return super().fixup(text)
