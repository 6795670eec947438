"""A lesson trains a second network beside the main one, on the same data and step for step."""
import numpy as np


def _open(window, qtbot, name):
    pp = window.phase_panels
    preset = next(p for p in pp.presets if p.name == name)
    pp.open_preset(preset)
    qtbot.waitUntil(lambda: window.snapshot.compare is not None and tuple(window.snapshot.sizes) == tuple(preset.state.sizes),
                    timeout=20_000)
    return pp


def test_linear_network_and_its_relu_twin_train_side_by_side(window, qtbot):
    pp = _open(window, qtbot, "all-linear-deep")
    assert pp.compare_dock.isVisible()
    window.post("train", 3000)
    qtbot.waitUntil(lambda: window.snapshot.step >= 3000 and window.snapshot.compare.step == window.snapshot.step,
                    timeout=60_000)
    snap = window.snapshot
    other = snap.compare
    assert set(snap.activations[:-1]) == {"linear"} and set(other.activations[:-1]) == {"relu"}
    assert other.sizes == snap.sizes                               # the same network but for the activation
    np.testing.assert_array_equal(other.points_train, snap.points_train)          # on the same data
    assert snap.test_accuracy < 0.75 < 0.85 < other.test_accuracy  # a straight line cannot separate a circle
    qtbot.waitUntil(lambda: pp.compare.boundary.image.image is not None, timeout=5_000)
    shown = pp.compare.boundary.image.image
    assert shown.shape[-2:] == other.grid_output.shape[-2:]
    assert "test accuracy" in pp.compare.title.text() and "relu" in pp.compare.title.text()


def test_stop_comparing_and_a_lesson_without_comparison(window, qtbot):
    pp = _open(window, qtbot, "deep-relu")
    pp.compare.stop_button.click()
    qtbot.waitUntil(lambda: window.snapshot.compare is None, timeout=10_000)
    window.post("step")
    qtbot.waitUntil(lambda: window.snapshot.step >= 1, timeout=10_000)
    assert window.snapshot.compare is None
    assert not pp.compare_dock.isVisible()                          # its room goes back to the lesson
    assert pp.compare.empty.isVisibleTo(pp.compare) and not pp.compare.boundary.isVisibleTo(pp.compare)
    _open(window, qtbot, "all-linear-deep")
    zero = next(p for p in pp.presets if p.name == "zero-init")
    pp.open_preset(zero)                                           # no "compare": the comparison stops
    qtbot.waitUntil(lambda: window.snapshot.compare is None and tuple(window.snapshot.sizes) == tuple(zero.state.sizes),
                    timeout=20_000)
    assert not window.panel("Loss").visibleRegion().isEmpty()        # the loss curve is back in front
    assert not pp.compare.boundary.show_test.isVisibleTo(pp.compare)  # options live on the Output panel


def test_a_lesson_opened_at_start_up_shows_the_two_boundaries_alike(qtbot, tmp_path):
    # as `backprop-explorer --preset deep-relu` does: the lesson opens before the first layout, whose
    # default panel sizes then came last and gave the Compare panel a small share
    from PySide6.QtCore import QSettings

    from explorer.main_window import MainWindow
    window = MainWindow(None, settings=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat), restore=False)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    window.load_preset("deep-relu")
    try:
        qtbot.waitUntil(lambda: window.snapshot is not None and window.snapshot.compare is not None, timeout=180_000)
        compare = window.phase_panels.compare
        qtbot.waitUntil(lambda: compare.boundary.plot.height() >= 180 and window.boundary.plot.height() >= 180,
                        timeout=5_000)
    finally:
        window.close()
        assert window.thread.wait(10_000)


def _plot_height(boundary) -> int:
    """The height of a boundary view's plot (with its axes) on screen."""
    return boundary.plot.height()


def test_a_short_window_gives_both_boundaries_room(make_window, qtbot):
    # 1366×768: the right column holds one readable boundary; the comparison is under the lesson
    from PySide6.QtCore import Qt
    window = make_window(size=(1366, 768))
    assert window.loss_below
    pp = _open(window, qtbot, "all-linear-deep")
    assert window.dockWidgetArea(pp.compare_dock) == Qt.LeftDockWidgetArea
    assert pp.compare_dock.isVisible() and not pp.compare_dock.visibleRegion().isEmpty()
    assert not pp.lesson_dock.visibleRegion().isEmpty()                # the lesson above it, in front
    qtbot.waitUntil(lambda: pp.compare.boundary.image.image is not None, timeout=10_000)
    qtbot.wait(200)
    main_plot, other_plot = _plot_height(window.boundary), _plot_height(pp.compare.boundary)
    assert main_plot >= 200 and other_plot >= 85, (main_plot, other_plot)      # were about 105 and 65
    # the lesson's text scrolls when the column is short
    assert pp.lesson_dock.widget().inherits("QScrollArea")
    # a lesson without a comparison: the empty panel does not keep its room
    zero = next(p for p in pp.presets if p.name == "zero-init")
    pp.open_preset(zero)
    qtbot.waitUntil(lambda: window.snapshot.compare is None and tuple(window.snapshot.sizes) == tuple(zero.state.sizes),
                    timeout=20_000)
    assert not pp.compare_dock.isVisible()
    # and the layout reset keeps a comparison where it fits
    _open(window, qtbot, "all-linear-deep")
    window.reset_layout()
    assert window.dockWidgetArea(pp.compare_dock) == Qt.LeftDockWidgetArea and pp.compare_dock.isVisible()


def test_a_diverged_comparison_writes_its_loss_as_the_app_does():
    from types import SimpleNamespace
    from explorer.views.compare import describe
    compared = SimpleNamespace(sizes=(2, 6, 1), activations=("linear", "linear"), step=7, test_accuracy=None,
                               test_loss=float("inf"))
    line = describe(SimpleNamespace(compare=compared, compare_title="Linear", test_accuracy=None))
    assert line.endswith("step 7 · test loss ∞") and "inf" not in line
    compared.test_loss = 0.012345
    assert describe(SimpleNamespace(compare=compared, compare_title="Linear", test_accuracy=None)).endswith(
        "test loss 0.01235")
