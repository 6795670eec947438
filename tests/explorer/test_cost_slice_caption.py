"""The 1-D cost slice's caption: the update's effect on w and on J can be read off it."""
from types import SimpleNamespace

from explorer.numbers import nums_apart
from explorer.views.cost_slice import slice_caption


def slice_of(w, new_w, cost, new_cost, slope=-0.001):
    return SimpleNamespace(w=w, new_w=new_w, cost=cost, new_cost=new_cost, slope=slope)


def test_numbers_get_the_digits_it_takes_to_tell_them_apart():
    assert nums_apart(0.53281, 0.53284) == ("0.53281", "0.53284")
    assert nums_apart(0.5, 0.75) == ("0.5", "0.75")               # four digits tell them apart already
    assert nums_apart(0.25, 0.25) == ("0.25", "0.25")
    assert nums_apart(1.0, 1.0 + 1e-15) == ("1", "1")              # beyond 12 digits: as the 12 say
    assert nums_apart(-2e-7, -2.00001e-7) == ("−2e−7", "−2.00001e−7")


def test_a_small_update_is_not_written_as_no_change():
    text = slice_caption(slice_of(0.53281, 0.53281 + 3.07e-5, 0.3034691, 0.3034691 - 3.1e-8), "W²₂‚₄", "the batch")
    assert "at w = 0.53281, J = 0.3034691," in text
    assert "the update moves w by +3.07e−5 to 0.53284, where J = 0.30346907 (3.1e−8 lower)." in text


def test_the_caption_says_when_the_update_leaves_w_or_j_as_it_is_or_raises_j():
    assert slice_caption(slice_of(0.5, 0.5, 0.3, 0.3, slope=0.0), "w", "b").endswith(
        "the update leaves w where it is.")
    assert slice_caption(slice_of(1.0, 0.0, 1.0, 1.0), "w", "b").endswith("by −1 to 0, where J = 1 (unchanged).")
    assert slice_caption(slice_of(0.0, 2.0, 1.0, 1.5), "w", "b").endswith("by +2 to 2, where J = 1.5 (0.5 higher).")


def test_a_diverging_update_is_said_without_arithmetic_on_nan():
    nan, inf = float("nan"), float("inf")
    assert slice_caption(slice_of(0.0, nan, 1.0, nan, slope=inf), "w", "b").endswith(
        "slope ∂J/∂w = ∞; the update takes w to NaN.")
    assert slice_caption(slice_of(0.0, 1.0, 1.0, inf), "w", "b").endswith("to 1, where J = ∞.")


def test_the_cost_slice_view_shows_that_caption(qtbot):
    import numpy as np

    from explorer.inspector import SliceInfo
    from explorer.views.cost_slice import CostSliceView
    view = CostSliceView()
    qtbot.addWidget(view)
    sl = SliceInfo(values=np.linspace(0, 1, 5), costs=np.array([3.0, 2.0, 1.0, 2.0, 3.0]), w=0.53281, cost=1.0,
                   slope=-0.001, new_w=0.53281 + 3.07e-5, new_cost=0.99)
    view.set_view(SimpleNamespace(slice=sl, surface=None, chain=None, batch_source="the next mini-batch",
                                  selection=("weight", 0, 0, 0), second=None))
    assert view.caption.text() == slice_caption(sl, "w", "the next mini-batch")
    assert "moves w by +3.07e−5 to 0.53284" in view.caption.text()


def test_a_slice_whose_cost_is_infinite_everywhere_says_so_and_spans_its_weights(qtbot):
    import numpy as np

    from explorer.inspector import SliceInfo
    from explorer.views.cost_slice import CostSliceView
    view = CostSliceView()
    qtbot.addWidget(view)
    inf = float("inf")
    sl = SliceInfo(values=np.linspace(-3e6, -1e6, 5), costs=np.full(5, inf), w=-2e6, cost=inf, slope=-inf,
                   new_w=float("nan"), new_cost=float("nan"))
    view.set_view(SimpleNamespace(slice=sl, surface=None, chain=None, batch_source="the next mini-batch",
                                  selection=("weight", 0, 0, 0), second=None))
    assert view.caption.text().endswith("J is infinite all along this line, so there is no curve to draw.")
    (x0, x1), _ = view.plot.getViewBox().viewRange()
    assert x0 <= -3e6 and -1e6 <= x1 < 0
