"""engine.inspect's account of one update: every intermediate of the optimizer's rule, and the
regularisation term of the objective, agree with what the trainer's kernels do."""

import numpy as np
import pytest

from engine import Network, Trainer, datasets
from engine import inspect

RULES = [("sgd", {}), ("momentum", {}), ("momentum", {"nesterov": True}), ("rmsprop", {}), ("adam", {})]


def _trainer(optimizer, **options):
    net = Network([2, 5, 4, 1], hidden="tanh", output="sigmoid", loss="bce", seed=4)
    data = datasets.make("xor", n=120, noise=0.1, seed=4)
    return Trainer(net, data, optimizer=optimizer, lr=0.05, batch_size=16, seed=4, **options)


@pytest.mark.parametrize("optimizer, options", RULES, ids=lambda r: str(r))
@pytest.mark.parametrize("reg", [{}, {"l2": 0.1}, {"l1": 0.02}], ids=["none", "l2", "l1"])
def test_the_terms_of_the_rule_lead_from_the_old_weight_to_the_kernels_new_weight(optimizer, options, reg):
    tr = _trainer(optimizer, **options, **reg)
    for step in range(3):                     # t = 1 has no state yet; t = 2, 3 use the state
        for param, (l, j, k) in (("W", (1, 2, 3)), ("b", (0, 4, 0))):
            p = inspect.update_preview(tr, l, j, k, param=param)
            assert p.t == step + 1
            g = p.terms["g"]
            assert g == pytest.approx(p.grad + p.reg_grad, rel=1e-14, abs=1e-300)
            if param == "W" and reg.get("l2"):
                assert p.reg_grad == pytest.approx(reg["l2"] * p.w, rel=1e-14)
                assert p.terms["l2_part"] == p.reg_grad
            if param == "W" and reg.get("l1"):
                assert p.reg_grad == pytest.approx(reg["l1"] * np.sign(p.w), rel=1e-14)
                assert p.terms["l1_part"] == p.reg_grad
            if param == "b":
                assert p.reg_grad == 0.0
            assert p.w - p.terms["step"] == pytest.approx(p.new_w, rel=1e-12, abs=1e-15)
            for name, value in p.new_state.items():      # the state after, as the kernel left it
                assert p.terms[name] == pytest.approx(value, rel=1e-12, abs=1e-300)
            if optimizer == "adam":
                assert p.terms["bias1"] == pytest.approx(1 - 0.9 ** p.t)
                assert p.terms["bias2"] == pytest.approx(1 - 0.999 ** p.t)
                assert p.terms["m_hat"] == pytest.approx(p.new_state["first_moment"] / p.terms["bias1"])
                assert p.hyper["beta1"] == 0.9 and p.hyper["beta2"] == 0.999 and p.hyper["eps"] == tr.eps
            if optimizer == "momentum":
                assert p.hyper["nesterov"] == bool(options.get("nesterov"))
                v = p.new_state["velocity"]
                expected = g + 0.9 * v if options.get("nesterov") else v
                assert p.terms["direction"] == pytest.approx(expected, rel=1e-14)
        tr.step()


def test_the_update_before_and_after_agrees_with_the_trainers_step():
    tr = _trainer("adam", l2=0.01)
    tr.step()
    state = {n: float(a["weights"][1][2, 3]) for n, a in tr.optimizer_state().items()}
    p = inspect.update_preview(tr, 1, 2, 3)
    assert p.state == state
    tr.step()
    assert tr.net.weights[1][2, 3] == p.new_w
    assert {n: float(a["weights"][1][2, 3]) for n, a in tr.optimizer_state().items()} == p.new_state


def test_regularisation_cost_is_a_separate_term_over_the_weights_only():
    weights = [np.array([[1.0, -2.0]]), np.array([[3.0], [-0.5]])]
    r = inspect.regularisation_cost(weights, l1=0.0, l2=0.1)
    assert r["sum_squares"] == pytest.approx(1 + 4 + 9 + 0.25)
    assert r["cost"] == pytest.approx(0.05 * 14.25)
    r = inspect.regularisation_cost(weights, l1=0.2, l2=0.0)
    assert r["sum_abs"] == pytest.approx(6.5)
    assert r["cost"] == pytest.approx(0.2 * 6.5)
    assert inspect.regularisation_cost(weights, 0.0, 0.0)["cost"] == 0.0
    r = inspect.regularisation_cost(weights, l1=0.2, l2=0.1)
    assert (r["l1_cost"], r["l2_cost"]) == pytest.approx((1.3, 0.7125))
    assert r["cost"] == pytest.approx(1.3 + 0.7125)
