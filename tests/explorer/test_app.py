"""The app as a user meets it: defaults, Step, Play/Pause, typed values, live edits, refusals, closing."""
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import Qt

from explorer.state import MAX_HIDDEN_LAYERS, MAX_NEURONS, AppState
from explorer.views.network_graph import fmt


def current_weights(win):
    return [w.copy() for w in win.worker.trainer.net.weights]


def test_window_opens_with_the_playground_defaults(window):
    snap = window.snapshot
    assert list(snap.sizes) == [2, 4, 2, 1]
    assert list(snap.activations) == ["tanh", "tanh", "sigmoid"]
    assert snap.features == ("x1", "x2")
    assert snap.step == 0
    assert window.counter.text().startswith("Step 0")
    assert window.controls.lr_edit.text() == "0.03"
    assert window.controls.batch.value() == 10
    assert window.controls.optimizer.currentText() == "sgd"
    assert window.data_panel.dataset_buttons["circle"].isChecked()
    checked = [f for f, b in window.data_panel.feature_buttons.items() if b.isChecked()]
    assert checked == ["x1", "x2"]
    tr = window.worker.trainer
    assert tr.lr == pytest.approx(0.03) and tr.batch_size == 10
    assert tr.data.m_train == 250 and tr.data.m_test == 250
    # the graph draws one node per neuron and one edge per weight
    assert [len(c) for c in window.graph._node_items] == [2, 4, 2, 1]
    assert len(window.graph._edge_xy) == 2 * 4 + 4 * 2 + 2 * 1


def test_screenshot_waiting_runs_deferred_deletes(qapp):
    """The screenshot mode waits with processEvents(), outside any event loop; objects Qt deletes
    later (a dock layout's spare tab bar) must still go, or they are drawn in the picture."""
    from PySide6.QtCore import QObject

    from explorer.app import wait_until
    gone = []
    obj = QObject()
    obj.destroyed.connect(lambda: gone.append(True))
    obj.deleteLater()
    del obj
    assert wait_until(qapp, lambda: bool(gone), timeout=2)


SMALL_SCREEN = (1152, 720)          # what a 1366×768 laptop leaves a window


def test_the_window_fits_a_small_laptop_screen_with_every_control_reachable(window, qtbot):
    hint = window.minimumSizeHint()
    assert hint.width() <= SMALL_SCREEN[0] and hint.height() <= SMALL_SCREEN[1], hint
    window.resize(1100, 720)
    qtbot.waitUntil(lambda: window.width() <= 1152)
    # the hyper-parameters go to a second toolbar row instead of behind the toolbar's » menu
    assert window.toolBarBreak(window.params_toolbar)
    qtbot.waitUntil(lambda: window.params_toolbar.geometry().top() > window.toolbar.geometry().bottom()
                    and window.controls.lr_edit.isVisible())
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: not window.toolBarBreak(window.params_toolbar)
                    and window.params_toolbar.geometry().top() == window.toolbar.geometry().top())


PROJECTOR = (1024, 768)             # a lecture room's projector, or a 1280×720 screen at 125%


def test_the_window_fits_a_1024_pixel_projector(window, qtbot):
    window.resize(*PROJECTOR)                     # at once from 1400: the toolbars wrap first
    qtbot.waitUntil(lambda: window.width() == PROJECTOR[0], timeout=5_000)
    assert window.minimumSizeHint().width() <= PROJECTOR[0]
    # the Data panel's dataset tiles go to three columns there, four where the panel is wide enough
    panel = window.data_panel
    viewport = panel.parentWidget()
    qtbot.waitUntil(lambda: panel.tile_columns == 3, timeout=5_000)
    assert panel.width() <= viewport.width()                                # nothing cut at the right
    window.resize(1400, 900)
    window.fit_docks()                                                      # the panel's default width
    qtbot.waitUntil(lambda: panel.tile_columns == 4 and panel.width() <= viewport.width(), timeout=5_000)
    tiles = [panel.dataset_buttons[name] for name in ("circle", "gaussian-hill")]
    assert tiles[0].minimumWidth() == tiles[1].minimumWidth()              # tiles of one width


