"""The 2-D cost map with the optimizer's path, and the layer-space view, in the window."""
import numpy as np

from engine import datasets
from explorer.views.layer_space import network_of


def test_two_weights_give_a_cost_map_and_the_path_the_optimizer_took(window, qtbot):
    pp, cs = window.phase_panels, window.phase_panels.cost_slice
    window.graph.select("weight", 1, 0, 1)                     # W²₁‚₂ …
    qtbot.waitUntil(lambda: pp.view is not None and pp.view.selection == ("weight", 1, 0, 1), timeout=10_000)
    cs.pin_button.click()                                      # … pinned as the second axis
    window.graph.select("weight", 0, 2, 0)                     # W¹₃‚₁ along the first
    qtbot.waitUntil(lambda: pp.view.second == (1, 0, 1) and pp.view.selection == ("weight", 0, 2, 0)
                    and pp.view.surface is not None, timeout=10_000)
    for _ in range(4):
        window.post("train", 25)
        qtbot.wait(150)
    qtbot.waitUntil(lambda: window.snapshot.step >= 100 and len(cs.path) >= 3, timeout=10_000)
    assert cs.stack.currentWidget() is cs.plot2                 # the 2-D map is shown
    assert cs.image.image is not None and cs.image.image.ndim == 2
    w = window.snapshot.weights
    assert cs.path[-1] == (float(w[0][2, 0]), float(w[1][0, 1]))   # the path ends at today's weights
    assert len(set(cs.path)) >= 3                                 # and records where training took them
    xs, ys = cs.path_curve.getData()
    assert len(xs) == len(cs.path)
    cs.unpin_button.click()
    qtbot.waitUntil(lambda: pp.view.second is None and cs.stack.currentWidget() is not cs.plot2, timeout=10_000)


def test_layer_space_maps_the_points_as_the_forward_pass_does(window, qtbot):
    window.post("train", 200)
    qtbot.waitUntil(lambda: window.snapshot.step >= 200, timeout=10_000)
    view = window.phase_panels.layer_space
    window.panel("Layer space").setVisible(True)
    window.panel("Layer space").raise_()
    snap = window.snapshot
    view.update_snapshot(snap)
    view.compute()
    trace = network_of(snap).forward(datasets.feature_matrix(np.asarray(snap.points_train), snap.features))
    _lines, points = view.mapped("A")
    np.testing.assert_allclose(points, trace.A[1], rtol=1e-12)     # layer 1's activations of the points
    _lines, points_z = view.mapped("Z")
    np.testing.assert_allclose(points_z, trace.Z[0], rtol=1e-12)   # and its affine part
    view.layer_box.setCurrentIndex(1)                              # layer 2 (two neurons)
    _lines, points = view.mapped("A")
    np.testing.assert_allclose(points, trace.A[2], rtol=1e-12)


def test_layer_space_keeps_no_map_of_earlier_data_when_the_data_has_no_plane(window, qtbot):
    from explorer.views.layer_space import NO_PLANE
    view = window.phase_panels.layer_space
    window.panel("Layer space").setVisible(True)
    window.panel("Layer space").raise_()
    view.update_snapshot(window.snapshot)
    view.compute()
    assert len(view.points.getData()[0]) == window.snapshot.points_train.shape[1]
    window.load_preset("digits")
    qtbot.waitUntil(lambda: window.snapshot.image_shape is not None and view.caption.text() == NO_PLANE,
                    timeout=60_000)
    assert len(view.points.getData()[0]) == 0 and len(view.lines.getData()[0]) == 0
    assert view.layer_box.count() == 0 and not view.stage.isEnabled()
    view.stage.setValue(30)                                         # a control left alone draws nothing
    assert len(view.points.getData()[0]) == 0
    window.load_preset("spiral")
    qtbot.waitUntil(lambda: window.snapshot.image_shape is None and view.stage.isEnabled()
                    and view.layer_box.count() > 0, timeout=60_000)
    view.compute()
    assert len(view.points.getData()[0]) == window.snapshot.points_train.shape[1]


