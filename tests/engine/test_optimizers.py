"""The four optimizers' first two steps, computed by hand here, with and without L1/L2."""
import numpy as np
import pytest

import reference as ref
from engine import Network, Trainer

LR = 0.1
MU, RHO, B1, B2, EPS = 0.9, 0.9, 0.9, 0.999, 1e-8
TIGHT = dict(rtol=1e-12, atol=1e-14)


def setup(optimizer, l1=0.0, l2=0.0, **kw):
    """A [2, 3, 2] network, 8 samples, full batches (so every step sees the same samples)."""
    net = Network([2, 3, 2], hidden="tanh", output="sigmoid", loss="bce", seed=0)
    rng = np.random.default_rng(7)
    for b in net.biases:
        b[...] = rng.normal(0.0, 0.5, b.shape)      # non-zero biases: regularising them would show
    X = rng.normal(0.0, 1.0, (2, 8))
    Y = rng.integers(0, 2, (2, 8)).astype(float)
    trainer = Trainer(net, (X, Y), optimizer=optimizer, lr=LR, batch_size=8, l1=l1, l2=l2, seed=0, **kw)
    return trainer, X, Y


def params(net):
    return [w.copy() for w in net.weights] + [b.copy() for b in net.biases]


def gradients(net, X, Y, l1, l2):
    """Reference gradients of the objective: data term + λ₂·w + λ₁·sign(w) on weights only."""
    Z, A = ref.forward(net.weights, net.biases, net.activations, X)
    _, dW, db = ref.backward(net.weights, net.activations, net.loss_name, Z, A, Y)
    L = net.n_layers
    return [dW[l] + l2 * net.weights[l] + l1 * np.sign(net.weights[l]) for l in range(L)] + db


def run_two_steps(optimizer, l1=0.0, l2=0.0, **kw):
    """Two engine steps; returns (w0, g1, w1, g2, w2, states after each step), per parameter array."""
    trainer, X, Y = setup(optimizer, l1, l2, **kw)
    w0 = params(trainer.net)
    g1 = gradients(trainer.net, X, Y, l1, l2)
    r1 = trainer.step()
    assert sorted(r1.indices) == list(range(8))
    w1 = params(trainer.net)
    s1 = trainer.optimizer_state()
    s1 = {k: v["weights"] + v["biases"] for k, v in s1.items()}
    s1 = {k: [a.copy() for a in v] for k, v in s1.items()}
    g2 = gradients(trainer.net, X, Y, l1, l2)
    trainer.step()
    w2 = params(trainer.net)
    s2 = trainer.optimizer_state()
    s2 = {k: v["weights"] + v["biases"] for k, v in s2.items()}
    return w0, g1, w1, g2, w2, s1, s2


def assert_lists_close(actual, expected, what):
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(a, e, err_msg=f"{what}[{i}]", **TIGHT)


REG = [(0.0, 0.0), (0.0, 0.05), (0.02, 0.0), (0.02, 0.05)]


@pytest.mark.parametrize("l1, l2", REG)
def test_sgd_two_steps(l1, l2):
    w0, g1, w1, g2, w2, s1, s2 = run_two_steps("sgd", l1, l2)
    assert s1 == {} and s2 == {}
    assert_lists_close(w1, [w - LR * g for w, g in zip(w0, g1)], "w1")
    assert_lists_close(w2, [w - LR * g for w, g in zip(w1, g2)], "w2")


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("l1, l2", REG)
def test_momentum_two_steps(nesterov, l1, l2):
    w0, g1, w1, g2, w2, s1, s2 = run_two_steps("momentum", l1, l2, momentum=MU, nesterov=nesterov)
    v1 = [g for g in g1]                                   # v = μ·0 + g
    v2 = [MU * v + g for v, g in zip(v1, g2)]
    if nesterov:
        e1 = [w - LR * (g + MU * v) for w, g, v in zip(w0, g1, v1)]
        e2 = [w - LR * (g + MU * v) for w, g, v in zip(w1, g2, v2)]
    else:
        e1 = [w - LR * v for w, v in zip(w0, v1)]
        e2 = [w - LR * v for w, v in zip(w1, v2)]
    assert_lists_close(s1["velocity"], v1, "velocity 1")
    assert_lists_close(w1, e1, "w1")
    assert_lists_close(s2["velocity"], v2, "velocity 2")
    assert_lists_close(w2, e2, "w2")


