"""The Gradient norms panel: ‖dWˡ‖ of each layer as bars on a log scale, with the ratio of the first
to the last, and a diverging network's overflowed norms drawn without numeric warnings."""
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtGui import QColor

from explorer.phase_panels import BAR, OVERFLOWED_BAR, GradientNormsView

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def _shown(qtbot, norms):
    view = GradientNormsView()
    qtbot.addWidget(view)
    view.resize(300, 200)
    view.show()
    view.set_view(SimpleNamespace(gradient_norms=np.array(norms)))
    view.grab()                                           # paints the bars
    return view, view.bars.opts


def test_bars_are_the_log_of_each_layers_norm_and_the_caption_their_ratio(qtbot):
    view, bars = _shown(qtbot, [1e-4, 1e-2, 1.0])
    np.testing.assert_allclose(bars["y1"], [-4, -2, 0])
    assert list(bars["x"]) == [1, 2, 3] and max(bars["y0"]) < -4      # every bar rises from below the lowest
    assert view.caption.text() == "‖dW¹‖ / ‖dWᴸ‖ = 1e−4"
    assert {QColor(b).name() for b in bars["brushes"]} == {BAR}


def test_overflowed_norms_are_grey_bars_above_the_rest_and_the_caption_names_their_layers(qtbot):
    view, bars = _shown(qtbot, [np.inf, 1e3, np.nan, 0.5])
    np.testing.assert_allclose(bars["y1"], [4, 3, 4, np.log10(0.5)])
    assert [QColor(b).name() for b in bars["brushes"]] == [OVERFLOWED_BAR, BAR, OVERFLOWED_BAR, BAR]
    assert view.caption.text() == "‖dW‖ of layers 1, 3 overflowed (NaN or ∞): the network is diverging"
    view, bars = _shown(qtbot, [np.inf, np.inf])
    assert np.isfinite(bars["y1"]).all() and "layers 1, 2" in view.caption.text()


def test_a_ratio_too_large_or_without_a_last_gradient_is_said_so(qtbot):
    assert _shown(qtbot, [1e300, 1e-300])[0].caption.text() == "‖dW¹‖ / ‖dWᴸ‖ = ∞"
    assert "no gradient reaches the output layer" in _shown(qtbot, [0.3, 0.0])[0].caption.text()
