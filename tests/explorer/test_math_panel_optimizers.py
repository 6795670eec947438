"""The math panel lets a student follow one update, whatever the optimizer: its rule, the state
before, the hyperparameters, every intermediate and the state after; the regularisation term
apart from J; the chain rule's shapes as they multiply; and a chosen sample of the batch."""
import re
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine import Network, Trainer, datasets
from explorer.inspector import Inspector
from explorer.numbers import num
from explorer.views.math_panel import MathPanel, matrix_html, operand, phase_title

STEP_PHASES = 11          # a 3-layer network: 3 × (affine, activation), cost, 3 backward, update


def _worker(optimizer="sgd", sizes=(2, 4, 2, 1), output="sigmoid", loss="bce", batch=10, **options):
    net = Network(list(sizes), hidden="tanh" if len(sizes) > 3 else "relu", output=output, loss=loss, seed=2)
    data = datasets.make("circle" if sizes[-1] == 1 else "blobs", n=80, seed=1,
                         **({} if sizes[-1] == 1 else {"classes": sizes[-1]}))
    tr = Trainer(net, data, optimizer=optimizer, lr=0.01, batch_size=batch, **options)
    return SimpleNamespace(trainer=tr, _last_result=None, _arch_version=0, _data_version=0, _playing=False)


def _panel(qtbot, view, width=450):
    panel = MathPanel()
    qtbot.addWidget(panel)
    panel.resize(width, 1200)
    panel.set_view(view)
    return panel


def _state_of(tr, l, j, k):
    return {name: float(a["weights"][l][j, k]) for name, a in tr.optimizer_state().items()}


RULES = {"sgd": ["w ← w − α·∂J/∂w"],
         "momentum": ["v ← μ·v + g", "w ← w − α·v"],
         "nesterov": ["v ← μ·v + g", "w ← w − α·(g + μ·v) (Nesterov)"],
         "rmsprop": ["s ← ρ·s + (1 − ρ)·g²", "w ← w − α·g / (√s + ε)"],
         "adam": ["m ← β₁·m + (1 − β₁)·g", "v ← β₂·v + (1 − β₂)·g²", "m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ)",
                  "w ← w − α·m̂ / (√v̂ + ε)"]}


@pytest.mark.parametrize("rule", list(RULES))
def test_the_applied_update_shows_the_rule_the_state_before_and_after_and_the_settings(qtbot, rule):
    options = {"nesterov": True} if rule == "nesterov" else {}
    w = _worker("momentum" if rule == "nesterov" else rule, **options)
    tr = w.trainer
    ins = Inspector()
    ins.handle(w, "select", "weight", 1, 0, 1)
    for _ in range(STEP_PHASES):                       # step 1: the state is no longer zero
        ins.handle(w, "next")
    for _ in range(STEP_PHASES - 1):
        ins.handle(w, "next")
    before, w_before = _state_of(tr, 1, 0, 1), float(tr.net.weights[1][0, 1])
    ins.handle(w, "next")                              # step 2's update
    v = ins.latest()
    assert v.phase.kind == "update" and v.update_applied and tr.steps == 2
    u = v.update
    assert u.w == w_before and u.state == before and u.new_state == _state_of(tr, 1, 0, 1)
    assert u.new_w == tr.net.weights[1][0, 1] and u.t == 2
    assert u.w - u.terms["step"] == pytest.approx(u.new_w, rel=1e-12)
    text = _panel(qtbot, v).text()
    for line in RULES[rule]:                           # the phase title is this optimizer's rule
        assert line in text
    assert "applied in step 2" in text
    state_text = "".join(f", {s} = {num(before[n], 6)}" for n, s in
                         (("velocity", "v"), ("mean_square", "s"), ("first_moment", "m"), ("second_moment", "v"))
                         if n in before)
    assert f"Before: w = {num(w_before, 6)}{state_text}" in text
    after = "".join(f", {s} = {num(u.new_state[n], 6)}" for n, s in
                    (("velocity", "v"), ("mean_square", "s"), ("first_moment", "m"), ("second_moment", "v"))
                    if n in u.new_state)
    assert f"After: w = {num(u.new_w, 6)}{after}" in text
    assert "α = 0.01" in text
    if rule == "adam":
        assert "β₁ = 0.9, β₂ = 0.999, ε = 1e−8, t = 2" in text
        assert f"(1 − 0.9²) = {num(u.terms['first_moment'], 6)} / 0.19 = {num(u.terms['m_hat'], 6)}" in text
        assert f"(1 − 0.999²) = {num(u.terms['second_moment'], 6)} / 0.001999 = {num(u.terms['v_hat'], 6)}" in text
        assert f"0.9·{operand(before['first_moment'], 6)} + 0.1·{operand(u.terms['g'], 6)}" in text
    if rule in ("momentum", "nesterov"):
        assert "μ = 0.9, Nesterov " + ("on" if rule == "nesterov" else "off") in text
        assert f"0.9·{operand(before['velocity'], 6)} + {operand(u.terms['g'], 6)}" in text
    if rule == "nesterov":
        assert f"g + μ·v = {num(u.terms['g'], 6)} + 0.9·{operand(u.terms['velocity'], 6)}" in text
    if rule == "rmsprop":
        assert "ρ = 0.9, ε = 1e−8" in text
        assert f"√s + ε = √{num(u.terms['mean_square'], 6)} + 1e−8 = {num(u.terms['root'], 6)}" in text


