"""AppState: the one serialisable source of truth for the app's settings.

Controls propose a new state with :meth:`AppState.replace` (or one of the edit helpers);
the proposal is validated here, and a bad value is refused with a ``ValueError`` whose
message says what is allowed. A refused proposal leaves the current state untouched: states
are immutable, every change makes a new one.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from .numbers import num

# Limits of the architecture editor (the engine may enforce its own; these are the app's).
MAX_HIDDEN_LAYERS = 8
MAX_NEURONS = 32                 # per layer on the 2-D playground (drawn in full when the graph is tall enough)
MAX_NEURONS_LARGE = 1024         # per layer for image and CSV data (wide layers are drawn collapsed)
MIN_NEURONS = 1
MAX_CLASSES = 20

IMAGE_DATASETS = ("digits", "mnist", "fashion-mnist")
IMAGE_INPUTS = {"digits": 64, "mnist": 784, "fashion-mnist": 784}
CSV_DATASET = "csv"              # data imported from a CSV file (File > Import CSV); the worker holds it
DTYPES = ("float64", "float32")

LR_MIN = 1e-5
LR_MAX = 10.0
MAX_BATCH = 4096
MAX_POINTS = 5000
MIN_POINTS = 20

FEATURES = ("x1", "x2", "x1²", "x2²", "x1·x2", "sin x1", "sin x2")
REGULARIZERS = ("none", "l1", "l2")
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)

# Which output activation each loss pairs with, for classification (MATH.md, cost table).
LOSS_OUTPUT = {"bce": "sigmoid", "cce": "softmax"}

PRESETS_DIR = Path(__file__).resolve().parent.parent / "assets" / "presets"


def _engine_names():
    """Names the engine accepts, with the Playground's set as a fallback for type checks."""
    try:
        import engine
        return {
            "hidden": tuple(engine.HIDDEN_ACTIVATIONS),
            "output": tuple(engine.OUTPUT_ACTIVATIONS),
            "loss": tuple(engine.LOSSES),
            "optimizer": tuple(engine.OPTIMIZERS),
            "init": tuple(engine.INITS),
        }
    except (ImportError, AttributeError):  # pragma: no cover - only while the engine is absent
        return {
            "hidden": ("linear", "relu", "leaky_relu", "elu", "gelu", "swish", "sigmoid", "tanh", "sin"),
            "output": ("linear", "sigmoid", "tanh", "softmax"),
            "loss": ("mse", "bce", "cce"),
            "optimizer": ("sgd", "momentum", "rmsprop", "adam"),
            "init": ("xavier", "he", "normal", "zeros"),
        }


def _two_d_names():
    try:
        from engine import datasets
        return tuple(datasets.TWO_D_DATASETS)
    except (ImportError, AttributeError):  # pragma: no cover
        return ("circle", "xor", "gaussian", "spiral")


def _dataset_names():
    return _two_d_names() + IMAGE_DATASETS + (CSV_DATASET,)


def max_neurons(dataset: str) -> int:
    """The most neurons a hidden layer may have with this dataset."""
    return MAX_NEURONS if dataset in _two_d_names() else MAX_NEURONS_LARGE


