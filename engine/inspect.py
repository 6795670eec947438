"""Looking inside one step: the chain rule for one weight, finite differences, cost slices and
surfaces, what a layer does to the input plane, gradient norms, and what the next update will do.

Everything here reads a Network (or a Trainer) and leaves it exactly as it was. The numbers come
from the same kernels as training (forward, backward, the activation derivative, the optimizer
update), so what the app shows is what the engine computed.

Layer indices are 0-based as everywhere in the Python API (index l is layer l+1 on screen).
"""

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from . import kernels
from .names import ACTIVATION_CODES, OPTIMIZER_STATE_NAMES
from .network import Network, Trace, weight_sums

PARAMS = ("W", "b")


# ----- validation --------------------------------------------------------------------------------

def _whole(value, what, low, high):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, got {value!r}")
    return int(value)


def _check_net(net):
    if not isinstance(net, Network):
        raise ValueError(f"net must be an engine.Network, got {type(net).__name__}")


def _check_param(net, layer, j, k, param):
    """Validate (layer, j, k) for a weight (param "W") or (layer, j) for a bias (param "b")."""
    _check_net(net)
    if param not in PARAMS:
        raise ValueError(f"param must be 'W' (a weight) or 'b' (a bias), got {param!r}")
    layer = _whole(layer, "layer index (0-based)", 0, net.n_layers - 1)
    sizes = net.sizes
    j = _whole(j, f"neuron index j of layer {layer + 1}", 0, sizes[layer + 1] - 1)
    if param == "W":
        k = _whole(k, f"input index k of layer {layer + 1}", 0, sizes[layer] - 1)
    else:
        k = 0 if k is None else _whole(k, "k of a bias", 0, 0)
    return layer, j, k


def _param_view(net, layer, j, k, param):
    """The 1-element view of the parameter inside the network's buffer."""
    return (net.weights if param == "W" else net.biases)[layer][j:j + 1, k:k + 1]


def _values(values, what):
    arr = np.asarray(values, dtype=np.float64).ravel()
    if arr.size < 1 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} must be a non-empty list of finite numbers")
    return arr


def param_symbol(layer, j, k=None, param="W"):
    """The on-screen name of a parameter: W²₁₂ style, layers from 1, neurons and inputs from 1."""
    sub = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
    sup = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    name = "W" if param == "W" else "b"
    idx = f"{j + 1}" if param == "b" else f"{j + 1},{k + 1}"
    return f"{name}{str(layer + 1).translate(sup)}{idx.translate(sub).replace(',', '‚')}"


# ----- the activation derivative through the kernels ---------------------------------------------

@njit(nogil=True, cache=True)
def _derivative_array(code, Z, A, out):
    n, m = Z.shape
    for i in range(n):
        for s in range(m):
            out[i, s] = kernels.derivative_scalar(code, Z[i, s], A[i, s])


def activation_derivative(name, Z, A):
    """fˡ'(Z) element by element (not for softmax: its Jacobian is a full matrix, see softmax_jacobian)."""
    if name == "softmax":
        raise ValueError("softmax has no element-wise derivative; use softmax_jacobian")
    Z = np.ascontiguousarray(Z, dtype=np.float64)
    A = np.ascontiguousarray(A, dtype=np.float64)
    out = np.empty_like(Z)
    _derivative_array(ACTIVATION_CODES[name], Z, A, out)
    return out


