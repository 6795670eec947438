"""Training: mini-batches, the optimizers, live edits, and the fast compiled loop.

`step()` runs one mini-batch through the same compiled pieces as `train()`, but keeps every
intermediate array for display; `train()` runs many steps in one compiled call.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from . import kernels
from . import threads
from .names import OPTIMIZER_CODES, OPTIMIZER_STATE_NAMES, OPTIMIZERS, check_choice
from .network import Gradients, Network, Trace, log_epsilon

# The longest sample order one compiled call receives; longer runs are cut into calls.
MAX_ORDER_PER_CALL = 4_000_000
# evaluate(stop=...) asks whether to give up after this many samples
STOP_BATCH = 500


class TrainingDiverged(RuntimeError):
    """The cost or a weight became NaN or infinite; the weights are those before that update."""

    def __init__(self, step, message=None):
        self.step = step
        super().__init__(message or (
            f"training diverged at step {step}: the cost or a weight became NaN or infinite; "
            f"the weights are kept as they were before that step (try a smaller learning rate)"))


@dataclass
class StepResult:
    """Everything one mini-batch step computed, for display."""
    step: int
    indices: np.ndarray
    X: np.ndarray
    Y: np.ndarray
    trace: Trace
    grads: Gradients
    loss: float
    weight_changes: list
    bias_changes: list


@dataclass
class Phase:
    """One piece of a step, in the order the maths runs (see Trainer.phases)."""
    kind: str          # "affine", "activation", "cost", "backward", "update"
    layer: int | None  # 1-based layer number as on screen (None for cost and update)
    label: str
    arrays: dict = field(default_factory=dict)


@dataclass
class _TrainingData:
    """The training and test sets as the trainer keeps them: rows are samples, for fast gathering."""
    X_rows: np.ndarray
    Y_rows: np.ndarray
    X_test: np.ndarray | None
    Y_test: np.ndarray | None
    kind: str


def _positive_float(value, what, allow_zero=False):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise ValueError(f"{what} must be a finite number {bound}, got {value!r}")
    return value


class Trainer:
    """Trains a Network on a Dataset (or on (X, Y) arrays) with one of OPTIMIZERS."""

    def __init__(self, net, data, optimizer="sgd", lr=0.03, batch_size=10, l2=0.0, l1=0.0, seed=0,
                 momentum=0.9, nesterov=False, rho=0.9, beta1=0.9, beta2=0.999, eps=None):
        if not isinstance(net, Network):
            raise ValueError(f"net must be an engine.Network, got {type(net).__name__}")
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a whole number ≥ 0, got {seed!r}")
        self.net = net
        self._rng = np.random.default_rng(seed)
        self._data = self._prepare(data)
        self.data = data
        self._optimizer = check_choice(optimizer, OPTIMIZERS, "optimizer")
        self.lr = lr
        self.batch_size = batch_size
        self.l1 = l1
        self.l2 = l2
        self.momentum = momentum
        self.nesterov = nesterov
        self.rho = _positive_float(rho, "rho")
        self.beta1 = _positive_float(beta1, "beta1")
        self.beta2 = _positive_float(beta2, "beta2")
        self.eps = _positive_float(eps if eps is not None else (1e-7 if net.dtype == np.float32 else 1e-8), "eps")
        self.steps = 0
        self.epoch = 0
        self._cursor = 0
        self._perm = self._rng.permutation(self.m_train)
        self._reset_state()
        self.last_loss = None

    # ----- data --------------------------------------------------------------------------------

    def _prepare(self, data):
        """Validate the data against the network and keep it as sample rows."""
        if isinstance(data, tuple) and len(data) == 2:
            X, Y = data
            X_test = Y_test = None
            kind = "regression" if self.net.loss_name == "mse" else "classification"
        elif hasattr(data, "X_train") and hasattr(data, "Y_train"):
            X, Y, X_test, Y_test = data.X_train, data.Y_train, data.X_test, data.Y_test
            kind = "regression" if getattr(data, "kind", "") == "regression" else "classification"
        else:
            raise ValueError("data must be a datasets.Dataset or a pair (X, Y) of arrays")
        X = self.net.check_inputs(X)
        Y = self.net.check_targets(Y, X.shape[1])
        if X.shape[1] < 1:
            raise ValueError("the training set is empty")
        if X_test is not None and np.asarray(X_test).size:
            X_test = self.net.check_inputs(X_test)
            Y_test = self.net.check_targets(Y_test, X_test.shape[1])
        else:
            X_test = Y_test = None
        return _TrainingData(np.ascontiguousarray(X.T), np.ascontiguousarray(Y.T), X_test, Y_test, kind)

    @property
    def m_train(self):
        return self._data.X_rows.shape[0]

    @property
    def steps_per_epoch(self):
        return -(-self.m_train // self._batch_size)

    @property
    def samples_in_epoch(self):
        """How many samples of the current epoch have been used."""
        return self._cursor

    def steps_until_epoch(self, epoch):
        """Steps from here to the end of epoch number `epoch` (counted as self.epoch is), at this
        batch size: each epoch's last batch may be short. 0 when that epoch is over."""
        if epoch <= self.epoch:
            return 0
        left_in_this_epoch = -(-(self.m_train - self._cursor) // self._batch_size)
        return left_in_this_epoch + (epoch - self.epoch - 1) * self.steps_per_epoch

    def set_data(self, data, output=None, loss=None):
        """Replace the data and keep the weights. Inputs are matched by feature name where both
        sets name their features; a new input starts with zero weights, a dropped one is removed.
        The number of outputs follows the data (new output neurons get fresh weights)."""
        net = self.net
        old_features = tuple(getattr(self.data, "features", ()) or ())
        new_features = tuple(getattr(data, "features", ()) or ())
        X_new = data.X_train if hasattr(data, "X_train") else data[0]
        Y_new = data.Y_train if hasattr(data, "Y_train") else data[1]
        d_new, n_out_new = np.shape(X_new)[0], np.shape(Y_new)[0] if np.ndim(Y_new) == 2 else net.sizes[-1]
        before = (net.to_dict(), self._state.copy(), self.data, self._data)
        try:
            # a softmax needs 2 outputs or more: into one, the outputs change first; out of one, last
            if (output or loss) and n_out_new < 2:
                net.set_output(output, loss)
            if old_features and new_features and old_features != new_features:
                keep = [old_features.index(f) if f in old_features else -1 for f in new_features]
                self._follow(net.remap_inputs(keep))
            elif d_new != net.sizes[0]:
                self._follow(net.remap_inputs([i if i < net.sizes[0] else -1 for i in range(d_new)]))
            if n_out_new != net.sizes[-1]:
                self._follow(net.remap_outputs([i if i < net.sizes[-1] else -1 for i in range(n_out_new)]))
            if (output or loss) and n_out_new >= 2:
                net.set_output(output, loss)
            self._data = self._prepare(data)
        except ValueError:
            saved, state, self.data, self._data = before
            restored = Network.from_dict(saved)
            net.__dict__.update(restored.__dict__)
            self._state = state
            raise
        self.data = data
        self._cursor = 0
        self._perm = self._rng.permutation(self.m_train)
        if self._batch_size > self.m_train:
            self._batch_size = self.m_train

    # ----- settings: live edits that keep the weights ------------------------------------------

    @property
    def lr(self):
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = _positive_float(value, "learning rate")

    @property
    def batch_size(self):
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not 1 <= value <= self.m_train:
            raise ValueError(f"batch size must be a whole number from 1 to {self.m_train} (the training set), "
                             f"got {value!r}")
        self._batch_size = int(value)

    @property
    def l1(self):
        return self._l1

    @l1.setter
    def l1(self, value):
        self._l1 = _positive_float(value, "L1 rate", allow_zero=True)

    @property
    def l2(self):
        return self._l2

    @l2.setter
    def l2(self, value):
        self._l2 = _positive_float(value, "L2 rate", allow_zero=True)

    @property
    def momentum(self):
        return self._momentum

    @momentum.setter
    def momentum(self, value):
        value = _positive_float(value, "momentum", allow_zero=True)
        if value >= 1:
            raise ValueError(f"momentum must be from 0 up to (not including) 1, got {value}")
        self._momentum = value

    @property
    def nesterov(self):
        return self._nesterov

    @nesterov.setter
    def nesterov(self, value):
        self._nesterov = bool(value)

    @property
    def optimizer(self):
        return self._optimizer

    @optimizer.setter
    def optimizer(self, name):
        """A new optimizer starts with fresh state (its running averages mean nothing to another)."""
        name = check_choice(name, OPTIMIZERS, "optimizer")
        if name != self._optimizer:
            self._optimizer = name
            self._reset_state()

    def reset_optimizer_state(self):
        """Start the optimizer afresh (zero velocity and running averages, update count 0), e.g.
        after putting back weights from before a divergence, whose state grew with it."""
        self._reset_state()

    def _reset_state(self):
        n_state = len(OPTIMIZER_STATE_NAMES[self._optimizer])
        self._state = np.zeros((n_state, self.net.n_params), dtype=self.net.dtype)
        self._t = 0

    def optimizer_state(self):
        """The optimizer's per-parameter state, as arrays shaped like the weights and biases."""
        result = {}
        for i, name in enumerate(OPTIMIZER_STATE_NAMES[self._optimizer]):
            weights, biases = self.net._views(self._state[i])
            result[name] = {"weights": weights, "biases": biases}
        return result

    def progress(self):
        """Where this run stands, as arrays and numbers a file can hold: the step and epoch counts,
        the optimizer's update count and state (n_state, n_params), the position in this epoch's
        sample order, that order, and the random generator's state. restore_progress() continues
        from it exactly, as if the run had never stopped."""
        return {"steps": self.steps, "epoch": self.epoch, "updates": self._t, "cursor": self._cursor,
                "optimizer_state": self._state.copy(), "order": self._perm.copy(),
                "rng": self._rng.bit_generator.state}

    def restore_progress(self, progress):
        """Continue a run saved with progress(): same network size, optimizer and training set size.
        Raises ValueError, changing nothing, when it does not fit."""
        counts = {}
        for key in ("steps", "epoch", "updates", "cursor"):
            value = progress.get(key) if isinstance(progress, dict) else None
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"the saved progress needs {key} as a whole number ≥ 0, got {value!r}")
            counts[key] = int(value)
        if counts["cursor"] >= self.m_train:
            raise ValueError(f"the saved position {counts['cursor']} is past the {self.m_train} training samples")
        n_state = len(OPTIMIZER_STATE_NAMES[self._optimizer])
        state = np.asarray(progress.get("optimizer_state"))
        if state.shape != (n_state, self.net.n_params) or not np.issubdtype(state.dtype, np.floating):
            rows = f"{n_state} row{'s' if n_state != 1 else ''}"
            raise ValueError(f"the saved {self._optimizer} state must be {rows} of {self.net.n_params} numbers, "
                             f"got an array of shape {state.shape}")
        if not np.all(np.isfinite(state)):
            raise ValueError("the saved optimizer state holds NaN or infinite values")
        order = np.asarray(progress.get("order"))
        if order.shape != (self.m_train,) or not np.array_equal(np.sort(order), np.arange(self.m_train)):
            raise ValueError(f"the saved sample order must be an ordering of the {self.m_train} training samples")
        rng = np.random.default_rng()
        try:
            rng.bit_generator.state = progress.get("rng")
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError(f"the saved random generator state is not valid ({exc})") from None
        self.steps, self.epoch, self._t, self._cursor = (counts[k] for k in ("steps", "epoch", "updates", "cursor"))
        self._state = state.astype(self.net.dtype, copy=True)
        self._perm = order.astype(np.int64, copy=True)
        self._rng = rng

    def _follow(self, map_state):
        """Carry the optimizer state across an architecture edit."""
        self._state = np.stack([map_state(s) for s in self._state]) if len(self._state) else \
            np.zeros((0, self.net.n_params), dtype=self.net.dtype)

    def set_activation(self, l, name):
        self.net.set_activation(l, name)

    def set_output(self, activation=None, loss=None):
        """Change the output activation and/or loss. Refused, and nothing changed, when the pair is
        not allowed or the data's targets do not fit it (bce on a regression's targets, say)."""
        before = (self.net.activations[-1], self.net.loss_name)
        self.net.set_output(activation, loss)
        try:
            self._data = self._prepare(self.data)
        except ValueError:
            self.net.set_output(*before)
            raise

    def insert_layer(self, l, size, activation="tanh"):
        self._follow(self.net.insert_layer(l, size, activation))

    def remove_layer(self, l):
        self._follow(self.net.remove_layer(l))

    def add_neurons(self, l, count=1):
        self._follow(self.net.add_neurons(l, count))

    def remove_neuron(self, l, j):
        self._follow(self.net.remove_neuron(l, j))

    def set_layer_size(self, l, size):
        self._follow(self.net.set_layer_size(l, size))

    # ----- one step, shown in full -------------------------------------------------------------

    def _check_consistency(self):
        """Catch edits made on trainer.net directly rather than through the trainer."""
        net = self.net
        if self._state.shape[1] != net.n_params:
            # the optimizer state cannot follow an edit it did not see: start it afresh
            self._reset_state()
        if self._data.X_rows.shape[1] != net.sizes[0] or self._data.Y_rows.shape[1] != net.sizes[-1]:
            raise ValueError(
                f"the network has {net.sizes[0]} inputs and {net.sizes[-1]} outputs but the data has "
                f"{self._data.X_rows.shape[1]} and {self._data.Y_rows.shape[1]}: edit inputs and outputs "
                f"through the trainer (set_data) so the two stay in step")

    def _next_indices(self):
        m = min(self._batch_size, self.m_train - self._cursor)
        return self._perm[self._cursor:self._cursor + m]

    def _advance(self, m):
        self._cursor += m
        if self._cursor >= self.m_train:
            self._cursor = 0
            self.epoch += 1
            self._perm = self._rng.permutation(self.m_train)

    def _batch(self):
        self._check_consistency()
        idx = self._next_indices()
        X = np.ascontiguousarray(self._data.X_rows[idx].T)
        Y = np.ascontiguousarray(self._data.Y_rows[idx].T)
        return idx, X, Y

    def _hyper(self):
        """The hyperparameters as the kernels read them (engine.kernels.LR, ...), in the net's dtype."""
        return kernels.hyperparameters(self._lr, self._l1, self._l2, self._momentum, self._nesterov, self.rho,
                                       self.beta1, self.beta2, self.eps, self.net.dtype)

    def peek_batch(self):
        """(indices, X, Y) of the next mini-batch, without moving the trainer."""
        return self._batch()

    def preview_update(self, grads):
        """What the optimizer would make of grads, without changing anything: (new parameters as
        a flat array laid out like net.parameters, new optimizer state (rows as in
        optimizer_state()), whether every value is finite)."""
        net = self.net
        grad = net.flatten(grads.dW, grads.db)
        theta_new = np.empty_like(net.parameters)
        state_new = np.empty_like(self._state)
        ok = kernels.update_params(OPTIMIZER_CODES[self._optimizer], np.array(net.sizes, np.int64),
                                   net.offsets, net.parameters, grad, self._state, theta_new, state_new,
                                   self._hyper(), self._t + 1, threads.parts())
        return theta_new, state_new, bool(ok)

    @property
    def updates_done(self):
        """How many updates the optimizer has made (Adam's bias correction counts them)."""
        return self._t

    def _apply_update(self, grads):
        """Compute the update into new buffers; keep them only when every value is finite."""
        net = self.net
        theta_new, state_new, ok = self.preview_update(grads)
        if not ok:
            raise TrainingDiverged(self.steps + 1)
        old_weights = [w.copy() for w in net.weights]
        old_biases = [b.copy() for b in net.biases]
        net.parameters[...] = theta_new
        self._state = state_new
        self._t += 1
        return ([w - o for w, o in zip(net.weights, old_weights)],
                [b - o for b, o in zip(net.biases, old_biases)])

    def step(self):
        """One mini-batch: forward, cost, backward, update. Returns all it computed."""
        idx, X, Y = self._batch()
        trace = self.net._forward(X)
        loss = self.net.loss(trace, Y)
        if not math.isfinite(loss):
            raise TrainingDiverged(self.steps + 1)
        grads = self.net.backward(trace, Y)
        weight_changes, bias_changes = self._apply_update(grads)
        self.steps += 1
        self._advance(len(idx))
        self.last_loss = loss
        return StepResult(self.steps, idx, X, Y, trace, grads, loss, weight_changes, bias_changes)

    def phases(self):
        """The phases of one step, in order: for each layer its affine map (Zˡ) and activation
        (Aˡ); the cost; for each layer from the output inward dZˡ, dWˡ, dbˡ; then the update.
        Nothing changes until the update phase is reached; running every phase leaves the
        trainer exactly where step() would."""
        net = self.net
        idx, X, Y = self._batch()
        trace = net._forward(X)
        L = net.n_layers
        for l in range(L):
            n = l + 1
            yield Phase("affine", n, f"Z{n} = W{n}·A{n - 1} + b{n}",
                        {"W": net.weights[l], "b": net.biases[l], "A_prev": trace.A[l], "Z": trace.Z[l]})
            yield Phase("activation", n, f"A{n} = {net.activations[l]}(Z{n})",
                        {"Z": trace.Z[l], "A": trace.A[l + 1], "activation": net.activations[l]})
        loss = net.loss(trace, Y)
        yield Phase("cost", None, f"J = {net.loss_name}(A{L}, Y)",
                    {"A": trace.A[L], "Y": Y, "J": loss, "indices": idx})
        if not math.isfinite(loss):
            raise TrainingDiverged(self.steps + 1)
        grads = net.backward(trace, Y)
        for l in range(L - 1, -1, -1):
            n = l + 1
            yield Phase("backward", n, f"dZ{n}, dW{n} = dZ{n}·A{n - 1}ᵀ/m, db{n}",
                        {"dZ": grads.dZ[l], "dW": grads.dW[l], "db": grads.db[l], "A_prev": trace.A[l],
                         "W": net.weights[l]})
        old = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
        weight_changes, bias_changes = self._apply_update(grads)
        self.steps += 1
        self._advance(len(idx))
        self.last_loss = loss
        yield Phase("update", None, "w ← w − α·∂J/∂w",
                    {"old_weights": old[0], "old_biases": old[1], "weights": net.weights, "biases": net.biases,
                     "weight_changes": weight_changes, "bias_changes": bias_changes, "grads": grads,
                     "result": StepResult(self.steps, idx, X, Y, trace, grads, loss, weight_changes, bias_changes)})

    # ----- many steps, compiled ----------------------------------------------------------------

    def train(self, steps=None, epochs=None):
        """Run steps mini-batch steps (or epochs whole passes) in compiled code; returns the
        number of steps done. Raises TrainingDiverged, keeping the last good weights."""
        if (steps is None) == (epochs is None):
            raise ValueError("give either steps or epochs (a whole number ≥ 1)")
        count = steps if steps is not None else epochs
        if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < 1:
            raise ValueError(f"{'steps' if steps is not None else 'epochs'} must be a whole number ≥ 1, got {count!r}")
        n_steps = int(count) if steps is not None else int(count) * self.steps_per_epoch
        max_steps = max(1, MAX_ORDER_PER_CALL // max(self._batch_size, 1) // 2)
        done = 0
        while done < n_steps:
            done += self._train_call(min(n_steps - done, max_steps))
        return done

    def _epochs_completed_by(self, n_steps):
        """How many epochs end during the next n_steps steps."""
        left_in_epoch = self.steps_until_epoch(self.epoch + 1)
        if n_steps < left_in_epoch:
            return 0
        return 1 + (n_steps - left_in_epoch) // self.steps_per_epoch

    def _train_call(self, n_steps):
        net = self.net
        self._check_consistency()
        completed = self._epochs_completed_by(n_steps)
        rng_state = self._rng.bit_generator.state
        perms = [self._perm] + [self._rng.permutation(self.m_train) for _ in range(completed)]
        order = np.concatenate(perms).astype(np.int64)
        grad = np.empty(net.n_params, dtype=net.dtype)
        losses = np.empty(n_steps, dtype=np.float64)
        done, ok, cursor = kernels.train_loop(
            np.array(net.sizes, np.int64), net.activation_codes(), net.loss_code(),
            OPTIMIZER_CODES[self._optimizer], net.parameters, self._state, grad, net.offsets,
            self._data.X_rows, self._data.Y_rows, order, self._batch_size, n_steps, self._cursor,
            self._hyper(), log_epsilon(net.dtype), self._t, losses, threads.parts())
        self._t += done
        self.steps += done
        epochs_done = cursor // self.m_train
        if epochs_done < completed:
            # stopped early: draw again only the orders step() would have drawn by now
            self._rng.bit_generator.state = rng_state
            for _ in range(epochs_done):
                self._rng.permutation(self.m_train)
        self.epoch += epochs_done
        self._cursor = cursor % self.m_train
        self._perm = perms[epochs_done]
        if done:
            self.last_loss = float(losses[done - 1])
        if not ok:
            raise TrainingDiverged(self.steps + 1)
        return done

    # ----- evaluation --------------------------------------------------------------------------

    def evaluate(self, max_samples=None, stop=None):
        """Cost and accuracy on the training and test sets (accuracy None for regression).
        max_samples evaluates on the first that many samples of each set, for quick updates.
        stop, a function of no arguments, is asked between batches of STOP_BATCH samples whether to
        give up; when it says yes, evaluate returns None (an app has something more urgent to do)."""
        self._check_consistency()
        train = self._measure(self._data.X_rows, self._data.Y_rows, max_samples, True, stop)
        if train is None:
            return None
        test = (None, None)
        if self._data.X_test is not None:
            test = self._measure(self._data.X_test, self._data.Y_test, max_samples, False, stop)
            if test is None:
                return None
        return {"train_loss": train[0], "test_loss": test[0], "train_accuracy": train[1], "test_accuracy": test[1]}

    def _measure(self, X, Y, max_samples, rows, stop):
        if rows:
            X, Y = X.T, Y.T
        if max_samples:
            X, Y = X[:, :max_samples], Y[:, :max_samples]
        # the data was checked when the trainer got it
        if stop is None:
            A = self.net.predict_checked(X)
        else:
            A = np.empty((self.net.sizes[-1], X.shape[1]), dtype=self.net.dtype)
            for start in range(0, X.shape[1], STOP_BATCH):
                if stop():
                    return None
                A[:, start:start + STOP_BATCH] = self.net.predict_checked(X[:, start:start + STOP_BATCH])
        Y = np.ascontiguousarray(Y)
        loss = self.net.cost_of_outputs(A, Y)
        return loss, self.accuracy(A, Y)

    def accuracy(self, A, Y):
        """Fraction classified right: the largest output for several classes, output > 0.5 for one."""
        if self._data.kind == "regression":
            return None
        if A.shape[0] == 1:
            return float(np.mean((A[0] > 0.5) == (Y[0] > 0.5)))
        return float(np.mean(np.argmax(A, axis=0) == np.argmax(Y, axis=0)))