def test_the_next_update_of_a_bias_shows_its_adam_state(qtbot):
    w = _worker("adam")
    ins = Inspector()
    ins.handle(w, "step")
    ins.handle(w, "select", "bias", 2, 0, 0)
    v = ins.latest()
    assert not v.update_applied and v.update.t == 2
    text = _panel(qtbot, v).text()
    b = w.trainer.net.biases[2][0, 0]
    m = w.trainer.optimizer_state()["first_moment"]["biases"][2][0, 0]
    assert f"Before: b = {num(b, 6)}, m = {num(m, 6)}" in text
    assert "the next step" in text and "b ← b − α·m̂ / (√v̂ + ε)" in text


def test_the_update_phase_shows_every_weight_and_every_bias(qtbot):
    w = _worker("sgd")
    ins = Inspector()
    for _ in range(STEP_PHASES):
        ins.handle(w, "next")
    text = _panel(qtbot, ins.latest()).text()
    for l in "¹²³":
        for name in (f"W{l}", f"b{l}"):
            assert f"{name} before" in text and f"{name} after" in text


def _at_the_cost_phase(worker, layer, j, k):
    """An inspector with weight (layer, j, k) selected, walked to the cost phase."""
    ins = Inspector()
    ins.handle(worker, "select", "weight", layer, j, k)
    for _ in range(7):
        ins.handle(worker, "next")
    return ins


def test_l2_shows_its_term_apart_from_j_and_labels_the_regularised_gradient(qtbot):
    w = _worker("sgd", l2=0.1)
    tr = w.trainer
    v = _at_the_cost_phase(w, 1, 0, 1).latest()
    assert v.phase.kind == "cost"
    text = _panel(qtbot, v).text()
    squares = sum(float(np.sum(x ** 2)) for x in tr.net.weights)
    J = v.phase.arrays["J"]
    assert f"J = {num(J, 6)}" in text
    assert f"(λ/2)·Σw² = (0.1/2)·{num(squares, 6)} = {num(0.05 * squares, 6)}" in text
    assert f"J + R = {num(J, 6)} + {num(0.05 * squares, 6)} = {num(J + 0.05 * squares, 6)}" in text
    u = v.update
    w0 = float(tr.net.weights[1][0, 1])
    assert u.grad == v.chain.engine_value
    # the sum is labelled as the sum of its two parts, not as ∂J/∂w
    assert (f"g = ∂J/∂w + λw = {num(u.grad, 6)} + {operand(0.1 * w0, 6)} = {num(u.grad + 0.1 * w0, 6)}"
            in text)
    assert f"w ← w − α·g = {num(w0, 6)} − 0.01·{operand(u.grad + 0.1 * w0, 6)} = {num(u.new_w, 6)}" in text
    assert f"α·∂J/∂w = {num(w0, 6)}" not in text
    rule = phase_title("update", None, 3, optimizer="sgd", settings=v.settings)
    assert rule.splitlines() == ["g = ∂J/∂w + λw (weights; g = ∂J/∂b for biases)", "w ← w − α·g"]