def test_the_pin_buttons_are_enabled_only_when_they_can_do_something(window, qtbot):
    pp, cs = window.phase_panels, window.phase_panels.cost_slice
    assert not cs.pin_button.isEnabled() and not cs.unpin_button.isEnabled()    # nothing selected
    assert cs.plot.getViewBox().viewRange()[1][1] > 1.0          # the empty plot's top tick is inside it

    def shown(condition):
        """Wait until the Cost slice shows the inspector's latest view and it meets condition."""
        qtbot.waitUntil(lambda: pp.view is not None and cs.view is pp.view and condition(pp.view), timeout=10_000)

    window.graph.select("bias", 1, 0, 0)
    shown(lambda v: v.selection == ("bias", 1, 0, 0))
    assert not cs.pin_button.isEnabled()                         # a bias cannot be an axis of the map
    window.graph.select("weight", 1, 0, 1)
    shown(lambda v: v.selection == ("weight", 1, 0, 1))
    assert cs.pin_button.isEnabled() and not cs.unpin_button.isEnabled()
    cs.pin_button.click()
    shown(lambda v: v.second == (1, 0, 1))
    assert not cs.pin_button.isEnabled() and cs.unpin_button.isEnabled()        # already pinned
    window.graph.select("weight", 0, 2, 0)
    shown(lambda v: v.selection == ("weight", 0, 2, 0) and v.surface is not None)
    assert cs.pin_button.isEnabled()                             # pinning this one instead
    cs.unpin_button.click()
    shown(lambda v: v.second is None)
    assert cs.pin_button.isEnabled() and not cs.unpin_button.isEnabled()


def test_layer_space_maps_a_slice_through_a_table_as_the_output_panel_draws_it(window, qtbot, tmp_path):
    from engine import csv_data
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 60))
    path = tmp_path / "t.csv"
    path.write_text("a,b,c,kind\n" + "\n".join(f"{a},{b},{c},{int(a + c > 0)}" for a, b, c in X.T))
    window.use_dataset(csv_data.dataset_from_csv(path, ["a", "b", "c"], "kind", plot_columns=("c", "a")))
    view = window.phase_panels.layer_space
    window.panel("Layer space").setVisible(True)
    window.panel("Layer space").raise_()
    qtbot.waitUntil(lambda: window.snapshot.held_inputs is not None and view.snap is window.snapshot
                    and view.Z is not None and view.point_A.shape[1] == window.snapshot.points_train.shape[1],
                    timeout=30_000)
    snap, data = window.snapshot, window.worker.data
    held = data.X_train.mean(axis=1)
    np.testing.assert_allclose(snap.held_inputs, held)
    inputs = np.repeat(held[:, None], data.m_train, axis=1)      # c and a from the points, b at its mean
    inputs[2], inputs[0] = snap.points_train
    trace = network_of(snap).forward(inputs)
    _lines, points = view.mapped("A")
    np.testing.assert_allclose(points, trace.A[1], rtol=1e-12)
    assert view.caption.text().startswith("The slice through c and a (the other inputs at their training means)")
    assert view.layer_box.isEnabled()


def test_layer_space_hidden_through_an_edit_draws_the_new_network_when_shown(make_window, qtbot):
    # drawn for a layer of one neuron, hidden, the layer grows: its axes then offered neuron 2 of a
    # map that still had one row, and choosing it raised an IndexError
    from explorer.state import AppState
    window = make_window(AppState().replace(hidden=(1,), activations=("tanh",)))
    view = window.phase_panels.layer_space
    dock = window.panel("Layer space")
    dock.setVisible(True)
    dock.raise_()
    qtbot.waitUntil(lambda: view.Z is not None and view.Z.shape[0] == 1, timeout=10_000)
    dock.setVisible(False)
    window.post("add_neuron", 0)
    qtbot.waitUntil(lambda: list(window.snapshot.sizes) == [2, 2, 1], timeout=10_000)
    qtbot.waitUntil(lambda: view.x_box.count() == 2, timeout=10_000)
    dock.setVisible(True)
    dock.raise_()
    view.x_box.setCurrentIndex(1)
    assert view.Z.shape[0] == 2
    trace = network_of(window.snapshot).forward(
        datasets.feature_matrix(np.asarray(window.snapshot.points_train), window.snapshot.features))
    _lines, points = view.mapped("A")
    np.testing.assert_allclose(points, trace.A[1], rtol=1e-12)
    xs, _ys = view.points.getData()
    np.testing.assert_allclose(xs, trace.A[1][1], rtol=1e-12)      # neuron 2 along the horizontal axis
