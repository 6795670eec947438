"""Session files (File ▸ Save session / Open session): a network mid-training, to pick up later.

One ``.bpx`` file is a NumPy ``.npz`` archive (a zip, readable without pickle) holding:
- the AppState as JSON (architecture, activations, training settings, data settings);
- the network's parameters and the trainer's progress (optimizer state, step and epoch counts,
  the sample order and random state), so training continues exactly where it stopped;
- the loss history for the loss curve;
- the data itself, except for image sets, which are read again from their files: a drawn point
  or an imported CSV table (kept as imported) is part of the session, not of a file elsewhere.

No Qt here; the window reads and writes through these functions and shows SessionError's message.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass

import numpy as np

from engine import datasets
from engine.names import OPTIMIZER_STATE_NAMES

from .state import CSV_DATASET, IMAGE_DATASETS, IMAGE_INPUTS, AppState

FORMAT = "backprop-explorer session"
VERSION = 1
SUFFIX = ".bpx"
IMAGE_CLASSES = 10              # digits, MNIST and Fashion-MNIST all have ten


class SessionError(ValueError):
    """A session file that cannot be read or does not fit together; the message says what is wrong."""


@dataclass(frozen=True)
class Session:
    state: AppState
    parameters: np.ndarray           # Network.parameters: every weight and bias, flat
    progress: dict                   # Trainer.progress()
    history: tuple                   # (steps, train losses, test losses) of the loss curve
    data: datasets.Dataset | None    # the 2-D data trained on, the CSV table as imported, None for image sets
    markers: tuple = ()              # (step, text) of each edit marked on the loss curve

    @property
    def steps(self) -> int:
        return int(self.progress["steps"])


# ---------------------------------------------------------------------------------------- write

def save_session(path, session: Session) -> None:
    """Write a session file; OSError when the file cannot be written."""
    p = session.progress
    arrays = {
        "format": np.array(FORMAT),
        "version": np.array(VERSION),
        "state": np.array(session.state.to_json()),
        "parameters": np.asarray(session.parameters),
        "optimizer_state": np.asarray(p["optimizer_state"]),
        "order": np.asarray(p["order"], dtype=np.int64),
        "progress": np.array(json.dumps({k: p[k] for k in ("steps", "epoch", "updates", "cursor", "rng")})),
        "history": np.array([np.asarray(h, dtype=np.float64) for h in session.history]).reshape(3, -1),
        "markers": np.array(json.dumps([[int(step), str(text)] for step, text in session.markers])),
    }
    if session.data is not None:
        arrays.update(_data_arrays(session.data))
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)


def _data_arrays(data: datasets.Dataset) -> dict:
    meta = {"name": data.name, "kind": data.kind, "features": list(data.features), "n_classes": int(data.n_classes),
            "class_names": list(data.class_names), "extent": list(data.extent) if data.extent else None,
            "axis_names": list(data.axis_names) if data.axis_names else None}
    arrays = {"data": np.array(json.dumps(meta))}
    for part in ("X_train", "Y_train", "X_test", "Y_test", "points_train", "points_test"):
        value = getattr(data, part)
        if value is not None:
            arrays[f"data_{part}"] = np.asarray(value)
    return arrays


# ----------------------------------------------------------------------------------------- read

def load_session(path) -> Session:
    """Read a session file, checking that every part is there and fits the others."""
    name = str(path)
    try:
        with open(path, "rb") as f:
            zipped = f.read(4) == b"PK\x03\x04"
    except FileNotFoundError:
        raise SessionError(f"{name} does not exist") from None
    except OSError as exc:
        raise SessionError(f"{name} cannot be read ({exc.strerror or exc})") from None
    if not zipped:   # np.load would take any other file for a pickle, and say so
        raise SessionError(f"{name} is not a Backprop Explorer session (it is not a session archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            entries = {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise SessionError(f"{name} does not exist") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise SessionError(f"{name} is not a Backprop Explorer session, or it is damaged ({exc})") from None
    if not isinstance(entries, dict) or _text(entries.get("format")) != FORMAT:
        raise SessionError(f"{name} is not a Backprop Explorer session (it has no session header)")
    try:
        version = int(entries["version"])
    except (KeyError, TypeError, ValueError):
        raise SessionError(f"{name} has no format version") from None
    if version > VERSION:
        raise SessionError(f"{name} was saved by a newer version of Backprop Explorer (format {version}); "
                           f"this one reads format {VERSION}")
    missing = [k for k in ("state", "parameters", "optimizer_state", "order", "progress", "history") if k not in entries]
    if missing:
        raise SessionError(f"{name} lacks its {', '.join(missing)}")
    try:
        state = AppState.from_json(_text(entries["state"]))
    except (ValueError, TypeError, KeyError) as exc:
        raise SessionError(f"the settings saved in {name} are not valid: {exc}") from None
    data = _read_data(entries, name) if state.dataset not in IMAGE_DATASETS else None
    parameters = _parameters(entries["parameters"], state, data, name)
    progress = _progress(entries, parameters.size, state, name)
    history = entries["history"]
    if history.ndim != 2 or history.shape[0] != 3 or not np.issubdtype(history.dtype, np.floating):
        raise SessionError(f"the loss history in {name} is not three rows of numbers")
    return Session(state, parameters, progress, tuple(history), data, _markers(entries, name))


def _markers(entries, name) -> tuple:
    """The loss curve's edit marks; a file from before they were saved has none."""
    if "markers" not in entries:
        return ()
    try:
        marks = json.loads(_text(entries["markers"]) or "")
        return tuple((int(step), str(text)) for step, text in marks)
    except (ValueError, TypeError):
        raise SessionError(f"the edit marks in {name} are not a list of [step, text]") from None


