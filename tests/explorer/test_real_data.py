"""Real data in the window: digits train and show predictions, a missing MNIST folder keeps the data,
a CSV import reaches the worker, wide layers collapse, progress moves, Pause is quick."""
import gzip
import struct
import time

import numpy as np

from explorer.state import AppState, load_preset



def wait_for(qtbot, predicate, timeout=10_000):
    qtbot.waitUntil(predicate, timeout=timeout)


def write_idx(folder, rng, m_train=300, m_test=100):
    """A tiny MNIST-like IDX folder: 28×28 images whose class is the bright row band."""
    folder.mkdir(parents=True, exist_ok=True)

    def images(labels):
        x = rng.integers(0, 40, size=(labels.size, 28, 28), dtype=np.uint8)
        for i, c in enumerate(labels):
            x[i, 2 + 2 * c: 4 + 2 * c, 4:24] = 250
        return x

    for part, m in (("train", m_train), ("t10k", m_test)):
        labels = rng.integers(0, 10, size=m).astype(np.uint8)
        x = images(labels)
        with gzip.open(folder / f"{part}-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">IIII", 0x803, m, 28, 28) + x.tobytes())
        with gzip.open(folder / f"{part}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(struct.pack(">II", 0x801, m) + labels.tobytes())
    return folder


def test_digits_train_and_the_image_views_show_predictions(make_window, qtbot):
    win = make_window(load_preset("digits"))
    assert win.snapshot.sizes == (64, 32, 10) and win.snapshot.weights[0].dtype == np.float32
    assert not win.snapshot.has_plane                       # no 2-D grid for images
    assert win.images.showing_images
    win.post("train", 300)
    wait_for(qtbot, lambda: win.snapshot.step >= 300, timeout=60_000)
    r = win.images.panel.results
    assert r is not None and r.step == 300 and r.accuracy > 0.8
    assert "test accuracy" in win.images.panel.summary.text()
    assert win.graph.captions == ["64 inputs · 12 strongest shown · 52 more", "32 neurons · 12 strongest shown · 20 more"]
    wait_for(qtbot, lambda: win.digit_canvas.panel.net is not None)
    assert win.digit_canvas.panel.net.sizes == [64, 32, 10]
    wait_for(qtbot, lambda: win.panel("Images").width() >= 600)     # room for the grid beside the graph
    hint = win.minimumSizeHint()                     # the image docks still fit a small laptop screen
    assert hint.width() <= 1152 and hint.height() <= 720, hint


def test_two_d_data_gives_the_image_docks_an_explanation(window):
    assert not window.images.showing_images
    assert "2-D" in window.images.empty.text()
    assert window.digit_canvas.currentWidget() is window.digit_canvas.empty
    assert not window.progress.isVisible()


def test_a_missing_mnist_folder_shows_where_to_put_the_files_and_keeps_the_data(make_window, qtbot, tmp_path,
                                                                                 monkeypatch):
    from engine import images
    # hide a copy the machine may have in the usual places
    monkeypatch.setattr(images, "KERAS_DIR", tmp_path / "keras")
    monkeypatch.setattr(images, "SYSTEM_DIR", tmp_path / "system")
    win = make_window(AppState(dataset="xor"))
    serial = win.snapshot.data_version
    win.post("data", {"dataset": "mnist", "data_dir": str(tmp_path / "nowhere")})
    wait_for(qtbot, lambda: getattr(win, "data_error_box", None) is not None)
    box = win.data_error_box
    assert "Could not find the mnist dataset" in box.text()
    assert "IDX" in box.text() and "Open data folder" in box.informativeText()
    assert "current data stays" in box.informativeText()
    box.close()
    win.post("step")
    wait_for(qtbot, lambda: win.snapshot.step >= 1)
    assert win.snapshot.dataset_name == "xor" and win.state.dataset == "xor"
    assert win.snapshot.data_version == serial and win.snapshot.has_plane


def test_open_data_folder_trains_on_a_tiny_idx_folder(make_window, qtbot, tmp_path):
    folder = write_idx(tmp_path / "mnist", np.random.default_rng(0))
    win = make_window(load_preset("digits"))
    win.open_data_folder(str(folder), "mnist")
    wait_for(qtbot, lambda: win.snapshot.dataset_name == "mnist", timeout=60_000)
    assert win.snapshot.sizes[0] == 784 and win.snapshot.state.data_dir == str(folder)
    win.post("train", 20)
    wait_for(qtbot, lambda: win.snapshot.step >= 20, timeout=60_000)
    assert win.images.panel.results.images.shape == (100, 28, 28)


def test_a_folder_whose_name_does_not_say_which_set_asks(make_window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from explorer.main_window import image_set_named_by
    assert [image_set_named_by(p) for p in ("/d/fashion-mnist/", "/d/MNIST", "/d/data")] == [
        "fashion-mnist", "mnist", None]
    folder = write_idx(tmp_path / "data", np.random.default_rng(0))
    win = make_window(load_preset("mnist-784-512-10").replace(data_dir=str(folder)))
    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    monkeypatch.setattr(win, "ask_image_set", lambda: asked.append(True) or "fashion-mnist")
    win._on_data_folder_triggered()                   # on MNIST, a folder "data" of clothes
    assert asked
    wait_for(qtbot, lambda: win.snapshot.dataset_name == "fashion-mnist", timeout=60_000)
    assert win.snapshot.class_names[0] == "T-shirt/top"


def test_a_csv_import_reaches_the_worker_and_a_wide_table_is_sliced(window, qtbot, tmp_path):
    from engine import csv_data
    rng = np.random.default_rng(0)
    lines = ["length,width,height,species"]
    for i in range(90):
        c = ("setosa", "virginica", "versicolor")[i % 3]
        lines.append(f"{rng.normal(i % 3, 0.2):.3f},{rng.normal(-(i % 3), 0.2):.3f},{rng.random():.3f},{c}")
    path = tmp_path / "flowers.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = csv_data.dataset_from_csv(path, ["length", "width", "height"], "species",
                                     plot_columns=("length", "height"))
    window.use_dataset(data)           # what the dialog's OK does
    wait_for(qtbot, lambda: window.snapshot.dataset_name == "flowers")
    snap = window.snapshot
    assert snap.sizes[0] == 3 and snap.sizes[-1] == 3 and snap.activations[-1] == "softmax"
    assert window.state.dataset == "csv" and window.state.features == ("length", "width", "height")
    assert snap.has_plane and snap.axis_names == ("length", "height")
    assert "the other input held at its training mean (width = " in snap.slice_note
    assert window.boundary.note.text() == snap.slice_note
    assert snap.input_images[1].min() == snap.input_images[1].max()       # width is constant on the slice
    window.post("train", 50)
    wait_for(qtbot, lambda: window.snapshot.step >= 50)


def test_a_bad_dataset_command_keeps_the_data(window, qtbot):
    before = window.snapshot.data_version
    window.post("dataset", "not a dataset")
    wait_for(qtbot, lambda: "Refused" in window.last_message)
    window.post("step")
    wait_for(qtbot, lambda: window.snapshot.step >= 1)
    assert window.snapshot.data_version == before


def test_the_graph_of_a_784_input_network_is_collapsed(make_window, qtbot, tmp_path):
    from explorer.views.network_graph import NetworkGraphView
    from explorer.worker import TrainingWorker
    folder = write_idx(tmp_path / "mnist", np.random.default_rng(1), 300, 20)
    worker = TrainingWorker(load_preset("mnist-784-512-10").replace(data_dir=str(folder)))
    worker._build(worker.state, keep_history=False)
    snap = worker._make_snapshot()
    view = NetworkGraphView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    view.update_snapshot(snap)
    assert view.n_items < 60                         # not 784 + 512 + 10 nodes
    assert view.captions[0] == "784 inputs · 12 strongest shown · 772 more"
    assert [b[1].toPlainText() for b in view._blocks if b[1] is not None][0].startswith("784 inputs")
    shown = int(view._shown[1][3])
    view.select("neuron", 1, shown)
    assert view._selected == ("neuron", 1, shown, 0) and view._node_box.isVisible()
    hidden = next(j for j in range(512) if j not in view._shown[1])
    view.select("neuron", 1, hidden)                 # a neuron out of view is brought in
    assert hidden in view._shown[1] and view._node_box.isVisible()


def test_a_collapsed_layer_follows_its_strongest_neurons_as_the_weights_change(qtbot, tmp_path, monkeypatch):
    import dataclasses
    from explorer.views import network_graph
    from explorer.worker import TrainingWorker
    folder = write_idx(tmp_path / "mnist", np.random.default_rng(1), 300, 20)
    worker = TrainingWorker(load_preset("mnist-784-512-10").replace(data_dir=str(folder)))
    worker._build(worker.state, keep_history=False)
    snap = worker._make_snapshot()
    view = network_graph.NetworkGraphView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    view.update_snapshot(snap)
    j, k = int(view._shown[1][0]), int(view._shown[0][0])
    view.select("weight", 0, j, k)                   # W¹ from a drawn pixel to a drawn neuron
    nodes = view.n_items
    weights = [w.copy() for w in snap.weights]
    newcomer = next(n for n in range(512) if n not in view._shown[1])
    pixel = next(p for p in range(784) if p not in view._shown[0])
    weights[1][:, newcomer] *= 1000.0                # now the strongest hidden neuron
    weights[0][:, pixel] *= 1000.0                   # and the strongest pixel
    trained = dataclasses.replace(snap, weights=tuple(weights))

    view.update_snapshot(trained)                    # right after the last ranking: nothing moves yet
    assert newcomer not in view._shown[1]
    monkeypatch.setattr(network_graph, "RERANK_INTERVAL", 0.0)
    view.update_snapshot(trained)
    assert newcomer in view._shown[1] and pixel in view._shown[0]
    assert view.n_items == nodes                     # the same nodes, showing other neurons
    assert snap.features[pixel] in [t.toPlainText() for t in view._labels]
    assert j in view._shown[1] and k in view._shown[0]           # the selected weight stays drawn
    assert view._selected == ("weight", 0, j, k)
    x0, y0, x1, y1 = view._edge_xy[view._edge_index(0, j, k)]
    assert view._highlight.getData()[0].tolist() == [x0, x1]    # and marked where it now is


def test_progress_moves_and_pause_is_quick(make_window, qtbot):
    win = make_window(load_preset("digits").replace(epochs=0, batch_size=8))
    assert win.progress.isVisible()
    win.play()
    wait_for(qtbot, lambda: win.snapshot.step > 60, timeout=30_000)
    first = win.progress.value()
    text = win.progress.format()
    assert text.startswith("Epoch") and "steps" in text
    wait_for(qtbot, lambda: win.progress.value() != first, timeout=10_000)
    t0 = time.perf_counter()
    win.pause()
    wait_for(qtbot, lambda: not win.snapshot.playing, timeout=5_000)
    assert time.perf_counter() - t0 < 1.0
    step = win.snapshot.step
    qtbot.wait(300)
    assert win.snapshot.step == step


def test_the_epoch_goal_pauses_training(make_window, qtbot):
    win = make_window(load_preset("digits").replace(epochs=1, batch_size=64))
    win.play()
    wait_for(qtbot, lambda: not win.snapshot.playing and win.snapshot.epoch >= 1, timeout=30_000)
    assert win.snapshot.step == win.snapshot.steps_per_epoch
    wait_for(qtbot, lambda: win.play_action.text().endswith("Play"), timeout=5_000)   # the button follows


def test_the_sampling_box_shows_the_fixed_split_of_image_sets(window):
    panel = window.data_panel
    panel.set_state(AppState(dataset="mnist"))
    assert panel.ratio_label.text() == "60,000 / 10,000 (fixed)" and panel.ratio.value() == 86
    assert not panel.sampling_box.isEnabled()
    panel.set_state(AppState(dataset="circle", train_ratio=0.7))
    assert panel.ratio_label.text() == "70%" and panel.sampling_box.isEnabled()


def test_the_progress_bar_counts_samples_and_names_the_next_pause(make_window, qtbot):
    from explorer.snapshot import epoch_goal
    assert (epoch_goal(0, 5), epoch_goal(4, 5), epoch_goal(5, 5), epoch_goal(7, 0)) == (5, 5, 10, None)
    win = make_window(load_preset("digits").replace(epochs=5, batch_size=64))
    tr = win.worker.trainer
    spe = tr.steps_per_epoch
    win.post("train", 6 * spe + spe // 2)             # six epochs and about half of the seventh
    wait_for(qtbot, lambda: win.snapshot.step == 6 * spe + spe // 2, timeout=30_000)
    half = tr.samples_in_epoch / tr.m_train
    assert win.progress.format() == f"Epoch 7 of 10: {spe // 2}/{spe} steps"
    assert abs(win.progress.value() - 1000 * half) <= 1
    win.post("hyper", {"batch_size": 16})              # same samples done, four times the steps
    wait_for(qtbot, lambda: win.snapshot.steps_per_epoch == tr.steps_per_epoch != spe)
    spe16 = tr.steps_per_epoch
    assert win.progress.format() == f"Epoch 7 of 10: {round(half * spe16)}/{spe16} steps"
    assert abs(win.progress.value() - 1000 * half) <= 1


def test_the_which_images_question_answers_with_the_button_clicked(window, qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    def click(text):
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox) and "same file names" in box.text()
        next(b for b in box.buttons() if b.text() == text).click()

    QTimer.singleShot(100, lambda: click("Clothes (Fashion-MNIST)"))
    assert window.ask_image_set() == "fashion-mnist"
    QTimer.singleShot(100, lambda: click("Cancel"))
    assert window.ask_image_set() is None


def test_captions_of_neighbouring_collapsed_layers_do_not_overlap(make_window, qtbot):
    win = make_window(load_preset("digits"))
    win.graph.layer_add_requested.emit(1)               # 64 → 32 → 32 → 10: three collapsed columns
    wait_for(qtbot, lambda: len(win.snapshot.sizes) == 4 and len(win.graph._blocks) == 4)
    qtbot.wait(100)
    boxes = [caption.sceneBoundingRect() for frame, caption in win.graph._blocks if frame is not None]
    assert len(boxes) == 3
    for a, b in zip(boxes, boxes[1:]):
        assert a.right() <= b.left(), (a, b)
    view = win.graph.view.sceneRect()
    assert all(view.contains(b) for b in boxes), (view, boxes)          # wrapped lines still fit below the nodes


def test_the_progress_bar_counts_whole_steps_when_the_last_batch_is_short(qtbot):
    from types import SimpleNamespace

    from explorer.views.data_docks import EpochProgress
    bar = EpochProgress()
    qtbot.addWidget(bar)
    # 1000 samples in batches of 300: 4 steps an epoch; after 3 of them 900 samples are used
    snap = SimpleNamespace(steps_per_epoch=4, image_shape=(8, 8), playing=False, epoch_progress=0.9, epoch=0,
                           target_epochs=0, steps_per_second=0.0)
    bar.update_snapshot(snap)
    assert bar.format() == "Epoch 1: 3/4 steps"
