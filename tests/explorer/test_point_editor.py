"""Drawing points: a click adds a point of the selected class, a right-click removes the nearest."""
import re

import numpy as np
import pyqtgraph as pg
import pytest

from PySide6.QtCore import QPoint, Qt

from engine import Network, Trainer, datasets
from explorer.point_editor import (DrawClassPicker, PlotClicks, PointEditError, add_point, editable_reason, nearest,
                                   pick_radius, remove_nearest)


@pytest.fixture
def blobs():
    return datasets.make("blobs", n=60, classes=3, seed=1)


def test_add_point_keeps_everything_else(blobs):
    new = add_point(blobs, 1.5, -2.0, 2)
    assert new.m_train == blobs.m_train + 1 and new.m_test == blobs.m_test
    assert tuple(new.points_train[:, -1]) == (1.5, -2.0)
    assert new.labels_train[-1] == 2
    assert new.n_classes == 3 and new.features == blobs.features and new.extent == blobs.extent
    np.testing.assert_array_equal(new.points_train[:, :-1], blobs.points_train)


def test_remove_nearest_takes_the_closest_point(blobs):
    target = blobs.points_test[:, 4]
    new, hit = remove_nearest(blobs, target[0] + 1e-3, target[1] - 1e-3)
    assert (hit.part, hit.index) == ("test", 4)
    assert new.m_test == blobs.m_test - 1 and new.m_train == blobs.m_train
    assert not np.any(np.all(new.points_test == target[:, None], axis=0))


def test_training_continues_on_the_edited_data(blobs):
    net = Network([2, 6, 3], hidden="tanh", output="softmax", loss="cce", seed=0)
    trainer = Trainer(net, blobs, optimizer="adam", lr=0.01, batch_size=10)
    trainer.train(steps=30)
    w = net.weights[0].copy()
    trainer.set_data(add_point(blobs, 0.0, 0.0, 1))
    np.testing.assert_array_equal(net.weights[0], w)          # no reset
    assert trainer.data.m_train == blobs.m_train + 1
    trainer.train(steps=5)
    assert trainer.steps == 35


def test_bad_edits_say_why_and_change_nothing(blobs):
    with pytest.raises(PointEditError, match="class must be 0..2"):
        add_point(blobs, 0, 0, 3)
    xmin, xmax, ymin, ymax = blobs.extent
    with pytest.raises(PointEditError, match="outside the plotted area"):
        add_point(blobs, xmax + 0.5, 0.5 * (ymin + ymax), 0)
    assert add_point(blobs, xmax, ymax, 0).points_train.shape[1] == blobs.points_train.shape[1] + 1   # its edge is in
    with pytest.raises(PointEditError, match="no point near"):
        remove_nearest(blobs, 100.0, 100.0, radius=0.5)
    tiny = datasets.from_arrays([[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]], [0, 1, 1], "binary", train_ratio=0.5)
    last = tiny.points_test[:, 0]
    with pytest.raises(PointEditError, match="last test point"):
        remove_nearest(tiny, *last)
    digits_like = datasets.Dataset("img", "multiclass", np.zeros((4, 2)), np.eye(2), np.zeros((4, 2)), np.eye(2),
                                   ("p0", "p1", "p2", "p3"), n_classes=2, class_names=("a", "b"), image_shape=(2, 2))
    assert "image dataset" in editable_reason(digits_like)
    with pytest.raises(PointEditError, match="image"):
        add_point(digits_like, 0, 0, 0)


def test_regression_points_take_a_target_value():
    data = datasets.make("plane", n=40)
    new = add_point(data, 1.0, 2.0, 0.75)
    assert new.Y_train[0, -1] == pytest.approx(0.75)


def _click(qtbot, widget, vb, x, y, button):
    scene_pt = vb.mapViewToScene(pg.Point(x, y))
    view_pt = widget.mapFromScene(scene_pt)
    qtbot.mouseClick(widget.viewport(), button, pos=QPoint(int(view_pt.x()), int(view_pt.y())))


