"""A 784-input network is drawn as collapsed blocks: a few strong neurons, the count of the rest."""
import numpy as np
import pytest

from engine import Network
from explorer.views.graph_layout import MAX_NODES, SHOWN, layer_layout, network_layout, strength


@pytest.fixture(scope="module")
def classic():
    return Network([784, 512, 10], hidden="relu", output="softmax", loss="cce", init="he", seed=0,
                   dtype=np.float32)


def test_784_inputs_and_512_hidden_collapse_outputs_stay(classic):
    layouts = network_layout(classic.sizes, classic.weights)
    inputs, hidden, outputs = layouts
    assert inputs.collapsed and hidden.collapsed and not outputs.collapsed
    assert len(inputs.shown) == SHOWN and inputs.hidden_count == 784 - SHOWN
    assert len(hidden.shown) == SHOWN and hidden.hidden_count == 512 - SHOWN
    assert outputs.shown == tuple(range(10))
    assert inputs.label == f"784 inputs · {SHOWN} strongest shown · {784 - SHOWN} more"
    assert hidden.label.startswith("512 neurons")
    assert outputs.label == "10 outputs"


def test_the_strongest_neurons_are_the_ones_shown(classic):
    W = [w.copy() for w in classic.weights]
    W[1][:, 7] *= 100.0            # hidden neuron 7 now dominates the output layer's input
    W[0][:, 400] *= 100.0          # and pixel 400 the first layer's
    inputs, hidden, _ = network_layout(classic.sizes, W)
    assert 7 in hidden.shown and 400 in inputs.shown
    s = strength(weights_out=W[1])
    weakest_shown = min(s[j] for j in hidden.shown)
    assert all(s[j] <= weakest_shown for j in range(512) if j not in hidden.shown)


def test_a_selected_neuron_stays_visible_and_selectable(classic):
    s = strength(weights_out=classic.weights[1])
    weakest = int(np.argmin(s))
    layouts = network_layout(classic.sizes, classic.weights, selected={1: weakest})
    hidden = layouts[1]
    assert weakest in hidden.shown and len(hidden.shown) == SHOWN
    slot = hidden.slot(weakest)
    assert hidden.neuron(slot) == weakest
    assert hidden.slot(int(np.argsort(s)[1])) is None   # the second weakest is not drawn


def test_small_layers_are_drawn_in_full():
    lay = layer_layout(MAX_NODES)
    assert not lay.collapsed and lay.shown == tuple(range(MAX_NODES)) and lay.hidden_count == 0


def test_without_weights_an_even_sample_is_shown():
    lay = layer_layout(100, shown=5)
    assert lay.ranking == "sample" and lay.shown == (0, 25, 50, 74, 99)
    assert "sampled" in lay.label


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="scores"):
        layer_layout(100, scores=np.ones(3))
    with pytest.raises(ValueError, match="at least 1"):
        layer_layout(0)
