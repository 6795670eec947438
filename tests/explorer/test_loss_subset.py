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


def test_chunks_aim_at_their_duration_and_are_longer_for_big_data():
    # 100 steps took 10 ms: the next chunk aims at CHUNK_SECONDS, half-way from 100
    k = worker_module.next_chunk(100, 0.010, big_data=False)
    assert k == int(0.5 * 100 + 0.5 * 100 * worker_module.CHUNK_SECONDS / 0.010)
    # big data (MNIST): chunks aim at BIG_CHUNK_SECONDS, so the window redraws less and trains more
    big = worker_module.next_chunk(100, 0.010, big_data=True)
    assert big == int(0.5 * 100 + 0.5 * 100 * worker_module.BIG_CHUNK_SECONDS / 0.010)
    assert big > k
    # a slow network gets MIN_CHUNK_STEPS' worth, but no more than MAX_CHUNK_SECONDS
    slow = worker_module.next_chunk(10, 0.050, big_data=False)
    assert slow == int(0.5 * 10 + 0.5 * 10 * worker_module.MAX_CHUNK_SECONDS / 0.050)
    assert worker_module.next_chunk(1, 10.0, big_data=False) == 1