def test_l1_shows_its_term_and_its_sign_part(qtbot):
    w = _worker("sgd", l1=0.02)
    tr = w.trainer
    ins = _at_the_cost_phase(w, 0, 1, 0)
    text = _panel(qtbot, ins.latest()).text()
    total = sum(float(np.sum(np.abs(x))) for x in tr.net.weights)
    assert f"λ·Σ|w| = 0.02·{num(total, 6)} = {num(0.02 * total, 6)}" in text
    sign = np.sign(tr.net.weights[0][1, 0])
    assert f"g = ∂J/∂w + λ·sign(w) = {num(ins.latest().update.grad, 6)} + {operand(0.02 * sign, 6)}" in text


def test_negative_numbers_after_an_operator_are_bracketed(qtbot):
    assert operand(-21) == "(−21)" and operand(0.5) == "0.5"
    w = _worker("sgd")
    ins = Inspector()
    for j, k in ((0, 0), (0, 1), (1, 0), (1, 1)):       # one of these has a negative gradient
        ins.handle(w, "select", "weight", 1, j, k)
        u = ins.latest().update
        if u.grad < 0:
            break
    assert u.grad < 0
    text = _panel(qtbot, ins.latest()).text()
    assert f"w ← w − α·∂J/∂w = {num(u.w, 6)} − 0.01·({num(u.grad, 6)}) = {num(u.new_w, 6)}" in text


def test_the_shown_pieces_of_a_product_pair_up(qtbot):
    w = _worker("sgd", batch=10)
    ins = Inspector()
    for _ in range(8):                                  # cost, then layer 3's backward phase
        ins.handle(w, "next")
    panel = _panel(qtbot, ins.latest(), width=1400)
    html = panel.sections["phase"]
    assert "dZ³ 1×10 (first 8 columns)" in html and "(A²)ᵀ 10×2 (first 8 rows)" in html
    for _ in range(2):                                  # layer 1: (A⁰)ᵀ is 10×2, dZ¹ 4×10
        ins.handle(w, "next")
    panel.set_view(ins.latest())
    assert "(A⁰)ᵀ 10×2 (first 8 rows)" in panel.sections["phase"]
    w = _worker("sgd", sizes=(2, 9, 7, 1), batch=10)
    ins = Inspector()
    for _ in range(3):                                  # Z² = W²·A¹ + b²: W²'s columns pair with A¹'s rows
        ins.handle(w, "next")
    panel.set_view(ins.latest())
    assert "W² 7×9 (first 6 rows, 8 columns)" in panel.sections["phase"]
    assert "A¹ 9×10 (first 8 rows, 8 columns)" in panel.sections["phase"]
    # a narrower panel shows fewer columns, still in pairs
    narrow = _panel(qtbot, ins.latest(), width=420).sections["phase"]
    w_cols = re.search(r"W² 7×9 \(first 6 rows, (\d) columns\)", narrow)
    a_rows = re.search(r"A¹ 9×10 \(first (\d) rows, (\d) columns\)", narrow)
    z_cols = re.search(r"Z² 7×10 \(first 6 rows, (\d) columns\)", narrow)
    assert w_cols and a_rows and z_cols and int(w_cols[1]) < 8
    assert a_rows[1] == w_cols[1] and a_rows[2] == z_cols[1]


def _shapes(html):
    return re.findall(r"(\d+×\d+)", html)


