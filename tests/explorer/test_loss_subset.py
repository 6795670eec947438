"""The loss panel says when its numbers come from a sample of a big data set, and a step on big data
is drawn before its losses are measured; the key to its curves stays clear of them."""
from dataclasses import replace
from types import SimpleNamespace

import pytest

from explorer import worker as worker_module
from explorer.state import AppState


def test_loss_numbers_name_the_sample_they_come_from(window):
    view = window.loss_plot
    assert window.snapshot.eval_samples == 0                   # the playground: every point counts
    view.update_snapshot(window.snapshot)
    assert "samples of each set" not in view.numbers.text()
    view.update_snapshot(replace(window.snapshot, serial=window.snapshot.serial + 1, eval_samples=2000))
    assert "on the first 2,000 samples of each set" in view.numbers.text()


def test_big_data_is_evaluated_on_a_sample(window, qtbot, monkeypatch):
    monkeypatch.setattr(worker_module, "BIG_EVAL_WORK", 10)     # make the playground count as big
    monkeypatch.setattr(worker_module, "BIG_EVAL_SAMPLES", 100)
    window.post("train", 5)
    qtbot.waitUntil(lambda: window.snapshot.step >= 5 and window.snapshot.eval_samples == 100, timeout=10_000)


def test_chunks_aim_at_their_duration_and_are_longer_for_big_data():
    # 100 steps took 10 ms: the next chunk aims at CHUNK_SECONDS, half-way from 100
    k = worker_module.next_chunk(100, 0.010, big_data=False)
    assert k == int(0.5 * 100 + 0.5 * 100 * worker_module.CHUNK_SECONDS / 0.010)
    # big data (MNIST): chunks aim at BIG_CHUNK_SECONDS, so the window redraws less and trains more
    big = worker_module.next_chunk(100, 0.010, big_data=True)
    assert big == int(0.5 * 100 + 0.5 * 100 * worker_module.BIG_CHUNK_SECONDS / 0.010)
    assert big > k
    # a slow network gets MIN_CHUNK_STEPS' worth, but no more than MAX_CHUNK_SECONDS
    slow = worker_module.next_chunk(10, 0.050, big_data=False)
    assert slow == int(0.5 * 10 + 0.5 * 10 * worker_module.MAX_CHUNK_SECONDS / 0.050)
    assert worker_module.next_chunk(1, 10.0, big_data=False) == 1


def test_a_step_on_big_data_is_handed_over_at_once_then_again_with_its_losses(monkeypatch):
    """Measuring big data takes longer than drawing a step: the step goes out with the last
    losses, and once the window has had time to draw it, again with the losses measured after the
    step. A command that comes first is applied first."""
    monkeypatch.setattr(worker_module, "BIG_EVAL_WORK", 10)     # make the playground count as big
    worker = worker_module.TrainingWorker(AppState())
    worker._build(worker.state, keep_history=False)
    handed = []
    monkeypatch.setattr(worker, "_hand_over", handed.append)
    worker._publish(force=True)                                 # losses at step 0
    loss_before = handed[-1].train_loss
    handed.clear()
    worker.post("step")
    worker._drain(block=True)                                   # the step, drawn with the old losses
    (drawn,) = handed
    assert drawn.step == 1 and drawn.refines == 0 and drawn.train_loss == loss_before
    worker._drain(block=True)                                   # no command: the losses are measured
    drawn, refined = handed
    assert refined.step == 1 and refined.refines == drawn.serial and refined.serial > drawn.serial
    assert refined.weights is drawn.weights and refined.grad_weights is drawn.grad_weights
    measured = worker.trainer.evaluate(max_samples=worker_module.BIG_EVAL_SAMPLES)
    assert refined.train_loss == pytest.approx(measured["train_loss"], rel=1e-9)
    assert refined.train_loss != loss_before
    assert refined.history_steps[-1] == 1 and refined.history_train[-1] == refined.train_loss
    # two steps in a row: the first one's losses are never measured, the second one's are
    handed.clear()
    worker.post("step")
    worker._drain(block=True)
    worker.post("step")
    worker._drain(block=True)
    worker._drain(block=True)
    assert [(s.step, bool(s.refines)) for s in handed] == [(2, False), (3, False), (3, True)]
    # a command that comes while the losses are measured stops the measuring; it is applied first
    handed.clear()
    worker.post("step")
    worker._drain(block=True)
    worker.post("step")
    worker._publish_pending_losses()
    assert [s.step for s in handed] == [4] and worker._losses_pending is not None
    worker._drain(block=True)
    worker._drain(block=True)
    assert [(s.step, bool(s.refines)) for s in handed] == [(4, False), (5, False), (5, True)]
    # small data is measured before the step is handed over: one snapshot, nothing to refine
    monkeypatch.setattr(worker_module, "BIG_EVAL_WORK", 1e12)
    handed.clear()
    worker.post("step")
    worker._drain(block=True)
    worker._drain(block=True)
    assert len(handed) == 1 and handed[0].refines == 0 and handed[0].step == 6


