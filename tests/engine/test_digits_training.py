"""The 8×8 digits train with the engine alone: a small relu network passes 0.9 test accuracy fast."""
import numpy as np
import pytest

from engine import Network, Trainer, datasets


@pytest.fixture(scope="module")
def digits():
    return datasets.load("digits")


def test_digits_shape_and_scale(digits):
    assert digits.image_shape == (8, 8)
    assert digits.n_classes == 10
    assert digits.m_train + digits.m_test == 1797
    assert digits.X_train.shape[0] == 64
    assert 0.0 <= digits.X_train.min() and digits.X_train.max() == pytest.approx(1.0)


def test_digits_train_past_90_percent_in_a_few_epochs(digits):
    net = Network([64, 32, 10], hidden="relu", output="softmax", loss="cce", init="he", seed=0,
                  dtype=np.float32)
    trainer = Trainer(net, digits, optimizer="adam", lr=1e-2, batch_size=32, seed=0)
    before = trainer.evaluate()["test_accuracy"]
    trainer.train(epochs=4)
    after = trainer.evaluate()["test_accuracy"]
    assert before < 0.3          # an untrained network guesses
    assert after > 0.9


def test_digits_classic_preset_settings_also_learn(digits):
    """The settings of the 784-512-10 classic (RMSprop 1e-3, batch 128) on the small digits set."""
    net = Network([64, 128, 10], hidden="relu", output="softmax", loss="cce", init="he", seed=0,
                  dtype=np.float32)
    trainer = Trainer(net, digits, optimizer="rmsprop", lr=1e-3, batch_size=32, seed=0)
    trainer.train(epochs=5)
    assert trainer.evaluate()["test_accuracy"] > 0.9
