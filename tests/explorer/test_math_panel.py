"""The math panel shows the engine's numbers: chain-rule factors, their product and mean, the
finite-difference check, and the update (no Qt main window needed)."""
from types import SimpleNamespace

import numpy as np

from engine import Network, Trainer, datasets, inspect
from explorer.inspector import Inspector
from explorer.numbers import num
from explorer.views.math_panel import MathPanel, matrix_html


def _worker(optimizer="sgd"):
    net = Network([2, 3, 2, 1], hidden="tanh", output="sigmoid", loss="bce", seed=2)
    tr = Trainer(net, datasets.make("circle", n=80, seed=1), optimizer=optimizer, lr=0.05, batch_size=8)
    return SimpleNamespace(trainer=tr, _last_result=None, _arch_version=0, _data_version=0, _playing=False)


def test_panel_shows_chain_rule_numbers_equal_to_the_engine(qtbot):
    w = _worker()
    ins = Inspector()
    ins.handle(w, "select", "weight", 0, 1, 0)
    ins.handle(w, "sample", 3)
    for _ in range(7):                                  # up to the cost
        ins.handle(w, "next")
    v = ins.latest()
    assert v.phase.kind == "cost"
    panel = MathPanel()
    qtbot.addWidget(panel)
    panel.set_view(v)
    text = panel.text()
    tr = w.trainer
    idx = v.batch_indices.astype(int)
    X = tr.data.X_train[:, idx]
    Y = tr.data.Y_train[:, idx]
    grads = tr.net.backward(tr.net.forward(X), Y)
    engine = grads.dW[0][1, 0]
    assert v.chain.engine_value == engine
    assert f"Engine's ∂J/∂w (backward pass): {num(engine, 6)}" in text
    assert f"Mean over the 8 samples: ∂J/∂w = {num(engine, 6)}" in text
    one = tr.net.backward(tr.net.forward(X[:, 3:4]), Y[:, 3:4]).dW[0][1, 0]
    assert f"This sample: ∂loss/∂w = {num(one, 6)}" in text
    assert "sample 4 of 8" in text
    assert "(agrees)" in text
    fd = inspect.finite_difference(tr.net, X, Y, 0, 1, 0)
    assert f"= {num(fd.numeric, 6)}" in text
    assert f"relative error to the engine's value: {num(fd.relative_error, 2)}" in text
    for symbol in ("∂loss/∂A³", "∂A³/∂Z³", "∂Z³/∂A²", "∂A²/∂Z²", "∂Z²/∂A¹", "∂A¹₂/∂Z¹₂", "∂Z¹₂/∂w"):
        assert symbol in text
    # the update: w − α·∂J/∂w with the real numbers
    w0 = tr.net.weights[0][1, 0]
    assert f"w − α·∂J/∂w = {num(w0, 6)} − {num(0.05)}·{num(engine, 6)} = {num(w0 - 0.05 * engine, 6)}" in text
    # the cost phase equation with its value
    assert "J = bce(A³, Y)" in text
    assert f"J = {num(tr.net.loss(tr.net.forward(X), Y), 6)}" in text


def test_update_phase_shows_the_applied_new_weight_and_adam_state(qtbot):
    w = _worker("adam")
    ins = Inspector()
    ins.handle(w, "select", "weight", 2, 0, 1)
    for _ in range(11):
        ins.handle(w, "next")
    v = ins.latest()
    assert v.phase.kind == "update" and w.trainer.steps == 1
    panel = MathPanel()
    qtbot.addWidget(panel)
    panel.set_view(v)
    text = panel.text()
    new = w.trainer.net.weights[2][0, 1]
    m1 = w.trainer.optimizer_state()["first_moment"]["weights"][2][0, 1]
    v1 = w.trainer.optimizer_state()["second_moment"]["weights"][2][0, 1]
    assert f"After: w = {num(new, 6)}, m = {num(m1, 6)}, v = {num(v1, 6)}" in text
    assert "applied" in text