def test_clicks_on_the_plot_add_and_remove_points(qtbot, blobs):
    """Through a real plot: left-click adds where clicked, right-click removes the nearest."""
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(400, 400)
    plot.setXRange(-6, 6, padding=0)
    plot.setYRange(-6, 6, padding=0)
    plot.show()
    qtbot.waitExposed(plot)
    vb = plot.getPlotItem().getViewBox()
    clicks = PlotClicks(plot.getPlotItem())
    state = {"data": blobs, "selected": 1}

    def on_add(x, y):
        state["data"] = add_point(state["data"], x, y, state["selected"])

    def on_remove(x, y):
        state["data"], _ = remove_nearest(state["data"], x, y, radius=pick_radius(state["data"]))

    clicks.add_requested.connect(on_add)
    clicks.remove_requested.connect(on_remove)

    _click(qtbot, plot, vb, 2.0, -3.0, Qt.LeftButton)
    data = state["data"]
    assert data.m_train == blobs.m_train + 1
    assert data.points_train[0, -1] == pytest.approx(2.0, abs=0.1)
    assert data.points_train[1, -1] == pytest.approx(-3.0, abs=0.1)
    assert data.labels_train[-1] == 1

    _click(qtbot, plot, vb, 2.0, -3.0, Qt.RightButton)
    assert state["data"].m_train == blobs.m_train
    assert nearest(state["data"], 2.0, -3.0, radius=0.1) is None

    clicks.enabled = False
    _click(qtbot, plot, vb, 0.0, 0.0, Qt.LeftButton)
    assert state["data"].m_train == blobs.m_train
    clicks.close()


def test_drawing_in_the_app_adds_and_removes_training_points(window, qtbot):
    """In the main window: a left-click on the decision boundary adds a point of the chosen class
    to the worker's data, a right-click removes it again; the step count is not reset."""
    plot = window.boundary.plot
    vb = plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: window.draw_class.combo.count() == 2, timeout=10_000)
    window.draw_class.combo.setCurrentIndex(1)
    window.post("step", 3)
    qtbot.waitUntil(lambda: window.snapshot.step == 3, timeout=10_000)
    m = window.snapshot.points_train.shape[1]
    version = window.snapshot.data_version
    _click(qtbot, plot, vb, 5.5, 5.5, Qt.LeftButton)             # an empty corner of the circle set
    qtbot.waitUntil(lambda: window.snapshot.data_version > version, timeout=10_000)
    snap = window.snapshot
    assert snap.points_train.shape[1] == m + 1
    assert snap.points_train[0, -1] == pytest.approx(5.5, abs=0.2)
    assert snap.labels_train[-1] == 1
    assert snap.step == 3
    version = snap.data_version
    _click(qtbot, plot, vb, 5.5, 5.5, Qt.RightButton)
    qtbot.waitUntil(lambda: window.snapshot.data_version > version, timeout=10_000)
    assert window.snapshot.points_train.shape[1] == m
    vb.setRange(xRange=(-12, 12), yRange=(-12, 12), padding=0)   # zoomed out: room beyond the data's area
    _click(qtbot, plot, vb, 9.0, 0.0, Qt.LeftButton)
    qtbot.waitUntil(lambda: "outside the plotted area" in window.last_message, timeout=10_000)
    assert window.snapshot.points_train.shape[1] == m