def softmax_jacobian(a):
    """∂A/∂Z for one column a of a softmax output: Jᵢₖ = aᵢ(δᵢₖ − aₖ)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    return np.diag(a) - np.outer(a, a)


def loss_gradient(loss, A, Y):
    """∂loss/∂Aᴸ for each sample (column): the per-sample loss whose batch mean is J."""
    A = np.asarray(A, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if loss == "mse":
        return 2.0 / A.shape[0] * (A - Y)
    with np.errstate(divide="ignore", invalid="ignore"):
        if loss == "bce":
            return (A - Y) / (A * (1.0 - A))
        return -Y / A


# ----- the chain rule for one weight -------------------------------------------------------------

@dataclass(frozen=True)
class Factor:
    """One factor of the chain rule: its symbol, its value for the chosen sample (a number, a
    vector or a Jacobian matrix) and the upstream gradient after multiplying it in."""
    symbol: str
    value: np.ndarray
    running: np.ndarray
    note: str = ""

    @property
    def is_scalar(self):
        return np.ndim(self.value) == 0


@dataclass(frozen=True)
class ChainRule:
    """∂loss/∂w for one sample as a product of factors, and its mean over the batch."""
    layer: int                 # 0-based
    j: int
    k: int
    param: str                 # "W" or "b"
    sample: int
    symbol: str                # e.g. W²₁‚₂
    value: float               # the parameter's current value
    factors: list              # Factor, from the output inward
    sample_gradient: float     # the product: ∂loss/∂w for the chosen sample
    per_sample: np.ndarray     # ∂loss/∂w for every sample of the batch, (m,)
    batch_mean: float          # mean of per_sample = ∂J/∂w
    engine_value: float        # grads.dW[layer][j, k] (or grads.db[layer][j, 0]) from net.backward


def _upstream(net, trace, Y, layer):
    """∂loss/∂Zˡ for every sample, from the output down to `layer` (vectorised over samples),
    with the pieces needed to show each factor."""
    L = net.n_layers
    acts = net.activations
    G = loss_gradient(net.loss_name, trace.A[L], Y)
    if acts[L - 1] == "softmax":
        A = trace.A[L].astype(np.float64)
        jac = None
        dZ = A * (G - np.sum(G * A, axis=0, keepdims=True))
    else:
        jac = activation_derivative(acts[L - 1], trace.Z[L - 1], trace.A[L])
        with np.errstate(invalid="ignore"):
            dZ = G * jac
    if net.loss_name != "mse":
        # a saturated output (A = 0 or 1 exactly) makes ∂loss/∂A infinite; the product is Aᴸ − Y
        bad = ~np.isfinite(dZ)
        if bad.any():
            dZ = np.where(bad, trace.A[L] - Y, dZ)
    ups = {L - 1: (dZ, jac)}
    for q in range(L - 1, layer, -1):
        dA = net.weights[q].T.astype(np.float64) @ dZ
        D = activation_derivative(acts[q - 1], trace.Z[q - 1], trace.A[q])
        dZ = dA * D
        ups[q - 1] = (dZ, D)
    return G, ups


def chain_rule(net, trace, Y, layer, j, k, sample, param="W"):
    """The chain rule for w = W[layer][j, k] (or the bias b[layer][j] with param="b") and one
    sample of the batch the trace was computed on:

        ∂loss/∂w = ∂loss/∂Aᴸ · ∂Aᴸ/∂Zᴸ · ∂Zᴸ/∂Aᴸ⁻¹ · … · ∂Aˡⱼ/∂Zˡⱼ · ∂Zˡⱼ/∂w

    Returns a ChainRule with each factor, the running product, the sample's gradient, the mean
    over the batch and the engine's own value of ∂J/∂w for comparison."""
    layer, j, k = _check_param(net, layer, j, k, param)
    if not isinstance(trace, Trace) or len(trace.Z) != net.n_layers:
        raise ValueError("trace must be the Trace of net.forward(X) for this network")
    m = trace.A[0].shape[1]
    Y = net.check_targets(Y, m)
    sample = _whole(sample, "sample (column of the batch)", 0, m - 1)
    L = net.n_layers
    acts = net.activations
    sup = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    sub = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

    def up(n):
        return str(n).translate(sup)

    G, ups = _upstream(net, trace, Y, layer)
    s = sample
    simplified = "saturated output: the product simplifies to Aᴸ − Y"

    def finite(value, exact):
        return (value, "") if np.all(np.isfinite(value)) else (exact, simplified)
    factors = []
    running = G[:, s].copy()
    jj = str(j + 1).translate(sub)
    if layer == L - 1:
        # the output layer itself: only output j depends on w (or all outputs, through softmax)
        if acts[L - 1] == "softmax":
            factors.append(Factor(f"∂loss/∂A{up(L)}", G[:, s].copy(), running.copy(), "one value per output"))
            col = softmax_jacobian(trace.A[L][:, s])[:, j]
            with np.errstate(invalid="ignore"):
                product = np.float64(running @ col)
            running, why = finite(product, np.float64(ups[L - 1][0][j, s]))
            factors.append(Factor(f"∂A{up(L)}/∂Z{up(L)}{jj}", col, np.asarray(running),
                                  why or "column j of the softmax Jacobian aᵢ(δᵢⱼ − aⱼ)"))
        else:
            g = np.float64(G[j, s])
            factors.append(Factor(f"∂loss/∂A{up(L)}{jj}", np.asarray(g), np.asarray(g)))
            d = np.float64(ups[L - 1][1][j, s])
            with np.errstate(invalid="ignore"):
                product = np.float64(g * d)
            running, why = finite(product, np.float64(ups[L - 1][0][j, s]))
            factors.append(Factor(f"∂A{up(L)}{jj}/∂Z{up(L)}{jj}", np.asarray(d), np.asarray(running),
                                  why or f"{acts[L - 1]}′(Z{up(L)}{jj})"))
    else:
        factors.append(Factor(f"∂loss/∂A{up(L)}", G[:, s].copy(), running.copy(), "one value per output"))
        if acts[L - 1] == "softmax":
            jac = softmax_jacobian(trace.A[L][:, s])
            note = "softmax Jacobian aᵢ(δᵢₖ − aₖ)"
        else:
            jac = np.diag(ups[L - 1][1][:, s])
            note = f"diagonal: {acts[L - 1]}′(Z{up(L)})"
        with np.errstate(invalid="ignore"):
            product = running @ jac
        running, why = finite(product, ups[L - 1][0][:, s].copy())
        factors.append(Factor(f"∂A{up(L)}/∂Z{up(L)}", jac, running.copy(), why or note))
        for q in range(L - 1, layer, -1):          # q: 0-based index of the layer above
            n = q + 1
            W = net.weights[q].astype(np.float64)
            running = running @ W
            factors.append(Factor(f"∂Z{up(n)}/∂A{up(n - 1)}", W.copy(), running.copy(), f"= W{up(n)}"))
            D = ups[q - 1][1][:, s]
            if q - 1 == layer:
                d = np.float64(D[j])
                running = np.float64(running[j] * d)
                factors.append(Factor(f"∂A{up(n - 1)}{jj}/∂Z{up(n - 1)}{jj}", np.asarray(d), np.asarray(running),
                                      f"{acts[q - 1]}′(Z{up(n - 1)}{jj})"))
            else:
                Dm = np.diag(D)
                running = running @ Dm
                factors.append(Factor(f"∂A{up(n - 1)}/∂Z{up(n - 1)}", Dm, running.copy(),
                                      f"diagonal: {acts[q - 1]}′(Z{up(n - 1)})"))
    dZ_layer = ups[layer][0]
    if param == "W":
        a_prev = trace.A[layer][k].astype(np.float64)
        kk = str(k + 1).translate(sub)
        last = np.float64(a_prev[s])
        factors.append(Factor(f"∂Z{up(layer + 1)}{jj}/∂w", np.asarray(last), np.asarray(np.float64(running * last)),
                              f"= A{up(layer)}{kk}" if layer else f"= x{kk}"))
        per_sample = dZ_layer[j] * a_prev
    else:
        factors.append(Factor(f"∂Z{up(layer + 1)}{jj}/∂b", np.asarray(np.float64(1.0)),
                              np.asarray(np.float64(running)), "= 1"))
        per_sample = dZ_layer[j].copy()
    grads = net.backward(trace, Y)
    engine = grads.dW[layer][j, k] if param == "W" else grads.db[layer][j, 0]
    value = (net.weights if param == "W" else net.biases)[layer][j, k]
    return ChainRule(layer, j, k, param, s, param_symbol(layer, j, k, param), float(value), factors,
                     float(factors[-1].running), per_sample, float(np.mean(per_sample)), float(engine))


