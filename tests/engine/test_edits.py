"""Live edits keep every surviving weight exactly, and the optimizer state follows the edit."""
import numpy as np
import pytest

from engine import Network, Trainer, datasets

eq = np.testing.assert_array_equal


def trained(optimizer="momentum", sizes=(2, 5, 4, 1), steps=6):
    """A trainer a few steps in, so that weights, biases and velocities are all non-zero."""
    data = datasets.make("circle", n=100, noise=0.1, seed=0)
    net = Network(list(sizes), hidden="tanh", output="sigmoid", loss="bce", seed=0)
    trainer = Trainer(net, data, optimizer=optimizer, lr=0.1, batch_size=10, seed=0)
    trainer.train(steps=steps)
    return trainer


def snapshot(trainer):
    net = trainer.net
    state = {k: ([a.copy() for a in v["weights"]], [a.copy() for a in v["biases"]])
             for k, v in trainer.optimizer_state().items()}
    return [w.copy() for w in net.weights], [b.copy() for b in net.biases], state


def velocity(trainer):
    v = trainer.optimizer_state()["velocity"]
    return v["weights"], v["biases"]


def still_trains(trainer):
    """The edited trainer runs both paths, and its state has the network's shapes."""
    for name, arrays in trainer.optimizer_state().items():
        assert [a.shape for a in arrays["weights"]] == [w.shape for w in trainer.net.weights], name
        assert [a.shape for a in arrays["biases"]] == [b.shape for b in trainer.net.biases], name
    trainer.step()
    trainer.train(steps=5)
    assert np.all(np.isfinite(trainer.net.parameters))


def test_set_activation_keeps_everything():
    trainer = trained()
    W, b, state = snapshot(trainer)
    trainer.set_activation(1, "relu")
    trainer.set_activation(2, "sigmoid")
    assert trainer.net.activations == ["tanh", "relu", "sigmoid"]
    for l in range(3):
        eq(trainer.net.weights[l], W[l])
        eq(trainer.net.biases[l], b[l])
        eq(velocity(trainer)[0][l], state["velocity"][0][l])
    still_trains(trainer)


def test_add_neurons_keeps_old_rows_and_columns_and_the_output():
    trainer = trained()
    X = trainer.data.X_test
    before = trainer.net.predict(X)
    W, b, state = snapshot(trainer)
    vW, vb = state["velocity"]
    trainer.add_neurons(0, 2)
    net = trainer.net
    assert net.sizes == [2, 7, 4, 1]
    eq(net.weights[0][:5], W[0])
    eq(net.biases[0][:5], b[0])
    eq(net.weights[1][:, :5], W[1])
    eq(net.weights[1][:, 5:], 0.0)                       # new outgoing weights start at 0
    assert np.all(net.weights[0][5:] != 0)               # new incoming weights are initialised
    eq(net.weights[2], W[2])
    eq(net.biases[1], b[1])
    nW, nb = velocity(trainer)
    eq(nW[0][:5], vW[0])
    eq(nW[0][5:], 0.0)
    eq(nW[1][:, :5], vW[1])
    eq(nW[1][:, 5:], 0.0)
    eq(nb[0][:5], vb[0])
    eq(nW[2], vW[2])
    np.testing.assert_allclose(net.predict(X), before, rtol=0, atol=1e-15)
    still_trains(trainer)


@pytest.mark.parametrize("j", [0, 2, 4])
def test_remove_neuron_keeps_the_others(j):
    trainer = trained()
    W, b, state = snapshot(trainer)
    vW, vb = state["velocity"]
    trainer.remove_neuron(0, j)
    net = trainer.net
    assert net.sizes == [2, 4, 4, 1]
    eq(net.weights[0], np.delete(W[0], j, axis=0))
    eq(net.biases[0], np.delete(b[0], j, axis=0))
    eq(net.weights[1], np.delete(W[1], j, axis=1))
    eq(net.biases[1], b[1])
    eq(net.weights[2], W[2])
    nW, nb = velocity(trainer)
    eq(nW[0], np.delete(vW[0], j, axis=0))
    eq(nb[0], np.delete(vb[0], j, axis=0))
    eq(nW[1], np.delete(vW[1], j, axis=1))
    eq(nW[2], vW[2])
    still_trains(trainer)


def test_removing_a_neuron_whose_outgoing_weights_are_zero_keeps_the_output():
    trainer = trained()
    trainer.net.weights[1][:, 3] = 0.0
    X = trainer.data.X_test
    before = trainer.net.predict(X)
    trainer.remove_neuron(0, 3)
    np.testing.assert_allclose(trainer.net.predict(X), before, rtol=0, atol=1e-15)


