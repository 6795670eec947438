"""Teaching presets: JSON files in assets/presets/ with a title, a one-paragraph explanation, the
settings (an AppState), and optionally hand-set weights and hand-placed data points.

    {"name": "single-neuron", "title": "...", "explanation": "...",
     "state": {"dataset": "plane", "features": ["x1"], "hidden": [], ...},
     "weights": [[[0.5]]], "biases": [[0.0]],                       # optional, per layer
     "data": {"points": [[x...], [y...]], "targets": [...]},        # optional, replaces the dataset
     "order": 1, "select": ["weight", 0, 0, 0], "speed": "10/s",     # optional hints for the app: menu place,
     "compare": "deep-relu", "show": "gradient_norms"}               # selected weight, Play speed, a run to train
                                                                     # beside it, a panel to open

A broken file gives a PresetError (a ValueError) that says which file and what is wrong.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .state import PRESETS_DIR, AppState

REQUIRED = ("name", "title", "explanation", "state")
TOP_LEVEL_SETTINGS = ("epochs", "dtype", "data_dir")


class PresetError(ValueError):
    """A preset file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    explanation: str
    state: AppState
    weights: list | None = None
    biases: list | None = None
    data: dict | None = None
    path: Path | None = None
    hints: dict = field(default_factory=dict)

    def dataset(self):
        """The hand-placed dataset, or None when the preset uses the state's generated one."""
        if self.data is None:
            return None
        from engine import datasets
        pts = np.asarray(self.data["points"], dtype=np.float64)
        values = np.asarray(self.data["targets"])
        kind = self.data.get("kind", "regression")
        if kind != "regression":
            values = values.astype(int)
        base = datasets.from_arrays(np.hstack([pts, pts]), np.concatenate([values, values]), kind,
                                    train_ratio=0.5, features=self.state.features, name=self.name,
                                    extent=self.data.get("extent"))
        # every point trains, and the same points are the test set
        return datasets.with_points(base, points_train=pts, labels_train=values, points_test=pts,
                                    labels_test=values)


def preset_files(directory: Path | None = None) -> list[Path]:
    d = Path(directory) if directory is not None else PRESETS_DIR
    return sorted(d.glob("*.json")) if d.is_dir() else []


def parse_preset(data, where: str = "preset") -> Preset:
    if not isinstance(data, dict):
        raise PresetError(f"{where}: a preset must be a JSON object with {', '.join(REQUIRED)}")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise PresetError(f"{where}: missing {', '.join(missing)}")
    for key in ("name", "title", "explanation"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise PresetError(f"{where}: {key} must be a non-empty text")
    if not isinstance(data["state"], dict):
        raise PresetError(f"{where}: state must be an object of settings")
    settings = dict(data["state"])
    for key in TOP_LEVEL_SETTINGS:          # "epochs": 5, "dtype": "float32" beside the state
        if key in data and key not in settings:
            settings[key] = data[key]
    try:
        state = AppState.from_dict(settings)
    except (ValueError, TypeError) as exc:
        raise PresetError(f"{where}: bad settings: {exc}") from None
    sizes = state.sizes
    weights = data.get("weights")
    biases = data.get("biases")
    if weights is not None or biases is not None:
        if weights is None or biases is None:
            raise PresetError(f"{where}: give weights and biases together")
        L = len(sizes) - 1
        if len(weights) != L or len(biases) != L:
            raise PresetError(f"{where}: weights and biases need {L} layers for sizes {sizes}")
        for l in range(L):
            w = np.asarray(weights[l], dtype=float)
            b = np.asarray(biases[l], dtype=float).ravel()
            if w.shape != (sizes[l + 1], sizes[l]) or b.shape != (sizes[l + 1],):
                raise PresetError(f"{where}: layer {l + 1} needs weights of shape ({sizes[l + 1]}, {sizes[l]}) "
                                  f"and {sizes[l + 1]} biases")
            if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
                raise PresetError(f"{where}: layer {l + 1} holds a weight that is not a finite number")
    points = data.get("data")
    if points is not None:
        try:
            pts = np.asarray(points["points"], dtype=float)
            targets = np.asarray(points["targets"], dtype=float)
        except (KeyError, TypeError, ValueError):
            raise PresetError(f"{where}: data needs points [[x...], [y...]] and targets [...]") from None
        if pts.ndim != 2 or pts.shape[0] != 2 or targets.shape != (pts.shape[1],) or pts.shape[1] < 1:
            raise PresetError(f"{where}: data points must be 2 rows of m numbers with m targets")
    speed = data.get("speed")
    if speed is not None:
        from .worker import SPEEDS
        if speed not in SPEEDS:
            raise PresetError(f"{where}: speed must be one of {', '.join(SPEEDS)}, got {speed!r}")
    if "order" in data and (isinstance(data["order"], bool) or not isinstance(data["order"], int)):
        raise PresetError(f"{where}: order must be a whole number (its place in the Lessons menu)")
    preset = Preset(data["name"], data["title"], data["explanation"], state, weights, biases, points,
                    hints={k: v for k, v in data.items() if k not in REQUIRED + TOP_LEVEL_SETTINGS + ("weights", "biases", "data")})
    if points is not None:
        try:
            preset.dataset()
        except ValueError as exc:
            raise PresetError(f"{where}: the data cannot be used: {exc}") from None
    return preset


def lesson_file(name: str) -> Path | None:
    """The preset file a name means (a name in assets/presets/ or a path to a .json file), or None
    for a built-in preset (explorer.state.BUILTIN_PRESETS), which is settings only."""
    from .state import BUILTIN_PRESETS, PRESETS_DIR
    if name in BUILTIN_PRESETS:
        return None
    path = Path(name)
    if not path.suffix:
        path = PRESETS_DIR / f"{name}.json"
    return path if path.is_file() else None


def load_preset_file(path) -> Preset:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PresetError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PresetError(f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    preset = parse_preset(data, path.name)
    return Preset(preset.name, preset.title, preset.explanation, preset.state, preset.weights, preset.biases,
                  preset.data, path, preset.hints)


def load_all(directory: Path | None = None) -> tuple[list[Preset], list[str]]:
    """Every preset in the folder, in teaching order (each file's "order", then its name), and an
    error message for each file that could not be used."""
    presets, errors = [], []
    for path in preset_files(directory):
        try:
            presets.append(load_preset_file(path))
        except PresetError as exc:
            errors.append(str(exc))
    presets.sort(key=lambda p: (p.hints.get("order", len(presets) + 1000), p.name))
    return presets, errors


def apply_preset(worker, preset: Preset) -> None:
    """On the worker's thread: build the preset's network and data, then set its weights."""
    worker._playing = False
    worker._build(preset.state, keep_history=False, data=preset.dataset())
    net = worker.trainer.net
    if preset.weights is not None:
        for l in range(net.n_layers):
            net.weights[l][...] = np.asarray(preset.weights[l], dtype=float)
            net.biases[l][...] = np.asarray(preset.biases[l], dtype=float).reshape(-1, 1)
    worker.state_applied.emit(worker._state)
    worker.status_changed.emit(f"Preset: {preset.title}")
