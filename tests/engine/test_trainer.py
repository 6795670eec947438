"""Trainer: step() against the reference, train() against step(), seeds, divergence, learning, bad input."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import reference as ref
from engine import OPTIMIZERS, Network, Trainer, TrainingDiverged, datasets

CLOSE = dict(rtol=1e-12, atol=1e-13)
HYPER = {"sgd": {}, "momentum": {"momentum": 0.8, "nesterov": True}, "rmsprop": {}, "adam": {}}


def circle(n=110):
    return datasets.make("circle", n=n, noise=0.1, seed=0)      # 55 training samples


def make_trainer(optimizer="sgd", seed=0, net_seed=0, batch_size=10, lr=0.05, l1=0.0, l2=0.0, data=None,
                 **kw):
    net = Network([2, 5, 4, 1], hidden="tanh", output="sigmoid", loss="bce", seed=net_seed)
    return Trainer(net, data or circle(), optimizer=optimizer, lr=lr, batch_size=batch_size, l1=l1, l2=l2,
                   seed=seed, **{**HYPER[optimizer], **kw})


def state_arrays(trainer):
    return {k: v["weights"] + v["biases"] for k, v in trainer.optimizer_state().items()}


# ----- one step --------------------------------------------------------------------------------

@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_step_matches_reference_step_on_the_same_batch(optimizer):
    trainer = make_trainer(optimizer, l1=0.003, l2=0.01)
    net, data = trainer.net, trainer.data
    reference = ref.ReferenceTrainer(net.weights, net.biases, net.activations, net.loss_name, optimizer,
                                     lr=0.05, l1=0.003, l2=0.01, **HYPER[optimizer])
    seen = []
    for k in range(8):                                   # past the end of the first epoch (6 steps)
        old = [w.copy() for w in net.weights]
        result = trainer.step()
        assert result.step == k + 1 == trainer.steps
        np.testing.assert_array_equal(result.X, data.X_train[:, result.indices])
        np.testing.assert_array_equal(result.Y, data.Y_train[:, result.indices])
        J = reference.step(result.X, result.Y)
        assert result.loss == pytest.approx(J, rel=1e-12)
        for l in range(net.n_layers):
            np.testing.assert_allclose(net.weights[l], reference.weights[l], err_msg=f"W{l + 1} step {k + 1}",
                                       **CLOSE)
            np.testing.assert_allclose(net.biases[l], reference.biases[l], err_msg=f"b{l + 1} step {k + 1}",
                                       **CLOSE)
            np.testing.assert_array_equal(result.weight_changes[l], net.weights[l] - old[l])
        seen.append(result.indices.copy())
    first_epoch = np.concatenate(seen[:6])
    assert [len(i) for i in seen] == [10, 10, 10, 10, 10, 5, 10, 10]     # the last batch is cut short
    assert sorted(first_epoch) == list(range(55))                         # every sample once per epoch
    assert trainer.epoch == 1


def test_step_result_carries_the_trace_and_data_gradients():
    trainer = make_trainer("sgd", l2=0.5)
    before = trainer.net.copy()
    result = trainer.step()
    trace = before.forward(result.X)
    grads = before.backward(trace, result.Y)
    for l in range(before.n_layers):
        np.testing.assert_allclose(result.trace.Z[l], trace.Z[l], **CLOSE)
        np.testing.assert_allclose(result.grads.dW[l], grads.dW[l], **CLOSE)   # data term only, no λw
    np.testing.assert_allclose(result.weight_changes[0], -0.05 * (grads.dW[0] + 0.5 * before.weights[0]),
                               **CLOSE)
    np.testing.assert_allclose(result.bias_changes[0], -0.05 * grads.db[0], **CLOSE)


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_optimizer_state_after_a_step(optimizer):
    trainer = make_trainer(optimizer)
    result = trainer.step()
    state = state_arrays(trainer)
    g = result.grads.dW + result.grads.db
    if optimizer == "momentum":
        for v, gi in zip(state["velocity"], g):
            np.testing.assert_allclose(v, gi, **CLOSE)
    else:
        for m1, m2, gi in zip(state["first_moment"], state["second_moment"], g):
            np.testing.assert_allclose(m1, 0.1 * gi, **CLOSE)
            np.testing.assert_allclose(m2, 0.001 * gi ** 2, **CLOSE)


def test_phases_run_the_same_step():
    a, b = make_trainer("adam"), make_trainer("adam")
    kinds = []
    for phase in a.phases():
        kinds.append(phase.kind)
        if phase.kind != "update":
            assert a.steps == 0                              # nothing changes before the update
    assert kinds == ["affine", "activation"] * 3 + ["cost"] + ["backward"] * 3 + ["update"]
    b.step()
    np.testing.assert_array_equal(a.net.parameters, b.net.parameters)
    assert a.steps == b.steps == 1


# ----- train() is many steps -------------------------------------------------------------------

@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_train_equals_repeated_step(optimizer):
    fast = make_trainer(optimizer, l1=0.001, l2=0.01)
    slow = make_trainer(optimizer, l1=0.001, l2=0.01)
    assert fast.train(steps=23) == 23                    # 3 epochs of 6 steps and 5 more
    for _ in range(23):
        slow.step()
    assert fast.steps == slow.steps == 23
    assert fast.epoch == slow.epoch == 3
    assert fast.samples_in_epoch == slow.samples_in_epoch == 50
    np.testing.assert_allclose(fast.net.parameters, slow.net.parameters, **CLOSE)
    for name, arrays in state_arrays(slow).items():
        for a, b in zip(state_arrays(fast)[name], arrays):
            np.testing.assert_allclose(a, b, **CLOSE)
    assert fast.last_loss == pytest.approx(slow.last_loss, rel=1e-12)
    # the same batches follow
    np.testing.assert_array_equal(fast.step().indices, slow.step().indices)
    np.testing.assert_array_equal(fast.step().indices, slow.step().indices)


def test_train_epochs_and_split_calls():
    a, b = make_trainer("adam"), make_trainer("adam")
    assert a.train(epochs=4) == 4 * a.steps_per_epoch == 24
    assert a.epoch == 4 and a.samples_in_epoch == 0
    for n in (5, 1, 11, 7):
        b.train(steps=n)
    np.testing.assert_array_equal(a.net.parameters, b.net.parameters)     # same code, same bits
    assert b.epoch == 4


def test_steps_until_epoch_counts_each_epochs_short_last_batch():
    trainer = make_trainer(batch_size=20)                # 55 samples: batches of 20, 20 and 15
    assert trainer.steps_per_epoch == 3
    assert trainer.steps_until_epoch(0) == 0
    assert trainer.steps_until_epoch(2) == 6
    trainer.train(steps=2)                               # 40 samples in: the short batch is next
    assert trainer.steps_until_epoch(1) == 1
    assert trainer.steps_until_epoch(3) == 7
    trainer.train(steps=1)
    assert (trainer.epoch, trainer.samples_in_epoch) == (1, 0)
    trainer.batch_size = 50                              # batches of 50 and 5
    assert trainer.steps_until_epoch(4) == 6             # ⌈165 / 50⌉ = 4 would stop short of it
    assert trainer.train(steps=trainer.steps_until_epoch(4)) == 6 and trainer.epoch == 4
    assert trainer.samples_in_epoch == 0


def test_same_seed_bit_identical_different_seed_differs():
    a, b = make_trainer("adam", seed=3), make_trainer("adam", seed=3)
    a.train(steps=300)
    b.train(steps=300)
    np.testing.assert_array_equal(a.net.parameters, b.net.parameters)
    c = make_trainer("adam", seed=4)                     # other batches
    c.train(steps=300)
    assert not np.array_equal(a.net.parameters, c.net.parameters)
    d = make_trainer("adam", seed=3, net_seed=1)         # other initial weights
    d.train(steps=300)
    assert not np.array_equal(a.net.parameters, d.net.parameters)


# ----- divergence --------------------------------------------------------------------------------

def diverging_trainer():
    data = datasets.make("plane", n=100, noise=0.1, seed=0)
    net = Network([2, 4, 1], hidden="tanh", output="linear", loss="mse", seed=0)
    return Trainer(net, data, optimizer="sgd", lr=50.0, batch_size=10, seed=0)


def test_step_raises_training_diverged_and_keeps_the_last_good_weights():
    trainer = diverging_trainer()
    with pytest.raises(TrainingDiverged) as info:
        for _ in range(1000):
            before = trainer.net.parameters.copy()
            trainer.step()
    assert isinstance(info.value, RuntimeError)
    assert info.value.step == trainer.steps + 1 > 2
    assert f"step {info.value.step}" in str(info.value)
    np.testing.assert_array_equal(trainer.net.parameters, before)
    assert np.all(np.isfinite(trainer.net.parameters))


def test_train_raises_at_the_same_step_with_the_same_weights():
    stepper = diverging_trainer()
    with pytest.raises(TrainingDiverged) as by_step:
        for _ in range(1000):
            before = stepper.net.parameters.copy()
            stepper.step()
    trainer = diverging_trainer()
    with pytest.raises(TrainingDiverged) as by_train:
        trainer.train(steps=1000)
    assert by_train.value.step == by_step.value.step
    assert trainer.steps == by_step.value.step - 1
    np.testing.assert_allclose(trainer.net.parameters, before, rtol=1e-12)
    assert np.all(np.isfinite(trainer.net.parameters))
    # with sane weights and rate, training goes on from there
    trainer.net.parameters[...] = diverging_trainer().net.parameters
    trainer.lr = 0.01
    assert trainer.train(steps=3) == 3
    assert trainer.steps == by_step.value.step + 2


def test_batches_after_divergence_are_those_step_would_use():
    stepper = diverging_trainer()
    with pytest.raises(TrainingDiverged):
        for _ in range(1000):
            stepper.step()
    trainer = diverging_trainer()
    with pytest.raises(TrainingDiverged):
        trainer.train(steps=1000)
    for t in (stepper, trainer):
        t.net.parameters[...] = diverging_trainer().net.parameters
        t.lr = 0.01
    trainer.train(steps=10)
    for _ in range(10):
        stepper.step()
    np.testing.assert_array_equal(trainer.step().indices, stepper.step().indices)


# ----- it learns -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["circle", "xor"])
def test_reaches_95_percent_test_accuracy(name):
    data = datasets.make(name, n=400, noise=0.1, seed=0)
    net = Network([2, 8, 8, 1], hidden="tanh", output="sigmoid", loss="bce", seed=0)
    trainer = Trainer(net, data, optimizer="adam", lr=0.01, batch_size=10, seed=0)
    start = trainer.evaluate()
    trainer.train(steps=3000)
    end = trainer.evaluate()
    assert start["test_accuracy"] < 0.8
    assert end["test_accuracy"] >= 0.95
    assert end["train_loss"] < start["train_loss"] / 5


def test_evaluate_numbers():
    trainer = make_trainer("sgd")
    trainer.train(steps=50)
    data, net = trainer.data, trainer.net
    result = trainer.evaluate()
    A = net.predict(data.X_test)
    assert result["test_loss"] == pytest.approx(ref.cost("bce", A, data.Y_test), rel=1e-12)
    assert result["test_accuracy"] == pytest.approx(np.mean((A > 0.5) == (data.Y_test > 0.5)))
    assert result["train_loss"] == pytest.approx(ref.cost("bce", net.predict(data.X_train), data.Y_train),
                                                 rel=1e-12)
    regression = Trainer(Network([2, 3, 1], output="linear", loss="mse"),
                         datasets.make("plane", n=40, seed=0), batch_size=5)
    assert regression.evaluate()["test_accuracy"] is None



def test_evaluate_gives_up_when_asked_and_otherwise_measures_the_same():
    data = datasets.make("circle", n=2400, noise=0.1, train_ratio=0.5, seed=0)   # 1,200 per set
    trainer = Trainer(Network([2, 8, 1]), data, batch_size=10)
    trainer.train(steps=100)
    whole = trainer.evaluate()
    asked = []
    assert trainer.evaluate(stop=lambda: asked.append(1) and False) == whole
    assert len(asked) == 6                                 # before each batch of 500: 3 per set
    assert trainer.evaluate(stop=lambda: True) is None
    calls = []

    def stop_in_the_test_set():
        calls.append(1)
        return len(calls) > 4
    assert trainer.evaluate(stop=stop_in_the_test_set) is None
    assert trainer.evaluate(max_samples=700, stop=lambda: False) == trainer.evaluate(max_samples=700)

def test_multiclass_accuracy_uses_argmax():
    data = datasets.make("blobs", n=90, noise=0.1, seed=0, classes=3)
    net = Network([2, 3], hidden=[], output="softmax", loss="cce", init="zeros")
    trainer = Trainer(net, data, batch_size=5)
    net.weights[0][...] = np.eye(3, 2) * 0
    net.biases[0][:, 0] = [0.0, 1.0, 0.0]                  # always class 1
    expected = np.mean(np.argmax(data.Y_test, axis=0) == 1)
    assert trainer.evaluate()["test_accuracy"] == pytest.approx(expected)


# ----- bad input ---------------------------------------------------------------------------------

def test_bad_trainer_settings_are_refused_with_the_allowed_values():
    with pytest.raises(ValueError, match="allowed: sgd, momentum, rmsprop, adam"):
        Trainer(Network([2, 1]), circle(), optimizer="lbfgs")
    trainer = make_trainer("sgd")
    for bad in (0, -0.1, float("nan"), float("inf"), "fast"):
        with pytest.raises(ValueError, match="learning rate must be"):
            trainer.lr = bad
    for bad in (0, 56, 2.5, True):
        with pytest.raises(ValueError, match="from 1 to 55"):
            trainer.batch_size = bad
    with pytest.raises(ValueError, match="from 1 to 55"):
        make_trainer("sgd", batch_size=100)
    for setting in ("l1", "l2"):
        with pytest.raises(ValueError, match="≥ 0"):
            setattr(trainer, setting, -1.0)
    with pytest.raises(ValueError, match="up to .*1"):
        trainer.momentum = 1.0
    with pytest.raises(ValueError, match="allowed"):
        trainer.optimizer = "newton"
    assert trainer.lr == 0.05 and trainer.batch_size == 10 and trainer.optimizer == "sgd"   # unchanged


def test_train_needs_steps_or_epochs():
    trainer = make_trainer("sgd")
    with pytest.raises(ValueError, match="either steps or epochs"):
        trainer.train()
    with pytest.raises(ValueError, match="either steps or epochs"):
        trainer.train(steps=5, epochs=1)
    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError, match="whole number ≥ 1"):
            trainer.train(steps=bad)
    with pytest.raises(ValueError, match="epochs must be"):
        trainer.train(epochs=0)
    assert trainer.steps == 0


def test_bad_data_is_refused():
    net = Network([2, 3, 1], hidden="tanh", output="sigmoid", loss="bce")
    X = np.zeros((2, 6))
    Y = np.zeros((1, 6))
    with pytest.raises(ValueError, match=r"shape \(2, any\)"):
        Trainer(net, (np.zeros((3, 6)), Y))
    with pytest.raises(ValueError, match=r"shape \(1, 6\)"):
        Trainer(net, (X, np.zeros((1, 5))))
    with pytest.raises(ValueError, match=r"shape \(1, 6\)"):
        Trainer(net, (X, np.zeros((2, 6))))
    X_nan = X.copy()
    X_nan[1, 2] = np.nan
    with pytest.raises(ValueError, match="only finite numbers are allowed"):
        Trainer(net, (X_nan, Y))
    with pytest.raises(ValueError, match="between 0 and 1"):
        Trainer(net, (X, Y + 2))
    with pytest.raises(ValueError, match="Dataset or a pair"):
        Trainer(net, [X, Y, Y])
    with pytest.raises(ValueError, match="engine.Network"):
        Trainer("net", (X, Y))


# ----- edits behind the trainer's back ---------------------------------------------------------

def test_editing_the_network_directly_does_not_corrupt_memory():
    code = textwrap.dedent("""
        import numpy as np
        from engine import Network, Trainer, datasets
        net = Network([2, 4, 1], seed=0)
        trainer = Trainer(net, datasets.make("circle", n=100, noise=0.1, seed=0), optimizer="momentum",
                          batch_size=10)
        trainer.step()
        net.add_neurons(0, 3)
        for run in (trainer.step, lambda: trainer.train(steps=20)):
            try:
                run()
            except ValueError as error:
                print("refused:", error)
        print("survived")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "survived" in done.stdout


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_train_equals_step_on_a_wide_network(dtype, tol):
    """Layers wide enough for the kernels' BLAS path; labels given as class indices."""
    rng = np.random.default_rng(0)
    X = rng.normal(0.0, 1.0, (30, 120))
    labels = rng.integers(0, 10, 120)

    def fresh():
        net = Network([30, 64, 64, 10], hidden="relu", output="softmax", loss="cce", init="he", seed=0,
                      dtype=dtype)
        return Trainer(net, (X, labels), optimizer="rmsprop", lr=1e-3, batch_size=40, seed=0)

    fast, slow = fresh(), fresh()
    fast.train(steps=7)
    for _ in range(7):
        slow.step()
    assert fast.net.parameters.dtype == dtype
    np.testing.assert_allclose(fast.net.parameters, slow.net.parameters, rtol=tol, atol=tol)
    assert fast.epoch == slow.epoch == 2


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_a_restored_run_continues_exactly_as_if_it_never_stopped(optimizer):
    data = datasets.make("spiral", n=200, noise=0.1, train_ratio=0.5, seed=0)

    def fresh():
        net = Network([2, 6, 1], hidden="tanh", output="sigmoid", loss="bce", seed=3)
        return Trainer(net, data, optimizer=optimizer, lr=0.01, batch_size=16, seed=5)

    straight = fresh()
    straight.train(steps=50)                       # crosses epochs of 7 steps, mid-epoch at the end
    first = fresh()
    first.train(steps=30)
    saved, params = first.progress(), first.net.parameters.copy()
    first.train(steps=5)                           # the saved progress is a copy, not a view
    second = fresh()
    second.net.parameters[...] = params
    second.restore_progress(saved)
    second.train(steps=20)
    assert np.array_equal(second.net.parameters, straight.net.parameters)
    assert (second.steps, second.epoch, second.updates_done) == (straight.steps, straight.epoch, 50)
    for name, parts in straight.optimizer_state().items():
        assert np.array_equal(second.optimizer_state()[name]["weights"][0], parts["weights"][0])


def test_progress_that_does_not_fit_is_refused_and_changes_nothing():
    data = datasets.make("circle", n=100, noise=0.1, train_ratio=0.5, seed=0)
    trainer = Trainer(Network([2, 3, 1], seed=0), data, optimizer="rmsprop", lr=0.01, batch_size=10)
    trainer.train(steps=3)
    good = trainer.progress()
    bad_cases = {
        "steps": dict(good, steps=-1),
        "rmsprop state must be 1 row of 13": dict(good, optimizer_state=np.zeros((2, trainer.net.n_params))),
        "NaN": dict(good, optimizer_state=np.full_like(good["optimizer_state"], np.nan)),
        "ordering": dict(good, order=np.zeros(50, np.int64)),
        "position": dict(good, cursor=50),
        "random generator": dict(good, rng={"bit_generator": "nonsense"}),
    }
    for words, progress in bad_cases.items():
        with pytest.raises(ValueError, match=words):
            trainer.restore_progress(progress)
    assert trainer.steps == 3 and trainer.updates_done == 3
    assert np.array_equal(trainer.progress()["optimizer_state"], good["optimizer_state"])
