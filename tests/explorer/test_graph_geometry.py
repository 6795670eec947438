"""Each neuron's heatmap fills exactly its node on the graph, whatever the view shows."""
import numpy as np


def _image_rects(graph):
    """(drawn rect, node rect) for every node image, in the graph's view coordinates."""
    pairs = []
    for column, items in enumerate(graph._node_items):
        for slot, im in enumerate(items):
            drawn = im.mapRectToParent(im.boundingRect())
            pairs.append(((drawn.x(), drawn.y(), drawn.width(), drawn.height()),
                          tuple(graph._node_rects[column][slot])))
    return pairs


def _assert_nodes_fill_their_rects(graph):
    pairs = _image_rects(graph)
    assert pairs, "the graph draws no neuron"
    for drawn, node in pairs:
        np.testing.assert_allclose(drawn, node, atol=1e-6)


def test_heatmaps_fill_their_nodes_in_both_views(window, qtbot):
    graph = window.graph
    qtbot.waitUntil(lambda: all(im.image is not None for col in graph._node_items for im in col), timeout=10_000)
    _assert_nodes_fill_their_rects(graph)
    graph.grad_check.setChecked(True)            # the gradient view draws one value per node
    window.post("step")
    qtbot.waitUntil(lambda: window.snapshot.step >= 1 and graph._node_items[1][0].image.shape[:2] == (1, 1),
                    timeout=10_000)
    _assert_nodes_fill_their_rects(graph)
    graph.grad_check.setChecked(False)           # and back to heatmaps
    qtbot.waitUntil(lambda: graph._node_items[1][0].image.shape[:2] != (1, 1), timeout=10_000)
    _assert_nodes_fill_their_rects(graph)


def test_heatmap_levels_stay_finite_when_a_diverging_run_leaves_inf_or_nan():
    from explorer.theme import levels_for
    image = np.array([[0.5, -2.0], [np.inf, np.nan]])
    assert levels_for("relu", image) == (-2.0, 2.0)
    assert levels_for("relu", np.full((2, 2), np.nan)) == (-1.0, 1.0)
    assert levels_for("tanh", image) == (-1.0, 1.0)


def test_the_headers_of_a_deep_network_never_overlap(make_window, qtbot):
    from explorer.state import AppState
    win = make_window(AppState().replace(hidden=(6,) * 8, activations=("tanh",) * 8))
    qtbot.waitUntil(lambda: len(win.snapshot.sizes) == 10, timeout=10_000)
    for width in (1400, 1100):
        win.resize(width, 900)
        qtbot.wait(200)
        boxes = [h.geometry() for h in win.graph._headers]
        assert len(boxes) == 10
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not a.intersects(b), (width, a, b)
        assert all(box.width() >= 60 for box in boxes)


def test_a_layer_of_up_to_32_is_drawn_in_full_while_the_graph_is_tall_enough(make_window, qtbot):
    from explorer.state import AppState
    from explorer.views.network_graph import MIN_FULL_NODE_PX
    win = make_window(AppState().replace(hidden=(24,), activations=("tanh",)))
    graph = win.graph
    qtbot.waitUntil(lambda: list(win.snapshot.sizes) == [2, 24, 1], timeout=10_000)
    win.resize(1400, 1300)                     # a tall graph: all 24 neurons, each node legible
    qtbot.waitUntil(lambda: len(graph._shown[1]) == 24, timeout=10_000)
    assert not graph._layouts[1].collapsed
    assert min(r[3] for r in graph._node_rects[1]) >= MIN_FULL_NODE_PX
    graph.select("weight", 0, 23, 1)
    win.resize(1400, 700)                      # too short for 24 legible nodes: the strongest are drawn
    qtbot.waitUntil(lambda: graph._layouts[1].collapsed, timeout=10_000)
    assert len(graph._shown[1]) < 24 and 23 in graph._shown[1]
    assert graph._selected == ("weight", 0, 23, 1)          # the selection survives the new drawing
    win.resize(1400, 1300)
    qtbot.waitUntil(lambda: len(graph._shown[1]) == 24, timeout=10_000)
    assert graph._selected == ("weight", 0, 23, 1)


def _text_fits(combo):
    """Whether the combo box draws its current text whole, not elided."""
    from PySide6.QtWidgets import QStyle, QStyleOptionComboBox
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(QStyle.CC_ComboBox, option, QStyle.SC_ComboBoxEditField, combo)
    return combo.fontMetrics().horizontalAdvance(combo.currentText()) <= field.width()


def test_the_output_header_shows_its_whole_activation_in_a_small_window(make_window, qtbot):
    # 1280×720 with three hidden layers of a 7-input network: the output's header used to get the
    # width of one column's share and cut "sigmoid" to "sigmoi…"; it may use the strip to its end
    from engine.datasets import FEATURES
    from explorer.state import AppState
    win = make_window(AppState().replace(features=FEATURES, hidden=(8, 8, 5), activations=("tanh",) * 3),
                      size=(1280, 720))
    qtbot.waitUntil(lambda: len(win.snapshot.sizes) == 5, timeout=10_000)
    qtbot.wait(200)
    headers = win.graph._headers
    output = headers[-1]
    assert output.combo.currentText() == "sigmoid"
    assert _text_fits(output.combo)
    assert output.geometry().right() <= win.graph.header.width()
    boxes = [h.geometry() for h in headers]
    assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
