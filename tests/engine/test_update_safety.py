"""The optimizer update in place: an update that overflows is undone, the overflow bound, and
values that decay into the subnormal range are flushed to 0."""
import numpy as np
import pytest

from engine import Network, Trainer, TrainingDiverged, datasets, kernels


def float32_trainer(lr):
    """Inputs scaled by 10⁴ give gradients near 10³, so lr decides whether lr·g overflows float32."""
    data = datasets.make("circle", n=100, noise=0.1, seed=0)
    net = Network([2, 6, 1], hidden="relu", output="sigmoid", loss="bce", seed=0, dtype=np.float32)
    return Trainer(net, (data.X_train * 1e4, data.Y_train), lr=lr, batch_size=10, seed=0)


@pytest.mark.parametrize("run", ["step", "train"])
def test_an_update_that_overflows_is_refused_and_the_weights_are_kept(run):
    # cost and gradient are finite; only lr·g overflows float32
    trainer = float32_trainer(lr=1e37)
    before = trainer.net.parameters.copy()
    state_before = trainer._state.copy()
    with pytest.raises(TrainingDiverged) as info:
        trainer.step() if run == "step" else trainer.train(steps=5)
    assert info.value.step == 1
    assert trainer.steps == 0
    np.testing.assert_array_equal(trainer.net.parameters, before)
    np.testing.assert_array_equal(trainer._state, state_before)


def test_an_update_near_the_limit_is_checked_and_kept_when_finite():
    # big enough that the bound cannot prove it safe, small enough that every value stays finite
    stepper, trainer = float32_trainer(lr=1e32), float32_trainer(lr=1e32)
    grad_sum = float(np.abs(stepper.step().grads.dW[0]).sum())
    assert grad_sum > 0
    assert trainer.train(steps=1) == 1
    assert np.all(np.isfinite(trainer.net.parameters))
    np.testing.assert_allclose(trainer.net.parameters, stepper.net.parameters, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_bound_proves_ordinary_updates_safe_and_refuses_huge_or_nan_ones(dtype):
    largest = float(np.finfo(dtype).max)
    for opt, name in enumerate(["sgd", "momentum", "rmsprop", "adam"]):
        hyper = kernels.hyperparameters(1e-3, 0.0, 1e-4, 0.9, False, 0.9, 0.9, 0.999, 1e-7, dtype)
        kernels.set_step(opt, hyper, 1)
        assert kernels.update_stays_finite(opt, hyper, 1e3, 1e2, 1e3, 1e3), name
        assert not kernels.update_stays_finite(opt, hyper, largest / 2, 1.0, 1.0, 1.0), name
        assert not kernels.update_stays_finite(opt, hyper, 1.0, float("nan"), 1.0, 1.0), name
        assert not kernels.update_stays_finite(opt, hyper, 1.0, float("inf"), 1.0, 1.0), name


@pytest.mark.parametrize("optimizer", ["momentum", "rmsprop", "adam"])
@pytest.mark.parametrize("run", ["step", "train"])
def test_state_of_a_weight_whose_gradient_stays_zero_decays_to_zero_not_to_a_subnormal(optimizer, run):
    data = datasets.make("circle", n=100, noise=0.1, seed=0)
    net = Network([2, 3, 1], hidden="relu", output="sigmoid", loss="bce", seed=0, dtype=np.float32)
    # neuron 1 of the hidden layer is dead: its incoming weights get no gradient
    net.weights[0][0] = 0.0
    net.biases[0][0] = -100.0
    trainer = Trainer(net, data, optimizer=optimizer, lr=1e-3, batch_size=10, seed=0)
    state = trainer.optimizer_state()
    for rows in state.values():
        rows["weights"][0][0] = 2e-38     # just above the smallest normal
    steps = 2000
    if run == "train":
        trainer.train(steps=steps)
    else:
        for _ in range(steps):
            trainer.step()
    tiny = np.finfo(np.float32).tiny
    for name, rows in trainer.optimizer_state().items():
        np.testing.assert_array_equal(rows["weights"][0][0], 0.0, err_msg=name)
        values = np.abs(trainer._state)
        assert not np.any((values > 0) & (values < tiny)), name
