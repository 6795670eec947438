"""The image presets hold the classic's settings, and the engine trains what they describe."""
import json
from pathlib import Path

import numpy as np
import pytest

from engine import Network, Trainer, datasets

PRESETS = Path(__file__).resolve().parents[2] / "assets" / "presets"


def load(name):
    return json.loads((PRESETS / f"{name}.json").read_text(encoding="utf-8"))


def build(preset, data):
    s = preset["state"]
    net = Network([data.d, *s["hidden"], s["classes"]], hidden=s["activations"][0], output=s["output"],
                  loss=s["loss"], init=s["init"], seed=s["seed"], dtype=np.dtype(preset["dtype"]))
    trainer = Trainer(net, data, optimizer=s["optimizer"], lr=s["lr"], batch_size=s["batch_size"], seed=s["seed"])
    return net, trainer


@pytest.mark.parametrize("name, dataset", [("mnist-784-512-10", "mnist"), ("fashion-784-512-10", "fashion-mnist")])
def test_classic_presets_say_784_512_10(name, dataset):
    p = load(name)
    s = p["state"]
    assert s["dataset"] == dataset
    assert (s["hidden"], s["activations"], s["output"], s["loss"]) == ([512], ["relu"], "softmax", "cce")
    assert (s["optimizer"], s["lr"], s["batch_size"], p["epochs"], p["dtype"]) == ("rmsprop", 0.001, 128, 5, "float32")
    assert p["name"] == name and p["title"] and p["explanation"]


def test_digits_preset_trains_past_90_percent():
    p = load("digits")
    data = datasets.load("digits", train_ratio=p["state"]["train_ratio"], seed=p["state"]["seed"])
    net, trainer = build(p, data)
    assert net.sizes == [64, 32, 10] and net.dtype == np.float32
    trainer.train(epochs=p["epochs"])
    assert trainer.evaluate()["test_accuracy"] > 0.9


def test_fashion_preset_builds_and_learns_on_a_slice_when_the_files_are_here():
    from engine import images
    try:
        data = images.load_mnist_like("fashion-mnist", limit_train=3000, limit_test=1000)
    except images.DatasetNotFound:
        pytest.skip("Fashion-MNIST files are not on this machine")
    net, trainer = build(load("fashion-784-512-10"), data)
    assert net.sizes == [784, 512, 10]
    trainer.train(epochs=2)
    assert trainer.evaluate()["test_accuracy"] > 0.7
