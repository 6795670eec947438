"""A plain-NumPy reference of /work/shared/MATH.md: forward, cost, backward and the optimizer updates.

Written from MATH.md alone, for readability, not speed: no Numba, no engine imports. The engine's
compiled kernels are checked against these functions.

Shapes (column convention): X (d, m), W[l] (n_out, n_in), b[l] (n_out, 1), Z[l] and A[l+1] (n, m).
Lists are 0-based: weights[l] is layer l+1; A[0] is X.
"""

import numpy as np

LEAKY_SLOPE = 0.01
GELU_C = np.sqrt(2.0 / np.pi)
GELU_K = 0.044715


# ----- activations and their derivatives -------------------------------------------------------

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(Z):
    """Softmax over the outputs of each column (each sample)."""
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def activate(name, Z):
    if name == "linear":
        return Z.copy()
    if name == "relu":
        return np.maximum(Z, 0.0)
    if name == "leaky_relu":
        return np.where(Z > 0, Z, LEAKY_SLOPE * Z)
    if name == "elu":
        return np.where(Z > 0, Z, np.exp(np.minimum(Z, 0.0)) - 1.0)
    if name == "gelu":
        return 0.5 * Z * (1.0 + np.tanh(GELU_C * (Z + GELU_K * Z ** 3)))
    if name == "swish":
        return Z * sigmoid(Z)
    if name == "sigmoid":
        return sigmoid(Z)
    if name == "tanh":
        return np.tanh(Z)
    if name == "sin":
        return np.sin(Z)
    if name == "softmax":
        return softmax(Z)
    raise ValueError(name)


def derivative(name, Z):
    """f'(Z) element-wise (not defined for softmax, whose Jacobian is not diagonal)."""
    if name == "linear":
        return np.ones_like(Z)
    if name == "relu":
        return (Z > 0).astype(Z.dtype)
    if name == "leaky_relu":
        return np.where(Z > 0, 1.0, LEAKY_SLOPE)
    if name == "elu":
        return np.where(Z > 0, 1.0, np.exp(np.minimum(Z, 0.0)))
    if name == "gelu":
        u = GELU_C * (Z + GELU_K * Z ** 3)
        du = GELU_C * (1.0 + 3.0 * GELU_K * Z ** 2)
        return 0.5 * (1.0 + np.tanh(u)) + 0.5 * Z * (1.0 - np.tanh(u) ** 2) * du
    if name == "swish":
        s = sigmoid(Z)
        return s + Z * s * (1.0 - s)
    if name == "sigmoid":
        s = sigmoid(Z)
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - np.tanh(Z) ** 2
    if name == "sin":
        return np.cos(Z)
    raise ValueError(name)


# ----- forward, cost, backward -----------------------------------------------------------------

def forward(weights, biases, activations, X):
    """Zˡ = Wˡ·Aˡ⁻¹ + bˡ, Aˡ = fˡ(Zˡ). Returns (Z list of L, A list of L+1 with A[0] = X)."""
    Z, A = [], [X]
    for W, b, name in zip(weights, biases, activations):
        Z.append(W @ A[-1] + b)
        A.append(activate(name, Z[-1]))
    return Z, A


def cost(loss, A_out, Y, eps=1e-12):
    """The mean cost J over the m samples (data term only)."""
    n, m = A_out.shape
    if loss == "mse":
        return float(np.sum((A_out - Y) ** 2) / (m * n))
    A = np.clip(A_out, eps, 1.0 - eps)
    if loss == "bce":
        return float(-np.sum(Y * np.log(A) + (1.0 - Y) * np.log(1.0 - A)) / m)
    if loss == "cce":
        return float(-np.sum(Y * np.log(A)) / m)
    raise ValueError(loss)


def output_error(activation, loss, Z_out, A_out, Y):
    """dZᴸ per sample (not divided by m)."""
    n = A_out.shape[0]
    if loss in ("bce", "cce"):
        return A_out - Y
    dA = (2.0 / n) * (A_out - Y)          # ∂loss/∂Aᴸ for mse (the 1/m is left for dW, db)
    if activation != "softmax":
        return dA * derivative(activation, Z_out)
    # softmax: ∂a_i/∂z_k = a_i (δ_ik − a_k); dZ_k = Σ_i dA_i ∂a_i/∂z_k, column by column
    dZ = np.empty_like(dA)
    for s in range(A_out.shape[1]):
        a = A_out[:, s]
        jacobian = np.diag(a) - np.outer(a, a)
        dZ[:, s] = jacobian.T @ dA[:, s]
    return dZ