def test_large_matrices_are_cut_with_the_shape_stated():
    html = matrix_html(np.arange(200.0).reshape(10, 20), "Z")
    assert "Z 10×20 (first 6 rows, 8 columns)" in html
    assert "…" in html and "⋮" in html
    assert "0.5" not in matrix_html(np.array([[1.0, 2.0]]))
    assert num(-0.000012345) == "−1.234e−5"


def test_equation_lines_break_before_an_operator_and_keep_a_term_with_its_operators():
    from explorer.views.math_panel import ITEM_SPACING, equation_lines
    items = [("A", False, 100), ("·", True, 20), ("B", False, 100), ("=", True, 20), ("C", False, 100)]
    assert equation_lines(items) == [items]                          # no width: one line
    assert equation_lines(items, 1000) == [items]
    lines = equation_lines(items, 250 + 3 * ITEM_SPACING)           # A · B fits, = C goes below
    assert [[content for content, *_ in line] for line in lines] == [["A", "·", "B"], ["=", "C"]]
    lines = equation_lines(items, 50)                               # too narrow for any: one term a line
    assert [[content for content, *_ in line] for line in lines] == [["A"], ["·", "B"], ["=", "C"]]
    lead = [("tanh", True, 30), ("Z", False, 100), ("=", True, 20), ("A", False, 100)]
    assert [[c for c, *_ in line] for line in equation_lines(lead, 140)] == [["tanh", "Z"], ["=", "A"]]


def _backward_view(sizes=(2, 6, 6, 1), batch=10):
    net = Network(list(sizes), hidden="tanh", output="sigmoid", loss="bce", seed=2)
    tr = Trainer(net, datasets.make("circle", n=80, seed=1), lr=0.05, batch_size=batch)
    w = SimpleNamespace(trainer=tr, _last_result=None, _arch_version=0, _data_version=0, _playing=False)
    ins = Inspector()
    for _ in range(2 * (len(sizes) - 1) + 2):                        # the forward, the cost, the top backward
        ins.handle(w, "next")
    v = ins.latest()
    assert v.phase.kind == "backward"
    return v


def test_a_narrow_panel_lays_an_equation_out_on_lines_that_fit_it(qtbot):
    v = _backward_view()
    panel = MathPanel()
    qtbot.addWidget(panel)
    panel.resize(1400, 700)
    panel.show()
    panel.set_view(v)
    bar = panel.browser.horizontalScrollBar()
    qtbot.waitUntil(lambda: panel.browser.document().size().width() <= panel.browser.viewport().width())
    wide = panel.browser.toHtml()
    assert "dZ³ 1×10 (first 8 columns)" in panel.text() and bar.maximum() == 0
    panel.resize(420, 700)
    # a resize lays the panel out again: fewer columns, the equation over several lines, nothing
    # wider than the panel
    qtbot.waitUntil(lambda: panel.browser.toHtml() != wide, timeout=5000)
    qtbot.waitUntil(lambda: bar.maximum() == 0, timeout=5000)
    text = panel.text()
    assert "dZ³ 1×10 (first " in text and "dZ³ 1×10 (first 8 columns)" not in text
    for name in ("dZ³", "(A²)ᵀ", "dW³", "db³"):
        assert name in text
    assert panel.browser.toHtml().count("<table") > wide.count("<table")


def test_when_the_widths_are_estimated_short_the_panel_lays_itself_out_again(qtbot, monkeypatch):
    from explorer.views import math_panel
    estimate = math_panel.matrix_width
    monkeypatch.setattr(math_panel, "matrix_width", lambda *a, **k: 0.7 * estimate(*a, **k))
    panel = MathPanel()
    qtbot.addWidget(panel)
    panel.resize(520, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_view(_backward_view())
    assert panel._squeeze > 0
    assert panel.browser.document().idealWidth() <= panel.browser.viewport().width()
    assert panel.browser.horizontalScrollBar().maximum() == 0