def in_front(dock) -> bool:
    """Whether a docked panel is shown, not hidden behind another tab of its group."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def test_a_short_window_puts_the_loss_beside_the_cost_slice_so_the_boundary_keeps_its_size(make_window, qtbot):
    window = make_window(size=(1280, 720))
    loss, cost_slice = window.panel("Loss"), window.panel("Cost slice")
    qtbot.waitUntil(lambda: window.loss_below, timeout=5_000)
    assert loss in window.tabifiedDockWidgets(cost_slice)
    assert window.panel("Digit canvas") in window.tabifiedDockWidgets(loss)
    qtbot.waitUntil(lambda: in_front(loss), timeout=5_000)
    # under the Output panel the loss left the boundary plot 90 px tall at this size
    qtbot.waitUntil(lambda: window.boundary.plot.height() >= 200, timeout=5_000)
    # a click on a weight asks for its cost slice: that tab comes to the front
    window.graph.selection_changed.emit("weight", 1, 0, 0)
    qtbot.waitUntil(lambda: in_front(cost_slice), timeout=5_000)
    assert not in_front(loss)
    window.graph.selection_changed.emit("neuron", 1, 0, 0)   # a neuron has no cost slice: nothing moves
    assert in_front(cost_slice)


def test_a_lesson_opened_as_a_short_window_starts_keeps_its_panel_in_front_of_the_loss(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from explorer.main_window import MainWindow
    from tests.explorer.conftest import READY_TIMEOUT_MS

    win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat), restore=False)
    qtbot.addWidget(win)
    win.resize(1280, 720)
    win.show()
    win.load_preset("vanishing-gradient")            # before the first show's fitting, as the command line does
    qtbot.waitUntil(lambda: win.last_message.startswith("Preset:"), timeout=READY_TIMEOUT_MS)
    qtbot.waitUntil(lambda: win.loss_below, timeout=5_000)
    norms = win.panel("Gradient norms")
    assert win.panel("Loss") in win.tabifiedDockWidgets(norms)
    qtbot.waitUntil(lambda: in_front(norms), timeout=5_000)
    win.close()
    assert win.thread.wait(10_000)


def test_a_tall_window_keeps_the_loss_under_the_output(window, qtbot):
    loss = window.panel("Loss")
    assert not window.loss_below
    assert window.dockWidgetArea(loss) == Qt.RightDockWidgetArea
    assert window.panel("Digit canvas") in window.tabifiedDockWidgets(loss)
    qtbot.waitUntil(lambda: in_front(loss) and in_front(window.panel("Output")), timeout=5_000)
    window.graph.selection_changed.emit("weight", 1, 0, 0)
    assert in_front(loss)                          # the Cost slice is in sight already: the loss stays


def test_reset_panel_layout_fits_the_panels_to_the_window_as_it_is_now(window, qtbot):
    action = next(a for a in window.view_menu.actions() if a.text() == "&Reset panel layout")
    window.panel("Math").close()
    window.panel("Output").setFloating(True)
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.height() == 720, timeout=5_000)
    action.trigger()
    assert window.loss_below
    assert window.panel("Math").isVisible() and not window.panel("Output").isFloating()
    assert window.dockWidgetArea(window.panel("Output")) == Qt.RightDockWidgetArea
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: window.height() == 900, timeout=5_000)
    action.trigger()
    loss = window.panel("Loss")
    assert not window.loss_below and window.dockWidgetArea(loss) == Qt.RightDockWidgetArea
    assert window.panel("Digit canvas") in window.tabifiedDockWidgets(loss)
    assert window.panel("Images") in window.tabifiedDockWidgets(window.panel("Output"))
    qtbot.waitUntil(lambda: in_front(loss) and in_front(window.panel("Output")), timeout=5_000)


def test_panels_the_user_moved_stay_where_they_were_left_at_the_next_start(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from explorer.main_window import MainWindow
    from tests.explorer.conftest import READY_TIMEOUT_MS

    def start(restore):
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
        win = MainWindow(settings=settings, restore=restore)
        qtbot.addWidget(win)
        win.resize(1280, 720)
        win.show()
        qtbot.waitUntil(lambda: win.snapshot is not None, timeout=READY_TIMEOUT_MS)
        return win

    first = start(restore=False)
    qtbot.waitUntil(lambda: first.loss_below, timeout=5_000)
    first.addDockWidget(Qt.LeftDockWidgetArea, first.panel("Loss"))
    first.close()                                              # saves the layout
    assert first.thread.wait(10_000)
    second = start(restore=True)
    qtbot.wait(100)                                            # the first show's fitting has run
    assert second.dockWidgetArea(second.panel("Loss")) == Qt.LeftDockWidgetArea
    second.close()
    assert second.thread.wait(10_000)


def test_a_long_message_takes_one_status_line_and_keeps_the_rest_in_its_tooltip(window):
    height = window.statusBar().sizeHint().height()
    window.show_message("Could not load mnist\nPut the files in ~/data\nor pick a folder", error=True)
    assert window.status_label.text() == "Could not load mnist …"
    assert "pick a folder" in window.status_label.toolTip()
    assert window.statusBar().sizeHint().height() == height
    window.show_message("x" * 3000)                     # one very long line does not widen the window
    assert window.minimumSizeHint().width() < 1300


def test_the_step_counter_has_room_for_a_long_run(window):
    window.counter.setText("Step 521,122 · Epoch 20,845")
    needed = window.counter.fontMetrics().horizontalAdvance(window.counter.text())
    assert window.counter.minimumWidth() >= needed


def test_step_advances_the_counter_and_changes_the_weights_shown(window, qtbot):
    before = window.snapshot.weights[0].copy()
    edge = ("weight", 0, 1, 0)
    shown_before = window.graph.describe(edge)
    window.step_action.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=5000)
    assert window.counter.text().startswith("Step 1 ")
    after = window.snapshot.weights[0]
    assert not np.array_equal(before, after)
    assert np.array_equal(after, window.worker.trainer.net.weights[0])
    shown_after = window.graph.describe(edge)
    assert shown_after != shown_before
    assert f"value {fmt(after[1, 0])}" in shown_after
    assert "∂J/∂w" in shown_after and "last change" in shown_after
    # the gradient view shows the last step's gradients on a readable scale
    window.graph.grad_check.setChecked(True)
    assert "∂J/∂w" in window.graph.scale_label.text()


def test_right_arrow_steps_and_space_plays_then_pauses(window, qtbot):
    qtbot.keyClick(window, Qt.Key_Right)
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=5000)
    qtbot.keyClick(window, Qt.Key_Space)
    qtbot.waitUntil(lambda: window.snapshot.step > 50, timeout=10000)
    assert window.play_action.text().endswith("Pause")
    qtbot.keyClick(window, Qt.Key_Space)
    qtbot.waitUntil(lambda: not window.snapshot.playing, timeout=5000)
    stopped_at = window.snapshot.step
    qtbot.wait(300)
    assert window.worker.trainer.steps == stopped_at
    assert window.snapshot.step == stopped_at
    assert window.counter.text().startswith(f"Step {stopped_at:,} ")
    assert window.play_action.text().endswith("Play")


def test_typed_learning_rate_reaches_the_engine(window, qtbot):
    edit = window.controls.lr_edit
    edit.selectAll()
    qtbot.keyClicks(edit, "0.25")
    qtbot.keyClick(edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.worker.trainer.lr == pytest.approx(0.25), timeout=5000)
    qtbot.waitUntil(lambda: window.state.lr == pytest.approx(0.25), timeout=5000)
    slider_lr = window.controls.lr_slider.value()
    assert slider_lr == window.controls.lr_slider.maximum() * (np.log10(0.25) + 5) / 6 // 1 or abs(
        slider_lr - 600 * (np.log10(0.25) + 5) / 6) <= 1
    edit.setText("2,5e−2")              # pasted: a decimal comma and the app's own minus (keyClicks has no key for it)
    qtbot.keyClick(edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.worker.trainer.lr == pytest.approx(0.025), timeout=5000)


def test_a_refused_learning_rate_says_why_and_changes_nothing(window, qtbot):
    edit = window.controls.lr_edit
    edit.selectAll()
    qtbot.keyClicks(edit, "50")
    qtbot.keyClick(edit, Qt.Key_Return)
    assert window.last_message == "Learning rate '50' refused: type a number from 1e−5 to 10"
    assert edit.text() == "0.03"
    qtbot.wait(100)
    assert window.worker.trainer.lr == pytest.approx(0.03)
    rate = window.controls.reg_rate                         # a refused rate is not kept in its list
    count = rate.count()
    rate.lineEdit().selectAll()
    qtbot.keyClicks(rate.lineEdit(), "abc")
    qtbot.keyClick(rate.lineEdit(), Qt.Key_Return)
    assert window.last_message.startswith("Refused") or "rate" in window.last_message.lower()
    assert rate.count() == count
    edit.selectAll()                                        # a good value ends the refusal's message
    qtbot.keyClicks(edit, "0.1")
    qtbot.keyClick(edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.worker.trainer.lr == pytest.approx(0.1), timeout=5_000)
    assert "refused" not in window.last_message.lower()


def test_a_batch_or_class_count_out_of_range_is_refused_aloud_not_clamped(window, qtbot):
    box = window.controls.batch
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "5000")
    assert box.text() == "5000"                             # kept as typed, not cut to 500 by a lost keystroke
    qtbot.keyClick(box, Qt.Key_Return)
    assert "Batch size 5000 refused" in window.last_message and "1 to 4096" in window.last_message
    assert box.value() == 10 and "refused" in box.toolTip()
    qtbot.wait(100)
    assert window.worker.trainer.batch_size == 10
    box.lineEdit().selectAll()                              # a good value clears the refusal
    qtbot.keyClicks(box, "20")
    qtbot.keyClick(box, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.worker.trainer.batch_size == 20, timeout=5_000)
    assert "refused" not in box.toolTip()
    window.post("data", {"dataset": "spiral"})              # a dataset with a class count to choose
    classes = window.data_panel.classes
    qtbot.waitUntil(classes.isEnabled, timeout=5_000)
    classes.lineEdit().selectAll()
    qtbot.keyClicks(classes, "12")
    qtbot.keyClick(classes, Qt.Key_Return)
    assert "12 classes refused" in window.last_message and "2 to 8" in window.last_message
    assert classes.value() == window.state.classes


def test_adding_a_neuron_and_a_layer_keeps_the_surviving_weights(window, qtbot):
    w0 = current_weights(window)
    header = window.graph._headers[1]            # hidden layer 1
    qtbot.mouseClick(header.plus, Qt.LeftButton)
    qtbot.waitUntil(lambda: list(window.snapshot.sizes) == [2, 5, 2, 1], timeout=5000)
    net = window.worker.trainer.net
    assert net.sizes == [2, 5, 2, 1]
    assert np.array_equal(net.weights[0][:4], w0[0])
    assert np.array_equal(net.weights[1][:, :4], w0[1])
    assert np.array_equal(net.weights[2], w0[2])
    assert [len(c) for c in window.graph._node_items] == [2, 5, 2, 1]
    assert window.graph._headers[1].label.text() == "5 neurons"

    qtbot.mouseClick(window.graph.add_layer_btn, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(window.snapshot.sizes) == 5, timeout=5000)
    net = window.worker.trainer.net
    assert net.sizes == [2, 5, 2, 2, 1]
    assert np.array_equal(net.weights[0][:4], w0[0])
    assert np.array_equal(net.weights[1][:, :4], w0[1])
    assert np.array_equal(net.weights[3], w0[2])      # the output layer's weights moved up one
    assert window.graph.layers_label.text() == "3 hidden layers"
    assert len(window.graph._node_items) == 5
    # the loss curve marks both edits
    assert len(window.snapshot.markers) == 2
    qtbot.waitUntil(lambda: len(window.loss_plot._marker_items) == 2, timeout=2000)


def _layer_action(header, starts_with):
    """The action of a column's ⋮ menu whose text starts with `starts_with`; the header's
    right-click menu holds the same actions."""
    menu_actions = header.menu_button.menu().actions()
    assert menu_actions == header.actions()
    (action,) = [a for a in menu_actions if a.text().startswith(starts_with)]
    return action


def test_the_layer_menu_inserts_and_removes_a_hidden_layer_in_the_middle(window, qtbot):
    w0 = current_weights(window)                     # sizes [2, 4, 2, 1]
    _layer_action(window.graph._headers[1], "Insert a layer after layer 1").trigger()
    qtbot.waitUntil(lambda: list(window.snapshot.sizes) == [2, 4, 4, 2, 1], timeout=5000)
    net = window.worker.trainer.net
    assert np.array_equal(net.weights[0], w0[0])
    assert np.array_equal(net.weights[2], w0[1])     # the old second layer now reads the new one
    assert np.array_equal(net.weights[3], w0[2])
    assert window.graph.layers_label.text() == "3 hidden layers"
    assert [h.label.toolTip() for h in window.graph._headers][1:4] == ["4 neurons", "4 neurons", "2 neurons"]

    _layer_action(window.graph._headers[2], "Remove layer 2").trigger()
    qtbot.waitUntil(lambda: list(window.snapshot.sizes) == [2, 4, 2, 1], timeout=5000)
    for now, before in zip(window.worker.trainer.net.weights, w0):
        assert np.array_equal(now, before)

    _layer_action(window.graph._headers[0], "Insert a hidden layer after the inputs").trigger()
    qtbot.waitUntil(lambda: list(window.snapshot.sizes) == [2, 4, 4, 2, 1], timeout=5000)
    # the old first layer now reads the new 4-neuron layer: its 2 input columns are kept
    assert np.array_equal(window.worker.trainer.net.weights[1][:, :2], w0[0])
    _layer_action(window.graph._headers[-1], "Insert a hidden layer before the output").trigger()
    qtbot.waitUntil(lambda: list(window.snapshot.sizes) == [2, 4, 4, 2, 2, 1], timeout=5000)
    assert np.array_equal(window.worker.trainer.net.weights[-1], w0[2])


def test_clicking_an_edge_and_typing_a_value_sets_that_weight(window, qtbot):
    g = window.graph
    pos = g.view_to_widget(g.edge_center(1, 0, 2))
    qtbot.mouseClick(g.view.viewport(), Qt.LeftButton, pos=pos)
    assert g.editor.isVisible()
    assert g.editor.placeholderText() == "W²₁‚₃"          # layer 2, neuron 1, input 3: counted from 1
    g.editor.selectAll()
    qtbot.keyClicks(g.editor, "0.75")
    qtbot.keyClick(g.editor, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.worker.trainer.net.weights[1][0, 2] == 0.75, timeout=5000)
    qtbot.waitUntil(lambda: window.snapshot.weights[1][0, 2] == 0.75, timeout=5000)
    assert "value 0.75" in g.describe(("weight", 1, 0, 2))
    qtbot.waitUntil(lambda: window.last_message.startswith("W²₁‚₃ set to 0.75"), timeout=5000)   # as on screen
    qtbot.waitUntil(lambda: "value 0.75" in g.info.text(), timeout=5000)
    window.post("set_weight", 1, 0, 2, -0.5)                     # a change made elsewhere reaches the line
    qtbot.waitUntil(lambda: "value −0.5" in g.info.text(), timeout=5000)
    qtbot.mouseClick(g.view.viewport(), Qt.LeftButton, pos=pos)
    g.editor.setText("−0,25")                                    # as the app writes it, pasted back
    qtbot.keyClick(g.editor, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.worker.trainer.net.weights[1][0, 2] == -0.25, timeout=5000)
    window.post("step")
    qtbot.waitUntil(lambda: "(last step's batch)" in g.info.text(), timeout=5000)


def test_enter_on_the_value_shown_keeps_the_weight_exactly(window, qtbot):
    g = window.graph
    before = float(window.worker.trainer.net.weights[1][0, 1])
    qtbot.mouseClick(g.view.viewport(), Qt.LeftButton, pos=g.view_to_widget(g.edge_center(1, 0, 1)))
    assert g.editor.isVisible() and g.editor.text() == f"{before:.6g}"
    qtbot.keyClick(g.editor, Qt.Key_Return)                      # nothing typed: nothing changes
    assert not g.editor.isVisible()
    qtbot.wait(200)
    assert float(window.worker.trainer.net.weights[1][0, 1]) == before
    assert "set to" not in window.last_message


def test_clicking_a_bias_and_typing_a_value_sets_that_bias(window, qtbot):
    g = window.graph
    pos = g.view_to_widget(g.bias_center(2, 0))      # the output's bias
    qtbot.mouseClick(g.view.viewport(), Qt.LeftButton, pos=pos)
    assert g.editor.isVisible() and g.editor.placeholderText() == "b³₁"    # layer 3, neuron 1
    g.editor.selectAll()
    qtbot.keyClicks(g.editor, "-1.5")
    qtbot.keyClick(g.editor, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.worker.trainer.net.biases[2][0, 0] == -1.5, timeout=5000)


def test_a_refused_edit_leaves_everything_as_it_was_and_says_why(window, qtbot):
    header = window.graph._headers[2]             # hidden layer 2 has 2 neurons
    qtbot.mouseClick(header.minus, Qt.LeftButton)
    qtbot.waitUntil(lambda: list(window.snapshot.sizes) == [2, 4, 1, 1], timeout=5000)
    weights = current_weights(window)
    markers = len(window.snapshot.markers)
    header = window.graph._headers[2]
    qtbot.mouseClick(header.minus, Qt.LeftButton)
    assert "at least 1 neuron" in window.last_message
    assert window.status_label.text() == window.last_message
    qtbot.wait(200)
    net = window.worker.trainer.net
    assert net.sizes == [2, 4, 1, 1]
    assert all(np.array_equal(a, b) for a, b in zip(net.weights, weights))
    assert list(window.snapshot.sizes) == [2, 4, 1, 1]
    assert len(window.snapshot.markers) == markers


def test_limits_allow_8_layers_of_32_and_refuse_more_with_a_reason():
    assert MAX_HIDDEN_LAYERS >= 8 and MAX_NEURONS >= 32
    big = AppState(hidden=(MAX_NEURONS,) * MAX_HIDDEN_LAYERS, activations=("relu",) * MAX_HIDDEN_LAYERS)
    with pytest.raises(ValueError, match=f"at most {MAX_HIDDEN_LAYERS} hidden layers"):
        big.with_layer_added()
    with pytest.raises(ValueError, match=f"most neurons allowed \\({MAX_NEURONS}\\)"):
        big.with_neurons(0, 1)
    with pytest.raises(ValueError, match="learning rate must be between"):
        AppState(lr=20)
    # numbers written as everywhere in the app, with a true minus in the exponent
    with pytest.raises(ValueError, match="between 1e−5 and 10, got 2.5e−7$"):
        AppState(lr=2.5e-7)
    assert AppState.from_json(big.to_json()) == big


def test_an_edit_of_a_layer_that_is_gone_is_refused_in_the_screens_numbering():
    # a click on a column's + or − just after − Layer removed that column reaches the state late
    one = AppState(hidden=(4,), activations=("tanh",))
    for edit in (lambda: one.with_neurons(1, 1), lambda: one.with_layer_removed(1)):
        with pytest.raises(ValueError, match="^there is no hidden layer 2: the network has 1 hidden layer$"):
            edit()
    with pytest.raises(ValueError, match="^there is no hidden layer 3: the network has 1 hidden layer and an output"):
        one.with_activation(2, "relu")
    with pytest.raises(ValueError, match="^there is no place 3 for a new hidden layer: it goes at place 1 .* to 2"):
        one.with_layer_added(2)


def test_a_data_change_keeps_training_on_the_new_features(window, qtbot):
    qtbot.mouseClick(window.data_panel.feature_buttons["x1²"], Qt.LeftButton)
    qtbot.waitUntil(lambda: window.snapshot.features == ("x1", "x2", "x1²"), timeout=5000)
    assert window.worker.trainer.net.sizes[0] == 3
    assert [len(c) for c in window.graph._node_items][0] == 3


def test_closing_stops_the_worker_thread_cleanly(make_window, qtbot, qtlog):
    win = make_window()
    win.play()
    qtbot.waitUntil(lambda: win.snapshot.step > 10, timeout=10000)
    thread = win.thread
    win.close()
    assert thread.isFinished()
    bad = [r for r in qtlog.records if r.type.name in ("QtWarningMsg", "QtCriticalMsg", "QtFatalMsg")
           and "propagateSizeHints" not in r.message]
    assert not bad, [r.message for r in bad]


def test_the_headless_commands_never_load_qt():
    code = ("import sys\nfrom explorer.__main__ import main\n"
            "try:\n    main(['bench', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('QT' if any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules) else 'NOQT')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "NOQT"


def test_screenshot_mode_trains_and_saves_the_window(tmp_path):
    path = tmp_path / "shot.png"
    out = subprocess.run([sys.executable, "-m", "explorer", "--steps", "30", "--screenshot", str(path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    from PySide6.QtGui import QImage
    img = QImage(str(path))
    assert (img.width(), img.height()) == (1400, 900)


def test_screenshot_of_a_lesson_that_diverges_is_taken_at_once(tmp_path):
    path = tmp_path / "diverged.png"
    out = subprocess.run([sys.executable, "-m", "explorer", "--preset", "diverging-lr", "--steps", "500",
                          "--screenshot", str(path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "training diverged before step 500" in out.stderr and path.is_file()


def test_the_chosen_dataset_and_features_stand_out_in_both_themes(window):
    from explorer.theme import DARK, LIGHT
    for theme in (DARK, LIGHT):
        window.set_theme(theme.name)
        sheet = window.data_panel.styleSheet()
        assert f"QToolButton:checked {{ border: 2px solid {theme.accent}; background-color: {theme.checked}" in sheet
    assert window.data_panel.feature_buttons["x1"].isChecked()


def test_replacing_a_trained_network_asks_first(window, qtbot, tmp_path):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox
    asked = []

    def answer(button):
        def click():
            box = QApplication.activeModalWidget()
            asked.append(box.text())
            box.button(button).click()
        QTimer.singleShot(100, click)

    assert window.confirm_discard()                       # step 0: nothing to lose, no question
    window.post("train", 25)
    qtbot.waitUntil(lambda: window.snapshot.step == 25, timeout=10_000)
    answer(QMessageBox.Cancel)
    window.new_action.trigger()
    assert asked and "25 steps" in asked[-1]
    qtbot.wait(200)
    assert window.snapshot.step == 25                      # kept
    answer(QMessageBox.Discard)
    window.new_action.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step == 0, timeout=10_000)
    window.post("train", 5)
    qtbot.waitUntil(lambda: window.snapshot.step == 5, timeout=10_000)
    assert not window.save_session(str(tmp_path / "no such folder" / "lost.bpx"), wait=True)
    window.session_error_box.close()
    answer(QMessageBox.Cancel)                             # a failed save does not count as saved
    assert not window.confirm_discard()
    assert len(asked) == 3
    window._ask_session_path = lambda: str(tmp_path / "no such folder" / "lost.bpx")
    answer(QMessageBox.Save)                               # Save, and the save fails: nothing is replaced
    assert not window.confirm_discard()
    assert len(asked) == 4 and "Could not save" in window.session_error_box.text()
    window.session_error_box.close()
    assert window.save_session(str(tmp_path / "kept.bpx"), wait=True)
    assert window.confirm_discard()                        # saved: no question
    assert len(asked) == 4
    version = window.snapshot.data_version
    window.post("add_point", 5.5, 5.5, 1)                  # a point drawn after the save is not saved
    qtbot.waitUntil(lambda: window.snapshot.data_version > version, timeout=10_000)
    answer(QMessageBox.Cancel)
    assert not window.confirm_discard()
    assert len(asked) == 5


def test_training_right_after_a_phase_command_updates_the_phase_view():
    """An inspect command publishes the phase view; a command applied after it in the same batch
    (a lesson opens, then training starts at once) must not leave that view on the old step."""
    from explorer.state import AppState
    from explorer.worker import TrainingWorker
    worker = TrainingWorker(AppState())
    worker._build(worker.state, keep_history=False)
    worker._apply(("inspect", "refresh"))
    assert worker.inspector.latest().step == 0
    worker._apply(("train", 12))
    worker._publish(force=True)
    assert worker.inspector.latest().step == 12


def test_the_shortcuts_dialog_lists_every_shortcut_and_phases_are_in_the_training_menu(window):
    from PySide6.QtGui import QAction, QKeySequence

    from explorer.main_window import SHORTCUTS
    listed = {key for key, _ in SHORTCUTS}
    keys = {a.shortcut().toString(QKeySequence.PortableText) for a in window.findChildren(QAction)}
    assert keys - {""} <= listed
    assert {"N", "Shift+N", "Ctrl+I"} <= listed
    training = [a.text() for a in window.training_menu.actions()]
    assert "Next phase" in training and "Previous phase" in training


def test_graph_and_loss_numbers_are_written_as_the_math_panel_writes_them():
    # a true minus sign and a short exponent, not "-5.028e-06"
    assert fmt(-5.028e-6) == "−5.028e−6"
    assert fmt(-0.12345) == "−0.1235"
    assert fmt(float("inf")) == "∞" and fmt(float("nan")) == "NaN" and fmt(None) == "—"


def test_reset_panel_layout_gives_the_math_panel_its_starting_width(window, qtbot):
    from explorer.main_window import MATH_PANEL_WIDTH
    math = window.panel("Math")
    qtbot.waitUntil(lambda: abs(math.width() - MATH_PANEL_WIDTH) <= 12, timeout=5_000)
    window.resizeDocks([math, window.panel("Cost slice")], [300, 1100], Qt.Horizontal)
    qtbot.waitUntil(lambda: math.width() < 400, timeout=5_000)
    window.reset_layout()
    qtbot.waitUntil(lambda: abs(math.width() - MATH_PANEL_WIDTH) <= 12, timeout=5_000)


def test_a_window_started_in_the_dark_theme_draws_every_panel_dark(qtbot, tmp_path):
    """A theme remembered from the last run is in place before any panel polishes its style sheet:
    the Data panel was light in a dark window."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    from explorer.main_window import MainWindow
    from explorer.theme import DARK, LIGHT, apply_palette
    settings = QSettings(str(tmp_path / "dark.ini"), QSettings.IniFormat)
    settings.setValue("theme", "dark")
    win = MainWindow(settings=settings, restore=False)
    qtbot.addWidget(win)
    try:
        win.resize(1400, 900)
        win.show()
        qtbot.waitUntil(lambda: win.snapshot is not None, timeout=180_000)
        image = win.data_panel.grab().toImage()
        corner = image.pixelColor(image.width() - 3, image.height() - 3)       # the panel's own background
        assert corner.name() == DARK.window
        assert win.data_panel.palette().color(win.data_panel.backgroundRole()).name() == DARK.window
    finally:
        win.close()
        assert win.thread.wait(10_000)
        apply_palette(QApplication.instance(), LIGHT)                          # the other tests' theme