@pytest.mark.parametrize("l1, l2", REG)
def test_rmsprop_two_steps(l1, l2):
    w0, g1, w1, g2, w2, s1, s2 = run_two_steps("rmsprop", l1, l2)
    ms1 = [(1 - RHO) * g ** 2 for g in g1]
    ms2 = [RHO * s + (1 - RHO) * g ** 2 for s, g in zip(ms1, g2)]
    assert_lists_close(s1["mean_square"], ms1, "mean square 1")
    assert_lists_close(w1, [w - LR * g / (np.sqrt(s) + EPS) for w, g, s in zip(w0, g1, ms1)], "w1")
    assert_lists_close(s2["mean_square"], ms2, "mean square 2")
    assert_lists_close(w2, [w - LR * g / (np.sqrt(s) + EPS) for w, g, s in zip(w1, g2, ms2)], "w2")


@pytest.mark.parametrize("l1, l2", REG)
def test_adam_two_steps_with_bias_correction(l1, l2):
    w0, g1, w1, g2, w2, s1, s2 = run_two_steps("adam", l1, l2)
    m1 = [(1 - B1) * g for g in g1]
    v1 = [(1 - B2) * g ** 2 for g in g1]
    m2 = [B1 * m + (1 - B1) * g for m, g in zip(m1, g2)]
    v2 = [B2 * v + (1 - B2) * g ** 2 for v, g in zip(v1, g2)]
    e1 = [w - LR * (m / (1 - B1)) / (np.sqrt(v / (1 - B2)) + EPS) for w, m, v in zip(w0, m1, v1)]
    e2 = [w - LR * (m / (1 - B1 ** 2)) / (np.sqrt(v / (1 - B2 ** 2)) + EPS) for w, m, v in zip(w1, m2, v2)]
    assert_lists_close(s1["first_moment"], m1, "first moment 1")
    assert_lists_close(s1["second_moment"], v1, "second moment 1")
    assert_lists_close(w1, e1, "w1")
    assert_lists_close(s2["first_moment"], m2, "first moment 2")
    assert_lists_close(s2["second_moment"], v2, "second moment 2")
    assert_lists_close(w2, e2, "w2")


def one_neuron(optimizer, **kw):
    """Ŷ = w·x + b, mse, one sample x = 1, y = 0, w = 1, b = 0.5: dJ/dw = dJ/db = 2(w + b)."""
    net = Network([1, 1], hidden=[], output="linear", loss="mse", init="zeros")
    net.weights[0][0, 0] = 1.0
    net.biases[0][0, 0] = 0.5
    return Trainer(net, (np.array([[1.0]]), np.array([[0.0]])), optimizer=optimizer, lr=0.1, batch_size=1, **kw)


def test_sgd_numbers_by_hand():
    trainer = one_neuron("sgd")
    trainer.step()                                      # g = 2·1.5 = 3
    assert trainer.net.weights[0][0, 0] == pytest.approx(0.7, abs=1e-15)
    assert trainer.net.biases[0][0, 0] == pytest.approx(0.2, abs=1e-15)
    trainer.step()                                      # g = 2·0.9 = 1.8
    assert trainer.net.weights[0][0, 0] == pytest.approx(0.52, abs=1e-15)
    assert trainer.net.biases[0][0, 0] == pytest.approx(0.02, abs=1e-15)


def test_l2_and_l1_numbers_by_hand():
    trainer = one_neuron("sgd", l2=0.5)
    trainer.step()                                      # g_w = 3 + 0.5·1, g_b = 3 (no L2 on biases)
    assert trainer.net.weights[0][0, 0] == pytest.approx(1 - 0.1 * 3.5, abs=1e-15)
    assert trainer.net.biases[0][0, 0] == pytest.approx(0.5 - 0.1 * 3, abs=1e-15)
    trainer = one_neuron("sgd", l1=0.5)
    trainer.net.weights[0][0, 0] = -1.0                 # g_w = 2(−1 + 0.5)·1 + 0.5·sign(−1) = −1.5
    trainer.step()
    assert trainer.net.weights[0][0, 0] == pytest.approx(-1 + 0.1 * 1.5, abs=1e-15)
    assert trainer.net.biases[0][0, 0] == pytest.approx(0.5 + 0.1 * 1.0, abs=1e-15)


