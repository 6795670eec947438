"""Walking one pass phase by phase in the window: the phase bar, the lit layer, the math panel."""
import dataclasses

import numpy as np
from PySide6.QtCore import Qt

from explorer.numbers import num


def _phase_index(win):
    v = win.phase_panels.view
    return -1 if v is None or v.phase is None else v.phase.index


def test_walk_a_whole_pass_phase_by_phase(window, qtbot):
    pp = window.phase_panels
    window.graph.select("weight", 1, 0, 2)
    qtbot.waitUntil(lambda: pp.view is not None and pp.view.selection == ("weight", 1, 0, 2), timeout=10_000)
    before = window.worker.trainer.net.weights[1].copy()
    expected = [("affine", 1, "Z¹ = W¹·A⁰ + b¹", "forward"), ("activation", 1, "A¹ = tanh(Z¹)", "forward"),
                ("affine", 2, "Z² = W²·A¹ + b²", "forward"), ("activation", 2, "A² = tanh(Z²)", "forward"),
                ("affine", 3, "Z³ = W³·A² + b³", "forward"), ("activation", 3, "A³ = sigmoid(Z³)", "forward"),
                ("cost", None, "J = bce(A³, Y)", None), ("backward", 3, "dW³ = (1/m)·dZ³·(A²)ᵀ", "backward"),
                ("backward", 2, "dW² = (1/m)·dZ²·(A¹)ᵀ", "backward"),
                ("backward", 1, "dW¹ = (1/m)·dZ¹·(A⁰)ᵀ", "backward"), ("update", None, "w ← w − α·∂J/∂w", None)]
    for i, (kind, layer, title, direction) in enumerate(expected):
        qtbot.keyClick(window, Qt.Key_N)
        qtbot.waitUntil(lambda: _phase_index(window) == i and pp.math_panel.view is pp.view, timeout=10_000)
        text = pp.math_panel.text()
        assert title in text
        assert f"phase {i + 1} of 11" in text
        assert pp.phase_bar.status.text() == f"phase {i + 1}/11"
        assert "font-weight:bold" in pp.phase_bar.chips[i].styleSheet()
        assert (pp.highlight.layer, pp.highlight.direction) == (layer, direction)
        if i < 10:
            np.testing.assert_array_equal(window.worker.trainer.net.weights[1], before)   # nothing moves yet
            assert window.worker.trainer.steps == 0
        if kind == "cost":
            J = pp.view.phase.arrays["J"]
            assert f"J = {num(J, 6)}" in text
        c = pp.view.chain
        assert f"Engine's ∂J/∂w (backward pass): {num(c.engine_value, 6)} (agrees)" in text
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=10_000)
    after = window.worker.trainer.net.weights[1][0, 2]
    assert f"new w = {num(after, 6)}" in pp.math_panel.text() or f"= {num(after, 6)}" in pp.math_panel.text()
    assert pp.highlight.layer is None
    # Previous phase revisits the backward pass of layer 1, marked as already computed
    qtbot.keyClick(window, Qt.Key_N, Qt.ShiftModifier)
    qtbot.waitUntil(lambda: _phase_index(window) == 9, timeout=10_000)
    assert "reviewing" in pp.math_panel.text()
    assert (pp.highlight.layer, pp.highlight.direction) == (1, "backward")


def test_cost_slice_marks_the_current_cost_and_granularity_sample_uses_one_sample(window, qtbot):
    pp = window.phase_panels
    window.graph.select("weight", 0, 1, 0)
    qtbot.waitUntil(lambda: pp.view is not None and pp.view.slice is not None
                    and "J = " in pp.cost_slice.caption.text(), timeout=10_000)
    s = pp.view.slice
    i = int(np.argmin(abs(s.values - s.w)))
    assert s.values[i] == s.w and s.costs[i] == s.cost
    assert "J = " + num(s.cost, 6) in pp.cost_slice.caption.text()
    assert " on the next mini-batch " in pp.cost_slice.caption.text()     # which batch its slope is on
    pp.phase_bar.granularity.setCurrentIndex(0)                    # one sample
    pp.phase_bar.next_button.click()
    qtbot.waitUntil(lambda: _phase_index(window) == 0 and pp.view.granularity == "sample"
                    and pp.math_panel.view is pp.view, timeout=10_000)
    assert "batch of 1 sample" in pp.math_panel.text()
    assert pp.view.chain is not None and len(pp.view.chain.per_sample) == 1
    pp.phase_bar.step_button.click()                               # a Step of one sample
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=10_000)
    assert window.worker.trainer.samples_in_epoch == 1


