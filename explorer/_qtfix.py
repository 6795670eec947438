"""A guard against a reference-count fault of some PySide6 builds on Python < 3.12.

With PySide6 6.12 on CPython 3.11, every call of a Qt method that returns nothing (``setText``,
``update``, ``setPos`` ...) takes one reference from ``None`` without having given it, and a signal's
``emit`` takes one from ``True`` or ``False``. These singletons are not immortal before Python 3.12,
so after a few thousand such calls the interpreter aborts ("Fatal Python error: none_dealloc").
Importing this module measures the fault once and, when present, gives the three singletons so many
references that a session can never run out. Nothing happens on an unaffected build or on Python
3.12+ (where they are immortal).
"""
from __future__ import annotations

import ctypes
import sys

RESERVE = 1 << 60


def _leak_per_call() -> int:
    from PySide6.QtCore import QObject

    o = QObject()
    before = sys.getrefcount(None)
    for _ in range(100):
        o.setObjectName("probe")
    return (before - sys.getrefcount(None)) // 100


def guard() -> bool:
    """Apply the guard if this build needs it; True when applied."""
    if sys.version_info >= (3, 12) or getattr(sys, "_explorer_none_guard", False):
        return False
    if _leak_per_call() <= 0:
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += RESERVE
    sys._explorer_none_guard = True
    return True


APPLIED = guard()
