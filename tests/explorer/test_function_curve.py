"""A table of one input column has no plane: the Output panel draws the network as a function of
that input, a line per output over the column's range, with the data as dots (regression targets
at their value, two classes at the output's two ends, several classes a row each under the lines)."""
import numpy as np

from engine import csv_data

STEPS = 300


def one_column_table(tmp_path, labels_of):
    """A CSV of one input column x and a label column; labels_of(x) gives the labels."""
    x = np.random.default_rng(0).uniform(-3.0, 3.0, 120)
    path = tmp_path / "one.csv"
    path.write_text("x,label\n" + "\n".join(f"{a:.6f},{b}" for a, b in zip(x, labels_of(x))), encoding="utf-8")
    return csv_data.dataset_from_csv(path, ["x"], "label")


def trained_on(window, qtbot, data):
    window.use_dataset(data)
    qtbot.waitUntil(lambda: window.snapshot.sizes[0] == 1 and window.snapshot.curve is not None, timeout=30_000)
    window.post("train", STEPS)
    qtbot.waitUntil(lambda: window.snapshot.step >= STEPS and window.boundary.function_plot.isVisible(),
                    timeout=60_000)
    return window.snapshot


def drawn_count(item):
    xs = item.getData()[0]
    return 0 if xs is None else len(xs)


def assert_lines_are_the_network(window, lines):
    """Each drawn line is the network's output at the line's inputs, spanning the data's range."""
    net = window.worker.trainer.net
    data = window.worker.data
    every = np.concatenate([data.X_train[0], data.X_test[0]])
    for c, line in enumerate(lines):
        xs, ys = line.getData()
        assert xs[0] < every.min() and xs[-1] > every.max()
        np.testing.assert_allclose(ys, net.predict(np.asarray(xs)[None, :])[c], rtol=1e-6, atol=1e-9)


def test_two_classes_are_a_probability_line_with_the_points_at_its_two_ends(window, qtbot, tmp_path):
    data = one_column_table(tmp_path, lambda x: np.where(x > 0.5, "yes", "no"))
    snap = trained_on(window, qtbot, data)
    view = window.boundary
    assert not view.plot.isVisible() and not view.empty.isVisible()
    assert snap.curve.input_name == "x"
    assert_lines_are_the_network(window, [view.prediction])
    assert all(drawn_count(line) == 0 for line in view.class_lines)
    px, py = view.function_train.getData()
    np.testing.assert_array_equal(px, data.X_train[0])
    np.testing.assert_array_equal(py, data.labels_train.astype(float))        # "no" at 0, "yes" at 1
    assert "no (orange) at 0, yes (blue) at 1" in view.legend.text()
    assert view.function_plot.getPlotItem().getAxis("left").labelText == "ŷ"
    window.post("loss", "mse")                                  # a tanh output: targets stay 0 and 1
    window.post("activation", len(snap.sizes) - 2, "tanh")
    qtbot.waitUntil(lambda: window.snapshot.activations[-1] == "tanh"
                    and view.function_plot.getViewBox().viewRange()[1][0] < -1.0, timeout=20_000)
    np.testing.assert_array_equal(view.function_train.getData()[1], data.labels_train.astype(float))
    assert_lines_are_the_network(window, [view.prediction])


def test_several_classes_are_a_line_each_and_a_row_of_points_each(window, qtbot, tmp_path):
    data = one_column_table(tmp_path, lambda x: np.array(["high", "low", "mid"])[np.digitize(x, [-1.0, 1.0])])
    trained_on(window, qtbot, data)
    view = window.boundary
    assert drawn_count(view.prediction) == 0
    assert_lines_are_the_network(window, view.class_lines[:3])
    px, py = view.function_train.getData()
    np.testing.assert_array_equal(px, data.X_train[0])
    np.testing.assert_allclose(py, -0.05 * (data.labels_train + 1))             # class c's row at −0.05(c+1)
    legend = view.legend.text()
    assert "each class's probability over x" in legend
    assert all(name in legend for name in ("high", "low", "mid"))


