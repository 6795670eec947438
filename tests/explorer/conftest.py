"""Fixtures for the app's tests: a main window with its training worker, closed after each test."""
import pytest

import explorer._qtfix  # noqa: F401  (a PySide6 build on Python 3.11 drops references to None)
from PySide6.QtCore import QSettings

READY_TIMEOUT_MS = 180_000      # the first start compiles the kernels


@pytest.fixture
def make_window(qtbot, tmp_path):
    """make_window(state=None, size=(1400, 900)) -> a shown MainWindow whose first snapshot is drawn."""
    from explorer.main_window import MainWindow

    windows = []

    def make(state=None, size=(1400, 900)):
        settings = QSettings(str(tmp_path / f"settings{len(windows)}.ini"), QSettings.IniFormat)
        win = MainWindow(state, settings=settings, restore=False)
        qtbot.addWidget(win)
        win.resize(*size)
        win.show()
        windows.append(win)
        qtbot.waitUntil(lambda: win.snapshot is not None, timeout=READY_TIMEOUT_MS)
        return win

    yield make
    for win in windows:
        win.close()
        assert win.thread.wait(10_000), "the training thread did not stop"


@pytest.fixture
def window(make_window):
    return make_window()


def wait_for(qtbot, predicate, timeout=10_000):
    qtbot.waitUntil(predicate, timeout=timeout)
