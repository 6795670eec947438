"""engine.inspect: every number the math panel shows must equal what the engine computed."""

import numpy as np
import pytest

from engine import Network, Trainer, datasets
from engine import inspect


def _net_and_batch(sizes=(2, 3, 4, 1), hidden="tanh", output="sigmoid", loss="bce", m=7, seed=1):
    net = Network(list(sizes), hidden=hidden, output=output, loss=loss, init="xavier", seed=seed)
    rng = np.random.default_rng(seed)
    for b in net.biases:
        b[...] = rng.normal(0, 0.3, b.shape)
    X = rng.normal(0, 1.5, (sizes[0], m))
    n_out = sizes[-1]
    if loss == "cce":
        labels = rng.integers(0, n_out, m)
        Y = np.zeros((n_out, m))
        Y[labels, np.arange(m)] = 1.0
    elif loss == "bce":
        Y = (rng.random((n_out, m)) > 0.5).astype(float)
    else:
        Y = rng.normal(0, 1, (n_out, m))
    return net, X, Y


CASES = [
    dict(sizes=(2, 3, 4, 1), hidden="tanh", output="sigmoid", loss="bce"),
    dict(sizes=(3, 5, 3), hidden="relu", output="softmax", loss="cce"),
    dict(sizes=(2, 4, 2), hidden="swish", output="linear", loss="mse"),
    dict(sizes=(2, 3, 3, 3), hidden="gelu", output="softmax", loss="mse"),
    dict(sizes=(1, 1), hidden="tanh", output="linear", loss="mse"),
    dict(sizes=(2, 4, 3, 1), hidden="sigmoid", output="tanh", loss="mse"),
]


def _all_params(net, param):
    for l in range(net.n_layers):
        for j in range(net.sizes[l + 1]):
            for k in range(net.sizes[l] if param == "W" else 1):
                yield l, j, k


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['hidden']}-{c['output']}-{c['loss']}")
@pytest.mark.parametrize("param", ["W", "b"])
def test_chain_rule_product_is_the_samples_gradient_and_mean_is_dW(case, param):
    net, X, Y = _net_and_batch(**case)
    trace = net.forward(X)
    grads = net.backward(trace, Y)
    for l, j, k in _all_params(net, param):
        for s in (0, X.shape[1] - 1):
            rule = inspect.chain_rule(net, trace, Y, l, j, k, s, param=param)
            # the factors, multiplied out by hand, give the sample's gradient
            product = rule.factors[0].value
            for f in rule.factors[1:]:
                if np.ndim(f.value) >= 1:            # a Jacobian, or a column of one
                    product = product @ f.value
                elif np.ndim(product) == 1:          # into neuron j of the layer
                    product = product[j] * f.value
                else:
                    product = product * f.value
            # the sample's gradient from the engine: backward on that one column
            one = net.forward(X[:, s:s + 1])
            g1 = net.backward(one, Y[:, s:s + 1])
            expect = g1.dW[l][j, k] if param == "W" else g1.db[l][j, 0]
            assert rule.sample_gradient == pytest.approx(expect, rel=1e-10, abs=1e-14)
            assert float(product) == pytest.approx(expect, rel=1e-10, abs=1e-14)
            assert rule.per_sample[s] == pytest.approx(expect, rel=1e-10, abs=1e-14)
        engine = grads.dW[l][j, k] if param == "W" else grads.db[l][j, 0]
        assert rule.engine_value == engine
        assert rule.batch_mean == pytest.approx(engine, rel=1e-10, abs=1e-14)


def test_chain_rule_lists_the_factors_of_math_md():
    net, X, Y = _net_and_batch(sizes=(2, 3, 4, 1))
    rule = inspect.chain_rule(net, net.forward(X), Y, 0, 1, 0, 2)
    symbols = [f.symbol for f in rule.factors]
    assert symbols == ["∂loss/∂A³", "∂A³/∂Z³", "∂Z³/∂A²", "∂A²/∂Z²", "∂Z²/∂A¹", "∂A¹₂/∂Z¹₂", "∂Z¹₂/∂w"]
    assert rule.symbol == "W¹₂‚₁"
    assert rule.factors[2].value.shape == (1, 4)                 # W³
    np.testing.assert_array_equal(rule.factors[2].value, net.weights[2])
    assert rule.factors[-1].value == X[0, 2]                     # ∂Z¹₂/∂w = x₁ of sample 3
    assert rule.value == net.weights[0][1, 0]