def test_lesson_menu_opens_the_single_neuron_preset(window, qtbot):
    pp = window.phase_panels
    titles = [a.text() for a in pp.lessons_menu.actions()]
    assert "One linear neuron fits four points" in titles
    preset = next(p for p in pp.presets if p.name == "single-neuron")
    pp.open_preset(preset)
    qtbot.waitUntil(lambda: list(window.snapshot.sizes) == [1, 1], timeout=10_000)
    assert "Ŷ = W·X + B" in pp.explanation.text()
    qtbot.waitUntil(lambda: pp.view is not None and pp.view.chain is not None, timeout=10_000)
    assert all(f.is_scalar for f in pp.view.chain.factors)
    assert pp.view.slice.w == 0.5


def test_walking_an_epoch_runs_to_its_last_mini_batch_and_walks_that_one(window, qtbot):
    pp = window.phase_panels
    tr = window.worker.trainer
    per_epoch = tr.steps_per_epoch
    assert per_epoch > 2
    pp.phase_bar.granularity.setCurrentIndex(2)                    # one epoch
    qtbot.waitUntil(lambda: pp.view is not None and pp.view.granularity == "epoch", timeout=10_000)
    window.graph.select("weight", 1, 0, 2)
    pp.phase_bar.next_button.click()
    qtbot.waitUntil(lambda: _phase_index(window) == 0 and pp.math_panel.view is pp.view, timeout=10_000)
    assert (tr.steps, tr.epoch) == (per_epoch - 1, 0)             # the epoch's other mini-batches are done
    assert pp.view.batch_source == "this epoch's last mini-batch"
    for i in range(1, 11):
        pp.phase_bar.next_button.click()
        qtbot.waitUntil(lambda: _phase_index(window) == i, timeout=10_000)
    qtbot.waitUntil(lambda: window.snapshot.step == per_epoch, timeout=10_000)
    assert (tr.steps, tr.epoch, tr.samples_in_epoch) == (per_epoch, 1, 0)


def test_the_phase_chips_of_a_deep_network_scroll_to_the_current_phase(qtbot):
    from types import SimpleNamespace

    from explorer.inspector import phase_plan
    from explorer.views.phase_bar import PhaseBar
    bar = PhaseBar()
    qtbot.addWidget(bar)
    bar.resize(900, 40)
    bar.show()
    bare = bar.minimumSizeHint().width()
    plan = tuple(phase_plan(9))                         # 8 hidden layers: 29 chips

    def show(index):
        bar.set_view(SimpleNamespace(plan=plan, phase=SimpleNamespace(index=index), furthest=index, step=0))
        viewport = bar.chip_scroll.viewport()
        chip = bar.chips[index]
        qtbot.waitUntil(lambda: chip.width() >= chip.minimumSizeHint().width()          # laid out
                        and viewport.rect().contains(chip.geometry().translated(chip.parentWidget().pos())))

    assert bar.minimumSizeHint().width() == bare        # the chips do not hold the window wide
    show(len(plan) - 1)                                 # the update chip, at the far right
    assert bar.chip_scroll.horizontalScrollBar().value() > 0
    # "…" marks the side where chips are out of sight
    qtbot.waitUntil(lambda: bar.more_before.isVisible() and not bar.more_after.isVisible())
    left = bar.chip_scroll.horizontalScrollBar().value()
    out_of_sight = sum(chip.x() < left for chip in bar.chips)       # they say how many are out of sight
    assert 0 < out_of_sight < len(plan) and bar.more_before.text() == f"‹ {out_of_sight}"
    bar.more_before.click()                                         # and a click scrolls to them
    assert bar.chip_scroll.horizontalScrollBar().value() < left
    qtbot.waitUntil(lambda: bar.more_after.isVisible() and bar.more_after.text().endswith(" ›"))
    show(0)
    assert bar.chip_scroll.horizontalScrollBar().value() == 0
    qtbot.waitUntil(lambda: bar.more_after.isVisible() and not bar.more_before.isVisible())
    bar.resize(3000, 40)                                # room for every chip: no "…"
    qtbot.waitUntil(lambda: not bar.more_after.isVisible() and not bar.more_before.isVisible())


def test_the_phase_bar_counts_steps_while_training_runs(window, qtbot):
    bar = window.phase_panels.phase_bar
    window.play()
    qtbot.waitUntil(lambda: window.snapshot.playing and window.snapshot.step > 200, timeout=20_000)
    qtbot.waitUntil(lambda: bar.status.text() not in ("", "step 0"), timeout=5_000)
    window.pause()
    qtbot.waitUntil(lambda: not window.snapshot.playing, timeout=5_000)
    qtbot.waitUntil(lambda: bar.status.text() == f"step {window.snapshot.step:,}", timeout=5_000)