def test_drawing_on_regression_data_adds_points_with_the_chosen_target(window, qtbot):
    window.post("data", {"dataset": "plane"})
    picker = window.draw_class
    qtbot.waitUntil(lambda: window.snapshot.kind == "regression" and picker.regression, timeout=10_000)
    assert picker.isVisible() and picker.target.isVisible() and not picker.combo.isVisible()
    assert picker.label.text() == "Click adds a point with target"
    # the colour scale in 3 digits with a true minus: "output: −1.11 (orange) … 1.11 (blue)"
    qtbot.waitUntil(lambda: window.boundary.legend.text().startswith("output: −"), timeout=10_000)
    assert re.fullmatch(r"output: −\d\.\d\d \(orange\) … \d\.\d\d \(blue\)", window.boundary.legend.text())
    picker.target.setValue(0.75)
    plot = window.boundary.plot
    version = window.snapshot.data_version
    _click(qtbot, plot, plot.getPlotItem().getViewBox(), 5.5, 5.5, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.snapshot.data_version > version, timeout=10_000)
    assert window.snapshot.labels_train[-1] == pytest.approx(0.75)


def test_the_class_picker_names_the_classes_of_a_csv_table(qtbot):
    from types import SimpleNamespace
    picker = DrawClassPicker()
    qtbot.addWidget(picker)
    snap = SimpleNamespace(kind="binary", n_classes=2, class_names=("no", "yes"), dataset_name="t",
                           points_train=np.zeros((2, 3)), labels_train=np.zeros(3), curve=None)
    picker.update_snapshot(snap)
    assert [picker.combo.itemText(i) for i in range(2)] == ["no (orange)", "yes (blue)"]
    picker.update_snapshot(SimpleNamespace(**(vars(snap) | {"kind": "multiclass", "n_classes": 3,
                                                            "class_names": ("a", "b", "c")})))
    assert picker.combo.itemText(2) == "2: c" and picker.selected == 0


def test_the_target_box_stays_hidden_until_regression_data_comes(qtbot):
    # shown before the first data, it made the Output panel wider than a 1024-pixel screen allows
    picker = DrawClassPicker()
    qtbot.addWidget(picker)
    picker.show()
    assert picker.target.isHidden()
    assert picker.minimumSizeHint().width() < picker.target.sizeHint().width() + picker.combo.sizeHint().width() \
        + picker.label.sizeHint().width()


def test_reset_gives_new_weights_and_keeps_drawn_points(window, qtbot):
    m = window.worker.data.m_train
    window.post("add_point", 5.0, 5.0, 1)
    qtbot.waitUntil(lambda: window.worker.data.m_train == m + 1, timeout=10_000)
    before = window.worker.trainer.net.weights[0].copy()
    window.post("reset")
    qtbot.waitUntil(lambda: not np.array_equal(window.worker.trainer.net.weights[0], before), timeout=10_000)
    assert window.worker.data.m_train == m + 1 and window.snapshot.step == 0


def test_on_the_one_input_function_plot_a_click_adds_a_point_at_its_input_and_target(window, qtbot):
    pp = window.phase_panels
    pp.open_preset(next(p for p in pp.presets if p.name == "single-neuron"))
    view = window.boundary
    qtbot.waitUntil(lambda: window.snapshot.sizes == (1, 1) and view.function_plot.isVisible(), timeout=20_000)
    picker = window.draw_class
    qtbot.waitUntil(lambda: picker.label.text() == "Click adds a point there, right-click removes one",
                    timeout=10_000)
    assert not picker.target.isVisible()              # the click's height is the target
    plot = view.function_plot
    vb = plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: vb.viewRange()[0][1] >= 4.5, timeout=10_000)
    m, version = window.snapshot.points_train.shape[1], window.snapshot.data_version
    _click(qtbot, plot, vb, 2.5, 6.0, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.snapshot.data_version > version, timeout=10_000)
    snap = window.snapshot
    assert snap.points_train.shape[1] == m + 1
    assert snap.points_train[0, -1] == pytest.approx(2.5, abs=0.1)
    assert snap.labels_train[-1] == pytest.approx(6.0, abs=0.2)
    qtbot.waitUntil(lambda: sorted(view.function_train.getData()[0]) == sorted(snap.points_train[0]),
                    timeout=10_000)                    # drawn at its target
    version = snap.data_version
    _click(qtbot, plot, vb, 2.55, 6.05, Qt.RightButton)       # near it: removes it
    qtbot.waitUntil(lambda: window.snapshot.data_version > version, timeout=10_000)
    assert window.snapshot.points_train.shape[1] == m
    _click(qtbot, plot, vb, 0.5, 7.5, Qt.RightButton)         # far from every point
    qtbot.waitUntil(lambda: "no point near the click" in window.last_message, timeout=10_000)
    window.post("data", {"features": ("x1", "x2")})              # two inputs: the plane, and a target box again
    qtbot.waitUntil(lambda: picker.label.text() == "Click adds a point with target" and not picker.target.isHidden(),
                    timeout=10_000)


