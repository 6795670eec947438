"""A lesson's comparison network trains on the main network's data, whatever edit changes it; and
an unforeseen error pauses training with a message instead of ending the worker."""
import numpy as np


def open_comparison(window, qtbot):
    pp = window.phase_panels
    lesson = next(p for p in pp.presets if p.name == "all-linear-deep")
    pp.open_preset(lesson)
    qtbot.waitUntil(lambda: window.worker._compare_trainer is not None and window.snapshot.compare is not None,
                    timeout=20_000)
    window.post("train", 30)
    qtbot.waitUntil(lambda: window.snapshot.step >= 30, timeout=20_000)


def same_data(worker):
    main, other = worker.trainer.data, worker._compare_trainer.data
    return main is other or (np.array_equal(main.X_train, other.X_train) and np.array_equal(main.Y_train, other.Y_train))


def test_the_comparison_follows_new_features_and_new_noise(window, qtbot):
    open_comparison(window, qtbot)
    worker = window.worker
    weights = [w.copy() for w in worker._compare_trainer.net.weights[1:]]
    features = tuple(window.state.features) + ("x1·x2",)
    window.post("data", {"features": features})
    qtbot.waitUntil(lambda: window.snapshot.features == features, timeout=20_000)
    window.post("train", 10)
    qtbot.waitUntil(lambda: window.snapshot.step >= 40, timeout=20_000)
    assert window.thread.isRunning()
    assert worker._compare_trainer.net.sizes[0] == len(features) and same_data(worker)
    assert window.snapshot.compare is not None
    assert all(w.shape == v.shape for w, v in zip(weights, worker._compare_trainer.net.weights[1:]))
    old_points = worker.trainer.data.X_train
    window.post("data", {"noise": 0.3})
    qtbot.waitUntil(lambda: window.state.noise == 0.3 and worker.trainer.data.X_train is not old_points,
                    timeout=20_000)
    window.post("train", 5)
    qtbot.waitUntil(lambda: window.snapshot.step >= 45, timeout=20_000)
    assert same_data(worker)


def test_an_unforeseen_error_pauses_training_and_the_worker_goes_on(window, qtbot, monkeypatch):
    def broken(*_args):
        raise RuntimeError("something unforeseen")

    monkeypatch.setattr(window.worker, "_cmd_speed", broken)
    window.post("speed", 10.0)
    qtbot.waitUntil(lambda: "Training paused after an error: something unforeseen" in window.last_message,
                    timeout=10_000)
    monkeypatch.undo()
    window.post("train", 7)
    qtbot.waitUntil(lambda: window.snapshot.step >= 7, timeout=10_000)
