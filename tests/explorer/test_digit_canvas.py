"""The digit canvas: a drawing reaches the network upright, scaled and centred like the data."""
import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from engine import Network, Trainer, datasets
from explorer.views.digit_canvas import CANVAS, DigitCanvasPanel, network_input, prepare, resize


def seven(canvas):
    """A '7': a bar along the top, then a diagonal down to the bottom left."""
    canvas.stroke([(80, 60), (200, 60), (120, 230)])


@pytest.fixture(scope="module")
def digits_net():
    data = datasets.load("digits")
    net = Network([64, 64, 10], hidden="relu", output="softmax", loss="cce", init="he", seed=0,
                  dtype=np.float32)
    Trainer(net, data, optimizer="adam", lr=1e-2, batch_size=32, seed=0).train(epochs=5)
    return net, data


@pytest.fixture
def panel(qtbot, digits_net):
    net, data = digits_net
    p = DigitCanvasPanel()
    qtbot.addWidget(p)
    p.resize(600, 300)
    p.set_dataset("digits", data.image_shape, data.class_names)
    p.set_network(net)
    return p


def test_digits_input_is_upright_8x8_in_sixteenths(panel):
    seven(panel.canvas)
    panel.classify()
    image = panel.last_input.reshape(8, 8)
    assert panel.last_input.shape == (64, 1) and panel.last_input.dtype == np.float32
    assert image.max() == 1.0 and image.min() == 0.0
    np.testing.assert_allclose(image * 16, np.round(image * 16))      # like the data: counts / 16
    assert image[0].sum() > 4 * image[-1].sum()                        # the bar is on top
    cols = np.arange(8)
    assert (image[-1] @ cols) / image[-1].sum() < (image[1] @ cols) / image[1].sum()   # the tail goes left
    assert image[:, 0].sum() < image[0].sum()                          # not transposed
    assert image.any(axis=1).all()                                     # fills the height like the data


def test_the_network_gets_exactly_the_prepared_image(panel, digits_net):
    net, _ = digits_net
    seven(panel.canvas)
    probs = panel.classify()
    expected = network_input(prepare(panel.canvas.ink(), "digits"))
    np.testing.assert_array_equal(panel.last_input, expected)
    np.testing.assert_allclose(probs, net.predict(expected)[:, 0])
    assert panel.result.predicted == int(np.argmax(probs))
    assert int(np.argmax(probs)) == 7


def test_test_images_drawn_on_the_canvas_get_the_same_answer(panel, digits_net):
    """Orientation and scale end to end: a test image put on the canvas, prepared and classified,
    mostly gets the network's answer for the original (a transposed input agrees about 1 in 10)."""
    net, data = digits_net
    agree = 0
    for i in range(200):
        panel.canvas.set_ink(data.X_test[:, i].reshape(8, 8))
        agree += int(np.argmax(panel.classify())) == int(np.argmax(net.predict(data.X_test[:, [i]])))
    assert agree >= 160


def test_mouse_drawing_puts_ink_where_the_mouse_went(qtbot, panel):
    panel.show()
    qtbot.waitExposed(panel)
    c = panel.canvas
    sq = c._square()

    def at(fx, fy):
        return QPointF(sq.left() + fx * sq.width(), sq.top() + fy * sq.height())

    def send(kind, pos, buttons):
        ev = QMouseEvent(kind, pos, c.mapToGlobal(pos), Qt.LeftButton, buttons, Qt.NoModifier)
        QApplication.sendEvent(c, ev)

    send(QEvent.MouseButtonPress, at(0.5, 0.1), Qt.LeftButton)
    send(QEvent.MouseMove, at(0.5, 0.9), Qt.LeftButton)
    send(QEvent.MouseButtonRelease, at(0.5, 0.9), Qt.NoButton)
    ink = c.ink()
    assert ink[CANVAS // 2, CANVAS // 2] > 0.9          # on the vertical line
    assert ink[CANVAS // 2, CANVAS // 8] == 0.0         # nothing on the left
    qtbot.waitUntil(lambda: panel.last_probs is not None)     # classified live, no button press
    assert int(np.argmax(panel.last_probs)) == 1
    panel.clear_button.click()
    assert not panel.canvas.ink().any()


def test_mnist_style_is_20px_centred_by_mass_in_28x28():
    ink = np.zeros((CANVAS, CANVAS))
    ink[20:120, 30:60] = 1.0                            # a bar in the top-left corner
    img = prepare(ink, "mnist")
    assert img.shape == (28, 28)
    rows, cols = np.flatnonzero(img.any(axis=1)), np.flatnonzero(img.any(axis=0))
    assert rows.size == 20 and cols.size == 6           # longer side 20 px, aspect kept
    cy = (img.sum(axis=1) @ np.arange(28)) / img.sum()
    cx = (img.sum(axis=0) @ np.arange(28)) / img.sum()
    assert abs(cy - 13.5) <= 0.5 and abs(cx - 13.5) <= 0.5
    assert img.max() == pytest.approx(1.0)


def test_fashion_style_fills_the_frame_and_empty_drawings_are_blank():
    ink = np.zeros((CANVAS, CANVAS))
    ink[100:180, 40:240] = 1.0                          # a wide shape
    img = prepare(ink, "fashion-mnist")
    assert np.flatnonzero(img.any(axis=0)).size == 28
    assert not prepare(np.zeros((50, 50)), "mnist").any()
    with pytest.raises(ValueError, match="style"):
        prepare(ink, "cifar")


def test_no_network_for_the_image_size_says_so(qtbot):
    p = DigitCanvasPanel()
    qtbot.addWidget(p)
    p.set_network(Network([2, 3, 2], output="softmax", loss="cce"))
    p.canvas.stroke([(100, 100), (150, 150)])
    assert p.classify() is None and "no network" in p.result.title


def test_resize_keeps_the_mean():
    a = np.random.default_rng(0).random((28, 28))
    assert resize(a, (280, 280)).mean() == pytest.approx(a.mean())
    assert resize(a, (8, 8)).mean() == pytest.approx(a.mean())


def test_empty_canvas_result_asks_for_a_drawing_not_a_test_image(qtbot):
    panel = DigitCanvasPanel()
    qtbot.addWidget(panel)
    assert "Draw" in panel.result.empty_text and "test image" not in panel.result.empty_text


def test_the_hint_stays_on_one_line_and_shortens_in_a_narrow_panel(qtbot):
    panel = DigitCanvasPanel()
    qtbot.addWidget(panel)
    panel.set_dataset("fashion-mnist", (28, 28), tuple(str(i) for i in range(10)))
    panel.resize(900, 300)
    panel.show()
    qtbot.waitUntil(lambda: panel.hint.text() == "28×28, scaled to fill, centred", timeout=3000)
    panel.resize(260, 300)
    qtbot.waitUntil(lambda: panel.hint.text() == "28×28", timeout=3000)
    assert "scaled to fill, centred" in panel.hint.toolTip()
    # the label never asks for the width of its whole text, so it cannot widen the panel
    from PySide6.QtWidgets import QSizePolicy
    assert panel.hint.sizePolicy().horizontalPolicy() == QSizePolicy.Ignored