def _table(tmp_path, name, header, rows, features, label, **kw):
    from engine import csv_data
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(rows), encoding="utf-8")
    return csv_data.dataset_from_csv(path, features, label, **kw)


def test_on_a_table_of_one_column_a_point_is_its_input_and_its_class_or_target(tmp_path):
    rows = [f"{i * 0.1:.1f},{'yes' if i > 10 else 'no'},{i * 0.2:.1f}" for i in range(20)]
    binary = _table(tmp_path, "b.csv", "x,passed,score", rows, ["x"], "passed")
    new = add_point(binary, 0.75, 0.9, 1)                     # the click's height is not part of it
    assert new.X_train.shape == (1, binary.m_train + 1) and new.X_train[0, -1] == 0.75
    assert new.labels_train[-1] == 1 and new.points_train is None and new.features == ("x",)
    back, hit = remove_nearest(new, 0.75, 1.0, radius=1e-9)   # (input, class) names the point
    assert (hit.part, hit.index, hit.x, hit.label) == ("train", binary.m_train, 0.75, 1.0)
    np.testing.assert_array_equal(back.X_train, binary.X_train)
    regression = _table(tmp_path, "r.csv", "x,passed,score", rows, ["x"], "score")
    new = add_point(regression, 0.75, 2.5, 2.5)
    assert new.X_train[0, -1] == 0.75 and new.Y_train[0, -1] == pytest.approx(2.5)
    with pytest.raises(PointEditError, match="finite"):
        add_point(regression, 0.75, 2.5, float("nan"))


def test_on_a_slice_through_a_table_a_point_holds_the_other_columns_at_their_means(tmp_path):
    rows = [f"{i % 5},{i * 0.5},{(i * 7) % 3},{i % 2}" for i in range(24)]
    data = _table(tmp_path, "s.csv", "a,b,c,kind", rows, ["a", "b", "c"], "kind", plot_columns=("b", "c"))
    assert editable_reason(data) is None
    new = add_point(data, 4.0, 1.5, 1)
    assert new.X_train[:, -1].tolist() == [pytest.approx(data.X_train[0].mean()), 4.0, 1.5]
    assert tuple(new.points_train[:, -1]) == (4.0, 1.5) and new.labels_train[-1] == 1
    xmin, xmax, _, _ = data.extent
    with pytest.raises(PointEditError, match="outside the plotted area"):
        add_point(data, xmax + 1.0, 1.0, 0)
    back, hit = remove_nearest(new, 4.01, 1.49, radius=0.1)
    assert hit.index == data.m_train and back.m_train == data.m_train
    unplotted = _table(tmp_path, "u.csv", "a,b,c,kind", rows, ["a", "b", "c"], "kind")
    assert "no plot to draw on" in editable_reason(unplotted)
    with pytest.raises(PointEditError, match="two plot columns"):
        add_point(unplotted, 0.0, 0.0, 0)


