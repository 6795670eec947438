"""Network: forward, cost and backward against the NumPy reference; copies, files, bad input."""
import json

import numpy as np
import pytest

import reference as ref
from engine import HIDDEN_ACTIVATIONS, INITS, Network, Trainer

PAIRINGS = [("linear", "mse"), ("sigmoid", "mse"), ("tanh", "mse"), ("softmax", "mse"),
            ("sigmoid", "bce"), ("softmax", "cce")]
TIGHT = dict(rtol=1e-12, atol=1e-12)


def build(sizes, hidden, output, loss, m, seed=0, dtype=np.float64):
    net = Network(sizes, hidden=hidden, output=output, loss=loss, init="xavier", seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 50)
    for b in net.biases:
        b[...] = rng.normal(0.0, 0.3, b.shape)
    X = rng.normal(0.0, 1.0, (sizes[0], m))
    n_out = sizes[-1]
    if loss == "cce" or output == "softmax":
        Y = np.eye(n_out)[:, rng.integers(0, n_out, m)]
    elif loss == "bce":
        Y = rng.integers(0, 2, (n_out, m)).astype(float)
    else:
        Y = rng.normal(0.0, 1.0, (n_out, m))
    return net, X, Y


def reference_pass(net, X, Y):
    weights = [w.astype(np.float64) for w in net.weights]
    biases = [b.astype(np.float64) for b in net.biases]
    Z, A = ref.forward(weights, biases, net.activations, X.astype(np.float64))
    J = ref.cost(net.loss_name, A[-1], Y)
    dZ, dW, db = ref.backward(weights, net.activations, net.loss_name, Z, A, Y)
    return Z, A, J, dZ, dW, db


def compare(net, X, Y, **tol):
    trace = net.forward(X)
    J = net.loss(trace, Y)
    grads = net.backward(trace, Y)
    Z, A, J_ref, dZ, dW, db = reference_pass(net, X, Y)
    assert len(trace.Z) == net.n_layers and len(trace.A) == net.n_layers + 1
    np.testing.assert_array_equal(trace.A[0], X.astype(net.dtype))
    for l in range(net.n_layers):
        assert trace.Z[l].shape == (net.sizes[l + 1], X.shape[1])
        assert grads.dW[l].shape == net.weights[l].shape and grads.db[l].shape == net.biases[l].shape
        np.testing.assert_allclose(trace.Z[l], Z[l], err_msg=f"Z{l + 1}", **tol)
        np.testing.assert_allclose(trace.A[l + 1], A[l + 1], err_msg=f"A{l + 1}", **tol)
        np.testing.assert_allclose(grads.dZ[l], dZ[l], err_msg=f"dZ{l + 1}", **tol)
        np.testing.assert_allclose(grads.dW[l], dW[l], err_msg=f"dW{l + 1}", **tol)
        np.testing.assert_allclose(grads.db[l], db[l], err_msg=f"db{l + 1}", **tol)
    assert J == pytest.approx(J_ref, rel=tol["rtol"], abs=tol["atol"])
    np.testing.assert_allclose(net.predict(X), A[-1], **tol)


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_forward_backward_match_reference_for_every_hidden_activation(hidden):
    net, X, Y = build([3, 6, 5, 2], hidden, "sigmoid", "bce", m=9)
    compare(net, X, Y, **TIGHT)


@pytest.mark.parametrize("output, loss", PAIRINGS)
def test_forward_backward_match_reference_for_every_pairing(output, loss):
    net, X, Y = build([4, 6, 3], "swish", output, loss, m=11, seed=1)
    compare(net, X, Y, **TIGHT)


@pytest.mark.parametrize("output, loss", [("softmax", "cce"), ("linear", "mse")])
def test_large_layers_blas_path_match_reference(output, loss):
    # 64·64·40 multiply-adds per layer: above the kernels' BLAS threshold
    net, X, Y = build([40, 64, 64, 10], "relu", output, loss, m=40, seed=2)
    compare(net, X, Y, **TIGHT)


@pytest.mark.parametrize("output, loss", [("sigmoid", "bce"), ("softmax", "cce"), ("tanh", "mse")])
def test_float32_network_agrees_with_float64_reference(output, loss):
    net, X, Y = build([3, 8, 6, 3], "tanh", output, loss, m=10, seed=3, dtype=np.float32)
    trace = net.forward(X)
    assert trace.Z[0].dtype == np.float32 and trace.A[-1].dtype == np.float32
    grads = net.backward(trace, Y)
    assert grads.dW[0].dtype == np.float32
    compare(net, X.astype(np.float32), Y, rtol=1e-4, atol=1e-5)


