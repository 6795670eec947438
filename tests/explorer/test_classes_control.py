"""More classes on the plane: softmax output, one colour per class, and the hidden weights kept."""
import numpy as np


def test_classes_control_switches_to_softmax_and_keeps_hidden_weights(window, qtbot):
    panel = window.data_panel
    assert not panel.classes.isEnabled()                    # circle has two classes
    panel.dataset_buttons["spiral"].click()
    qtbot.waitUntil(lambda: window.snapshot.dataset_name == "spiral", timeout=10_000)
    assert panel.classes.isEnabled()
    window.post("train", 50)
    qtbot.waitUntil(lambda: window.snapshot.step >= 50, timeout=10_000)
    hidden_before = [np.array(w) for w in window.worker.trainer.net.weights[:-1]]
    panel.classes.setValue(3)
    qtbot.waitUntil(lambda: window.snapshot.n_classes == 3 and window.snapshot.sizes[-1] == 3, timeout=10_000)
    net = window.worker.trainer.net
    assert net.activations[-1] == "softmax" and net.loss_name == "cce"
    for before, after in zip(hidden_before, net.weights[:-1]):
        np.testing.assert_array_equal(before, after)            # a live edit: the hidden layers are kept
    assert set(np.unique(window.snapshot.labels_train)) == {0, 1, 2}
    assert window.snapshot.grid_output.shape[0] == 3             # one map per class on the boundary
    window.post("train", 20)
    qtbot.waitUntil(lambda: window.snapshot.step >= 70, timeout=10_000)
    panel.classes.setValue(2)                                    # back to two: sigmoid and bce
    qtbot.waitUntil(lambda: window.snapshot.sizes[-1] == 1, timeout=10_000)
    assert window.worker.trainer.net.activations[-1] == "sigmoid"


def test_disabled_classes_box_shows_what_the_data_has(window):
    from explorer.state import AppState
    panel = window.data_panel
    assert panel.classes.text() == "2"                           # circle: two classes
    images = AppState(dataset="digits", hidden=(32,), activations=("relu",), output="softmax", loss="cce",
                      classes=10)
    panel.set_state(images)
    assert not panel.classes.isEnabled() and panel.classes.text() == "10"   # more than the box allows
    panel.set_state(AppState(dataset="plane", output="linear", loss="mse"))
    assert panel.classes.text() == "—"                           # regression
    panel.set_state(AppState(dataset="blobs", output="softmax", loss="cce", classes=5))
    assert panel.classes.isEnabled() and panel.classes.value() == 5 and panel.classes.text() == "5"