def test_on_the_plot_of_a_one_column_table_clicks_add_and_remove_rows(window, qtbot, tmp_path):
    rows = [f"{x:.3f},{'high' if x > 1 else 'low' if x < -1 else 'mid'},{x * x:.3f}"
            for x in np.linspace(-3, 3, 60)]
    data = _table(tmp_path, "t.csv", "x,band,square", rows, ["x"], "band")
    window.use_dataset(data)
    view, picker = window.boundary, window.draw_class
    qtbot.waitUntil(lambda: window.snapshot.curve is not None and view.function_plot.isVisible()
                    and picker.combo.count() == 3, timeout=30_000)
    assert picker.isVisible() and picker.label.text() == "Click adds a point of class"
    picker.combo.setCurrentIndex(2)                           # "mid"
    plot = view.function_plot
    vb = plot.getPlotItem().getViewBox()
    m, version = window.worker.data.m_train, window.snapshot.data_version
    _click(qtbot, plot, vb, 2.5, 0.6, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.snapshot.data_version > version, timeout=10_000)
    data = window.worker.data
    assert data.m_train == m + 1 and data.X_train[0, -1] == pytest.approx(2.5, abs=0.1)
    assert data.class_names[data.labels_train[-1]] == "mid"
    x_new = float(data.X_train[0, -1])
    qtbot.waitUntil(lambda: x_new in view.function_train.getData()[0], timeout=10_000)
    row = view.point_heights(window.snapshot, [data.labels_train[-1]])[0]   # its class's row under the lines
    version = window.snapshot.data_version
    _click(qtbot, plot, vb, x_new, row, Qt.RightButton)
    qtbot.waitUntil(lambda: window.snapshot.data_version > version, timeout=10_000)
    assert window.worker.data.m_train == m and x_new not in window.worker.data.X_train[0]
    window.use_dataset(_table(tmp_path, "r.csv", "x,band,square", rows, ["x"], "square"))
    qtbot.waitUntil(lambda: window.snapshot.kind == "regression" and view.function_plot.isVisible()
                    and picker.label.text() == "Click adds a point there, right-click removes one", timeout=30_000)
    qtbot.waitUntil(lambda: vb.viewRange()[1][1] > 5.0, timeout=10_000)
    version = window.snapshot.data_version
    _click(qtbot, plot, vb, -2.0, 5.0, Qt.LeftButton)        # the height is the new row's target
    qtbot.waitUntil(lambda: window.snapshot.data_version > version, timeout=10_000)
    assert window.worker.data.X_train[0, -1] == pytest.approx(-2.0, abs=0.1)
    assert window.worker.data.Y_train[0, -1] == pytest.approx(5.0, abs=0.2)


def test_a_right_click_removes_only_points_the_plot_shows(window, qtbot):
    """Test points are drawn only with Show test data; hidden, a right-click on one leaves it."""
    plot = window.boundary.plot
    vb = plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: window.snapshot is not None and window.snapshot.points_test is not None, timeout=10_000)
    assert not window.boundary.show_test.isChecked()
    data = window.worker.data
    tr, te = data.points_train, data.points_test
    gaps = np.hypot(te[0][:, None] - tr[0][None, :], te[1][:, None] - tr[1][None, :]).min(axis=1)
    x, y = te[:, int(np.argmax(gaps))]                      # the test point farthest from any training one
    train_hit = gaps.max() <= pick_radius(data)             # whether a training point is within reach of it
    version = window.snapshot.data_version
    _click(qtbot, plot, vb, x, y, Qt.RightButton)
    qtbot.waitUntil(lambda: window.snapshot.data_version > version or "no point near" in window.last_message,
                    timeout=10_000)
    after = window.worker.data
    assert after.m_test == data.m_test                      # the hidden test point is still there
    assert after.m_train == data.m_train - train_hit
    window.boundary.show_test.setChecked(True)
    version = window.snapshot.data_version
    _click(qtbot, plot, vb, x, y, Qt.RightButton)
    qtbot.waitUntil(lambda: window.snapshot.data_version > version, timeout=10_000)
    assert window.worker.data.m_test == data.m_test - 1
