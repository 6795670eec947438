"""Session files: save a network mid-training with its progress, loss curve and data; open it again;
a broken file gets a message that says what is wrong, and the current session stays."""
import json
import os

import numpy as np
import pytest

from engine import csv_data
from explorer.session import FORMAT, SessionError, load_session, save_session


def wait_for(qtbot, predicate, timeout=10_000):
    qtbot.waitUntil(predicate, timeout=timeout)


def saved(window, qtbot, path):
    window.save_session(str(path))
    wait_for(qtbot, lambda: "Saved the session" in window.last_message)
    return load_session(path)


def test_a_saved_session_opens_where_it_stopped_with_its_drawn_points(window, qtbot, tmp_path):
    window.post("add_point", 0.5, 0.5, 1)            # a drawn point: only the session file keeps it
    window.post("train", 40)
    wait_for(qtbot, lambda: window.snapshot.step >= 40 and list(window.snapshot.history_steps)[-1:] == [40])
    m_train = window.worker.data.m_train
    weights = [w.copy() for w in window.snapshot.weights]
    curve = (tuple(window.snapshot.history_steps), tuple(window.snapshot.history_train))
    session = saved(window, qtbot, tmp_path / "run.bpx")
    assert session.steps == 40 and session.data.m_train == m_train

    window.post("reset")
    window.post("train", 5)
    wait_for(qtbot, lambda: window.snapshot.step == 5)
    assert window.open_session(str(tmp_path / "run.bpx"))
    wait_for(qtbot, lambda: window.snapshot.step == 40)
    snap = window.snapshot
    for now, before in zip(snap.weights, weights):
        assert np.array_equal(now, before)
    assert (tuple(snap.history_steps), tuple(snap.history_train)) == curve
    assert window.worker.data.m_train == m_train
    wait_for(qtbot, lambda: "Opened the session at step 40" in window.last_message)   # a queued signal
    window.post("train", 3)                          # and training goes on from there
    wait_for(qtbot, lambda: window.snapshot.step == 43)


def test_a_csv_session_keeps_its_table(tmp_path):
    rows = ["a,b,c,kind"] + [f"{i % 7},{(i * 3) % 5},{i % 2},{'yes' if i % 3 else 'no'}" for i in range(30)]
    (tmp_path / "table.csv").write_text("\n".join(rows) + "\n")
    table = csv_data.dataset_from_csv(tmp_path / "table.csv", ["a", "b", "c"], "kind")
    from engine import Network, Trainer
    from explorer.session import Session
    from explorer.state import AppState
    state = AppState().replace(dataset="csv", features=("a", "b", "c"), hidden=(5,), activations=("relu",))
    net = Network([3, 5, 1], hidden="relu", output="sigmoid", loss="bce", seed=0)
    trainer = Trainer(net, table, lr=0.1, batch_size=4)
    trainer.train(steps=9)
    save_session(tmp_path / "csv.bpx", Session(state, net.parameters, trainer.progress(), ([], [], []), table))
    back = load_session(tmp_path / "csv.bpx")
    assert back.data.features == ("a", "b", "c") and back.data.class_names == table.class_names
    for part in ("X_train", "Y_train", "X_test", "Y_test"):
        assert np.array_equal(getattr(back.data, part), getattr(table, part))
    assert np.array_equal(back.parameters, net.parameters) and back.steps == 9


@pytest.fixture
def good_file(window, qtbot, tmp_path):
    window.post("train", 10)
    wait_for(qtbot, lambda: window.snapshot.step >= 10)
    saved(window, qtbot, tmp_path / "good.bpx")
    return tmp_path / "good.bpx"


def rewrite(good, path, **changes):
    """A copy of a good session file with some entries replaced (None removes one)."""
    with np.load(good, allow_pickle=False) as archive:
        entries = {k: archive[k] for k in archive.files}
    for key, value in changes.items():
        if value is None:
            entries.pop(key)
        else:
            entries[key] = value
    with open(path, "wb") as f:
        np.savez(f, **entries)
    return path