# ----- finite differences, slices and surfaces ---------------------------------------------------

@dataclass(frozen=True)
class FiniteDifference:
    """(J(w+ε) − J(w−ε)) / 2ε beside the engine's ∂J/∂w."""
    numeric: float
    analytic: float
    relative_error: float
    cost_plus: float
    cost_minus: float
    eps: float


def _check_data(net, X, Y):
    X = net.check_inputs(X)
    if X.shape[1] < 1:
        raise ValueError("X must hold at least one sample (column)")
    Y = net.check_targets(Y, X.shape[1])
    return X, Y


def _cost_at(net, X, Y):
    return net.loss(net._forward(X), Y)


def relative_error(a, b):
    """|a − b| / max(|a|, |b|), 0 when both are 0."""
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale


def finite_difference(net, X, Y, layer, j, k, eps=1e-6, param="W"):
    """The central difference of the cost J in one parameter, and the engine's gradient."""
    layer, j, k = _check_param(net, layer, j, k, param)
    X, Y = _check_data(net, X, Y)
    try:
        eps = float(eps)
    except (TypeError, ValueError):
        raise ValueError(f"eps must be a small positive number, got {eps!r}") from None
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a small positive number, got {eps!r}")
    work = net.copy()
    view = _param_view(work, layer, j, k, param)
    w = float(view[0, 0])
    view[0, 0] = w + eps
    plus = _cost_at(work, X, Y)
    view[0, 0] = w - eps
    minus = _cost_at(work, X, Y)
    view[0, 0] = w
    grads = work.backward(work._forward(X), Y)
    analytic = float(grads.dW[layer][j, k] if param == "W" else grads.db[layer][j, 0])
    numeric = (plus - minus) / (2.0 * eps)
    return FiniteDifference(numeric, analytic, relative_error(numeric, analytic), plus, minus, eps)


