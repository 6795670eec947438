"""Training that diverges stops, says so, keeps finite weights, and offers the last good ones back."""
import numpy as np
import pytest

# the views draw a diverged network's huge and infinite values without numeric warnings
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def test_diverging_lesson_stops_says_so_and_restores_the_last_good_weights(window, qtbot):
    pp = window.phase_panels
    preset = next(p for p in pp.presets if p.name == "diverging-lr")
    pp.open_preset(preset)
    qtbot.waitUntil(lambda: window.snapshot.state.lr == preset.state.lr and window.snapshot.step == 0,
                    timeout=20_000)
    window.play()
    qtbot.waitUntil(lambda: "diverged" in window.last_message, timeout=30_000)
    qtbot.waitUntil(lambda: not window.snapshot.playing, timeout=10_000)
    assert "last good weights" in window.last_message and "smaller learning rate" in window.last_message
    assert window.controls.speed.currentText() == "10/s"                  # the lesson is watched step by step
    assert len(window.snapshot.history_steps) > 3                         # so the cost is seen growing
    assert window.snapshot.grad_weights == ()                             # no ∂J/∂w of an earlier step
    explained = pp.explanation.text()
    assert f"step {pp.last_good[3]:,}" in explained and "Restore last good weights" in explained
    assert "color: #d93025" in window.status_label.styleSheet()            # said as an error
    net = window.worker.trainer.net
    assert all(np.all(np.isfinite(w)) for w in net.weights)                # no NaN was kept
    step = window.snapshot.step
    window.show_message("")
    window.post("step")                                                    # it stays stopped: the next
    qtbot.waitUntil(lambda: "diverged" in window.last_message, timeout=10_000)   # step diverges again
    assert window.worker.trainer.steps == step
    assert pp.restore_button.isVisible()
    good_weights = [np.array(w) for w in pp.last_good[0]]
    pp.restore_button.click()
    qtbot.waitUntil(lambda: all(np.array_equal(a, b) for a, b in zip(window.worker.trainer.net.weights,
                                                                       good_weights)), timeout=10_000)
    assert not pp.restore_button.isVisible()
    # the losses shown are those of the restored weights, at once (not the inf of the diverged ones)
    qtbot.waitUntil(lambda: np.isfinite(window.snapshot.train_loss), timeout=10_000)
    assert "inf" not in window.loss_plot.numbers.text()


def test_restoring_after_a_momentum_run_diverged_lets_training_go_on():
    from engine import TrainingDiverged
    from explorer.inspector import Inspector
    from explorer.presets import apply_preset, load_all
    from explorer.worker import TrainingWorker
    lesson = next(p for p in load_all()[0] if p.name == "diverging-lr")
    worker = TrainingWorker(lesson.state)
    apply_preset(worker, lesson)
    tr = worker.trainer
    tr.optimizer, tr.lr = "momentum", 0.3
    good = ([w.copy() for w in tr.net.weights], [b.copy() for b in tr.net.biases])
    with pytest.raises(TrainingDiverged):
        tr.train(steps=500)
    assert np.abs(tr.optimizer_state()["velocity"]["weights"][0]).max() > 1e6
    Inspector().handle(worker, "restore", *good)
    assert all(np.all(v == 0) for v in tr.optimizer_state()["velocity"]["weights"])
    tr.lr = 0.01
    tr.train(steps=50)                                  # no divergence now
    assert np.isfinite(tr.evaluate()["train_loss"])