def test_per_sample_error_is_not_divided_by_m():
    """dZ of one sample does not depend on how many other samples share the batch."""
    net, X, Y = build([2, 4, 1], "tanh", "sigmoid", "bce", m=6)
    whole = net.backward(net.forward(X), Y)
    first = net.backward(net.forward(X[:, :1]), Y[:, :1])
    np.testing.assert_allclose(whole.dZ[-1][:, :1], first.dZ[-1], **TIGHT)
    np.testing.assert_allclose(whole.dZ[0][:, :1], first.dZ[0], **TIGHT)
    np.testing.assert_allclose(whole.dZ[-1], net.forward(X).A[-1] - Y, **TIGHT)   # sigmoid + bce


def test_one_neuron_line_fit_by_hand():
    """Ŷ = W·X + B with mse: every number computed by hand."""
    net = Network([1, 1], hidden=[], output="linear", loss="mse", init="zeros")
    net.weights[0][0, 0] = 2.0
    net.biases[0][0, 0] = 1.0
    X = np.array([[0.0, 1.0, 2.0, 3.0]])
    Y = np.array([[1.0, 2.0, 6.0, 7.0]])
    trace = net.forward(X)
    np.testing.assert_array_equal(trace.output, [[1.0, 3.0, 5.0, 7.0]])
    assert net.loss(trace, Y) == pytest.approx((0 + 1 + 1 + 0) / 4)
    grads = net.backward(trace, Y)
    np.testing.assert_allclose(grads.dZ[0], [[0.0, 2.0, -2.0, 0.0]])                # 2(A − Y)
    assert grads.dW[0][0, 0] == pytest.approx((0 + 2 - 4 + 0) / 4)                  # mean of dZ·x
    assert grads.db[0][0, 0] == pytest.approx(0.0)


def test_cost_formulas_by_hand():
    net = Network([1, 1], hidden=[], output="sigmoid", loss="bce", init="zeros")   # output 0.5
    X = np.zeros((1, 2))
    assert net.loss(net.forward(X), np.array([[1.0, 0.0]])) == pytest.approx(np.log(2))
    net = Network([1, 4], hidden=[], output="softmax", loss="cce", init="zeros")   # output 1/4 each
    X = np.zeros((1, 3))
    assert net.loss(net.forward(X), np.array([0, 3, 2])) == pytest.approx(np.log(4))
    net = Network([1, 2], hidden=[], output="linear", loss="mse", init="zeros")
    net.biases[0][:, 0] = [1.0, 3.0]
    J = net.loss(net.forward(np.zeros((1, 1))), np.array([[0.0], [0.0]]))
    assert J == pytest.approx((1 + 9) / 2)                                           # no factor ½


def test_log_clip_keeps_cost_finite_and_unchanged_elsewhere():
    net = Network([1, 1], hidden=[], output="sigmoid", loss="bce", init="zeros")
    net.weights[0][0, 0] = 1000.0
    J = net.loss(net.forward(np.array([[1.0]])), np.array([[0.0]]))   # A = 1 exactly
    assert np.isfinite(J) and J > 20
    net.weights[0][0, 0] = 1.0
    trace = net.forward(np.array([[1.0]]))
    a = 1 / (1 + np.exp(-1.0))
    assert net.loss(trace, np.array([[1.0]])) == pytest.approx(-np.log(a), rel=1e-12)


def test_softmax_is_per_column_and_stable():
    net = Network([1, 3], hidden=[], output="softmax", loss="cce", init="zeros")
    net.weights[0][:, 0] = [1.0, 2.0, 3.0]
    X = np.array([[0.0, 1.0, 1000.0]])
    A = net.predict(X)
    assert np.all(np.isfinite(A))
    np.testing.assert_allclose(A.sum(axis=0), 1.0, rtol=1e-15)
    np.testing.assert_allclose(A[:, 0], 1 / 3)
    np.testing.assert_allclose(A[:, 2], [0.0, 0.0, 1.0], atol=1e-300)


def test_predict_in_batches_equals_forward():
    net, X, _ = build([3, 7, 2], "elu", "linear", "mse", m=25)
    np.testing.assert_array_equal(net.predict(X, batch=4), net.forward(X).output)