def test_the_graph_shows_a_walks_gradients_as_the_backward_pass_computes_them(window, qtbot):
    pp, graph = window.phase_panels, window.graph
    graph.grad_check.setChecked(True)
    graph.select("weight", 0, 1, 0)
    qtbot.waitUntil(lambda: pp.view is not None and pp.view.selection == ("weight", 0, 1, 0), timeout=10_000)
    top, first = ("weight", 2, 0, 1), ("weight", 0, 1, 0)
    assert "no step yet" in graph.describe(top)
    qtbot.keyClick(window, Qt.Key_N)           # a pass begun: no layer has its gradients yet
    qtbot.waitUntil(lambda: _phase_index(window) == 0, timeout=10_000)
    qtbot.waitUntil(lambda: "(this pass so far) = 0 · nodes: max |mean dZ| = 0" in graph.scale_label.text(),
                    timeout=10_000)
    for i in range(1, 8):                     # on to the backward phase of the top layer (layer 3)
        qtbot.keyClick(window, Qt.Key_N)
        qtbot.waitUntil(lambda: _phase_index(window) == i, timeout=10_000)
    qtbot.waitUntil(lambda: "this pass so far" in graph.scale_label.text(), timeout=10_000)
    dW3 = pp.view.phase.arrays["dW"]
    assert f"∂J/∂w {num(dW3[0, 1])} (this pass's batch)" in graph.describe(top)
    assert "∂J/∂w not computed yet in this pass" in graph.describe(first)
    assert "mean dZ not computed yet" in graph.describe(("neuron", 1, 0, 0))
    gradients = graph._gradients(graph._snap)
    assert not gradients[0][0].any() and np.array_equal(gradients[0][2], dW3)
    # the top layer's edges carry its gradient; the first layer's are blank
    n_first = len(graph._shown[0]) * len(graph._shown[1])
    values = graph._edge_values(graph._snap, gradients)
    assert not values[:n_first].any() and values[-len(graph._shown[2]) * len(graph._shown[3]):].any()
    for i in range(8, 10):                    # on to layer 1's backward phase
        qtbot.keyClick(window, Qt.Key_N)
        qtbot.waitUntil(lambda: _phase_index(window) == i, timeout=10_000)
    dW1 = pp.view.phase.arrays["dW"]
    qtbot.waitUntil(lambda: f"∂J/∂w {num(dW1[1, 0])} (this pass's batch)" in graph.describe(first), timeout=10_000)
    # reviewing an earlier phase shows the gradients as they were then
    qtbot.keyClick(window, Qt.Key_N, Qt.ShiftModifier)
    qtbot.waitUntil(lambda: _phase_index(window) == 8, timeout=10_000)
    qtbot.waitUntil(lambda: "not computed yet" in graph.describe(first), timeout=10_000)
    # after the update the gradients are the step's, as after any step
    qtbot.keyClick(window, Qt.Key_N)
    qtbot.keyClick(window, Qt.Key_N)
    qtbot.waitUntil(lambda: window.snapshot.step == 1 and _phase_index(window) == 10, timeout=10_000)
    qtbot.waitUntil(lambda: f"∂J/∂w {num(dW1[1, 0])} (last step's batch)" in graph.describe(first), timeout=10_000)
    assert "this pass so far" not in graph.scale_label.text()


def test_the_lit_layer_follows_the_nodes_when_the_window_is_resized(window, qtbot):
    pp, graph = window.phase_panels, window.graph
    for i in range(3):                        # Z² = W²·A¹ + b²: columns 1 and 2 are lit
        qtbot.keyClick(window, Qt.Key_N)
        qtbot.waitUntil(lambda: _phase_index(window) == i, timeout=10_000)

    def frames_its_layer():
        frame = pp.highlight.rect.rect()
        (vx0, vx1), (vy0, vy1) = graph.vb.viewRange()
        nodes = [r for col in (1, 2) for r in graph._node_rects[col]]
        others = [r for col in (0, 3) for r in graph._node_rects[col]]
        inside = all(frame.contains(x + w / 2, y + h / 2) for x, y, w, h in nodes)
        outside = not any(frame.contains(x + w / 2, y + h / 2) for x, y, w, h in others)
        in_view = frame.top() >= vy0 and frame.bottom() <= vy1
        return inside and outside and in_view

    qtbot.waitUntil(frames_its_layer, timeout=10_000)
    before = pp.highlight.rect.rect()
    window.resize(1100, 700)
    qtbot.waitUntil(lambda: pp.highlight.rect.rect() != before, timeout=10_000)
    assert frames_its_layer()


def test_a_walks_gradients_are_dropped_when_the_network_changes_under_them(window, qtbot):
    graph = window.graph
    graph.grad_check.setChecked(True)
    for i in range(8):                        # layer 3's gradients computed
        qtbot.keyClick(window, Qt.Key_N)
        qtbot.waitUntil(lambda: _phase_index(window) == i, timeout=10_000)
    snap = graph._snap
    assert graph._walk(snap) is not None
    # a snapshot of an edited network (a neuron more in layer 2) arriving before the walk is ended
    wider = (np.zeros(snap.weights[0].shape), np.zeros((3, 4)), np.zeros((1, 3)))
    assert graph._walk(dataclasses.replace(snap, weights=wider)) is None