def backward(weights, activations, loss, Z, A, Y):
    """Returns (dZ, dW, db) lists: dZ per sample, dW and db batch means."""
    L = len(weights)
    m = Y.shape[1]
    dZ, dW, db = [None] * L, [None] * L, [None] * L
    dZ[L - 1] = output_error(activations[L - 1], loss, Z[L - 1], A[L], Y)
    for l in range(L - 1, -1, -1):
        dW[l] = dZ[l] @ A[l].T / m
        db[l] = dZ[l].sum(axis=1, keepdims=True) / m
        if l > 0:
            dZ[l - 1] = (weights[l].T @ dZ[l]) * derivative(activations[l - 1], Z[l - 1])
    return dZ, dW, db


# ----- optimizers --------------------------------------------------------------------------------

DEFAULTS = dict(momentum=0.9, nesterov=False, rho=0.9, beta1=0.9, beta2=0.999, eps=1e-8)


def regularised_gradient(w, g, l1=0.0, l2=0.0):
    """L2 adds λ·w, L1 adds λ·sign(w) (to weights only; call with l1 = l2 = 0 for biases)."""
    return g + l2 * w + l1 * np.sign(w)


def optimizer_step(optimizer, w, g, state, t, lr, momentum=0.9, nesterov=False, rho=0.9,
                   beta1=0.9, beta2=0.999, eps=1e-8):
    """One update of parameter array w with gradient g (already regularised).

    state is a dict of arrays shaped like w ({} at the start); t is the step number from 1.
    Returns (new w, new state).
    """
    if optimizer == "sgd":
        return w - lr * g, {}
    if optimizer == "momentum":
        v = momentum * state.get("velocity", np.zeros_like(w)) + g
        step = g + momentum * v if nesterov else v
        return w - lr * step, {"velocity": v}
    if optimizer == "rmsprop":
        s = rho * state.get("mean_square", np.zeros_like(w)) + (1.0 - rho) * g ** 2
        return w - lr * g / (np.sqrt(s) + eps), {"mean_square": s}
    if optimizer == "adam":
        m1 = beta1 * state.get("first_moment", np.zeros_like(w)) + (1.0 - beta1) * g
        m2 = beta2 * state.get("second_moment", np.zeros_like(w)) + (1.0 - beta2) * g ** 2
        m_hat = m1 / (1.0 - beta1 ** t)
        v_hat = m2 / (1.0 - beta2 ** t)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps), {"first_moment": m1, "second_moment": m2}
    raise ValueError(optimizer)


class ReferenceTrainer:
    """Full reference training step on a given batch: forward, backward, regularise, update."""

    def __init__(self, weights, biases, activations, loss, optimizer="sgd", lr=0.03, l1=0.0, l2=0.0,
                 **hyper):
        self.weights = [np.array(w, dtype=np.float64) for w in weights]
        self.biases = [np.array(b, dtype=np.float64) for b in biases]
        self.activations = list(activations)
        self.loss = loss
        self.optimizer = optimizer
        self.lr, self.l1, self.l2 = lr, l1, l2
        self.hyper = {**DEFAULTS, **hyper}
        self.w_state = [{} for _ in weights]
        self.b_state = [{} for _ in biases]
        self.t = 0

    def step(self, X, Y):
        Z, A = forward(self.weights, self.biases, self.activations, X)
        J = cost(self.loss, A[-1], Y)
        _, dW, db = backward(self.weights, self.activations, self.loss, Z, A, Y)
        self.t += 1
        for l in range(len(self.weights)):
            g = regularised_gradient(self.weights[l], dW[l], self.l1, self.l2)
            self.weights[l], self.w_state[l] = optimizer_step(
                self.optimizer, self.weights[l], g, self.w_state[l], self.t, self.lr, **self.hyper)
            self.biases[l], self.b_state[l] = optimizer_step(
                self.optimizer, self.biases[l], db[l], self.b_state[l], self.t, self.lr, **self.hyper)
        return J