def test_set_layer_size_grows_and_shrinks_from_the_end():
    trainer = trained()
    W, b, state = snapshot(trainer)
    vW, vb = state["velocity"]
    trainer.set_layer_size(1, 6)
    eq(trainer.net.weights[1][:4], W[1])
    eq(trainer.net.weights[2][:, :4], W[2])
    eq(trainer.net.weights[2][:, 4:], 0.0)
    trainer.set_layer_size(1, 2)
    assert trainer.net.sizes == [2, 5, 2, 1]
    eq(trainer.net.weights[1], W[1][:2])
    eq(trainer.net.biases[1], b[1][:2])
    eq(trainer.net.weights[2], W[2][:, :2])
    eq(trainer.net.weights[0], W[0])
    eq(velocity(trainer)[0][1], vW[1][:2])
    eq(velocity(trainer)[1][1], vb[1][:2])
    eq(velocity(trainer)[0][2], vW[2][:, :2])
    still_trains(trainer)


@pytest.mark.parametrize("l", [0, 1, 2])
def test_insert_layer_keeps_the_other_layers(l):
    trainer = trained()
    W, b, state = snapshot(trainer)
    vW, _ = state["velocity"]
    old_sizes = trainer.net.sizes
    trainer.insert_layer(l, 3, "relu")
    net = trainer.net
    assert net.sizes == old_sizes[:l + 1] + [3] + old_sizes[l + 1:]
    assert net.activations[l] == "relu" and net.n_layers == 4
    for old in range(3):
        new = old if old < l else old + 1
        if old == l:
            # the layer after the new one keeps its rows and biases, and the columns both share
            shared = min(3, old_sizes[l])
            eq(net.weights[new][:, :shared], W[old][:, :shared])
            eq(net.weights[new][:, shared:], 0.0)
            eq(velocity(trainer)[0][new][:, :shared], vW[old][:, :shared])
        else:
            eq(net.weights[new], W[old])
            eq(velocity(trainer)[0][new], vW[old])
        eq(net.biases[new], b[old])
    eq(velocity(trainer)[0][l], 0.0)                    # the new layer has no history
    still_trains(trainer)


@pytest.mark.parametrize("l", [0, 1])
def test_remove_layer_keeps_the_other_layers(l):
    trainer = trained()
    W, b, state = snapshot(trainer)
    vW, _ = state["velocity"]
    trainer.remove_layer(l)
    net = trainer.net
    assert net.n_layers == 2
    if l == 0:
        assert net.sizes == [2, 4, 1]
        eq(net.weights[0][:, :2], W[1][:, :2])          # layer 2 now reads the 2 inputs
        eq(net.biases[0], b[1])
        eq(net.weights[1], W[2])
        eq(velocity(trainer)[0][1], vW[2])
    else:
        assert net.sizes == [2, 5, 1]
        eq(net.weights[0], W[0])
        eq(net.weights[1][:, :4], W[2])                 # the output reads layer 1 (5 wide, was 4)
        eq(net.weights[1][:, 4:], 0.0)
        eq(velocity(trainer)[0][0], vW[0])
        eq(velocity(trainer)[0][1][:, :4], vW[2])
    still_trains(trainer)


def test_remap_inputs_moves_columns():
    net = Network([3, 4, 1], seed=0)
    W, rest = net.weights[0].copy(), net.weights[1].copy()
    net.remap_inputs([2, -1, 0])
    eq(net.weights[0][:, 0], W[:, 2])
    eq(net.weights[0][:, 1], 0.0)
    eq(net.weights[0][:, 2], W[:, 0])
    eq(net.weights[1], rest)
    assert net.sizes == [3, 4, 1]


def test_set_data_matches_inputs_by_feature_name():
    trainer = trained()
    W, b, state = snapshot(trainer)
    vW, _ = state["velocity"]
    other = datasets.make("circle", n=100, noise=0.1, seed=0, features=("x2", "x1²", "x1"))
    trainer.set_data(other)
    net = trainer.net
    assert net.sizes == [3, 5, 4, 1]
    eq(net.weights[0][:, 0], W[0][:, 1])                # x2
    eq(net.weights[0][:, 1], 0.0)                       # x1² is new
    eq(net.weights[0][:, 2], W[0][:, 0])                # x1
    eq(net.biases[0], b[0])
    eq(net.weights[1], W[1])
    eq(velocity(trainer)[0][0][:, 0], vW[0][:, 1])
    eq(velocity(trainer)[0][0][:, 1], 0.0)
    eq(velocity(trainer)[0][0][:, 2], vW[0][:, 0])
    assert trainer.data is other
    still_trains(trainer)


def test_set_data_refused_leaves_the_trainer_as_it_was():
    trainer = trained()
    W, _, _ = snapshot(trainer)
    bad = (np.zeros((2, 10)), np.full((1, 10), 3.0))    # bce targets outside [0, 1]
    with pytest.raises(ValueError, match="between 0 and 1"):
        trainer.set_data(bad)
    eq(trainer.net.weights[0], W[0])
    still_trains(trainer)


