"""Switching data and opening sessions either work whole or change nothing: a small CSV after an
image set, a second CSV after a wide one, a session file whose parts do not fit together."""
import json

import numpy as np

from engine import csv_data
from explorer.session import load_session
from explorer.state import load_preset


def wait_for(qtbot, predicate, timeout=20_000):
    qtbot.waitUntil(predicate, timeout=timeout)


def table(tmp_path, name, header, rows):
    path = tmp_path / f"{name}.csv"
    path.write_text("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n")
    return path


def two_columns(tmp_path, name="pairs", n=40):
    rng = np.random.default_rng(1)
    rows = [(f"{a:.3f}", f"{b:.3f}", "yes" if a + b > 0 else "no") for a, b in rng.normal(size=(n, 2))]
    path = table(tmp_path, name, ("a", "b", "kind"), rows)
    return csv_data.dataset_from_csv(path, ["a", "b"], "kind")


def three_columns(tmp_path):
    rng = np.random.default_rng(2)
    rows = [(f"{x:.3f}", f"{y:.3f}", f"{z:.3f}", ("s", "v", "c")[i % 3])
            for i, (x, y, z) in enumerate(rng.normal(size=(60, 3)))]
    path = table(tmp_path, "wide", ("p", "q", "r", "species"), rows)
    return csv_data.dataset_from_csv(path, ["p", "q", "r"], "species", plot_columns=("p", "q"))


def test_a_small_csv_after_an_image_set_lowers_the_batch_and_its_session_opens(make_window, qtbot, tmp_path):
    win = make_window(load_preset("digits"))
    win.post("hyper", {"batch_size": 128})
    wait_for(qtbot, lambda: win.worker.trainer.batch_size == 128)
    small = two_columns(tmp_path)                      # 32 training rows
    win.use_dataset(small)
    wait_for(qtbot, lambda: win.snapshot.dataset_name == "pairs")
    m = small.m_train
    assert win.state.batch_size == m and win.worker.trainer.batch_size == m
    assert win.snapshot.sizes[0] == 2 and win.state.dataset == "csv"
    assert f"Batch size lowered from 128 to {m}" in win.last_message
    win.post("train", 7)
    wait_for(qtbot, lambda: win.snapshot.step >= 7)
    win.save_session(str(tmp_path / "pairs.bpx"))
    wait_for(qtbot, lambda: "Saved the session" in win.last_message)
    session = load_session(tmp_path / "pairs.bpx")
    assert session.state.batch_size == m and session.data.m_train == m


def test_a_two_column_csv_after_a_wide_one_is_taken(window, qtbot, tmp_path):
    window.use_dataset(three_columns(tmp_path))
    wait_for(qtbot, lambda: window.snapshot.dataset_name == "wide")
    assert window.state.features == ("p", "q", "r")
    window.use_dataset(two_columns(tmp_path))
    wait_for(qtbot, lambda: window.snapshot.dataset_name == "pairs")
    assert window.state.features == ("x1", "x2") and window.snapshot.sizes[0] == 2
    data = window.worker.data                            # the Data panel shows the split made at import
    wait_for(qtbot, lambda: window.data_panel.ratio_label.text() == f"{data.m_train} / {data.m_test} (set at import)")


def test_points_drawn_on_a_csv_table_are_saved_with_it(window, qtbot, tmp_path):
    small = two_columns(tmp_path)
    window.use_dataset(small)
    wait_for(qtbot, lambda: window.snapshot.dataset_name == "pairs")
    window.post("add_point", 0.25, -0.5, 1)
    wait_for(qtbot, lambda: window.worker.data.m_train == small.m_train + 1)
    window.save_session(str(tmp_path / "drawn.bpx"))
    wait_for(qtbot, lambda: "Saved the session" in window.last_message)
    data = load_session(tmp_path / "drawn.bpx").data
    assert data.m_train == small.m_train + 1
    assert np.allclose(data.points_train[:, -1], [0.25, -0.5])