def test_chain_rule_vectors_are_rows_and_the_shapes_multiply(qtbot):
    # default network: ∂Z³/∂A² = W³ (1×2) times the row before (1×1) gives a row 1×2
    w = _worker("sgd")
    ins = Inspector()
    ins.handle(w, "select", "weight", 0, 1, 0)
    panel = _panel(qtbot, ins.latest())
    assert _shapes(panel.sections["chain"]) == ["1×1", "1×1", "1×1", "1×2", "1×2", "2×2", "1×2", "2×4", "1×4"]
    # softmax, 3 classes: ∂loss/∂A² 1×3 · Jacobian 3×3 → 1×3, · W² 3×4 → 1×4
    w = _worker("sgd", sizes=(2, 4, 3), output="softmax", loss="cce")
    ins = Inspector()
    ins.handle(w, "select", "weight", 0, 2, 1)
    panel.set_view(ins.latest())
    assert _shapes(panel.sections["chain"]) == ["1×3", "3×3", "1×3", "3×4", "1×4"]
    c = ins.latest().chain
    np.testing.assert_array_equal(c.factors[1].running, c.factors[0].running @ c.factors[1].value)
    # the output layer: the row 1×3 times column j of the Jacobian (3×1) is a number
    ins.handle(w, "select", "weight", 1, 0, 1)
    panel.set_view(ins.latest())
    assert _shapes(panel.sections["chain"]) == ["1×3", "3×1"]
    assert "1×5" in matrix_html(np.arange(5.0)) and "5×1" in matrix_html(np.arange(5.0), column=True)


def test_the_sample_box_chooses_the_chain_rules_sample_and_refuses_one_outside_the_batch(qtbot):
    w = _worker("sgd", batch=10)
    ins = Inspector()
    ins.handle(w, "select", "weight", 1, 0, 1)
    panel = _panel(qtbot, ins.latest())
    asked, refused = [], []

    def on_sample(s):                                   # as the window routes it to the worker
        asked.append(s)
        ins.handle(w, "sample", s)
        panel.set_view(ins.latest())

    panel.sample_requested.connect(on_sample)
    panel.refused.connect(refused.append)
    box = panel.sample_box
    assert (box.minimum(), box.maximum(), box.value()) == (1, 10, 1)
    assert "of 10" in panel.sample_of.text()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "4")
    qtbot.keyClick(box, Qt.Key_Return)
    assert asked == [3]
    v = ins.latest()
    assert v.sample == 3 and v.chain.sample == 3
    assert "sample 4 of 10" in panel.text()
    box.lineEdit().selectAll()                          # 11 is outside a batch of 10: refused aloud
    qtbot.keyClicks(box, "11")
    qtbot.keyClick(box, Qt.Key_Return)
    assert asked == [3] and box.value() == 4
    assert refused and "Sample 11 refused" in refused[-1] and "1 to 10" in refused[-1]
    assert panel.sample_message.isVisibleTo(panel) and "refused" in panel.sample_message.text()
    # the worker refuses one too, with the same words
    ins.handle(w, "sample", 10)
    assert "sample 11 refused" in ins.latest().error and ins.latest().sample == 3
    # a smaller batch: the box's range follows it, and the chain rule stays inside the batch
    w.trainer.batch_size = 3
    ins.handle(w, "refresh")
    panel.set_view(ins.latest())
    assert box.maximum() == 3 and box.value() == 3 and ins.latest().chain.sample == 2
    assert "sample 3 of 3" in panel.text()


def test_the_sample_box_in_the_window_reaches_the_worker(window, qtbot):
    window.graph.select("weight", 1, 0, 1)
    panels = window.phase_panels
    qtbot.waitUntil(lambda: panels.view is not None and panels.view.chain is not None, timeout=10_000)
    box = panels.math_panel.sample_box
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "3")
    qtbot.keyClick(box, Qt.Key_Return)
    qtbot.waitUntil(lambda: panels.view.sample == 2 and panels.view.chain.sample == 2, timeout=10_000)
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "99")
    qtbot.keyClick(box, Qt.Key_Return)
    assert "Sample 99 refused" in window.last_message


def test_a_step_too_small_for_six_digits_still_shows_the_weight_change(qtbot):
    from explorer.numbers import nums_apart
    w = _worker("sgd")
    w.trainer.lr = 1e-5                                  # a change around 1e-7: below six digits of w
    ins = Inspector()
    ins.handle(w, "select", "weight", 1, 0, 1)
    u = ins.latest().update
    assert u.new_w != u.w and num(u.new_w, 6) == num(u.w, 6)
    before, after = nums_apart(u.w, u.new_w, 6)
    assert before != after
    text = _panel(qtbot, ins.latest()).text()
    assert f"= {before} − 1e−5·{operand(u.grad, 6)} = {after}" in text     # under its equation when long
    assert f"Before: w = {before}" in text and f"After: w = {after}" in text
