"""Neuron heatmaps are coloured once, in NumPy, exactly as an image item with a lookup table would
colour them; and an edit of the network keeps what it does not change."""
import numpy as np
import pyqtgraph as pg

from explorer.theme import DARK, LIGHT, colour_mapped, levels_for, levels_of_each


def _rendered(image: pg.ImageItem) -> np.ndarray:
    """The RGB pixels an image item paints."""
    image.render()
    q = image.qimage.convertToFormat(image.qimage.Format.Format_RGB888)
    h, w = q.height(), q.width()
    raw = np.frombuffer(q.constBits(), np.uint8, count=q.bytesPerLine() * h).reshape(h, q.bytesPerLine())
    return raw[:, :3 * w].reshape(h, w, 3).copy()


def test_colour_mapped_paints_what_an_image_item_with_the_table_paints(qtbot):
    rng = np.random.default_rng(0)
    values = rng.uniform(-3, 3, (20, 20)).astype(np.float32)
    values[0, :4] = [-3.0, 3.0, -1.5, 1.5]            # both ends of the levels and beyond them
    values[1, :2] = [-10.0, 10.0]
    for theme, levels in ((LIGHT, (-2.0, 2.0)), (DARK, (-0.5, 2.5)), (LIGHT, (0.0, 1.0))):
        lut = theme.diverging_lut()
        with_table = pg.ImageItem(axisOrder="row-major")
        with_table.setLookupTable(lut)
        with_table.setImage(values, levels=levels, autoLevels=False)
        mapped = pg.ImageItem(axisOrder="row-major")
        mapped.setImage(colour_mapped(values, levels, lut), levels=None)
        np.testing.assert_array_equal(_rendered(mapped), _rendered(with_table))


def test_a_stack_is_coloured_as_each_image_alone_with_its_own_levels():
    rng = np.random.default_rng(1)
    stack = rng.normal(0, 2, (5, 6, 7)).astype(np.float32)
    stack[3] *= 1e-13                                 # too flat to scale: levels ±1
    stack[4, 0, 0] = np.inf                           # a diverging run: scaled by the finite values
    lut = DARK.diverging_lut()
    for activation in ("relu", "tanh"):
        lows, highs = levels_of_each(activation, stack)
        assert [(lo, hi) for lo, hi in zip(lows, highs)] == [levels_for(activation, im) for im in stack]
        together = colour_mapped(stack, (lows, highs), lut)
        for image, lo, hi, colours in zip(stack, lows, highs, together):
            np.testing.assert_array_equal(colours, colour_mapped(image, (lo, hi), lut))


def test_colour_mapped_handles_nan_infinity_and_flat_levels():
    lut = LIGHT.diverging_lut()
    shown = colour_mapped(np.array([[np.nan, np.inf, -np.inf, 3e38]], np.float32), (-3e38, 3e38), lut)
    np.testing.assert_array_equal(shown[0, :, :3], [lut[128], lut[-1], lut[0], lut[-1]])
    assert (shown[..., 3] == 255).all()
    flat = colour_mapped(np.zeros((2, 2)), (0.0, 0.0), lut)
    assert flat.shape == (2, 2, 4) and (flat[..., :3] == lut[0]).all()


def test_adding_a_neuron_keeps_the_other_layers_headers_and_reuses_node_images(window, qtbot):
    graph = window.graph
    qtbot.waitUntil(lambda: window.snapshot is not None and bool(graph._headers), timeout=10_000)
    sizes = list(window.snapshot.sizes)
    before = list(graph._headers)
    images_before = {id(im) for col in graph._node_items for im in col}
    window.graph.neuron_add_requested.emit(1)          # hidden layer 2
    qtbot.waitUntil(lambda: list(window.snapshot.sizes) != sizes, timeout=10_000)
    qtbot.waitUntil(lambda: [len(c) for c in graph._node_items] == list(window.snapshot.sizes), timeout=10_000)
    after = graph._headers
    changed = 2                                        # its header: column 2
    assert all(after[i] is before[i] for i in range(len(before)) if i != changed)
    assert after[changed] is not before[changed] and after[changed].label.toolTip().startswith(f"{sizes[2] + 1} ")
    images_after = [im for col in graph._node_items for im in col]
    assert len(images_after) == sum(window.snapshot.sizes)
    # every image drawn before is drawn again (one more is new), and none is left hidden
    assert images_before <= {id(im) for im in images_after}
    assert all(im.isVisible() for im in images_after) and not graph._spare_nodes
    # a neuron fewer: one image goes spare, hidden
    window.graph.neuron_remove_requested.emit(1)
    qtbot.waitUntil(lambda: list(window.snapshot.sizes) == sizes, timeout=10_000)
    qtbot.waitUntil(lambda: [len(c) for c in graph._node_items] == sizes, timeout=10_000)
    assert len(graph._spare_nodes) == 1 and not graph._spare_nodes[0].isVisible()