def test_regression_is_a_line_through_the_targets_and_the_test_points_follow_the_option(window, qtbot, tmp_path):
    data = one_column_table(tmp_path, lambda x: np.round(np.sin(x), 4))
    trained_on(window, qtbot, data)
    view = window.boundary
    assert_lines_are_the_network(window, [view.prediction])
    px, py = view.function_train.getData()
    np.testing.assert_allclose(py, data.Y_train[0])
    assert drawn_count(view.function_test) == 0
    view.show_test.setChecked(True)
    tx, ty = view.function_test.getData()
    np.testing.assert_array_equal(tx, data.X_test[0])
    np.testing.assert_allclose(ty, data.Y_test[0])
    assert "dots: the targets" in view.legend.text()


def test_a_playground_dataset_afterwards_gets_its_plane_back(window, qtbot, tmp_path):
    trained_on(window, qtbot, one_column_table(tmp_path, lambda x: np.where(x > 0.5, "yes", "no")))
    window.post("data", {"dataset": "circle", "features": ("x1", "x2")})
    view = window.boundary
    qtbot.waitUntil(lambda: window.snapshot.curve is None and view.plot.isVisible()
                    and not view.function_plot.isVisible(), timeout=30_000)


def test_each_node_of_the_graph_is_a_strip_of_its_value_over_the_input(window, qtbot, tmp_path):
    from explorer.theme import colour_mapped, levels_for, levels_of_each
    trained_on(window, qtbot, one_column_table(tmp_path, lambda x: np.round(np.sin(x), 4)))
    snap, graph = window.snapshot, window.graph
    curve = snap.curve
    net = window.worker.trainer.net
    trace = net.forward(np.asarray(curve.xs)[None, :])
    for l, a in enumerate(curve.activations):
        np.testing.assert_allclose(a, trace.A[l + 1], rtol=1e-6, atol=1e-12)
    xs = np.asarray(curve.xs, np.float64)
    np.testing.assert_array_equal(graph._node_items[0][0].image,
                                  colour_mapped(xs[None, None, :], levels_for("linear", xs), graph._lut)[0])
    for column in range(1, len(snap.sizes)):
        strips = np.asarray(curve.activations[column - 1])[graph._shown[column], None, :]
        expected = colour_mapped(strips, levels_of_each(snap.activations[column - 1], strips), graph._lut)
        np.testing.assert_array_equal(np.stack([im.image for im in graph._node_items[column]]), expected)
    assert "nodes: each one over x" in graph.scale_label.text()
    values = curve.activations[0][0]
    hover = graph.describe(("neuron", 1, 0, None))
    assert f"from {fmt(values.min())} to {fmt(values.max())} over x" in hover and "click to enlarge" in hover
    assert "mean activation" not in hover


def test_an_enlarged_neuron_is_its_activation_as_a_line_over_the_input(window, qtbot, tmp_path):
    trained_on(window, qtbot, one_column_table(tmp_path, lambda x: np.where(x > 0.5, "yes", "no")))
    graph = window.graph
    graph.enlarge(1, 2)
    zoom = graph._zoom
    curve = window.snapshot.curve
    xs, ys = zoom.line.getData()
    np.testing.assert_array_equal(xs, curve.xs)
    np.testing.assert_array_equal(ys, curve.activations[0][2])
    assert zoom.title.text().startswith("neuron 3 of layer 1 (tanh): step")
    assert zoom.image.image is None
    window.post("data", {"dataset": "circle", "features": ("x1", "x2")})      # a plane again: a heatmap
    qtbot.waitUntil(lambda: window.snapshot.has_plane and zoom.image.image is not None, timeout=30_000)
    assert zoom.line.getData()[0] is None or len(zoom.line.getData()[0]) == 0


def fmt(v):
    from explorer.views.network_graph import fmt as graph_number
    return graph_number(v)