def cost_slice(net, X, Y, layer, j, k, values, param="W"):
    """J at each of `values` for one parameter, every other parameter fixed. The network is not
    changed (the work is done on a copy)."""
    layer, j, k = _check_param(net, layer, j, k, param)
    X, Y = _check_data(net, X, Y)
    values = _values(values, "values")
    work = net.copy()
    view = _param_view(work, layer, j, k, param)
    out = np.empty(values.size)
    for i, v in enumerate(values):
        view[0, 0] = v
        out[i] = _cost_at(work, X, Y)
    return out


def cost_surface(net, X, Y, first, second, values1, values2):
    """J over a grid of two weights, first = (layer, j, k) along values1 (columns) and second along
    values2 (rows): result[i, c] = J(w₁ = values1[c], w₂ = values2[i]). A triple may carry a fourth
    entry "b" for a bias."""
    def unpack(p, what):
        try:
            p = tuple(p)
        except TypeError:
            raise ValueError(f"{what} must be (layer, j, k) or (layer, j, k, 'W'/'b')") from None
        if len(p) not in (3, 4):
            raise ValueError(f"{what} must be (layer, j, k) or (layer, j, k, 'W'/'b'), got {p!r}")
        param = p[3] if len(p) == 4 else "W"
        return _check_param(net, p[0], p[1], p[2], param) + (param,)

    _check_net(net)
    l1, j1, k1, p1 = unpack(first, "first")
    l2, j2, k2, p2 = unpack(second, "second")
    if (l1, j1, k1, p1) == (l2, j2, k2, p2):
        raise ValueError("the two parameters of a cost surface must be different")
    X, Y = _check_data(net, X, Y)
    values1 = _values(values1, "values1")
    values2 = _values(values2, "values2")
    work = net.copy()
    v1 = _param_view(work, l1, j1, k1, p1)
    v2 = _param_view(work, l2, j2, k2, p2)
    out = np.empty((values2.size, values1.size))
    for i, b in enumerate(values2):
        v2[0, 0] = b
        for c, a in enumerate(values1):
            v1[0, 0] = a
            out[i, c] = _cost_at(work, X, Y)
    return out


# ----- what a layer does to the plane ------------------------------------------------------------

def layer_map(net, X, layer):
    """(Zˡ, Aˡ) of layer `layer` (0-based) for the inputs X: the affine image Wˡ·Aˡ⁻¹ + bˡ of the
    points, then the same points after the activation's bend."""
    _check_net(net)
    layer = _whole(layer, "layer index (0-based)", 0, net.n_layers - 1)
    X = net.check_inputs(X)
    trace = net._forward(X)
    return trace.Z[layer], trace.A[layer + 1]


def gradient_norms(grads):
    """‖dWˡ‖ (Frobenius) for every layer, output last: how much gradient reaches each layer."""
    dW = getattr(grads, "dW", None)
    if dW is None:
        raise ValueError("grads must be the Gradients of net.backward (with .dW)")
    return np.array([_frobenius(np.asarray(g, dtype=np.float64)) for g in dW])


