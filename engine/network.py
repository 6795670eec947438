"""The network: weights, biases, activations, and the forward and backward pass of MATH.md.

All parameters live in one flat buffer (per layer: W row by row, then b), and `weights[l]` and
`biases[l]` are views into it. The compiled training loop works on the flat buffer directly, and
an edit in place through a view is seen by the next step.
"""

from dataclasses import dataclass

import numpy as np

from . import kernels
from . import threads
from .names import (
    ACTIVATION_CODES, HIDDEN_ACTIVATIONS, INITS, LOSS_CODES,
    check_choice, check_pairing,
)

DTYPES = (np.float64, np.float32)


@dataclass
class Trace:
    """What a forward pass computed: Z[l] for each layer, A[0] = X and A[l+1] = f(Z[l])."""
    Z: list
    A: list

    @property
    def output(self):
        return self.A[-1]


@dataclass
class Gradients:
    """What a backward pass computed: the per-sample error dZ[l], and dW[l], db[l] (batch means)."""
    dZ: list
    dW: list
    db: list


def log_epsilon(dtype):
    """The clip that keeps log() finite; small enough not to change a displayed cost."""
    return 1e-7 if np.dtype(dtype) == np.float32 else 1e-12


def check_dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype not in [np.dtype(t) for t in DTYPES]:
        raise ValueError(f"dtype must be float64 or float32, not {dtype}")
    return dtype


def check_array(values, shape, what, dtype):
    """A finite array of the given shape (None in shape = any length), as dtype."""
    array = np.asarray(values)
    if array.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, array.shape)):
        want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{what} must have shape {want}, got {array.shape}")
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"{what} must hold real numbers, got dtype {array.dtype}")
    array = np.ascontiguousarray(array, dtype=dtype)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} holds NaN or infinite values; only finite numbers are allowed")
    return array


def weight_sums(weights):
    """(Σ|w|, Σw²) over every weight matrix, in float64: the sums the regularisation term uses."""
    sum_abs = sum_squares = 0.0
    for W in weights:
        W = np.asarray(W, dtype=np.float64)
        sum_abs += float(np.abs(W).sum())
        sum_squares += float(np.square(W).sum())
    return sum_abs, sum_squares


