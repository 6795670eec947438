"""Image views: each test image shows the network's guess and confidence, wrong ones are marked,
the confusion matrix counts them, and a selected image shows its class probabilities."""
import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine import Network, Trainer, datasets
from explorer.views.image_views import (ClassProbabilities, ImageResults, ImageViewsPanel, TestImageGrid,
                                        compute_results)

# 2×2 images: a bright top-left pixel means "left", a bright bottom-right pixel means "right"
LEFT = np.array([1.0, 0.0, 0.0, 0.0])
RIGHT = np.array([0.0, 0.0, 0.0, 1.0])


@pytest.fixture
def tiny():
    """A hand-wired network whose answer is known for every image, and four test images,
    the last one labelled wrongly on purpose so the network's (right) answer counts as wrong."""
    net = Network([4, 2], hidden="relu", output="softmax", loss="cce", seed=0)
    net.weights[0][:] = [[6.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 6.0]]
    net.biases[0][:] = 0.0
    X = np.stack([LEFT, RIGHT, LEFT, RIGHT], axis=1)
    labels = np.array([0, 1, 0, 0])
    Y = np.eye(2)[labels].T
    data = datasets.Dataset("tiny", "multiclass", X, Y, X, Y, ("p0", "p1", "p2", "p3"), n_classes=2,
                            class_names=("left", "right"), image_shape=(2, 2))
    return net, data


def panel_of(qtbot, tiny) -> ImageViewsPanel:
    """An image panel showing the tiny network's answers, measured at step 3."""
    net, data = tiny
    panel = ImageViewsPanel()
    qtbot.addWidget(panel)
    panel.set_results(compute_results(net, data, step=3))
    return panel


def test_results_come_from_the_network(tiny):
    net, data = tiny
    r = compute_results(net, data, step=7)
    np.testing.assert_array_equal(r.predicted, [0, 1, 0, 1])
    np.testing.assert_allclose(r.probs, net.predict(data.X_test))
    assert r.confidence[0] == pytest.approx(np.exp(6) / (np.exp(6) + 1))
    np.testing.assert_array_equal(r.wrong, [3])
    np.testing.assert_array_equal(r.confusion(), [[2, 1], [0, 1]])
    assert r.accuracy == pytest.approx(0.75)
    np.testing.assert_array_equal(r.images[0], [[1, 0], [0, 0]])     # row 0 on top, as in the data


def test_grid_captions_show_the_guess_and_mark_the_wrong_one(qtbot, tiny):
    panel = panel_of(qtbot, tiny)
    grid = panel.grid
    assert grid.caption(0) == "left 100%"
    assert grid.caption(1) == "right 100%"
    assert grid.caption(3) == "right 100% → left"          # wrong: the true class after the arrow
    assert "75.0%" in panel.summary.text() and "1 wrong" in panel.summary.text()
    panel.show_combo.setCurrentIndex(1)                      # wrong guesses only
    np.testing.assert_array_equal(grid.visible(), [3])


def test_grid_draws_images_upright_and_clicking_selects(qtbot, tiny):
    net, data = tiny
    grid = TestImageGrid(per_page=4)
    qtbot.addWidget(grid)
    grid.resize(400, 400)
    grid.set_results(compute_results(net, data))
    grid.show()
    qtbot.waitExposed(grid)
    img = grid.grab().toImage()
    rect, i = grid._cells[0]
    assert i == 0
    side = min(rect.width(), rect.height())
    # the first image is bright in its top-left quarter only
    tl = img.pixelColor(int(rect.center().x() - side * 0.2), int(rect.top() + side * 0.2)).lightness()
    br = img.pixelColor(int(rect.center().x() + side * 0.2), int(rect.top() + side * 0.55)).lightness()
    assert tl > 200 and br < 60
    with qtbot.waitSignal(grid.image_selected) as sig:
        qtbot.mouseClick(grid, Qt.LeftButton,
                         pos=grid._cells[1][0].center().toPoint())
    assert sig.args == [1]


def test_selected_image_shows_its_class_probabilities(qtbot, tiny):
    net, data = tiny
    panel = panel_of(qtbot, tiny)
    panel.select_image(1)
    probs = panel.probabilities
    assert probs.predicted == 1 and probs.true_class == 1
    np.testing.assert_allclose(probs.probs, net.predict(data.X_test[:, [1]])[:, 0])
    assert "right" in probs.title and "(100%, right)" in probs.title
    panel.select_image(3)
    assert probs.title.endswith("wrong)")


