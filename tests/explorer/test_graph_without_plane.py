"""Data without a 2-D input plane (images, a table of one column): each node of the graph is its
mean activation over the last step's batch, never a heatmap left from earlier data, and a neuron
is not enlarged over a plane that does not exist."""
from types import SimpleNamespace

import numpy as np
from PySide6.QtCore import QPointF, Qt

from explorer.state import load_preset
from explorer.theme import colour_mapped, levels_for
from explorer.views.boundary import BoundaryView


def wait_for(qtbot, predicate, timeout=10_000):
    qtbot.waitUntil(predicate, timeout=timeout)


def digits_after_the_playground(window, qtbot):
    """The playground's heatmaps are drawn first; then the digits preset replaces the network."""
    graph = window.graph
    wait_for(qtbot, lambda: all(im.image is not None and im.image.shape[0] > 1
                                for col in graph._node_items for im in col))
    window.load_preset("digits")
    wait_for(qtbot, lambda: window.snapshot.sizes == (64, 32, 10), timeout=60_000)
    window.post("train", 5)
    wait_for(qtbot, lambda: window.snapshot.step >= 5 and len(window.snapshot.mean_activations) == 3,
             timeout=60_000)
    return window.snapshot


def click_node(graph, column, slot):
    x, y, w, h = graph._node_rects[column][slot]
    scene = graph.vb.mapViewToScene(QPointF(x + w / 2, y + h / 2))
    graph._on_mouse_clicked(SimpleNamespace(button=lambda: Qt.LeftButton, scenePos=lambda: scene,
                                            accept=lambda: None))


def test_each_node_is_its_mean_activation_on_the_last_batch(window, qtbot):
    snap = digits_after_the_playground(window, qtbot)
    graph = window.graph
    means = snap.mean_activations
    assert [m.shape for m in means] == [(64,), (32,), (10,)]
    assert 0.0 <= means[0].min() and means[0].max() <= 1.0          # pixels scaled to 0..1
    assert (means[1] >= 0).all()                                    # relu
    assert np.isclose(means[2].sum(), 1.0, atol=1e-5)               # a softmax's mean sums to 1
    for column, activation in enumerate(("linear", "relu", "softmax")):
        shown = graph._shown[column]
        finite = np.asarray(means[column], np.float64)
        expected = colour_mapped(finite[shown].reshape(-1, 1, 1), levels_for(activation, finite), graph._lut)
        drawn = np.stack([im.image for im in graph._node_items[column]])
        np.testing.assert_array_equal(drawn, expected)              # one colour each, no stale heatmap
    assert "nodes: mean activation on the last step's batch" in graph.scale_label.text()


def test_a_neuron_says_its_mean_activation_and_is_not_enlarged(window, qtbot):
    snap = digits_after_the_playground(window, qtbot)
    graph = window.graph
    j = int(graph._shown[1][0])
    text = graph.describe(("neuron", 1, j, None))
    assert f"mean activation {graph_number(snap.mean_activations[1][j])} on the last step's batch" in text
    assert "enlarge" not in text
    assert "mean value" in graph.describe(("neuron", 0, int(graph._shown[0][0]), None))
    clicked = []
    graph.neuron_clicked.connect(lambda l, jj: clicked.append((l, jj)))
    click_node(graph, 1, 0)
    assert clicked == [(1, j)]
    assert graph._zoom is None or not graph._zoom.isVisible()


def test_an_enlarged_neuron_says_when_its_plane_is_gone(window, qtbot):
    graph = window.graph
    wait_for(qtbot, lambda: window.snapshot.has_plane and graph._node_items[1][0].image is not None)
    click_node(graph, 1, 0)
    assert graph._zoom is not None and graph._zoom.isVisible() and graph._zoom.image.image is not None
    digits_after_the_playground(window, qtbot)
    assert graph._zoom.title.text() == "This data has no 2-D input plane to draw a neuron over."
    assert graph._zoom.image.image is None


def test_a_table_without_plot_columns_is_told_how_to_get_a_plane():
    assert "choose two plot columns" in BoundaryView.no_plane_text(SimpleNamespace(image_shape=None, sizes=(3, 4, 1)))


def graph_number(v):
    from explorer.views.network_graph import fmt
    return fmt(v)


def test_a_lone_unbounded_node_is_scaled_against_the_network_not_by_itself(window, qtbot, tmp_path):
    """A regression's one output, alone in its layer, would fill its own scale and always show full
    colour; it shares the scale of the network's unbounded nodes (here the inputs)."""
    from engine import csv_data
    X = np.random.default_rng(1).uniform(-3.0, 3.0, (100, 3))
    path = tmp_path / "table.csv"
    path.write_text("a,b,c,y\n" + "\n".join(",".join(f"{v:.5f}" for v in (*row, 0.02 * row.sum())) for row in X),
                    encoding="utf-8")
    window.use_dataset(csv_data.dataset_from_csv(path, ["a", "b", "c"], "y"))
    wait_for(qtbot, lambda: window.snapshot.sizes[0] == 3, timeout=30_000)
    window.post("train", 20)
    wait_for(qtbot, lambda: window.snapshot.step >= 20 and len(window.snapshot.mean_activations) == 4, timeout=30_000)
    snap, graph = window.snapshot, window.graph
    assert snap.activations[-1] == "linear" and snap.sizes[-1] == 1
    inputs = np.asarray(snap.mean_activations[0], np.float64)
    output = float(snap.mean_activations[-1][0])
    levels = levels_for("linear", np.append(inputs, output))        # the unbounded nodes' shared scale
    drawn = graph._node_items[len(snap.sizes) - 1][0].image
    np.testing.assert_array_equal(drawn, colour_mapped(np.array([[[output]]]), levels, graph._lut)[0])
    if abs(output) < levels[1]:
        full = colour_mapped(np.array([[[np.sign(output) * levels[1]]]]), levels, graph._lut)[0]
        assert not np.array_equal(drawn, full)
