"""Start the app: QApplication, MainWindow, and the offscreen screenshot mode."""
from __future__ import annotations

import os
import sys
import time


def wait_until(app, predicate, timeout: float) -> bool:
    """Process events until predicate() is true or timeout seconds pass."""
    from PySide6.QtCore import QEvent
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        app.processEvents()
        # processEvents() outside an event loop never runs deleteLater(); Qt's dock layout relies
        # on it to drop a spare tab bar, which would otherwise show in the screenshot
        app.sendPostedEvents(None, QEvent.DeferredDelete)
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def _select_weight(win, app, select) -> bool:
    """Select W^L_jk on the graph (all three counted from 1, as on screen) and wait for the panels
    that follow a selection."""
    from engine.inspect import param_symbol
    layer, j, k = select
    sizes = list(win.snapshot.sizes)
    if not (layer < len(sizes) and j <= sizes[layer] and k <= sizes[layer - 1]):
        print(f"backprop-explorer: error: no weight {param_symbol(layer - 1, j - 1, k - 1)} in a network of "
              f"sizes {sizes}", file=sys.stderr)
        return False
    win.graph.select("weight", layer - 1, j - 1, k - 1)
    panels = getattr(win, "phase_panels", None)
    if panels is not None:
        wait_until(app, lambda: panels.view is not None and panels.view.slice is not None
                   and panels.cost_slice.view is panels.view, timeout=10)
    return True


def freeze_after_first_frame(win) -> None:
    """gc_guard.freeze_long_lived once the window has drawn its first snapshot: by then the
    engine's kernels are loaded and every view is built."""
    from . import gc_guard

    def on_first_frame(_snap):
        win.snapshot_shown.disconnect(on_first_frame)
        gc_guard.freeze_long_lived()
    win.snapshot_shown.connect(on_first_frame)


def run_app(preset: str | None = None, steps: int = 0, screenshot: str | None = None,
            size=(1400, 900), theme: str | None = None, select=None) -> int:
    if screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow
    from .state import AppState, load_preset

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Backprop Explorer")
    app.setOrganizationName("BackpropExplorer")
    try:
        state = load_preset(preset) if preset else AppState()
    except ValueError as exc:
        print(f"backprop-explorer: error: {exc}", file=sys.stderr)
        return 2
    settings = None
    if screenshot:  # a screenshot is reproducible: no remembered geometry or theme
        settings = QSettings(os.path.join(os.path.dirname(os.path.abspath(screenshot)) or ".",
                                          ".backprop-explorer-screenshot.ini"), QSettings.IniFormat)
        settings.clear()
    win = MainWindow(state, settings=settings, restore=not screenshot)
    if theme:
        win.set_theme(theme)
    win.resize(*size)
    win.show()
    freeze_after_first_frame(win)
    from .presets import lesson_file
    if preset and lesson_file(preset) is not None:     # a lesson: its own weights, data and explanation
        win.load_preset(preset)
        if screenshot:
            wait_until(app, lambda: win.last_message.startswith("Preset:"), timeout=120)
    diverged = []
    win.training_diverged.connect(diverged.append)
    if steps:
        win.post("train", int(steps))
    if not screenshot:
        return app.exec()
    ok = wait_until(app, lambda: diverged or (win.snapshot is not None and win.snapshot.step >= steps), timeout=300)
    if diverged:         # the picture is still worth having: a divergence lesson shows this
        wait_until(app, lambda: False, timeout=0.3)
        print(f"backprop-explorer: training diverged before step {steps}: {diverged[0].splitlines()[0]}",
              file=sys.stderr)
    elif not ok:
        print("backprop-explorer: error: training did not reach the requested step", file=sys.stderr)
    elif select:
        ok = _select_weight(win, app, select)          # says itself what is wrong
    wait_until(app, lambda: False, timeout=0.3)      # let the views settle and paint
    saved = win.grab().save(screenshot)
    win.close()
    if settings is not None:
        try:
            os.remove(settings.fileName())
        except OSError:
            pass
    app.processEvents()
    if not saved:
        print(f"backprop-explorer: error: could not save {screenshot}", file=sys.stderr)
        return 1
    print(f"saved {screenshot} (step {win.snapshot.step if win.snapshot else 0})")
    return 0 if ok else 1