def test_confusion_cell_lists_its_images(qtbot, tiny):
    panel = panel_of(qtbot, tiny)
    panel.confusion.cell_selected.emit(0, 1)               # true left, guessed right
    np.testing.assert_array_equal(panel.grid.visible(), [3])
    assert "the grid shows: true left, guessed right" in panel.summary.text()
    assert panel.page_label.text() == "page 1/1 · 1 image"


def test_weight_images_are_the_first_layer_rows(qtbot, tiny):
    net, data = tiny
    panel = panel_of(qtbot, tiny)
    np.testing.assert_array_equal(panel.weights.weights, net.weights[0])
    np.testing.assert_array_equal(panel.weights.shown_neurons(), [0, 1])


def test_the_bar_shows_the_controls_of_the_tab_in_front(qtbot, tiny):
    panel = panel_of(qtbot, tiny)
    panel.show()
    paging = (panel.show_combo, panel.prev_button, panel.page_label, panel.next_button)
    assert all(w.isVisible() for w in paging) and not panel.strongest.isVisible()
    panel.tabs.setCurrentWidget(panel.weights)
    assert panel.strongest.isVisible() and not any(w.isVisible() for w in paging)
    panel.tabs.setCurrentWidget(panel.confusion)
    assert not panel.strongest.isVisible() and not any(w.isVisible() for w in paging)


def test_trained_digits_network_gets_a_known_image_right(qtbot):
    data = datasets.load("digits")
    net = Network([64, 32, 10], hidden="relu", output="softmax", loss="cce", init="he", seed=0,
                  dtype=np.float32)
    Trainer(net, data, optimizer="adam", lr=1e-2, batch_size=32).train(epochs=3)
    r = compute_results(net, data)
    right = np.flatnonzero(r.predicted == data.labels_test)
    i = int(right[0])
    panel = ImageViewsPanel()
    qtbot.addWidget(panel)
    panel.set_results(r)
    panel.select_image(i)
    label = int(data.labels_test[i])
    assert panel.probabilities.predicted == label
    assert panel.grid.caption(i).startswith(f"{label} ")
    assert r.accuracy > 0.9


def test_mismatched_results_are_refused():
    with pytest.raises(ValueError, match="must agree"):
        ImageResults(np.zeros((3, 2, 2)), np.zeros(2, int), np.zeros((2, 3)), ("a", "b"))
    with pytest.raises(ValueError, match="not an image"):
        compute_results(Network([2, 1]), datasets.make("circle", n=20))


def test_captions_shorten_to_fit_narrow_cells(qtbot, tiny):
    from PySide6.QtGui import QFontMetrics
    panel = panel_of(qtbot, tiny)
    grid = panel.grid
    metrics = QFontMetrics(grid.font())
    assert grid.fitted_caption(3, 1000, metrics) == "right 100% → left"           # room for everything
    assert grid.fitted_caption(3, metrics.horizontalAdvance("right 100%") + 4, metrics) == "right 100%"
    shortened = metrics.elidedText("right", Qt.ElideRight, metrics.horizontalAdvance("ri…") + 1)
    assert shortened == "ri…"
    assert grid.fitted_caption(3, metrics.horizontalAdvance("ri… 100%") + 3, metrics) == "ri… 100%"  # the guess cut
    assert grid.fitted_caption(3, metrics.horizontalAdvance("100%") + 2, metrics) == "100%"   # the confidence
    assert grid.fitted_caption(3, metrics.horizontalAdvance("100") + 2, metrics) == "100"     # without its %
    assert grid.fitted_caption(3, 6, metrics) == ""             # nothing rather than text over the next cell


def test_hovering_a_test_image_tells_its_answer_in_full(qtbot, tiny):
    panel = panel_of(qtbot, tiny)
    grid = panel.grid
    assert grid.describe(0) == "test image 0: the network says left (100%), correct"
    assert grid.describe(3) == "test image 3: the network says right (100%), wrong: it is left"
    panel.resize(600, 400)
    panel.show()
    qtbot.waitExposed(panel)
    grid.grab()                                               # painted: its cells are where they are drawn
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip
    rect = next(rect for rect, item in grid._cells if item == 3)
    pos = QPoint(int(rect.center().x()), int(rect.center().y()))
    QApplication.sendEvent(grid, QHelpEvent(QEvent.ToolTip, pos, grid.mapToGlobal(pos)))
    assert QToolTip.text() == grid.describe(3)