def test_single_neuron_chain_is_plain_numbers():
    net = Network([1, 1], output="linear", loss="mse", init="zeros")
    net.weights[0][0, 0] = 0.5
    net.biases[0][0, 0] = 0.25
    X = np.array([[1.0, 2.0, 3.0, 4.0]])
    Y = np.array([[2.0, 4.0, 5.0, 8.0]])
    rule = inspect.chain_rule(net, net.forward(X), Y, 0, 0, 0, 1)
    assert all(f.is_scalar for f in rule.factors)
    # ŷ = 0.5·2 + 0.25 = 1.25; ∂loss/∂ŷ = 2(1.25 − 4) = −5.5; ∂ŷ/∂z = 1; ∂z/∂w = 2
    assert [float(f.value) for f in rule.factors] == [-5.5, 1.0, 2.0]
    assert rule.sample_gradient == -11.0


def test_saturated_sigmoid_output_still_gives_a_finite_gradient():
    net = Network([1, 1], output="sigmoid", loss="bce", init="zeros")
    net.weights[0][0, 0] = 100.0
    X = np.array([[1.0, -1.0]])
    Y = np.array([[0.0, 1.0]])
    rule = inspect.chain_rule(net, net.forward(X), Y, 0, 0, 0, 0)
    assert np.isfinite(rule.sample_gradient)
    assert rule.sample_gradient == pytest.approx(1.0)   # (A − Y)·x = (1 − 0)·1
    assert "saturated" in rule.factors[1].note


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['hidden']}-{c['output']}-{c['loss']}")
def test_finite_difference_agrees_in_float64(case):
    net, X, Y = _net_and_batch(**case)
    before = net.parameters.copy()
    for param in ("W", "b"):
        for l, j, k in _all_params(net, param):
            fd = inspect.finite_difference(net, X, Y, l, j, k, eps=1e-6, param=param)
            assert abs(fd.numeric - fd.analytic) <= 1e-6 * max(1.0, abs(fd.analytic))
            assert fd.relative_error < 1e-4 or abs(fd.analytic) < 1e-7
    np.testing.assert_array_equal(net.parameters, before)


def test_finite_difference_rejects_bad_input():
    net, X, Y = _net_and_batch()
    with pytest.raises(ValueError, match="layer index"):
        inspect.finite_difference(net, X, Y, 3, 0, 0)
    with pytest.raises(ValueError, match="input index k"):
        inspect.finite_difference(net, X, Y, 0, 0, 2)
    with pytest.raises(ValueError, match="eps"):
        inspect.finite_difference(net, X, Y, 0, 0, 0, eps=-1)
    with pytest.raises(ValueError, match="param"):
        inspect.finite_difference(net, X, Y, 0, 0, 0, param="Z")
    with pytest.raises(ValueError, match="sample"):
        inspect.chain_rule(net, net.forward(X), Y, 0, 0, 0, 99)


def test_cost_slice_at_current_w_is_current_cost_and_net_is_unchanged():
    net, X, Y = _net_and_batch()
    J = net.loss(net.forward(X), Y)
    w = net.weights[1][2, 1]
    before = net.parameters.copy()
    values = np.array([w - 1.0, w, w + 1.0])
    costs = inspect.cost_slice(net, X, Y, 1, 2, 1, values)
    assert costs[1] == J
    assert costs[0] != J and costs[2] != J
    np.testing.assert_array_equal(net.parameters, before)
    # the slope of the slice at w is ∂J/∂w
    h = 1e-5
    near = inspect.cost_slice(net, X, Y, 1, 2, 1, [w - h, w + h])
    dW = net.backward(net.forward(X), Y).dW[1][2, 1]
    assert (near[1] - near[0]) / (2 * h) == pytest.approx(dW, rel=1e-6, abs=1e-9)