def test_momentum_and_adam_numbers_by_hand():
    trainer = one_neuron("momentum", momentum=0.5)
    trainer.step()                                      # v = 3, w = 1 − 0.3
    trainer.step()                                      # g = 2(0.7 + 0.2) = 1.8, v = 1.5 + 1.8 = 3.3
    assert trainer.net.weights[0][0, 0] == pytest.approx(0.7 - 0.33, abs=1e-15)
    assert trainer.optimizer_state()["velocity"]["weights"][0][0, 0] == pytest.approx(3.3, abs=1e-15)
    trainer = one_neuron("adam")
    trainer.step()                                      # bias-corrected first step: lr·g/(|g| + ε)
    assert trainer.net.weights[0][0, 0] == pytest.approx(1 - 0.1 * 3 / (3 + 1e-8), abs=1e-15)


def test_epsilon_is_added_after_the_square_root():
    """With a tiny gradient the ε placement matters: g/(√v̂ + ε), not g/√(v̂ + ε)."""
    net = Network([1, 1], hidden=[], output="linear", loss="mse", init="zeros")
    net.biases[0][0, 0] = 1e-9                          # A = 1e-9, so g = 2(A − 0)·x = 2e-9
    trainer = Trainer(net, (np.array([[1.0]]), np.array([[0.0]])), optimizer="adam", lr=1.0, batch_size=1)
    trainer.step()
    g = 2e-9
    after = -g / (g + 1e-8)
    inside = -g / np.sqrt(g * g + 1e-8)
    assert trainer.net.weights[0][0, 0] == pytest.approx(after, rel=1e-9)
    assert abs(after - inside) > 1e-3


def test_trainer_constants():
    trainer, _, _ = setup("adam")
    assert (trainer.rho, trainer.beta1, trainer.beta2, trainer.eps) == (0.9, 0.9, 0.999, 1e-8)
    assert trainer.momentum == 0.9 and trainer.nesterov is False
    net32 = Network([2, 1], hidden=[], output="sigmoid", loss="bce", dtype=np.float32)
    t32 = Trainer(net32, (np.zeros((2, 4)), np.ones((1, 4))), optimizer="adam", batch_size=2)
    assert t32.eps == 1e-7


@pytest.mark.parametrize("optimizer, names", [("sgd", []), ("momentum", ["velocity"]),
                                              ("rmsprop", ["mean_square"]),
                                              ("adam", ["first_moment", "second_moment"])])
def test_optimizer_state_shapes(optimizer, names):
    trainer, _, _ = setup(optimizer)
    state = trainer.optimizer_state()
    assert sorted(state) == sorted(names)
    for name in names:
        assert [a.shape for a in state[name]["weights"]] == [w.shape for w in trainer.net.weights]
        assert [a.shape for a in state[name]["biases"]] == [b.shape for b in trainer.net.biases]
        assert all(np.all(a == 0) for a in state[name]["weights"] + state[name]["biases"])


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam"])
def test_float32_updates_agree_with_the_float64_reference(optimizer):
    net = Network([2, 4, 2], hidden="tanh", output="sigmoid", loss="bce", seed=0, dtype=np.float32)
    rng = np.random.default_rng(7)
    X = rng.normal(0.0, 1.0, (2, 8))
    Y = rng.integers(0, 2, (2, 8)).astype(float)
    trainer = Trainer(net, (X, Y), optimizer=optimizer, lr=0.01, batch_size=8, l2=0.01)
    reference = ref.ReferenceTrainer(net.weights, net.biases, net.activations, net.loss_name, optimizer,
                                     lr=0.01, l2=0.01, eps=1e-7)
    for _ in range(3):
        result = trainer.step()
        reference.step(result.X.astype(np.float64), result.Y.astype(np.float64))
    assert net.parameters.dtype == np.float32
    assert all(a.dtype == np.float32 for arrays in trainer.optimizer_state().values() for a in arrays["weights"])
    for l in range(2):
        np.testing.assert_allclose(net.weights[l], reference.weights[l], rtol=1e-4, atol=2e-5)
        np.testing.assert_allclose(net.biases[l], reference.biases[l], rtol=1e-4, atol=2e-5)
