"""A network whose numbers overflow (huge but finite weights make inf − inf = NaN in places) is
drawn and inspected without numeric warnings on the console."""
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from engine import Network, Trainer, datasets
from explorer.inspector import Inspector
from explorer.theme import drawable, within_levels

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def test_drawable_puts_nan_at_the_middle_of_the_levels_and_leaves_other_images_alone():
    image = np.array([[0.5, np.nan], [np.inf, -2.0]], np.float32)
    shown = drawable(image, (-1.0, 3.0))
    assert shown.dtype == np.float32
    np.testing.assert_array_equal(shown, [[0.5, 1.0], [np.inf, -2.0]])
    finite = np.ones((2, 2))
    assert drawable(finite, (0, 1)) is finite


def test_a_neuron_heatmap_with_nan_renders_without_warnings(qtbot):
    import pyqtgraph as pg

    from explorer.views.network_graph import NetworkGraphView
    from explorer.theme import LIGHT
    image = pg.ImageItem(axisOrder="row-major")
    lut = LIGHT.diverging_lut()
    graph = SimpleNamespace(_node_rects=[[(0.0, 0.0, 1.0, 1.0)]], _lut=lut, _node_items=[[image]])
    NetworkGraphView._set_node_images(graph, 0, np.array([[[0.0, np.nan], [np.inf, -1.0]]]), (-1.0, 1.0))
    image.render()                                  # pyqtgraph warned here on NaN
    assert image.qimage is not None
    np.testing.assert_array_equal(image.image[0, 1], [*lut[128], 255])       # NaN: the middle colour
    np.testing.assert_array_equal(image.image[1, 0], [*lut[-1], 255])        # inf: the last


def test_the_cost_surface_of_an_overflowing_network_has_finite_levels(qtbot):
    from explorer.views.cost_slice import CostSliceView
    view = CostSliceView()
    qtbot.addWidget(view)
    costs = np.array([[0.5, 0.7, np.inf], [0.6, np.nan, 0.9], [0.4, 0.8, 1.0]])
    surface = {"values1": np.linspace(-1, 1, 3), "values2": np.linspace(-1, 1, 3), "costs": costs}
    inspected = SimpleNamespace(surface=surface, second=(1, 0, 0), second_value=0.0,
                                slice=SimpleNamespace(w=0.0))
    view._show_surface(inspected, "w")
    # drawn as fractions of the finite range 0.4 … 1.0, which the caption gives
    assert tuple(view.image.levels) == (0.0, 1.0)
    np.testing.assert_allclose(view.image.image, [[1 / 6, 0.5, 1.0], [1 / 3, 1.0, 5 / 6], [0.0, 2 / 3, 1.0]],
                               rtol=1e-6)
    assert "from 0.4 (dark) to 1 (yellow)" in view.caption.text()
    view.image.render()


@pytest.mark.parametrize("costs, caption", [
    ([[0.0, 1e-40], [2e-40, 0.0]], "from 0 (dark) to 2e−40 (yellow)"),         # a range too narrow for float32
    ([[1.0, 1e300], [5.0, 2.0]], "from 1 (dark) to 1e300 (yellow)"),          # a cost too large for float32
    ([[0.6931471805599453, 0.6931471805599454]] * 2, "flat at 0.693147"),       # rounding, not a range
])
def test_a_cost_surface_of_any_finite_range_renders_without_warnings(qtbot, costs, caption):
    from explorer.views.cost_slice import CostSliceView
    view = CostSliceView()
    qtbot.addWidget(view)
    surface = {"values1": np.linspace(-1, 1, 2), "values2": np.linspace(-1, 1, 2), "costs": np.array(costs)}
    inspected = SimpleNamespace(surface=surface, second=(1, 0, 0), second_value=0.0,
                                slice=SimpleNamespace(w=0.0))
    view._show_surface(inspected, "w")
    image = view.image.image
    assert image.dtype == np.float32 and image.min() >= 0 and image.max() <= 1
    assert caption in view.caption.text()
    if "flat" in caption:
        assert not view.isos and not image.any()
    else:
        assert image.max() == 1 and image.min() == 0 and len(view.isos) == 7
    view.image.render()


def test_the_chain_rule_of_a_network_whose_numbers_overflow_is_published_without_warnings():
    # the forward pass stays finite (tiny first weights), the backward one grows 1e120 per layer
    net = Network([2, 6, 6, 6, 6, 1], hidden="relu", output="sigmoid", loss="bce", seed=0)
    for q, w in enumerate(net.weights):
        w[:] = 1e-300 if q == 0 else 1e120
    trainer = Trainer(net, datasets.make("circle", n=40, seed=0), optimizer="sgd", lr=0.1, batch_size=8)
    worker = SimpleNamespace(trainer=trainer, _last_result=None, _arch_version=0, _data_version=0, _playing=False)
    inspector = Inspector()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        inspector.handle(worker, "select", "weight", 0, 1, 0)
    view = inspector.latest()
    assert view.chain is not None and not np.isfinite(view.chain.engine_value)


