"""grid.evaluate: the network over the (x1, x2) plane, for the decision boundary and the thumbnails."""
import numpy as np
import pytest

from engine import Network, datasets, grid

FEATURES = ("x1", "x2", "x1²", "sin x2")


def network():
    net = Network([4, 5, 3, 2], hidden=["relu", "tanh"], output="softmax", loss="cce", seed=0)
    rng = np.random.default_rng(1)
    for b in net.biases:
        b[...] = rng.normal(0.0, 0.3, b.shape)
    return net


def test_shapes_and_axes():
    net = network()
    g = grid.evaluate(net, FEATURES, (-2.0, 4.0, -1.0, 3.0), resolution=9)
    assert g.output.shape == (2, 9, 9)
    assert [a.shape for a in g.activations] == [(5, 9, 9), (3, 9, 9), (2, 9, 9)]
    np.testing.assert_allclose(g.xs, np.linspace(-2.0, 4.0, 9))
    np.testing.assert_allclose(g.ys, np.linspace(-1.0, 3.0, 9))
    np.testing.assert_array_equal(g.activations[-1], g.output)


def test_each_pixel_is_the_network_at_that_point():
    net = network()
    g = grid.evaluate(net, FEATURES, (-2.0, 4.0, -1.0, 3.0), resolution=7)
    for i, j in [(0, 0), (0, 6), (6, 0), (2, 5), (5, 2), (3, 3)]:
        point = np.array([[g.xs[j]], [g.ys[i]]])          # column j is x, row i is y
        X = datasets.feature_matrix(point, FEATURES)
        np.testing.assert_allclose(g.output[:, i, j], net.predict(X)[:, 0], rtol=1e-12, atol=1e-15)
        trace = net.forward(X)
        for l in range(net.n_layers):
            np.testing.assert_allclose(g.activations[l][:, i, j], trace.A[l + 1][:, 0], rtol=1e-12, atol=1e-15)
    # not symmetric in x and y: swapping the axes would be caught
    assert not np.allclose(g.output, g.output.transpose(0, 2, 1))


def test_float32_network():
    net = Network([2, 4, 1], hidden="tanh", output="sigmoid", loss="bce", seed=0, dtype=np.float32)
    g = grid.evaluate(net, ("x1", "x2"), (-6, 6, -6, 6), resolution=5)
    assert g.output.shape == (1, 5, 5)
    X = datasets.feature_matrix(np.array([[g.xs[4]], [g.ys[1]]]), ("x1", "x2"))
    assert g.output[0, 1, 4] == pytest.approx(float(net.predict(X)[0, 0]), rel=1e-6)


def test_bad_arguments():
    net = network()
    with pytest.raises(ValueError, match="xmin < xmax"):
        grid.evaluate(net, FEATURES, (1.0, 1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="finite"):
        grid.evaluate(net, FEATURES, (0.0, np.inf, 0.0, 1.0))
    with pytest.raises(ValueError, match="from 2 to 1000"):
        grid.evaluate(net, FEATURES, (0.0, 1.0, 0.0, 1.0), resolution=1)
    with pytest.raises(ValueError, match="4 inputs"):
        grid.evaluate(net, ("x1", "x2"), (0.0, 1.0, 0.0, 1.0))