class Network:
    """A fully connected network: sizes [d, n¹, …, nᴸ], one activation per layer, one loss."""

    def __init__(self, sizes, hidden="tanh", output="sigmoid", loss="bce", init="xavier", seed=0,
                 dtype=np.float64):
        sizes = self._check_sizes(sizes)
        n_hidden = len(sizes) - 2
        if isinstance(hidden, str) or hidden is None:
            hidden = [hidden] * n_hidden
        hidden = list(hidden)
        if len(hidden) != n_hidden:
            raise ValueError(f"hidden must be one name or a list of {n_hidden} names (one per hidden layer), "
                             f"got {len(hidden)}")
        for name in hidden:
            check_choice(name, HIDDEN_ACTIVATIONS, "hidden activation")
        check_pairing(output, loss)
        _check_softmax_width(output, sizes[-1])
        self.init = check_choice(init, INITS, "init")
        self.dtype = check_dtype(dtype)
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a whole number ≥ 0, got {seed!r}")
        self.seed = int(seed)
        self._rng = np.random.default_rng(self.seed)
        self._sizes = sizes
        self._activations = hidden + [output]
        self.loss_name = loss
        weights = [self._initial_weights(sizes[l + 1], sizes[l]) for l in range(len(sizes) - 1)]
        biases = [np.zeros((n, 1)) for n in sizes[1:]]
        self._set_parameters(weights, biases)

    # ----- structure ---------------------------------------------------------------------------

    @staticmethod
    def _check_sizes(sizes):
        try:
            sizes = list(sizes)
        except TypeError:
            raise ValueError(f"sizes must be a list of layer sizes like [2, 4, 1], got {sizes!r}") from None
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least an input and an output size, got {sizes}")
        for n in sizes:
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
                raise ValueError(f"every layer size must be a whole number ≥ 1, got {sizes}")
        return [int(n) for n in sizes]

    @property
    def sizes(self):
        return list(self._sizes)

    @property
    def n_layers(self):
        return len(self._sizes) - 1

    @property
    def activations(self):
        return list(self._activations)

    @property
    def output_activation(self):
        return self._activations[-1]

    @property
    def n_params(self):
        return self._theta.size

    @property
    def parameters(self):
        """The flat parameter buffer (per layer: W row by row, then b)."""
        return self._theta

    @property
    def offsets(self):
        """Where each layer's W starts in the flat buffer (its b follows it)."""
        return self._offsets

    def activation_codes(self):
        return np.array([ACTIVATION_CODES[a] for a in self._activations], dtype=np.int64)

    def loss_code(self):
        return LOSS_CODES[self.loss_name]

    def _initial_weights(self, n_out, n_in):
        """New weights for a layer with n_in inputs and n_out neurons, by the network's scheme."""
        if self.init == "he":
            return self._rng.normal(0.0, np.sqrt(2.0 / n_in), (n_out, n_in))
        if self.init == "xavier":
            return self._rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), (n_out, n_in))
        if self.init == "uniform":
            return self._rng.uniform(-0.5, 0.5, (n_out, n_in))
        return np.zeros((n_out, n_in))

    def _set_parameters(self, weights, biases):
        """Pack the per-layer arrays into a new flat buffer and rebuild the views."""
        counts = [w.size + b.size for w, b in zip(weights, biases)]
        self._offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self._theta = np.empty(int(sum(counts)), dtype=self.dtype)
        self.weights, self.biases = self._views(self._theta)
        for l in range(len(weights)):
            self.weights[l][...] = weights[l]
            self.biases[l][...] = biases[l]

    def _views(self, flat):
        """Per-layer views (W, b) into a flat array laid out like the parameters."""
        weights, biases = [], []
        for l in range(self.n_layers):
            n_out, n_in = self._sizes[l + 1], self._sizes[l]
            start = self._offsets[l]
            weights.append(flat[start:start + n_out * n_in].reshape(n_out, n_in))
            biases.append(flat[start + n_out * n_in:start + n_out * n_in + n_out].reshape(n_out, 1))
        return weights, biases

    def flatten(self, weights, biases):
        """A flat array, laid out like the parameters, from per-layer arrays (e.g. gradients)."""
        flat = np.empty_like(self._theta)
        w_views, b_views = self._views(flat)
        for l in range(self.n_layers):
            w_views[l][...] = weights[l]
            b_views[l][...] = biases[l]
        return flat

    # ----- the maths of MATH.md ----------------------------------------------------------------

    def check_inputs(self, X):
        return check_array(X, (self._sizes[0], None), f"X (inputs, {self._sizes[0]} rows × samples)", self.dtype)

    def check_targets(self, Y, m=None):
        """Targets as (n_out, m); for cce a 1-D array of class indices is one-hot encoded."""
        n_out = self._sizes[-1]
        Y = np.asarray(Y)
        if self.loss_name == "cce" and Y.ndim == 1:
            if not np.issubdtype(Y.dtype, np.integer) or Y.size and (Y.min() < 0 or Y.max() >= n_out):
                raise ValueError(f"class labels must be whole numbers from 0 to {n_out - 1}")
            one_hot = np.zeros((n_out, Y.size), dtype=self.dtype)
            one_hot[Y, np.arange(Y.size)] = 1.0
            Y = one_hot
        Y = check_array(Y, (n_out, m), f"Y (targets, {n_out} rows × samples)", self.dtype)
        if self.loss_name in ("bce", "cce") and (Y.min() < 0 or Y.max() > 1):
            raise ValueError(f"{self.loss_name} needs targets between 0 and 1 (class labels or one-hot columns)")
        return Y

    def forward(self, X):
        """Zˡ = Wˡ·Aˡ⁻¹ + bˡ, Aˡ = fˡ(Zˡ) for every layer; returns the Trace."""
        X = self.check_inputs(X)
        return self._forward(X)

    def _forward(self, X):
        Z, A = [], [X]
        codes = self.activation_codes()
        m = X.shape[1]
        parts = threads.parts()
        for l in range(self.n_layers):
            z = np.empty((self._sizes[l + 1], m), dtype=self.dtype)
            a = np.empty_like(z)
            kernels.affine(self.weights[l], self.biases[l], A[l], z, parts)
            kernels.activate(codes[l], z, a)
            Z.append(z)
            A.append(a)
        return Trace(Z, A)

    def predict(self, X, batch=4096):
        """The network's output for X, computed in batches so large sets need little memory."""
        return self.predict_checked(self.check_inputs(X), batch)

    def predict_checked(self, X, batch=4096):
        """predict for inputs already known to be finite, of the right shape and dtype (a trainer's
        data). X may be the transpose of a row-per-sample array: the kernels read it in place."""
        out = np.empty((self._sizes[-1], X.shape[1]), dtype=self.dtype)
        for start in range(0, X.shape[1], batch):
            chunk = X[:, start:start + batch]
            if not (chunk.flags.c_contiguous or chunk.flags.f_contiguous):
                chunk = np.ascontiguousarray(chunk)
            out[:, start:start + batch] = self._forward(chunk).A[-1]
        return out

    def loss(self, trace, Y):
        """The mean cost J over the batch (data term only, no regularisation)."""
        Y = self.check_targets(Y, trace.A[-1].shape[1])
        return float(kernels.cost(self.loss_code(), trace.A[-1], Y, log_epsilon(self.dtype)))

    def cost_of_outputs(self, A_out, Y):
        """J for given outputs and targets (used by evaluate over large sets)."""
        return float(kernels.cost(self.loss_code(), A_out, Y, log_epsilon(self.dtype)))

    def regularisation(self, l1=0.0, l2=0.0):
        """The regularisation term λ₁·Σ|w| + (λ₂/2)·Σw² over the weights (biases excluded)."""
        sum_abs, sum_squares = weight_sums(self.weights)
        return l1 * sum_abs + 0.5 * l2 * sum_squares

    def backward(self, trace, Y):
        """dZ, dW, db of MATH.md, from the output layer inward."""
        m = trace.A[-1].shape[1]
        Y = self.check_targets(Y, m)
        L = self.n_layers
        codes = self.activation_codes()
        dZ = [np.empty_like(z) for z in trace.Z]
        dW = [np.empty_like(w) for w in self.weights]
        db = [np.empty_like(b) for b in self.biases]
        parts = threads.parts()
        kernels.output_error(codes[L - 1], self.loss_code(), trace.Z[L - 1], trace.A[L], Y, dZ[L - 1], 1.0)
        kernels.weight_grads(dZ[L - 1], trace.A[L - 1].T, dW[L - 1], db[L - 1], 1.0 / m, parts)
        # then for each layer l from the top: the error of layer l−1 and, in the same pass (as the
        # training loop does it), layer l−1's weight gradients
        for l in range(L - 1, 0, -1):
            kernels.error_and_grads_below(self.weights[l], dZ[l], trace.Z[l - 1], trace.A[l], codes[l - 1], dZ[l - 1],
                                          trace.A[l - 1].T, dW[l - 1], db[l - 1], 1.0 / m, parts)
        return Gradients(dZ, dW, db)

    # ----- copies and files --------------------------------------------------------------------

    def copy(self):
        other = Network.__new__(Network)
        other.__dict__.update(self.__dict__)
        other._sizes = list(self._sizes)
        other._activations = list(self._activations)
        other._rng = np.random.default_rng()
        other._rng.bit_generator.state = self._rng.bit_generator.state
        other._offsets = self._offsets.copy()
        other._theta = self._theta.copy()
        other.weights, other.biases = other._views(other._theta)
        return other

    def to_dict(self):
        """Everything needed to rebuild this network, as JSON-able values."""
        return {
            "sizes": self.sizes,
            "activations": self.activations,
            "loss": self.loss_name,
            "init": self.init,
            "seed": self.seed,
            "dtype": self.dtype.name,
            "weights": [w.tolist() for w in self.weights],
            "biases": [b[:, 0].tolist() for b in self.biases],
        }

    @classmethod
    def from_dict(cls, data):
        """Rebuild a network from to_dict()'s output; ValueError names what is missing or wrong."""
        if not isinstance(data, dict):
            raise ValueError("a saved network must be a mapping with sizes, activations, loss, weights, biases")
        missing = [k for k in ("sizes", "activations", "loss") if k not in data]
        if missing:
            raise ValueError(f"the saved network lacks {', '.join(missing)}")
        activations = list(data["activations"])
        net = cls(data["sizes"], hidden=activations[:-1], output=activations[-1] if activations else None,
                  loss=data["loss"], init=data.get("init", "xavier"), seed=data.get("seed", 0),
                  dtype=data.get("dtype", "float64"))
        if "weights" in data or "biases" in data:
            weights, biases = data.get("weights"), data.get("biases")
            if weights is None or biases is None or len(weights) != net.n_layers or len(biases) != net.n_layers:
                raise ValueError(f"the saved network needs weights and biases for {net.n_layers} layers")
            for l in range(net.n_layers):
                n_out, n_in = net._sizes[l + 1], net._sizes[l]
                net.weights[l][...] = check_array(weights[l], (n_out, n_in), f"weights of layer {l + 1}", net.dtype)
                net.biases[l][...] = check_array(np.reshape(biases[l], (-1, 1)), (n_out, 1),
                                                 f"biases of layer {l + 1}", net.dtype)
        return net

    # ----- live edits: every surviving weight is kept exactly ----------------------------------

    def _check_layer(self, l, hidden_only=False):
        last = self.n_layers - 2 if hidden_only else self.n_layers - 1
        if not isinstance(l, (int, np.integer)) or isinstance(l, bool) or not 0 <= l <= last:
            if last < 0:
                raise ValueError("this network has no hidden layer")
            kind = "hidden layer" if hidden_only else "layer"
            raise ValueError(f"{kind} index must be from 0 to {last}, got {l!r}")
        return int(l)

    def set_activation(self, l, name):
        """Change layer l's activation; the weights stay as they are."""
        l = self._check_layer(l)
        if l == self.n_layers - 1:
            check_pairing(name, self.loss_name)
            _check_softmax_width(name, self._sizes[-1])
        else:
            check_choice(name, HIDDEN_ACTIVATIONS, "hidden activation")
        self._activations[l] = name

    def set_output(self, activation=None, loss=None):
        """Change the output activation and/or the loss together (the pair must be allowed)."""
        activation = activation or self._activations[-1]
        loss = loss or self.loss_name
        check_pairing(activation, loss)
        _check_softmax_width(activation, self._sizes[-1])
        self._activations[-1] = activation
        self.loss_name = loss

    def edit_plan(self, kind, *args):
        """Apply an architecture edit; returns a function that maps any parameter-shaped flat array
        (e.g. optimizer state) of the old layout to the new one, new places filled with zeros."""
        old_sizes = list(self._sizes)
        old_offsets = self._offsets.copy()
        moves = getattr(self, f"_plan_{kind}")(*args)
        new_sizes, new_acts, steps = moves
        old_w, old_b = self.weights, self.biases

        def remap(old_flat, fill_new):
            """Carry per-layer blocks across; fill_new(l, shape, part) gives values for new places."""
            weights, biases = _split(old_flat, old_sizes, old_offsets)
            new_weights, new_biases = [], []
            for l, (source, rows, cols) in enumerate(steps):
                n_out, n_in = new_sizes[l + 1], new_sizes[l]
                W = fill_new(l, (n_out, n_in), "W", rows, cols)
                b = np.zeros((n_out, 1))
                if source is not None:
                    for i, old_i in enumerate(rows):
                        if old_i < 0:
                            continue
                        b[i] = biases[source][old_i]
                        for q, old_q in enumerate(cols):
                            if old_q >= 0:
                                W[i, q] = weights[source][old_i, old_q]
                new_weights.append(W)
                new_biases.append(b)
            return new_weights, new_biases

        def fill_weights(l, shape, part, rows, cols):
            """New neurons get the init scheme on their incoming weights; new connections into
            surviving neurons start at zero, so the edit does not change what they compute."""
            W = np.zeros(shape)
            fresh_rows = [i for i, r in enumerate(rows) if r < 0]
            if fresh_rows:
                W[fresh_rows, :] = self._initial_weights(len(fresh_rows), shape[1])
            return W

        weights, biases = remap(self._theta, fill_weights)
        self._sizes = new_sizes
        self._activations = new_acts
        self._set_parameters(weights, biases)
        del old_w, old_b

        def map_state(old_flat):
            w, b = remap(old_flat, lambda l, shape, part, rows, cols: np.zeros(shape))
            return self.flatten(w, b)

        return map_state

    def _identity_steps(self):
        return [(l, list(range(self._sizes[l + 1])), list(range(self._sizes[l]))) for l in range(self.n_layers)]

    def _plan_units(self, l, keep):
        """Layer l's neurons become `keep` (old index, or -1 for a new neuron)."""
        steps = self._identity_steps()
        steps[l] = (l, keep, steps[l][2])
        if l + 1 < self.n_layers:
            steps[l + 1] = (l + 1, steps[l + 1][1], keep)
        sizes = list(self._sizes)
        sizes[l + 1] = len(keep)
        return sizes, list(self._activations), steps

    def _plan_inputs(self, keep):
        steps = self._identity_steps()
        steps[0] = (0, steps[0][1], keep)
        sizes = list(self._sizes)
        sizes[0] = len(keep)
        return sizes, list(self._activations), steps

    def _plan_insert(self, l, size, activation):
        steps = self._identity_steps()
        n_prev = self._sizes[l]
        overlap = lambda n, old: [i if i < old else -1 for i in range(n)]
        new_steps = steps[:l] + [(None, [-1] * size, list(range(n_prev)))]
        # the layer that followed now reads the new layer: keep the columns both share
        new_steps.append((l, steps[l][1], overlap(size, n_prev)))
        new_steps += steps[l + 1:]
        sizes = self._sizes[:l + 1] + [size] + self._sizes[l + 1:]
        acts = self._activations[:l] + [activation] + self._activations[l:]
        return sizes, acts, new_steps

    def _plan_remove(self, l):
        steps = self._identity_steps()
        n_prev = self._sizes[l]
        n_removed = self._sizes[l + 1]
        keep_cols = [i if i < n_removed else -1 for i in range(n_prev)]
        new_steps = steps[:l] + [(l + 1, steps[l + 1][1], keep_cols)] + steps[l + 2:]
        sizes = self._sizes[:l + 1] + self._sizes[l + 2:]
        acts = self._activations[:l] + self._activations[l + 1:]
        return sizes, acts, new_steps

    def add_neurons(self, l, count=1):
        """Add count neurons at the end of hidden layer l."""
        l = self._check_layer(l, hidden_only=True)
        _check_count(count, "count")
        return self.edit_plan("units", l, list(range(self._sizes[l + 1])) + [-1] * int(count))

    def remove_neuron(self, l, j):
        """Remove neuron j of hidden layer l; a layer keeps at least one neuron."""
        l = self._check_layer(l, hidden_only=True)
        n = self._sizes[l + 1]
        if not isinstance(j, (int, np.integer)) or not 0 <= j < n:
            raise ValueError(f"neuron index must be from 0 to {n - 1}, got {j!r}")
        if n == 1:
            raise ValueError("a hidden layer keeps at least 1 neuron; remove the layer instead")
        return self.edit_plan("units", l, [i for i in range(n) if i != j])

    def set_layer_size(self, l, size):
        """Grow or shrink hidden layer l to size neurons (removing from the end)."""
        l = self._check_layer(l, hidden_only=True)
        _check_count(size, "layer size")
        n = self._sizes[l + 1]
        keep = list(range(min(n, size))) + [-1] * max(0, size - n)
        return self.edit_plan("units", l, keep)

    def insert_layer(self, l, size, activation="tanh"):
        """Insert a hidden layer of size neurons so that it becomes weights[l]."""
        if not isinstance(l, (int, np.integer)) or not 0 <= l <= self.n_layers - 1:
            raise ValueError(f"a new hidden layer goes at index 0 to {self.n_layers - 1}, got {l!r}")
        _check_count(size, "layer size")
        check_choice(activation, HIDDEN_ACTIVATIONS, "hidden activation")
        return self.edit_plan("insert", int(l), int(size), activation)

    def remove_layer(self, l):
        """Remove hidden layer l; the layer after it then reads the layer before it."""
        l = self._check_layer(l, hidden_only=True)
        return self.edit_plan("remove", l)

    def remap_inputs(self, keep):
        """The inputs become keep (old input index, or -1 for a new input whose weights start at 0)."""
        keep = list(keep)
        if not keep:
            raise ValueError("a network needs at least one input")
        d = self._sizes[0]
        for k in keep:
            if not isinstance(k, (int, np.integer)) or not -1 <= k < d:
                raise ValueError(f"each entry of keep must be an old input index 0 to {d - 1}, or -1 for a new one")
        return self.edit_plan("inputs", [int(k) for k in keep])

    def remap_outputs(self, keep):
        """The output neurons become keep (old index or -1), e.g. when the number of classes changes."""
        keep = [int(k) for k in keep]
        if not keep:
            raise ValueError("a network needs at least one output")
        _check_softmax_width(self._activations[-1], len(keep))
        return self.edit_plan("units", self.n_layers - 1, keep)


def _check_softmax_width(output, n_out):
    """Softmax over a single neuron is always 1: its cost is 0 whatever the weights, a lesson in nothing."""
    if output == "softmax" and n_out < 2:
        raise ValueError("a softmax output needs at least 2 output neurons (over 1 it is always 1); "
                         "for two classes use a sigmoid output with bce")


def _check_count(value, what):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{what} must be a whole number ≥ 1, got {value!r}")


def _split(flat, sizes, offsets):
    """Per-layer (W, b) copies out of a flat array with the given layout."""
    weights, biases = [], []
    for l in range(len(sizes) - 1):
        n_out, n_in = sizes[l + 1], sizes[l]
        start = offsets[l]
        weights.append(np.array(flat[start:start + n_out * n_in]).reshape(n_out, n_in))
        biases.append(np.array(flat[start + n_out * n_in:start + n_out * n_in + n_out]).reshape(n_out, 1))
    return weights, biases