def test_the_boundary_of_a_linear_output_whose_values_overflow_has_a_finite_colour_scale(qtbot):
    from explorer.views.boundary import BoundaryView
    view = BoundaryView()
    qtbot.addWidget(view)
    grid = np.array([[[0.5, -3.0], [np.inf, np.nan]]])
    snap = SimpleNamespace(activations=("tanh", "linear"), kind="classification", labels_train=None, grid_output=grid)
    assert view._levels(snap) == (-3.0, 3.0)
    snap.grid_output = np.zeros((1, 2, 2))
    assert view._levels(snap) == (-1.0, 1.0)          # an all-zero output still has a scale


def test_within_levels_clips_in_float64_and_puts_nan_at_the_middle():
    image = np.array([[3e38, -np.inf], [np.nan, 0.5]], np.float32)
    shown = within_levels(image, (-2.0, 2.0))
    assert shown.dtype == np.float64
    np.testing.assert_array_equal(shown, [[2.0, -2.0], [0.0, 0.5]])


def test_the_output_and_a_neuron_of_a_diverging_regression_render_without_warnings(make_window, qtbot):
    # the snapshot's grids are float32: a diverging network's output there is ±inf or near ±3e38,
    # which an image item rescaling in float32 against the targets' levels would overflow
    from dataclasses import replace

    from explorer.state import AppState
    window = make_window(AppState().replace(dataset="plane"))
    snap = window.snapshot
    assert snap.kind == "regression" and snap.grid_output.dtype == np.float32
    huge = np.full_like(snap.grid_output, 3e38)
    huge[..., 0, :] = -np.inf
    huge[..., 1, :] = np.nan
    window.boundary.update_snapshot(replace(snap, serial=snap.serial + 1, grid_output=huge))
    shown = window.boundary.image.image
    lo, hi = window.boundary.image.levels
    assert shown.min() == lo < 0 < hi == shown.max() and np.isfinite(shown).all()
    window.boundary.image.render()
    window.graph.enlarge(1, 0)                                  # the first hidden layer's first neuron
    acts = tuple(np.where(np.arange(a.shape[-1]) % 2, np.float32(3e38), np.float32(-3e38)).astype(np.float32)
                 * np.ones_like(a) for a in snap.grid_activations)
    zoom = window.graph._zoom
    zoom.update_snapshot(replace(snap, serial=snap.serial + 2, grid_activations=acts))
    assert np.isfinite(zoom.image.image).all()
    zoom.image.render()


def test_a_slope_too_steep_to_draw_leaves_out_the_tangent_and_keeps_the_curve(qtbot):
    from explorer.inspector import SliceInfo
    from explorer.views.cost_slice import CostSliceView
    view = CostSliceView()
    qtbot.addWidget(view)
    values = np.linspace(-1e300, 1e300, 5)
    sl = SliceInfo(values=values, costs=np.array([3.0, 2.0, 1.0, 2.0, 3.0]), w=0.0, cost=1.0, slope=1e300,
                   new_w=-1e299, new_cost=2.5)
    view.set_view(SimpleNamespace(slice=sl, surface=None, chain=None, batch_source="the batch",
                                  selection=("weight", 0, 0, 0), second=None))
    assert len(view.curve.getData()[0]) == 5
    assert len(view.tangent.getData()[0] or []) == 0 and len(view.step_line.getData()[0] or []) == 0
    assert view.current.getData()[0][0] == 0.0


def test_the_graph_draws_overflowed_gradients_within_its_scales(make_window, qtbot):
    window = make_window()
    graph = window.graph
    graph.grad_check.setChecked(True)
    snap = window.snapshot
    weights = [np.where(np.arange(w.size).reshape(w.shape) % 3 == 0, np.inf,
                        np.where(np.arange(w.size).reshape(w.shape) % 3 == 1, np.nan, 0.5)) for w in snap.weights]
    biases = [np.full(b.shape, np.nan) for b in snap.biases]
    dz = [np.full(n, np.inf) for n in snap.sizes[1:]]
    graph.set_pass_gradients(snap.step, {l: (w, b, d) for l, (w, b, d) in enumerate(zip(weights, biases, dz))})
    qtbot.wait(50)
    assert "∞" in graph.scale_label.text()           # the label says how large; the drawing stays in scale