def test_an_output_refused_by_the_targets_leaves_the_network_as_it_was():
    # bce is a valid pair with sigmoid, but a regression's targets are not probabilities
    data = datasets.make("plane", n=60, noise=0.1, seed=0)
    trainer = Trainer(Network([2, 4, 1], output="linear", loss="mse", seed=0), data, batch_size=10, seed=0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        trainer.set_output("sigmoid", "bce")
    assert (trainer.net.activations[-1], trainer.net.loss_name) == ("linear", "mse")
    still_trains(trainer)


def test_setting_changes_keep_weights_and_state():
    trainer = trained()
    W, b, state = snapshot(trainer)
    trainer.lr = 0.5
    trainer.batch_size = 7
    trainer.l1 = 0.01
    trainer.l2 = 0.02
    trainer.momentum = 0.5
    trainer.nesterov = True
    trainer.optimizer = "momentum"                      # the same optimizer: state kept
    for l in range(3):
        eq(trainer.net.weights[l], W[l])
        eq(trainer.net.biases[l], b[l])
        eq(velocity(trainer)[0][l], state["velocity"][0][l])
    assert (trainer.lr, trainer.batch_size, trainer.l1, trainer.l2) == (0.5, 7, 0.01, 0.02)
    assert trainer.steps_per_epoch == 8                 # 50 samples in batches of 7
    trainer.optimizer = "adam"                          # another optimizer starts fresh
    assert sorted(trainer.optimizer_state()) == ["first_moment", "second_moment"]
    assert all(np.all(a == 0) for a in trainer.optimizer_state()["first_moment"]["weights"])
    for l in range(3):
        eq(trainer.net.weights[l], W[l])
    still_trains(trainer)


def test_new_settings_are_used_by_the_next_step():
    trainer = trained("sgd")
    trainer.lr = 0.25
    trainer.batch_size = 3
    before = trainer.net.copy()
    result = trainer.step()
    assert len(result.indices) == 3
    grads = before.backward(before.forward(result.X), result.Y)
    np.testing.assert_allclose(trainer.net.weights[0], before.weights[0] - 0.25 * grads.dW[0], rtol=1e-12)


def test_edits_keep_working_after_many_of_them():
    trainer = trained("adam")
    trainer.add_neurons(1, 3)
    trainer.remove_neuron(0, 1)
    trainer.insert_layer(2, 2, "sin")
    trainer.remove_layer(0)
    trainer.set_activation(0, "elu")
    assert trainer.net.sizes == [2, 7, 2, 1]
    still_trains(trainer)


# ----- refused edits ---------------------------------------------------------------------------------

def test_refused_edits_say_what_is_allowed_and_change_nothing():
    trainer = trained()
    W, _, _ = snapshot(trainer)
    net = trainer.net
    with pytest.raises(ValueError, match="from 0 to 2"):
        trainer.set_activation(3, "tanh")
    with pytest.raises(ValueError, match="allowed"):
        trainer.set_activation(0, "softplus")
    with pytest.raises(ValueError, match="needs a sigmoid output"):
        trainer.set_activation(2, "tanh")                # bce keeps its sigmoid
    with pytest.raises(ValueError, match="from 0 to 1"):
        trainer.add_neurons(2)                           # the output layer is not hidden
    with pytest.raises(ValueError, match="≥ 1"):
        trainer.add_neurons(0, 0)
    with pytest.raises(ValueError, match="from 0 to 4"):
        trainer.remove_neuron(0, 5)
    with pytest.raises(ValueError, match="from 0 to 1"):
        trainer.remove_layer(2)
    with pytest.raises(ValueError, match="from 0 to 1"):
        trainer.remove_layer(-1)
    with pytest.raises(ValueError, match="0 to 2"):
        trainer.insert_layer(3, 4)
    with pytest.raises(ValueError, match="≥ 1"):
        trainer.insert_layer(0, 0)
    with pytest.raises(ValueError, match="≥ 1"):
        trainer.set_layer_size(0, 0)
    with pytest.raises(ValueError, match="old input index 0 to 1"):
        net.remap_inputs([0, 2])
    with pytest.raises(ValueError, match="at least one input"):
        net.remap_inputs([])
    assert net.sizes == [2, 5, 4, 1]
    for l in range(3):
        eq(net.weights[l], W[l])


def test_the_last_neuron_of_a_layer_stays():
    net = Network([2, 1, 1])
    with pytest.raises(ValueError, match="at least 1 neuron"):
        net.remove_neuron(0, 0)
    with pytest.raises(ValueError, match="no hidden layer"):
        Network([2, 1]).remove_layer(0)