def _text(value) -> str | None:
    if value is None or value.shape != () or value.dtype.kind != "U":
        return None
    return str(value)


def _read_data(entries: dict, name: str) -> datasets.Dataset:
    try:
        meta = json.loads(_text(entries.get("data")) or "")
        arrays = {part: entries.get(f"data_{part}") for part in
                  ("X_train", "Y_train", "X_test", "Y_test", "points_train", "points_test")}
        for part in ("X_train", "Y_train", "X_test", "Y_test"):
            if arrays[part] is None:
                raise ValueError(f"{part} is missing")
        for part, value in arrays.items():
            if value is not None and (not np.issubdtype(value.dtype, np.number) or not np.all(np.isfinite(value))):
                raise ValueError(f"{part} holds values that are not finite numbers")
        return datasets.Dataset(
            name=str(meta["name"]), kind=str(meta["kind"]), features=tuple(meta["features"]),
            n_classes=int(meta["n_classes"]), class_names=tuple(meta["class_names"]),
            extent=tuple(meta["extent"]) if meta.get("extent") else None,
            axis_names=tuple(meta["axis_names"]) if meta.get("axis_names") else None, **arrays)
    except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
        raise SessionError(f"the data saved in {name} is not valid: {exc}") from None


def csv_inputs(state: AppState, table: datasets.Dataset) -> datasets.Dataset:
    """The data a network trains on from an imported CSV table: a table of two playground columns
    (x1, x2) is seen through the state's features, as the playground's own data is."""
    if table.d == 2 and all(f in datasets.FEATURES for f in table.features):
        return datasets.with_features(table, state.features)
    return table


def _layer_sizes(state: AppState, data: datasets.Dataset | None) -> list[int]:
    if data is None:
        return [IMAGE_INPUTS[state.dataset], *state.hidden, IMAGE_CLASSES]
    if state.dataset == CSV_DATASET:
        data = csv_inputs(state, data)
    return [data.d, *state.hidden, data.n_out]


def _parameters(value: np.ndarray, state: AppState, data, name: str) -> np.ndarray:
    sizes = _layer_sizes(state, data)
    expected = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    if value.ndim != 1 or not np.issubdtype(value.dtype, np.floating):
        raise SessionError(f"the weights in {name} are not a list of numbers")
    if value.size != expected:
        shape = "-".join(str(n) for n in sizes)
        raise SessionError(f"{name} holds {value.size} weights and biases, but its {shape} network has {expected}")
    if not np.all(np.isfinite(value)):
        raise SessionError(f"the weights in {name} hold NaN or infinite values")
    return value.astype(state.dtype)


def _progress(entries: dict, n_params: int, state: AppState, name: str) -> dict:
    try:
        counts = json.loads(_text(entries["progress"]) or "")
        progress = {key: counts[key] for key in ("steps", "epoch", "updates", "cursor", "rng")}
    except (ValueError, TypeError, KeyError) as exc:
        raise SessionError(f"the training progress in {name} is not valid ({exc})") from None
    state_rows = entries["optimizer_state"]
    n_rows = len(OPTIMIZER_STATE_NAMES[state.optimizer])
    if state_rows.shape != (n_rows, n_params):
        raise SessionError(f"the {state.optimizer} state in {name} has shape {state_rows.shape}, "
                           f"expected ({n_rows}, {n_params})")
    progress["optimizer_state"] = state_rows
    progress["order"] = entries["order"]
    return progress
