"""The loss panel says when its numbers come from a sample of a big data set."""
from dataclasses import replace

from explorer import worker as worker_module


def test_loss_numbers_name_the_sample_they_come_from(window):
    view = window.loss_plot
    assert window.snapshot.eval_samples == 0                   # the playground: every point counts
    view.update_snapshot(window.snapshot)
    assert "samples of each set" not in view.numbers.text()
    view.update_snapshot(replace(window.snapshot, serial=window.snapshot.serial + 1, eval_samples=2000))
    assert "on the first 2,000 samples of each set" in view.numbers.text()


def test_big_data_is_evaluated_on_a_sample(window, qtbot, monkeypatch):
    monkeypatch.setattr(worker_module, "BIG_EVAL_WORK", 10)     # make the playground count as big
    monkeypatch.setattr(worker_module, "BIG_EVAL_SAMPLES", 100)
    window.post("train", 5)
    qtbot.waitUntil(lambda: window.snapshot.step >= 5 and window.snapshot.eval_samples == 100, timeout=10_000)