def test_structure_properties():
    net = Network([2, 8, 8, 1], hidden="tanh", output="sigmoid", loss="bce")
    assert net.sizes == [2, 8, 8, 1] and net.n_layers == 3
    assert net.activations == ["tanh", "tanh", "sigmoid"]
    assert net.loss_name == "bce" and net.init == "xavier" and net.dtype == np.float64
    assert net.n_params == 2 * 8 + 8 + 8 * 8 + 8 + 8 + 1
    assert [w.shape for w in net.weights] == [(8, 2), (8, 8), (1, 8)]
    assert [b.shape for b in net.biases] == [(8, 1), (8, 1), (1, 1)]
    net.weights[1][2, 3] = 42.0                   # views are writable and seen by the next pass
    assert 42.0 in net.parameters
    net2 = Network([2, 3, 1], hidden=["relu", "sin"][:1], output="linear", loss="mse")
    assert net2.activations == ["relu", "linear"]


@pytest.mark.parametrize("init", INITS)
def test_inits_are_seeded(init):
    a = Network([5, 20, 3], init=init, seed=4)
    b = Network([5, 20, 3], init=init, seed=4)
    c = Network([5, 20, 3], init=init, seed=5)
    np.testing.assert_array_equal(a.parameters, b.parameters)
    assert all(np.all(bias == 0) for bias in a.biases)
    if init == "zeros":
        assert np.all(a.parameters == 0)
    else:
        assert not np.array_equal(a.weights[0], c.weights[0])


def test_he_and_xavier_scales():
    he = Network([400, 300, 1], init="he", seed=0)
    xavier = Network([400, 300, 1], init="xavier", seed=0)
    assert he.weights[0].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert xavier.weights[0].std() == pytest.approx(np.sqrt(2 / 700), rel=0.02)


# ----- copies and files --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_to_dict_from_dict_round_trip_through_json(dtype):
    net, X, _ = build([3, 5, 4, 2], "gelu", "softmax", "cce", m=6, dtype=dtype)
    net.set_activation(1, "sin")
    saved = json.loads(json.dumps(net.to_dict()))
    back = Network.from_dict(saved)
    assert back.sizes == net.sizes and back.activations == net.activations
    assert back.loss_name == net.loss_name and back.dtype == net.dtype and back.init == net.init
    for l in range(net.n_layers):
        np.testing.assert_array_equal(back.weights[l], net.weights[l])
        np.testing.assert_array_equal(back.biases[l], net.biases[l])
    np.testing.assert_array_equal(back.predict(X), net.predict(X))


def test_from_dict_refuses_bad_data():
    net = Network([2, 3, 1])
    saved = net.to_dict()
    with pytest.raises(ValueError, match="lacks"):
        Network.from_dict({k: v for k, v in saved.items() if k != "sizes"})
    broken = dict(saved, weights=saved["weights"][:1])
    with pytest.raises(ValueError, match="weights and biases for 2 layers"):
        Network.from_dict(broken)
    wrong = dict(saved, weights=[saved["weights"][1], saved["weights"][0]])
    with pytest.raises(ValueError, match="shape"):
        Network.from_dict(wrong)


def test_copy_is_independent():
    net, X, _ = build([2, 4, 3, 1], "tanh", "sigmoid", "bce", m=5)
    before = net.predict(X)
    clone = net.copy()
    np.testing.assert_array_equal(clone.predict(X), before)
    clone.weights[0][...] = 0.0
    clone.biases[1][...] = 9.0
    clone.set_activation(0, "relu")
    clone.add_neurons(1, 2)
    assert net.sizes == [2, 4, 3, 1] and net.activations == ["tanh", "tanh", "sigmoid"]
    np.testing.assert_array_equal(net.predict(X), before)
    net.weights[1][...] = 5.0
    assert not np.any(clone.weights[1] == 5.0)


def test_copy_trains_like_the_original():
    net, X, Y = build([2, 4, 1], "tanh", "sigmoid", "bce", m=20)
    t1 = Trainer(net, (X, Y), batch_size=5, seed=1)
    t2 = Trainer(net.copy(), (X, Y), batch_size=5, seed=1)
    t1.train(steps=7)
    t2.train(steps=7)
    np.testing.assert_array_equal(t1.net.parameters, t2.net.parameters)
    t1.add_neurons(0)
    t2.add_neurons(0)                       # the copied random state makes the same new weights
    np.testing.assert_array_equal(t1.net.parameters, t2.net.parameters)


# ----- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sizes", [[2, 0, 1], [2, -3, 1], [0, 1], [2, 2.5, 1], [2, True, 1]])
def test_bad_sizes(sizes):
    with pytest.raises(ValueError, match="whole number ≥ 1"):
        Network(sizes)


def test_too_few_sizes():
    with pytest.raises(ValueError, match="at least an input and an output"):
        Network([3])