def _frobenius(g):
    """‖g‖ without overflow for huge entries (a diverging run): scale by the largest first."""
    top = float(np.max(np.abs(g))) if g.size else 0.0
    if top == 0.0 or not np.isfinite(top):
        return top
    return top * float(np.sqrt(np.sum((g / top) ** 2)))


# ----- the next update ---------------------------------------------------------------------------

@dataclass(frozen=True)
class UpdatePreview:
    """What the optimizer does to one parameter with the given gradient: the numbers before,
    every intermediate of the rule (``terms``) and the numbers after."""
    symbol: str
    optimizer: str
    w: float
    lr: float
    grad: float                 # ∂J/∂w (data term)
    reg_grad: float             # what L1/L2 add to the gradient (0 for a bias)
    state: dict                 # optimizer state before the update, name -> value
    new_state: dict             # after
    new_w: float
    t: int                      # the update's step count (Adam's bias correction)
    hyper: dict = field(default_factory=dict)
    terms: dict = field(default_factory=dict)   # see update_terms

    @property
    def change(self):
        return self.new_w - self.w


def optimizer_settings(trainer):
    """The hyperparameters the trainer's optimizer uses, by name: l1 and l2 always, then
    momentum and nesterov (momentum), rho and eps (rmsprop), beta1, beta2 and eps (adam)."""
    settings = {"l1": float(trainer.l1), "l2": float(trainer.l2)}
    if trainer.optimizer == "momentum":
        settings.update(momentum=float(trainer.momentum), nesterov=bool(trainer.nesterov))
    elif trainer.optimizer == "rmsprop":
        settings.update(rho=float(trainer.rho), eps=float(trainer.eps))
    elif trainer.optimizer == "adam":
        settings.update(beta1=float(trainer.beta1), beta2=float(trainer.beta2), eps=float(trainer.eps))
    return settings


def regularisation_gradient(w, settings, param="W"):
    """What L2 (λ·w) and L1 (λ·sign w) add to ∂J/∂w; biases are not regularised."""
    if param != "W":
        return 0.0
    return float(settings.get("l2", 0.0) * w + settings.get("l1", 0.0) * np.sign(w))


def update_terms(optimizer, lr, settings, w, grad, state, t, param="W"):
    """Each intermediate of one parameter's update, in the order the rule computes them, as the
    optimizer kernels do (engine.kernels): for a weight, l2_part = λ₂·w and l1_part = λ₁·sign(w)
    when those are on; g = ∂J/∂w + l2_part + l1_part (∂J/∂b for a bias), then

    * sgd: step = α·g
    * momentum: velocity = μ·v + g; direction = velocity (or g + μ·velocity with Nesterov);
      step = α·direction
    * rmsprop: mean_square = ρ·s + (1 − ρ)·g²; root = √mean_square + ε; step = α·g / root
    * adam: first_moment = β₁·m + (1 − β₁)·g; second_moment = β₂·v + (1 − β₂)·g²;
      bias1 = 1 − β₁ᵗ; bias2 = 1 − β₂ᵗ; m_hat = first_moment / bias1; v_hat = second_moment / bias2;
      root = √v_hat + ε; step = α·m_hat / root

    and the new value is w − step. `state` holds the state before the update, by the names of
    Trainer.optimizer_state()."""
    terms = {}
    if param == "W":
        if settings.get("l2"):
            terms["l2_part"] = settings["l2"] * w
        if settings.get("l1"):
            terms["l1_part"] = settings["l1"] * np.sign(w)
    g = float(grad) + terms.get("l2_part", 0.0) + terms.get("l1_part", 0.0)   # in the kernels' order
    terms["g"] = g
    if optimizer == "momentum":
        mu = settings["momentum"]
        velocity = mu * state["velocity"] + g
        direction = g + mu * velocity if settings["nesterov"] else velocity
        terms.update(velocity=velocity, direction=direction, step=lr * direction)
    elif optimizer == "rmsprop":
        rho = settings["rho"]
        mean_square = rho * state["mean_square"] + (1.0 - rho) * g * g
        root = float(np.sqrt(mean_square)) + settings["eps"]
        terms.update(mean_square=mean_square, root=root, step=lr * g / root)
    elif optimizer == "adam":
        b1, b2 = settings["beta1"], settings["beta2"]
        m = b1 * state["first_moment"] + (1.0 - b1) * g
        v = b2 * state["second_moment"] + (1.0 - b2) * g * g
        bias1, bias2 = 1.0 - b1 ** t, 1.0 - b2 ** t
        m_hat, v_hat = m / bias1, v / bias2
        root = float(np.sqrt(v_hat)) + settings["eps"]
        terms.update(first_moment=m, second_moment=v, bias1=bias1, bias2=bias2, m_hat=m_hat, v_hat=v_hat,
                     root=root, step=lr * m_hat / root)
    else:
        terms["step"] = lr * g
    return {name: float(value) for name, value in terms.items()}