def test_a_session_whose_parts_do_not_fit_keeps_the_current_one(window, qtbot, tmp_path):
    window.post("train", 12)
    wait_for(qtbot, lambda: window.snapshot.step >= 12)
    window.save_session(str(tmp_path / "good.bpx"))
    wait_for(qtbot, lambda: "Saved the session" in window.last_message)
    with np.load(tmp_path / "good.bpx", allow_pickle=False) as archive:
        entries = {k: archive[k] for k in archive.files}
    progress = json.loads(str(entries["progress"]))
    entries["progress"] = np.array(json.dumps(dict(progress, cursor=10 ** 9)))   # past the end of the data
    with open(tmp_path / "bad.bpx", "wb") as f:
        np.savez(f, **entries)
    window.post("train", 8)
    wait_for(qtbot, lambda: window.snapshot.step >= 20)
    step, weights = window.snapshot.step, [w.copy() for w in window.snapshot.weights]
    curve = tuple(window.snapshot.history_steps)
    window.open_session(str(tmp_path / "bad.bpx"))
    wait_for(qtbot, lambda: getattr(window, "session_error_box", None) is not None)
    assert "damaged" in window.session_error_box.text()
    qtbot.wait(200)
    assert window.snapshot.step == step and tuple(window.snapshot.history_steps) == curve
    for now, before in zip(window.snapshot.weights, weights):
        assert np.array_equal(now, before)


def test_cce_on_two_classes_is_refused_and_a_new_network_starts_a_new_curve(window, qtbot):
    window.controls.loss.setCurrentText("cce")
    window.controls.loss.activated.emit(window.controls.loss.currentIndex())
    wait_for(qtbot, lambda: "at least 2 output neurons" in window.last_message)
    assert window.worker.trainer.net.loss_name == "bce" and window.state.loss == "bce"
    wait_for(qtbot, lambda: window.controls.loss.currentText() == "bce")      # the control follows back
    window.post("train", 30)
    wait_for(qtbot, lambda: window.snapshot.step >= 30 and window.snapshot.history_steps[-1] >= 30)
    window.post("data", {"dataset": "digits"})                                # a new network, from step 0
    wait_for(qtbot, lambda: window.snapshot.dataset_name == "digits", timeout=60_000)
    window.post("train", 5)
    wait_for(qtbot, lambda: window.snapshot.step >= 5)
    steps = list(window.snapshot.history_steps)
    assert steps == sorted(steps) and steps[-1] <= 5


def test_bce_on_a_regression_is_refused_and_training_goes_on(window, qtbot):
    window.post("data", {"dataset": "plane"})
    wait_for(qtbot, lambda: window.snapshot.dataset_name == "plane" and window.state.loss == "mse")
    window.controls.loss.setCurrentText("bce")
    window.controls.loss.activated.emit(window.controls.loss.currentIndex())
    wait_for(qtbot, lambda: "needs targets between 0 and 1" in window.last_message)
    net = window.worker.trainer.net
    assert (net.activations[-1], net.loss_name) == ("linear", "mse")      # the engine was left as it was
    wait_for(qtbot, lambda: window.controls.loss.currentText() == "mse")
    step = window.snapshot.step
    window.post("train", 20)                                                  # it trains, without an error
    wait_for(qtbot, lambda: window.snapshot.step >= step + 20)
    assert window.snapshot.activations[-1] == "linear"
    assert "error" not in window.last_message.lower()


def test_a_lowered_batch_is_said_only_once_the_switch_is_made(tmp_path):
    from explorer.state import AppState
    from explorer.worker import TrainingWorker
    worker = TrainingWorker(AppState().replace(batch_size=100))
    worker._build(worker.state, keep_history=False)
    said = []
    worker.status_changed.connect(said.append)
    small = two_columns(tmp_path)
    assert worker._fit_batch(worker.state, small).batch_size == small.m_train
    assert said == []                                   # working out the batch says nothing yet
    worker._cmd_dataset(small)
    assert worker.trainer.batch_size == small.m_train
    assert any(f"Batch size lowered from 100 to {small.m_train}" in text for text in said)