def test_cost_surface_matches_two_slices():
    net, X, Y = _net_and_batch()
    w1, w2 = net.weights[0][0, 0], net.weights[2][0, 3]
    v1 = np.array([w1 - 1, w1 - 0.5, w1, w1 + 0.5, w1 + 1])
    v2 = np.array([w2 - 1, w2, w2 + 0.5, w2 + 1])
    surf = inspect.cost_surface(net, X, Y, (0, 0, 0), (2, 0, 3), v1, v2)
    assert surf.shape == (4, 5)
    J = net.loss(net.forward(X), Y)
    assert surf[1, 2] == J
    np.testing.assert_allclose(surf[:, 2][None], [inspect.cost_slice(net, X, Y, 2, 0, 3, v2)], rtol=1e-12)
    with pytest.raises(ValueError, match="different"):
        inspect.cost_surface(net, X, Y, (0, 0, 0), (0, 0, 0), v1, v2)


def test_layer_map_equals_the_trace():
    net, X, Y = _net_and_batch(sizes=(2, 2, 2, 1))
    trace = net.forward(X)
    for l in range(net.n_layers):
        Z, A = inspect.layer_map(net, X, l)
        np.testing.assert_array_equal(Z, trace.Z[l])
        np.testing.assert_array_equal(A, trace.A[l + 1])
    with pytest.raises(ValueError):
        inspect.layer_map(net, X, 3)


def test_gradient_norms_vanish_in_a_deep_sigmoid_net():
    net = Network([2] + [6] * 8 + [1], hidden="sigmoid", output="sigmoid", loss="bce", init="xavier", seed=0)
    data = datasets.make("circle", n=200, seed=0)
    grads = net.backward(net.forward(data.X_train), data.Y_train)
    norms = inspect.gradient_norms(grads)
    assert norms.shape == (9,)
    assert norms[0] < norms[-1] / 100         # the first layer hears a hundredth of the last


def _trainer(optimizer, seed=3, l2=0.0):
    net = Network([2, 5, 4, 1], hidden="tanh", output="sigmoid", loss="bce", seed=seed)
    data = datasets.make("xor", n=120, noise=0.1, seed=seed)
    return Trainer(net, data, optimizer=optimizer, lr=0.05, batch_size=16, seed=seed, l2=l2)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam"])
def test_phases_reproduce_step_exactly(optimizer):
    a, b = _trainer(optimizer, l2=0.001), _trainer(optimizer, l2=0.001)
    for _ in range(10):                        # crosses an epoch boundary (120 / 16 = 8 steps)
        phases = list(a.phases())
        result = b.step()
        kinds = [p.kind for p in phases]
        assert kinds == ["affine", "activation"] * 3 + ["cost"] + ["backward"] * 3 + ["update"]
        assert [p.layer for p in phases[-4:-1]] == [3, 2, 1]
        assert phases[6].arrays["J"] == pytest.approx(result.loss, abs=1e-12)
        np.testing.assert_allclose(a.net.parameters, b.net.parameters, rtol=0, atol=1e-12)
        np.testing.assert_allclose(a._state, b._state, rtol=0, atol=1e-12)
        assert (a.steps, a.epoch, a.samples_in_epoch) == (b.steps, b.epoch, b.samples_in_epoch)


def test_update_preview_predicts_the_update_without_changing_the_trainer():
    for optimizer in ("sgd", "momentum", "rmsprop", "adam"):
        tr = _trainer(optimizer, l2=0.01)
        tr.step()
        before = tr.net.parameters.copy(), tr._state.copy(), tr.steps, tr.samples_in_epoch
        p = inspect.update_preview(tr, 1, 2, 3)
        assert p.w == tr.net.weights[1][2, 3]
        assert p.lr == tr.lr
        assert p.reg_grad == pytest.approx(0.01 * p.w)
        np.testing.assert_array_equal(tr.net.parameters, before[0])
        np.testing.assert_array_equal(tr._state, before[1])
        assert (tr.steps, tr.samples_in_epoch) == before[2:]
        pb = inspect.update_preview(tr, 2, 0, None, param="b")
        result = tr.step()
        assert tr.net.weights[1][2, 3] == pytest.approx(p.new_w, abs=1e-15)
        assert tr.net.biases[2][0, 0] == pytest.approx(pb.new_w, abs=1e-15)
        assert p.grad == pytest.approx(result.grads.dW[1][2, 3], abs=1e-15)
        if optimizer == "sgd":
            assert p.new_w == pytest.approx(p.w - p.lr * (p.grad + p.reg_grad))
            assert p.state == {}
        else:
            state = tr.optimizer_state()
            name = list(p.new_state)[0]
            assert state[name]["weights"][1][2, 3] == pytest.approx(p.new_state[name], abs=1e-15)