def describe_update(optimizer, lr, settings, layer, j, k, w, grad, state, new_state, new_w, t, param="W"):
    """An UpdatePreview of one parameter's update from the numbers before and after it (the
    optimizer kernel's), with every intermediate of the rule."""
    return UpdatePreview(param_symbol(layer, j, k, param), optimizer, float(w), float(lr), float(grad),
                         regularisation_gradient(w, settings, param),
                         {n: float(v) for n, v in state.items()}, {n: float(v) for n, v in new_state.items()},
                         float(new_w), int(t), dict(settings),
                         update_terms(optimizer, lr, settings, w, grad, state, t, param))


def regularisation_cost(weights, l1, l2):
    """The regularisation term added to the objective, apart from the data cost J (MATH.md):
    λ₁·Σ|w| + (λ₂/2)·Σw² over every weight (not the biases). Returns a dict with l1, l2, the sums
    sum_abs = Σ|w| and sum_squares = Σw², their terms l1_cost and l2_cost, and cost, the whole term."""
    sum_abs, sum_squares = weight_sums(weights)
    l1, l2 = float(l1), float(l2)
    l1_cost, l2_cost = l1 * sum_abs, 0.5 * l2 * sum_squares
    return {"l1": l1, "l2": l2, "sum_abs": sum_abs, "sum_squares": sum_squares, "l1_cost": l1_cost,
            "l2_cost": l2_cost, "cost": l1_cost + l2_cost}


def next_gradients(trainer):
    """The gradients of the trainer's next mini-batch, without moving the trainer."""
    idx, X, Y = trainer.peek_batch()
    net = trainer.net
    return net.backward(net._forward(X), Y)


def parameter_index(net, layer, j, k, param="W"):
    """Where one parameter sits in net.parameters (and in each row of the optimizer state)."""
    return int(net.offsets[layer]) + (j * net.sizes[layer] + k if param == "W" else
                                      net.sizes[layer + 1] * net.sizes[layer] + j)


def update_preview(trainer, layer, j, k, grads=None, param="W"):
    """The next update of one parameter: w, α, ∂J/∂w, the optimizer's state, each intermediate,
    the new w. `grads` defaults to the gradients of the trainer's next mini-batch. The trainer is
    not changed: the update runs in the optimizer kernel on copies."""
    from .trainer import Trainer
    if not isinstance(trainer, Trainer):
        raise ValueError(f"trainer must be an engine.Trainer, got {type(trainer).__name__}")
    net = trainer.net
    layer, j, k = _check_param(net, layer, j, k, param)
    if grads is None:
        grads = next_gradients(trainer)
    if len(getattr(grads, "dW", ())) != net.n_layers or any(
            np.shape(g) != np.shape(w) for g, w in zip(grads.dW, net.weights)):
        raise ValueError("grads must be Gradients shaped like this network's weights")
    grad = net.flatten(grads.dW, grads.db)
    theta = net.parameters
    state = np.array([net.flatten(arrays["weights"], arrays["biases"])
                      for arrays in trainer.optimizer_state().values()]).reshape(-1, net.n_params)
    new_theta, new_state, _ = trainer.preview_update(grads)
    i = parameter_index(net, layer, j, k, param)
    names = OPTIMIZER_STATE_NAMES[trainer.optimizer]
    return describe_update(trainer.optimizer, trainer.lr, optimizer_settings(trainer), layer, j, k,
                           theta[i], grad[i], {n: state[s, i] for s, n in enumerate(names)},
                           {n: new_state[s, i] for s, n in enumerate(names)}, new_theta[i],
                           trainer.updates_done + 1, param)