@dataclass(frozen=True)
class AppState:
    """Every setting of a session. Immutable; use :meth:`replace` to propose a change."""

    dataset: str = "circle"
    n: int = 500
    noise: float = 0.0
    train_ratio: float = 0.5
    classes: int = 2
    data_seed: int = 0
    features: tuple = ("x1", "x2")
    hidden: tuple = (4, 2)
    activations: tuple = ("tanh", "tanh")
    output: str = "sigmoid"
    loss: str = "bce"
    init: str = "xavier"
    optimizer: str = "sgd"
    lr: float = 0.03
    batch_size: int = 10
    regularization: str = "none"
    reg_rate: float = 0.0
    momentum: float = 0.9
    seed: int = 0
    dtype: str = "float64"          # float32 for images
    data_dir: str = ""              # folder with MNIST / Fashion-MNIST files ("" = the usual places)
    epochs: int = 0                 # pause after this many epochs (0: train until paused)

    # ------------------------------------------------------------------ validation
    def __post_init__(self):
        object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        object.__setattr__(self, "activations", tuple(self.activations))
        object.__setattr__(self, "data_dir", str(self.data_dir or ""))
        self.validate()

    def validate(self) -> None:
        names = _engine_names()
        ds = _dataset_names()
        if self.dataset not in ds:
            raise ValueError(f"unknown dataset {self.dataset!r}; choose one of {', '.join(ds)}")
        if not MIN_POINTS <= int(self.n) <= MAX_POINTS:
            raise ValueError(f"number of points must be between {MIN_POINTS} and {MAX_POINTS}, got {self.n}")
        if not 0.0 <= float(self.noise) <= 1.0:
            raise ValueError(f"noise must be between 0 and 1 (0% to 100%), got {self.noise}")
        if not 0.1 <= float(self.train_ratio) <= 0.9:
            raise ValueError(f"train ratio must be between 10% and 90%, got {self.train_ratio:.0%}")
        if not self.features:
            raise ValueError("at least one input feature must be on")
        for f in self.features:
            if f not in FEATURES and self.dataset != CSV_DATASET:
                raise ValueError(f"unknown feature {f!r}; allowed: {', '.join(FEATURES)}")
        if len(set(self.features)) != len(self.features):
            raise ValueError("each input feature can be used once")
        if len(self.hidden) > MAX_HIDDEN_LAYERS:
            raise ValueError(f"at most {MAX_HIDDEN_LAYERS} hidden layers")
        if len(self.activations) != len(self.hidden):
            raise ValueError("one activation per hidden layer is needed")
        most = max_neurons(self.dataset)
        for h in self.hidden:
            if h < MIN_NEURONS:
                raise ValueError(f"a layer keeps at least {MIN_NEURONS} neuron")
            if h > most:
                raise ValueError(f"at most {most} neurons in a layer"
                                 + (" on the 2-D playground" if most == MAX_NEURONS else ""))
        for a in self.activations:
            if a not in names["hidden"]:
                raise ValueError(f"unknown hidden activation {a!r}; allowed: {', '.join(names['hidden'])}")
        if self.output not in names["output"]:
            raise ValueError(f"unknown output activation {self.output!r}; allowed: {', '.join(names['output'])}")
        if self.loss not in names["loss"]:
            raise ValueError(f"unknown loss {self.loss!r}; allowed: {', '.join(names['loss'])}")
        need = LOSS_OUTPUT.get(self.loss)
        if need is not None and self.output != need:
            raise ValueError(f"the {self.loss} loss needs a {need} output, not {self.output}")
        if self.output == "softmax" and self.loss != "cce":
            raise ValueError("a softmax output pairs with the cce loss")
        if self.init not in names["init"]:
            raise ValueError(f"unknown initialisation {self.init!r}; allowed: {', '.join(names['init'])}")
        if self.optimizer not in names["optimizer"]:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; allowed: {', '.join(names['optimizer'])}")
        if not LR_MIN <= float(self.lr) <= LR_MAX:
            raise ValueError(f"learning rate must be between {num(LR_MIN)} and {num(LR_MAX)}, got {num(self.lr)}")
        if not 1 <= int(self.batch_size) <= MAX_BATCH:
            raise ValueError(f"batch size must be between 1 and {MAX_BATCH}, got {self.batch_size}")
        if self.regularization not in REGULARIZERS:
            raise ValueError(f"regularisation must be one of {', '.join(REGULARIZERS)}")
        if not 0.0 <= float(self.reg_rate) <= 10.0:
            raise ValueError(f"regularisation rate must be between 0 and 10, got {num(self.reg_rate)}")
        if not 0.0 <= float(self.momentum) < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        if int(self.classes) < 2 or int(self.classes) > MAX_CLASSES:
            raise ValueError(f"between 2 and {MAX_CLASSES} classes")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if not 0 <= int(self.epochs) <= 10000:
            raise ValueError(f"epochs must be between 0 (no limit) and 10000, got {self.epochs}")

    # ------------------------------------------------------------------ derived values
    @property
    def is_image(self) -> bool:
        return self.dataset in IMAGE_DATASETS

    @property
    def n_inputs(self) -> int:
        return IMAGE_INPUTS.get(self.dataset, len(self.features))

    @property
    def sizes(self) -> list[int]:
        return [self.n_inputs, *self.hidden, self.n_outputs]

    @property
    def n_outputs(self) -> int:
        return int(self.classes) if self.output == "softmax" else 1

    @property
    def l1(self) -> float:
        return float(self.reg_rate) if self.regularization == "l1" else 0.0

    @property
    def l2(self) -> float:
        return float(self.reg_rate) if self.regularization == "l2" else 0.0

    # ------------------------------------------------------------------ changes
    def replace(self, **changes) -> "AppState":
        """A new validated state with ``changes``; raises ValueError (self unchanged) if refused."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

    def with_data(self, **changes) -> "AppState":
        """Data settings with what a change of dataset implies: float32 for images and float64 back
        on the plane (unless given), and hidden layers cut to the playground's limit when leaving
        image or CSV data."""
        ds = changes.get("dataset", self.dataset)
        extra = {}
        if ds != self.dataset:
            image = ds in IMAGE_DATASETS
            if image != self.is_image and "dtype" not in changes:
                extra["dtype"] = "float32" if image else "float64"
            most = max_neurons(ds)
            if "hidden" not in changes and any(h > most for h in self.hidden):
                extra["hidden"] = tuple(min(h, most) for h in self.hidden)
            if ds != CSV_DATASET and "features" not in changes and any(f not in FEATURES for f in self.features):
                extra["features"] = ("x1", "x2")
            if ds in _two_d_names() and "classes" not in changes:
                from engine import datasets
                k = min(int(self.classes), 10) if ds in datasets.MULTICLASS_2D else 2
                if k != self.classes:
                    extra["classes"] = k
                if k == 2 and self.output == "softmax" and "output" not in changes:
                    extra.update(output="sigmoid", loss="bce")
        return self.replace(**{**extra, **changes})

    def with_layer_added(self, index: int | None = None, size: int | None = None,
                         activation: str | None = None) -> "AppState":
        """Insert a hidden layer at ``index`` (default: just before the output)."""
        if len(self.hidden) >= MAX_HIDDEN_LAYERS:
            raise ValueError(f"at most {MAX_HIDDEN_LAYERS} hidden layers; remove one first")
        index = len(self.hidden) if index is None else index
        if not 0 <= index <= len(self.hidden):
            raise ValueError(f"there is no place {index + 1} for a new hidden layer: it goes at place 1 (first) "
                             f"to {len(self.hidden) + 1} (last)")
        size = size if size is not None else (self.hidden[index - 1] if index > 0 else (self.hidden[0] if self.hidden else 4))
        activation = activation or (self.activations[index - 1] if index > 0 else (self.activations[0] if self.activations else "tanh"))
        hidden = list(self.hidden)
        acts = list(self.activations)
        hidden.insert(index, size)
        acts.insert(index, activation)
        return self.replace(hidden=tuple(hidden), activations=tuple(acts))

    def _no_hidden_layer(self, index: int) -> str:
        """What to say of a hidden layer (index from 0) that is not there, as the screen numbers them
        (from 1): a click on a layer that an edit just removed asks for one."""
        n = len(self.hidden)
        return f"there is no hidden layer {index + 1}: the network has {n} hidden layer{'s' if n != 1 else ''}"

    def with_layer_removed(self, index: int | None = None) -> "AppState":
        if not self.hidden:
            raise ValueError("there is no hidden layer to remove")
        index = len(self.hidden) - 1 if index is None else index
        if not 0 <= index < len(self.hidden):
            raise ValueError(self._no_hidden_layer(index))
        hidden = list(self.hidden)
        acts = list(self.activations)
        del hidden[index]
        del acts[index]
        return self.replace(hidden=tuple(hidden), activations=tuple(acts))

    def with_neurons(self, layer: int, delta: int) -> "AppState":
        if not 0 <= layer < len(self.hidden):
            raise ValueError(self._no_hidden_layer(layer))
        new = self.hidden[layer] + delta
        most = max_neurons(self.dataset)
        if new > most:
            raise ValueError(f"layer {layer + 1} already has the most neurons allowed ({most})")
        if new < MIN_NEURONS:
            raise ValueError(f"layer {layer + 1} keeps at least {MIN_NEURONS} neuron")
        hidden = list(self.hidden)
        hidden[layer] = new
        return self.replace(hidden=tuple(hidden))

    def with_activation(self, layer: int, name: str) -> "AppState":
        """``layer`` is a hidden-layer index, or ``len(hidden)`` for the output layer."""
        if layer == len(self.hidden):
            loss = self.loss
            if name == "softmax":
                loss = "cce"
            elif self.loss in LOSS_OUTPUT and LOSS_OUTPUT[self.loss] != name:
                loss = "mse"
            return self.replace(output=name, loss=loss)
        if not 0 <= layer < len(self.hidden):
            raise ValueError(self._no_hidden_layer(layer) + " and an output layer")
        acts = list(self.activations)
        acts[layer] = name
        return self.replace(activations=tuple(acts))

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["features"] = list(self.features)
        d["hidden"] = list(self.hidden)
        d["activations"] = list(self.activations)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "AppState":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown setting(s) in preset: {', '.join(sorted(unknown))}")
        return cls(**d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> "AppState":
        return cls.from_dict(json.loads(text))


# Presets built into the app; JSON files in assets/presets/ (AppState dicts) add to these.
BUILTIN_PRESETS = {
    "playground": {},
    "xor": {"dataset": "xor", "hidden": (4,), "activations": ("tanh",)},
    "spiral": {"dataset": "spiral", "noise": 0.1, "features": ("x1", "x2", "x1²", "x2²", "x1·x2", "sin x1", "sin x2"),
               "hidden": (8, 8, 5), "activations": ("tanh", "tanh", "tanh"), "lr": 0.03},
    "gaussian": {"dataset": "gaussian", "hidden": (2,), "activations": ("tanh",)},
    "deep-linear": {"dataset": "circle", "hidden": (6, 6, 6, 6), "activations": ("linear",) * 4},
}


def preset_names() -> list[str]:
    names = list(BUILTIN_PRESETS)
    if PRESETS_DIR.is_dir():
        names += sorted(p.stem for p in PRESETS_DIR.glob("*.json") if p.stem not in BUILTIN_PRESETS)
    return names


def load_preset(name: str) -> AppState:
    """A preset by name: a built-in one, a JSON file in assets/presets/, or a path to a JSON file."""
    if name in BUILTIN_PRESETS:
        return AppState(**BUILTIN_PRESETS[name])
    path = Path(name)
    if not path.suffix:
        path = PRESETS_DIR / f"{name}.json"
    if not path.is_file():
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(preset_names())} or a .json file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: a preset must be a JSON object")
    if isinstance(data, dict) and "state" in data and isinstance(data["state"], dict):
        data = {**{k: data[k] for k in ("epochs", "dtype", "data_dir") if k in data}, **data["state"]}
    known = {f.name for f in dataclasses.fields(AppState)}
    return AppState(**{k: v for k, v in data.items() if k in known})