def test_a_narrow_grid_writes_its_captions_smaller_and_a_short_panel_its_class_rows(qtbot):
    from PySide6.QtGui import QFontMetrics

    from engine.images import FASHION_CLASSES
    from explorer.views.image_views import MIN_CAPTION_PX
    grid = TestImageGrid()
    qtbot.addWidget(grid)
    wide, narrow = grid.caption_font(80, 17), grid.caption_font(26, 17)
    assert wide.pixelSize() == int(17 * 0.8)
    assert MIN_CAPTION_PX <= narrow.pixelSize() < wide.pixelSize()
    assert QFontMetrics(narrow).horizontalAdvance("100%") <= 26 - 2
    assert grid.caption_font(5, 17).pixelSize() == MIN_CAPTION_PX          # never below 7 px
    view = ClassProbabilities()
    qtbot.addWidget(view)
    view.set_image(np.zeros((28, 28)), np.full(10, 0.1), FASHION_CLASSES)
    assert QFontMetrics(view.row_font(12.0)).height() <= 12.0
    assert view.row_font(12.0).pixelSize() >= MIN_CAPTION_PX


def test_summary_says_when_only_part_of_the_test_set_is_shown(qtbot, tiny):
    net, data = tiny
    panel = ImageViewsPanel()
    qtbot.addWidget(panel)
    panel.set_results(compute_results(net, data, step=3, limit=2))
    assert f"on the first 2 of {data.m_test} test images" in panel.summary.text()
    panel.set_results(compute_results(net, data, step=3))
    assert "on the first" not in panel.summary.text()


def test_class_names_keep_their_full_width_in_a_narrow_panel(qtbot):
    from engine.images import FASHION_CLASSES
    view = ClassProbabilities()
    qtbot.addWidget(view)
    view.resize(300, 260)
    probs = np.full(10, 0.1)
    view.set_image(np.zeros((28, 28)), probs, FASHION_CLASSES, true_class=9)
    fm = view.fontMetrics()
    side, left, label_w, percent_w = view.columns(fm, fm.height() + 4)
    assert label_w >= fm.horizontalAdvance("Ankle boot ✓") + 6     # no name is cut short
    assert side > 40                                                # and the image is still there
    assert left + label_w + percent_w < view.width()


def test_a_narrow_grid_pages_through_fewer_larger_images(qtbot, tiny):
    from explorer.views.image_views import MIN_CELL_PX
    net, data = tiny
    grid = TestImageGrid(per_page=3)         # the tiny set has 4 test images
    qtbot.addWidget(grid)
    grid.set_results(compute_results(net, data))
    grid.resize(400, 400)
    grid.show()
    qtbot.waitExposed(grid)
    assert grid.per_page == 3 and grid.n_pages == 2
    grid.set_page(1)
    assert list(grid.visible()) == [3]
    with qtbot.waitSignal(grid.page_size_changed):
        grid.resize(MIN_CELL_PX + 10, 2 * MIN_CELL_PX + 10)    # room for two readable cells
    assert grid.per_page == 2 and grid.page == 1
    assert list(grid.visible()) == [2, 3]    # the image that was in view still is
    grid.repaint()
    assert all(rect.width() >= MIN_CELL_PX and rect.height() >= MIN_CELL_PX for rect, _ in grid._cells)


def test_the_page_count_follows_the_grid_page_size(qtbot, tiny):
    panel = panel_of(qtbot, tiny)
    assert panel.page_label.text() == "page 1/1 · 4 images"
    panel.grid.per_page = 3
    panel.grid.page_size_changed.emit()
    assert panel.page_label.text() == "page 1/2 · 4 images"


def test_a_narrow_confusion_matrix_numbers_its_classes_instead_of_eliding_them(qtbot):
    from engine.images import FASHION_CLASSES
    from explorer.views.image_views import ConfusionMatrixView
    view = ConfusionMatrixView()
    qtbot.addWidget(view)
    view.class_names = FASHION_CLASSES
    view.counts = np.eye(10, dtype=np.int64)
    fm = view.fontMetrics()
    view.resize(360, 240)                                    # cells too small for "T-shirt/top"
    columns, rows, label_w, size = view.labels_and_sizes(fm)
    assert columns == [str(i) for i in range(10)]
    assert rows[0] == "T-shirt/top 0" and rows[9] == "Ankle boot 9"
    assert label_w >= fm.horizontalAdvance("Ankle boot 9") + 8 and 10 * size + label_w <= view.width()
    view.resize(1400, 1100)                                  # room for every name over its column
    columns, rows, _, size = view.labels_and_sizes(fm)
    assert columns == rows == list(FASHION_CLASSES)
    assert all(fm.horizontalAdvance(n) <= size for n in columns)
    view.class_names = tuple("0123456789")                   # digits' names always fit
    view.resize(200, 200)
    assert view.labels_and_sizes(fm)[0] == list("0123456789")
    view.grab()                                              # and it paints