def test_unknown_names_list_the_allowed_ones():
    with pytest.raises(ValueError, match="allowed: linear, relu, leaky_relu, elu, gelu, swish, sigmoid, tanh, sin"):
        Network([2, 3, 1], hidden="softplus")
    with pytest.raises(ValueError, match="allowed: linear, sigmoid, tanh, softmax"):
        Network([2, 3, 1], output="relu", loss="mse")
    with pytest.raises(ValueError, match="allowed: mse, bce, cce"):
        Network([2, 3, 1], loss="hinge")
    with pytest.raises(ValueError, match="allowed: he, xavier, uniform, zeros"):
        Network([2, 3, 1], init="orthogonal")
    with pytest.raises(ValueError, match="one name or a list of 2"):
        Network([2, 3, 3, 1], hidden=["tanh"])
    with pytest.raises(ValueError, match="float64 or float32"):
        Network([2, 1], dtype=np.int32)


def test_loss_and_output_must_pair():
    with pytest.raises(ValueError, match="'bce' needs a sigmoid output"):
        Network([2, 3, 1], output="linear", loss="bce")
    with pytest.raises(ValueError, match="'bce' needs a sigmoid output"):
        Network([2, 3, 2], output="softmax", loss="bce")
    with pytest.raises(ValueError, match="'cce' needs a softmax output"):
        Network([2, 3, 2], output="sigmoid", loss="cce")
    for output in ("linear", "sigmoid", "tanh", "softmax"):
        Network([2, 3, 2], output=output, loss="mse")           # mse pairs with any output
    net = Network([2, 3, 1], output="sigmoid", loss="bce")
    with pytest.raises(ValueError, match="needs a sigmoid output"):
        net.set_output("tanh")
    net.set_output("linear", "mse")
    assert net.activations[-1] == "linear" and net.loss_name == "mse"


def test_bad_inputs_and_targets():
    net = Network([2, 3, 1], output="sigmoid", loss="bce")
    with pytest.raises(ValueError, match=r"X \(inputs, 2 rows × samples\) must have shape \(2, any\), got \(3, 4\)"):
        net.forward(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"shape \(2, any\)"):
        net.predict(np.zeros(2))
    X = np.zeros((2, 4))
    X[0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite values; only finite numbers are allowed"):
        net.forward(X)
    X[0, 1] = np.inf
    with pytest.raises(ValueError, match="only finite numbers"):
        net.predict(X)
    with pytest.raises(ValueError, match="real numbers"):
        net.forward(np.array([["a", "b"], ["c", "d"]]))
    trace = net.forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"Y \(targets, 1 rows × samples\) must have shape \(1, 4\), got \(1, 3\)"):
        net.loss(trace, np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"shape \(1, 4\)"):
        net.backward(trace, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="between 0 and 1"):
        net.loss(trace, np.full((1, 4), 2.0))
    softmax = Network([2, 3], hidden=[], output="softmax", loss="cce")
    trace = softmax.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="from 0 to 2"):
        softmax.loss(trace, np.array([0, 1, 3]))


def test_layer_index_out_of_range():
    net = Network([2, 3, 3, 1])
    for bad in (3, -1, 1.0, True):
        with pytest.raises(ValueError, match="from 0 to 2"):
            net.set_activation(bad, "tanh")
    with pytest.raises(ValueError, match="hidden layer index must be from 0 to 1"):
        net.add_neurons(2)
    with pytest.raises(ValueError, match="neuron index must be from 0 to 2"):
        net.remove_neuron(1, 3)


def test_predict_checked_reads_a_transposed_row_array_in_place_and_matches_predict():
    net = Network([5, 7, 3], hidden="relu", output="softmax", loss="cce", seed=0)
    rows = np.random.default_rng(0).normal(size=(5000, 5))       # one sample per row
    expected = net.predict(np.ascontiguousarray(rows.T))
    np.testing.assert_allclose(net.predict_checked(rows.T, batch=4096), expected, rtol=1e-12)
    np.testing.assert_allclose(net.predict_checked(rows.T[:, ::2], batch=1000), expected[:, ::2], rtol=1e-12)


def test_a_softmax_over_one_output_is_refused():
    with pytest.raises(ValueError, match="softmax output needs at least 2 output neurons"):
        Network([2, 3, 1], output="softmax", loss="cce")
    net = Network([2, 3, 1], output="sigmoid", loss="bce")
    with pytest.raises(ValueError, match="at least 2 output neurons"):
        net.set_output("softmax", "cce")
    assert net.activations[-1] == "sigmoid" and net.loss_name == "bce"
    multi = Network([2, 3, 3], output="softmax", loss="cce")
    with pytest.raises(ValueError, match="at least 2 output neurons"):
        multi.remap_outputs([0])