class RecordingView:
    def __init__(self, shows_losses=None):
        if shows_losses is not None:
            self.shows_losses = shows_losses
        self.serials = []

    def update_snapshot(self, snap):
        self.serials.append(snap.serial)


def test_a_snapshot_that_only_adds_losses_redraws_only_the_views_that_show_losses(window):
    plain, losses = RecordingView(), RecordingView(shows_losses=True)
    window.add_view(plain)
    window.add_view(losses)
    shown = window.snapshot
    refined = replace(shown, serial=shown.serial + 1000, refines=shown.serial, train_loss=0.123456)
    window._show(refined)
    assert losses.serials[-1] == refined.serial and plain.serials[-1] == shown.serial
    assert window.snapshot is refined
    assert "0.1235" in window.loss_plot.numbers.text()
    # refining a snapshot the window never showed (it took only the newest): every view redraws
    skipped = replace(shown, serial=shown.serial + 3000, refines=shown.serial + 2000)
    window._show(skipped)
    assert plain.serials[-1] == skipped.serial and losses.serials[-1] == skipped.serial


def test_the_loss_axes_are_readable_before_the_curve_has_a_shape(window):
    import numpy as np
    view = window.loss_plot
    snap = window.snapshot
    flat = replace(snap, serial=snap.serial + 1, history_steps=np.array([0.0]),
                   history_train=np.array([1.0986122886681098]), history_test=np.array([1.0986122886681098]))
    view.update_snapshot(flat)
    (x0, x1), (y0, y1) = view.plot.getViewBox().viewRange()
    assert (x0, x1) == (0, 10)                                  # not −400..400 ×0.001
    assert y0 == pytest.approx(1.0986 * 0.95, rel=1e-3) and y1 == pytest.approx(1.0986 * 1.05, rel=1e-3)
    steps = np.arange(0.0, 200.0, 10.0)
    curve = replace(snap, serial=snap.serial + 2, history_steps=steps, history_train=1 / (1 + steps),
                    history_test=1.1 / (1 + steps))
    view.update_snapshot(curve)
    view.plot.getViewBox().updateAutoRange()
    (x0, x1), (y0, y1) = view.plot.getViewBox().viewRange()
    assert x1 >= 190 and y1 >= 1.0 and y0 <= 0.01               # auto-range is back with a curve


def test_plot_axes_show_plain_numbers_without_a_scale_factor(window):
    from pyqtgraph import PlotWidget
    panels = window.phase_panels
    plots = [window.loss_plot.plot, window.boundary.plot, panels.grad_norms.plot]
    plots += panels.cost_slice.findChildren(PlotWidget)
    for plot in plots:
        for ax in ("left", "bottom"):
            assert not plot.getAxis(ax).autoSIPrefix, (plot, ax)


def test_the_loss_key_sits_under_the_plot_not_over_the_curves(window):
    view = window.loss_plot
    assert view.plot.getPlotItem().legend is None              # nothing drawn inside the plot area
    plot_bottom = view.plot.geometry().bottom()
    for name in ("train", "test"):
        label = view.legend[name]
        assert label.text() == name and label.isVisible()
        assert label.mapTo(view, label.rect().topLeft()).y() > plot_bottom


def test_edit_marker_labels_fit_the_plot_height(qtbot):
    import numpy as np
    from PySide6.QtGui import QFontMetrics

    from explorer.snapshot import EditMarker
    from explorer.views.loss_plot import LossPlotView
    view = LossPlotView()
    qtbot.addWidget(view)
    view.resize(400, 600)
    view.show()
    qtbot.waitExposed(view)
    long_text = "inputs x1, x2, x1², x2², x1·x2, sin x1, sin x2"
    markers = (EditMarker(30, "loss mse"), EditMarker(60, long_text))
    snap = SimpleNamespace(serial=1, playing=False, markers=markers, history_steps=np.arange(0.0, 100.0, 10.0),
                           history_train=np.linspace(1, 0.1, 10), history_test=np.linspace(1.1, 0.2, 10),
                           train_loss=0.1, test_loss=0.2, train_accuracy=None, test_accuracy=None, eval_samples=0,
                           m_train=0, m_test=0)
    view.update_snapshot(snap)
    assert view.marker_labels() == ["loss mse", long_text]           # tall: in full
    view.resize(400, 180)
    qtbot.waitUntil(lambda: view.plot.getViewBox().height() < 120)
    qtbot.waitUntil(lambda: view.marker_labels()[1] != long_text)
    short = view.marker_labels()[1]
    assert short.endswith("…") and long_text.startswith(short[:-1])   # short: cut with "…"
    room = view.plot.getViewBox().height()
    assert QFontMetrics(view.font()).horizontalAdvance(short) <= room
    assert view._marker_items[1].toolTip() == f"step 60: {long_text}"  # the tooltip keeps it whole
