"""The names the engine accepts, and the integer codes its compiled kernels use for them.

Kernels cannot take strings, so each name maps to a small integer here, in one place.
"""

HIDDEN_ACTIVATIONS = ("linear", "relu", "leaky_relu", "elu", "gelu", "swish", "sigmoid", "tanh", "sin")
OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "tanh", "softmax")
LOSSES = ("mse", "bce", "cce")
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
INITS = ("he", "xavier", "uniform", "zeros")

ACTIVATION_CODES = {name: code for code, name in enumerate(HIDDEN_ACTIVATIONS + ("softmax",))}
LOSS_CODES = {name: code for code, name in enumerate(LOSSES)}
OPTIMIZER_CODES = {name: code for code, name in enumerate(OPTIMIZERS)}

# Which output activation each loss may be paired with (MATH.md, "Cost").
LOSS_OUTPUTS = {
    "mse": OUTPUT_ACTIVATIONS,
    "bce": ("sigmoid",),
    "cce": ("softmax",),
}

# The optimizer state arrays kept per parameter, in the order the kernels store them.
OPTIMIZER_STATE_NAMES = {
    "sgd": (),
    "momentum": ("velocity",),
    "rmsprop": ("mean_square",),
    "adam": ("first_moment", "second_moment"),
}


def check_choice(value, allowed, what):
    """Return value when it is one of allowed, else raise ValueError naming the allowed values."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; allowed: {', '.join(allowed)}")
    return value


def check_pairing(output, loss):
    """Refuse an output activation and loss that MATH.md does not pair."""
    check_choice(output, OUTPUT_ACTIVATIONS, "output activation")
    check_choice(loss, LOSSES, "loss")
    if output not in LOSS_OUTPUTS[loss]:
        raise ValueError(
            f"loss {loss!r} needs a {' or '.join(LOSS_OUTPUTS[loss])} output, not {output!r}"
        )