def test_broken_session_files_say_what_is_wrong(good_file, tmp_path):
    params = np.load(good_file)["parameters"]
    state = json.loads(str(np.load(good_file)["state"]))
    truncated = tmp_path / "truncated.bpx"
    truncated.write_bytes(good_file.read_bytes()[: os.path.getsize(good_file) // 2])
    (tmp_path / "notes.bpx").write_text("weights: 1, 2, 3\n")
    (tmp_path / "picture.bpx").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    cases = {
        tmp_path / "notes.bpx": "not a Backprop Explorer session",
        tmp_path / "picture.bpx": r"not a session archive\)$",
        truncated: "damaged|not a Backprop Explorer session",
        tmp_path / "missing.bpx": "does not exist",
        rewrite(good_file, tmp_path / "header.bpx", format=np.array("something else")): "no session header",
        rewrite(good_file, tmp_path / "newer.bpx", version=np.array(99)): "newer version",
        rewrite(good_file, tmp_path / "lacks.bpx", order=None): "lacks its order",
        rewrite(good_file, tmp_path / "state.bpx", state=np.array(json.dumps(dict(state, lr=-1)))): "settings",
        rewrite(good_file, tmp_path / "count.bpx", parameters=params[:-1]): "weights and biases",
        rewrite(good_file, tmp_path / "nan.bpx", parameters=np.full_like(params, np.nan)): "NaN",
        rewrite(good_file, tmp_path / "data.bpx", data_X_train=None): "X_train is missing",
    }
    for path, words in cases.items():
        with pytest.raises(SessionError, match=words):
            load_session(path)
    assert str(np.load(good_file)["format"]) == FORMAT


def test_opening_a_broken_file_shows_why_and_keeps_the_session(window, qtbot, good_file, tmp_path):
    step, weights = window.snapshot.step, [w.copy() for w in window.snapshot.weights]
    bad = rewrite(good_file, tmp_path / "count.bpx", parameters=np.zeros(3))
    assert not window.open_session(str(bad))
    box = window.session_error_box
    assert box.isVisible() and "weights and biases" in box.text()
    assert "stays" in box.informativeText()
    qtbot.wait(200)
    assert window.snapshot.step == step
    for now, before in zip(window.snapshot.weights, weights):
        assert np.array_equal(now, before)


def test_the_loss_curves_edit_marks_come_back_with_the_session(window, qtbot, tmp_path):
    window.post("hyper", {"lr": 0.1})
    window.post("train", 10)
    window.post("add_layer")
    window.post("train", 10)
    wait_for(qtbot, lambda: window.snapshot.step >= 20 and len(window.snapshot.markers) >= 1)
    marks = window.snapshot.markers
    session = saved(window, qtbot, tmp_path / "marked.bpx")
    assert session.markers == tuple((m.step, m.text) for m in marks)
    window.post("reset")
    wait_for(qtbot, lambda: window.snapshot.step == 0)
    assert window.open_session(str(tmp_path / "marked.bpx"))
    wait_for(qtbot, lambda: window.snapshot.step == 20)
    assert window.snapshot.markers == marks
    wait_for(qtbot, lambda: len(window.loss_plot._marker_items) == len(marks))


def test_a_file_that_cannot_be_written_says_so(window, qtbot, tmp_path):
    window.save_session(str(tmp_path / "no such folder" / "run.bpx"))
    wait_for(qtbot, lambda: getattr(window, "session_error_box", None) is not None)
    assert "Could not save the session" in window.session_error_box.text()


def test_an_image_session_reads_its_images_again_and_keeps_only_the_network(make_window, qtbot, tmp_path):
    from explorer.state import load_preset
    win = make_window(load_preset("digits"))
    win.post("train", 20)
    wait_for(qtbot, lambda: win.snapshot.step >= 20, timeout=60_000)
    session = saved(win, qtbot, tmp_path / "digits.bpx")
    assert session.data is None and session.parameters.dtype == np.float32
    assert os.path.getsize(tmp_path / "digits.bpx") < 200_000      # the network, not the 1,797 images
    weights = [w.copy() for w in win.snapshot.weights]
    win.post("reset")
    wait_for(qtbot, lambda: win.snapshot.step == 0)
    assert win.open_session(str(tmp_path / "digits.bpx"))
    wait_for(qtbot, lambda: win.snapshot.step == 20)
    assert all(np.array_equal(a, b) for a, b in zip(win.snapshot.weights, weights))
    assert win.snapshot.sizes == (64, 32, 10) and win.images.showing_images


def test_a_one_column_table_with_a_drawn_row_comes_back_with_it(window, qtbot, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("x,y\n" + "\n".join(f"{i * 0.1:.1f},{'a' if i % 3 else 'b'}" for i in range(30)))
    window.use_dataset(csv_data.dataset_from_csv(path, ["x"], "y"))
    wait_for(qtbot, lambda: window.snapshot.curve is not None)
    m = window.worker.data.m_train
    window.post("add_point", 9.5, 0.0, 1)                   # a row drawn on its plot
    wait_for(qtbot, lambda: window.worker.data.m_train == m + 1)
    back = saved(window, qtbot, tmp_path / "one.bpx")
    assert back.data.m_train == m + 1 and back.data.X_train[0, -1] == 9.5
    window.load_preset("binary-classifier")
    wait_for(qtbot, lambda: window.snapshot.curve is None, timeout=30_000)
    window.open_session(str(tmp_path / "one.bpx"))
    wait_for(qtbot, lambda: window.snapshot.curve is not None and window.worker.data.m_train == m + 1, timeout=30_000)
    assert window.worker.data.X_train[0, -1] == 9.5 and window.worker.data.labels_train[-1] == 1
