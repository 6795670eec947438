"""Backprop's dW and db against central finite differences of the engine's own cost (float64)."""
import numpy as np
import pytest

from engine import HIDDEN_ACTIVATIONS, Network

# Every pairing MATH.md allows: mse with any output, bce with sigmoid, cce with softmax.
PAIRINGS = [("linear", "mse"), ("sigmoid", "mse"), ("tanh", "mse"), ("softmax", "mse"),
            ("sigmoid", "bce"), ("softmax", "cce")]
KINKED = ("relu", "leaky_relu")          # derivative jumps at z = 0
H = 1e-5


def problem(hidden, output, loss, seed=0, m=7):
    """A network [3, 5, 4, n_out] with random biases, a batch, and targets that suit the loss."""
    n_out = 3 if output == "softmax" else 2
    net = Network([3, 5, 4, n_out], hidden=hidden, output=output, loss=loss, init="xavier", seed=seed)
    rng = np.random.default_rng(100 + seed)
    for W, b in zip(net.weights, net.biases):
        W *= 1.5                                 # get away from the nearly linear regime
        b[...] = rng.normal(0.0, 0.5, b.shape)
    X = rng.normal(0.0, 1.0, (3, m))
    if loss == "cce":
        Y = np.eye(n_out)[:, rng.integers(0, n_out, m)]
    elif loss == "bce":
        Y = rng.integers(0, 2, (n_out, m)).astype(float)
    else:
        Y = rng.uniform(-0.8, 0.8, (n_out, m))
        if output == "softmax":
            Y = np.abs(Y) / np.abs(Y).sum(axis=0)
    return net, X, Y


def cost_of(net, X, Y):
    return net.loss(net.forward(X), Y)


def numerical_gradient(net, X, Y, param):
    """Central differences of J with respect to every entry of param (a view into net)."""
    grad = np.empty_like(param)
    for index in np.ndindex(param.shape):
        saved = param[index]
        param[index] = saved + H
        plus = cost_of(net, X, Y)
        param[index] = saved - H
        minus = cost_of(net, X, Y)
        param[index] = saved
        grad[index] = (plus - minus) / (2 * H)
    return grad


def relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def check_gradients(net, X, Y):
    trace = net.forward(X)
    if any(name in KINKED for name in net.activations):
        for Z in trace.Z[:-1]:
            # a finite difference across a kink would not match the one-sided derivative
            assert np.abs(Z).min() > 1e-4, "pick another seed: a pre-activation sits on the kink"
    grads = net.backward(trace, Y)
    for l in range(net.n_layers):
        for what, param, analytic in (("dW", net.weights[l], grads.dW[l]), ("db", net.biases[l], grads.db[l])):
            numeric = numerical_gradient(net, X, Y, param)
            assert np.linalg.norm(numeric) > 1e-8, f"{what}{l + 1} is zero: the check would be vacuous"
            err = relative_error(analytic, numeric)
            assert err < 1e-6, f"{what}{l + 1}: relative error {err:.2e}\nanalytic {analytic}\nnumeric {numeric}"


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_every_hidden_activation(hidden):
    net, X, Y = problem(hidden, "sigmoid", "bce")
    check_gradients(net, X, Y)


@pytest.mark.parametrize("output, loss", PAIRINGS)
def test_every_output_and_loss_pairing(output, loss):
    net, X, Y = problem("tanh", output, loss, seed=1)
    check_gradients(net, X, Y)


@pytest.mark.parametrize("output, loss", PAIRINGS)
def test_pairings_with_a_kinked_hidden_layer(output, loss):
    net, X, Y = problem("leaky_relu", output, loss, seed=2)
    check_gradients(net, X, Y)


def test_mixed_hidden_activations_per_layer():
    net, X, Y = problem("tanh", "linear", "mse", seed=3)
    net.set_activation(0, "gelu")
    net.set_activation(1, "sin")
    check_gradients(net, X, Y)


def test_the_check_can_fail():
    """A wrong gradient is caught: the harness is not vacuous."""
    net, X, Y = problem("tanh", "sigmoid", "bce")
    trace = net.forward(X)
    grads = net.backward(trace, Y)
    numeric = numerical_gradient(net, X, Y, net.weights[0])
    assert relative_error(grads.dW[0], numeric) < 1e-6
    assert relative_error(1.001 * grads.dW[0], numeric) > 1e-6
