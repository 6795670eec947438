"""TrainingWorker: the one object that owns the engine's Trainer, living in its own QThread.

Controls never touch the Trainer: they :meth:`post` commands, which the worker applies between
two steps. While playing, the worker trains in chunks sized to take ~15 ms of compiled, GIL-free
engine time, and after a chunk it may publish a :class:`~explorer.snapshot.Snapshot`. Only the
newest snapshot is kept (a lock-protected slot); the GUI pulls it when it is ready to draw.
"""
from __future__ import annotations

from . import _qtfix  # noqa: F401  (PySide6 refcount guard, see the module)
from . import gc_guard
import math
import queue
import threading
import time
import traceback
from dataclasses import replace
from typing import NamedTuple

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine.inspect import param_symbol

from .numbers import num
from .snapshot import Curve, EditMarker, Snapshot, epoch_goal, frozen, frozen_list, slice_inputs
from .state import AppState

CHUNK_SECONDS = 0.015          # target duration of one training chunk while playing
# A chunk holds at least this many steps, up to MAX_CHUNK_SECONDS: for big networks (MNIST) a
# 15 ms chunk is a handful of steps, and each chunk's display step and snapshot would cost as
# much as the training. Pause still answers within MAX_CHUNK_SECONDS.
MIN_CHUNK_STEPS = 25
MAX_CHUNK_SECONDS = 0.08
# Big data (MNIST): chunks of this long, so the views redraw about 5 times a second and the two
# cores go to training (the curves and image views need no more); Pause still answers within it.
BIG_CHUNK_SECONDS = 0.2
PUBLISH_INTERVAL = 1.0 / 50.0  # at most this often, and only once the GUI took the last one
IMAGE_RESULTS_INTERVAL = 0.5   # image views' predictions: at most this often while playing
IMAGE_PAGE = 600               # test images sent to the image views (the first ones of the test set)
BIG_EVAL_INTERVAL = 1.0        # big data: losses measured at most this often while playing ...
BIG_EVAL_SAMPLES = 2000        # ... on the first this many samples of each set
BIG_EVAL_WORK = 2e7            # "big": parameters × samples above this
# Big data, paused: a step's losses are measured this long after the step is handed over (or
# never, when a command comes first), so the window draws the step with both cores to itself.
LOSSES_AFTER_DRAW = 0.03
CURVE_POINTS = 200             # input values at which a one-input table's output curve is drawn
MAX_HISTORY = 4000             # loss-curve points kept before halving the resolution


class Plane(NamedTuple):
    """What the views draw over the input plane (worker._plane): the network over an r×r grid."""
    extent: tuple | None
    xs: np.ndarray | None
    ys: np.ndarray | None
    output: np.ndarray | None                  # (n_out, r, r)
    activations: tuple = ()                    # per layer 1..L, (n_l, r, r)
    input_images: np.ndarray | None = None     # (d, r, r)
    note: str = ""                             # how a slice cuts a >2-D input space
    held_inputs: np.ndarray | None = None      # on a slice, every input's held value


NO_PLANE = Plane(None, None, None, None)       # images, or a table without two plot columns

# dtypes whose kernels this process has compiled or loaded from the cache
_KERNELS_READY: set[str] = set()
# How a status about the kernels starts: the window counts the seconds after it while it lasts.
LOADING_KERNELS = "Loading"
SPEEDS = {"max": None, "1000/s": 1000.0, "100/s": 100.0, "10/s": 10.0, "1/s": 1.0}


def next_chunk(k: int, dt: float, big_data: bool) -> int:
    """Steps in the next chunk, after k steps took dt seconds: aimed at CHUNK_SECONDS (at least
    MIN_CHUNK_STEPS' worth, at most MAX_CHUNK_SECONDS), or BIG_CHUNK_SECONDS for big data, moving
    half-way there each time so one slow chunk does not swing it."""
    target = min(MAX_CHUNK_SECONDS, max(CHUNK_SECONDS, MIN_CHUNK_STEPS * dt / k))
    if big_data:
        target = BIG_CHUNK_SECONDS
    ideal = k * target / dt
    return int(max(1, min(200000, 0.5 * k + 0.5 * ideal)))


class TrainingWorker(QObject):
    """Owns the Trainer. Signals are emitted from the worker thread (queued to the GUI)."""

    snapshot_published = Signal()          # a new snapshot waits in latest()
    status_changed = Signal(str)           # what the worker is doing, for the status bar
    edit_refused = Signal(str)             # an edit was refused: why
    state_applied = Signal(object)         # the AppState the worker now runs with
    ready = Signal()                       # kernels compiled, first snapshot published
    diverged = Signal(str)                 # training diverged and was paused
    data_error = Signal(str)               # data could not be loaded (e.g. MNIST files not found): why
    epochs_done = Signal(int)              # the state's epoch goal was reached and training paused
    session_error = Signal(str)            # a session file could not be written: why
    session_saved = Signal(int, int, int)  # a session file was written: the step, architecture and data saved
    finished = Signal()

    def __init__(self, state: AppState | None = None, grid_resolution: int = 64):
        super().__init__()
        self._state = state or AppState()
        self.grid_resolution = int(grid_resolution)
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._taken = True
        self._serial = 0
        self._quit = False
        self._playing = False
        self._speed: float | None = None
        self._thread: QThread | None = None
        self._gc_held = False
        self.trainer = None
        self.data = None
        self._data_version = 0
        self._arch_version = 0
        self._markers: list[EditMarker] = []
        self._hist_steps: list[int] = []
        self._hist_train: list[float] = []
        self._hist_test: list[float] = []
        self._hist_stride = 1
        self._last_result = None
        self._input_images = None
        self._grid_key = None
        self._csv_data = None              # the Dataset imported from a CSV file
        self._batch_note = ""               # said when a switch of data lowers the batch size
        self._image_cache = {}             # loaded image datasets, by (name, data_dir, dtype, ratio, seed)
        self._image_results = None
        self._image_results_at = 0.0
        self._eval = None                  # (step, data_version, arch_version, time, evaluation)
        self._means = None                 # (data_version, training means of the inputs)
        self._curve_inputs = None          # (data_version, xs, training inputs, test inputs) of a one-input table
        # a second network trained beside the main one, on the same data, step for step (a lesson's
        # comparison): (AppState, title), its Trainer, the main step it started at, and why it stopped
        self._compare = None
        self._compare_trainer = None
        self._compare_offset = 0
        self._compare_note = ""
        self._defer_eval = False           # True while a snapshot may show the last measured losses
        self._losses_pending = None        # (snapshot, when): its losses are yet to be measured
        self._epoch_goal = None            # pause when this many epochs are done (the state's epochs), None: no goal
        self._chunk = 1
        self._rate_t0 = time.perf_counter()
        self._rate_steps = 0
        self._steps_per_second = 0.0
        # figures for the benchmark
        self.play_steps = 0
        self.play_seconds = 0.0
        self.is_ready = False
        from .inspector import Inspector
        self.inspector = Inspector()       # phase stepping and the math panel's numbers

    # ------------------------------------------------------------------ GUI-thread API
    def start(self) -> QThread:
        """Move to a new QThread and start it; returns the thread."""
        thread = QThread()
        thread.setObjectName("TrainingWorker")
        self.moveToThread(thread)
        thread.started.connect(self.run)
        self._thread = thread
        gc_guard.hold()                    # no cycle collection in the training thread (see gc_guard)
        self._gc_held = True
        thread.start()
        return thread

    def stop(self, timeout_ms: int = 60000) -> bool:
        """Ask the loop to end and wait for the thread; True when it stopped."""
        self._quit = True
        self._queue.put(("quit",))
        thread = self._thread
        if thread is None:
            return True
        thread.quit()
        ok = thread.wait(timeout_ms)
        if ok and self._gc_held:
            self._gc_held = False
            gc_guard.release()
        return bool(ok)

    def post(self, command: str, *args) -> None:
        """Queue a command; it is applied between two steps. Thread-safe."""
        self._queue.put((command, *args))

    def latest(self) -> Snapshot | None:
        """The newest snapshot (or None before the first). Thread-safe."""
        with self._lock:
            self._taken = True
            return self._latest

    @property
    def state(self) -> AppState:
        return self._state

    @property
    def playing(self) -> bool:
        return self._playing

    # ------------------------------------------------------------------ the loop
    @Slot()
    def run(self) -> None:
        try:
            self._startup()
            while not self._quit:
                try:
                    self._run_once()
                except Exception as exc:   # an unforeseen error pauses training; it must not end the worker
                    traceback.print_exc()
                    self._playing = False
                    self.edit_refused.emit(f"Training paused after an error: {exc}")
        except Exception as exc:  # keep the app alive and say what happened
            traceback.print_exc()
            self.status_changed.emit(f"The training worker stopped: {exc}")
        finally:
            self.finished.emit()
            thread = QThread.currentThread()
            if thread is not None:
                thread.quit()

    def _run_once(self) -> None:
        if self._playing:
            self._drain(block=False)
            if self._playing and not self._quit:
                self._play_chunk()
        else:
            self._drain(block=True)

    def _startup(self) -> None:
        self.status_changed.emit(f"{LOADING_KERNELS} the engine's kernels (compiled on a first start: about half a minute)…")
        t0 = time.perf_counter()
        try:
            self._compile()
        except Exception:  # a warm-up failure must not stop the app; the real build reports errors
            traceback.print_exc()
        try:
            self._build(self._state, keep_history=False)
        except ValueError as exc:        # e.g. the MNIST files are not there: start on the playground
            self.edit_refused.emit(str(exc))
            self._build(AppState(), keep_history=False)
        took = time.perf_counter() - t0
        self._publish(force=True)
        self.is_ready = True
        self.state_applied.emit(self._state)
        self.ready.emit()
        self.status_changed.emit(f"Ready in {took:.1f} s. Press Space to train, → to step.")

    def _compile(self) -> None:
        """Run every kernel once on a throwaway network so the first real step is instant: for the
        starting state's dtype only (a first start compiles for about half a minute per dtype;
        the other one is compiled when data that needs it is first loaded)."""
        from engine import Network, Trainer, datasets, grid
        s = self._state
        if s.dataset in datasets.TWO_D_DATASETS:
            data = datasets.make(s.dataset, n=60, noise=s.noise, train_ratio=0.5, seed=0,
                                 features=s.features, classes=s.classes)
            s = self._fit_output_to_data(s, data)         # as the real build does
            net = Network([data.d, *s.hidden, data.n_out], hidden=s.activations[0] if s.activations else "tanh",
                          output=s.output, loss=s.loss, init=s.init, seed=0, dtype=np.dtype(s.dtype))
            tr = Trainer(net, data, optimizer=s.optimizer, lr=s.lr, batch_size=min(s.batch_size, 30), seed=0)
            tr.train(steps=3)
            tr.step()
            tr.evaluate()
            grid.evaluate(net, data.features, self._extent_of(data), resolution=8)
        self._ensure_kernels(s.dtype)

    def _ensure_kernels(self, dtype: str) -> None:
        """Compile (or load from the cache) the kernels for networks of this dtype, once per process."""
        if dtype in _KERNELS_READY:
            return
        import engine
        self.status_changed.emit(f"{LOADING_KERNELS} the kernels for {dtype} networks (compiled once, the first time: "
                                 "about half a minute)…")
        t0 = time.perf_counter()
        engine.warmup((dtype,))
        _KERNELS_READY.add(dtype)
        self.status_changed.emit(f"Kernels for {dtype} networks ready in {time.perf_counter() - t0:.1f} s.")

    def _drain(self, block: bool) -> None:
        """Apply queued commands; when paused, wait for the first one."""
        changed = False
        first = True
        while True:
            try:
                if block and first:
                    cmd = self._queue.get(timeout=self._wait_for_command())
                else:
                    cmd = self._queue.get_nowait()
            except queue.Empty:
                if block and first and self._losses_pending is not None:
                    self._publish_pending_losses()
                    continue                  # then wait for a command as before
                break
            first = False
            if cmd[0] == "quit":
                self._quit = True
                return
            changed |= self._apply(cmd)
        if changed and not self._quit:
            if self._playing:
                self._publish(force=True)
            else:
                # paused: what a command shows is small work, done on one core while the window
                # may still be drawing on the other
                from engine import threads
                with threads.at_most(1):
                    self._publish(force=True)

    # ------------------------------------------------------------------ commands
    def _apply(self, cmd) -> bool:
        """Apply one command; True if something visible changed."""
        name, args = cmd[0], cmd[1:]
        from engine import TrainingDiverged
        try:
            handler = getattr(self, f"_cmd_{name}")
        except AttributeError:
            self.edit_refused.emit(f"unknown command {name!r}")
            return False
        if name != "inspect":
            # e.g. "train" in the same batch of commands as an inspect: the phase view is redone
            self.inspector.trainer_changed()
        try:
            return bool(handler(*args))
        except TrainingDiverged as exc:
            self._on_diverged(exc)
            return True
        except ValueError as exc:
            self.edit_refused.emit(str(exc))
            self.state_applied.emit(self._state)
            return False

    def _cmd_play(self) -> bool:
        if not self._playing:
            self._set_epoch_goal()
            self._playing = True
            self._rate_t0 = time.perf_counter()
            self._rate_steps = 0
            self.status_changed.emit("Training…")
        return True

    def _cmd_pause(self) -> bool:
        if self._playing:
            self._playing = False
            self._steps_per_second = 0.0
            self.status_changed.emit(f"Paused at step {self.trainer.steps:,}.")
        return True

    def _cmd_toggle(self) -> bool:
        return self._cmd_pause() if self._playing else self._cmd_play()

    def _cmd_step(self, n: int = 1) -> bool:
        from engine import threads
        if self._playing:
            self._cmd_pause()
        # on one core: the window is still drawing the last step or its losses on the other, and
        # a step split over both would wait for whichever core the window holds
        with threads.at_most(1):
            for _ in range(max(1, int(n))):
                self._last_result = self.trainer.step()
        self.status_changed.emit(f"Stepped to step {self.trainer.steps:,}.")
        return True

    def _cmd_train(self, n: int) -> bool:
        """Train n steps at once (the last one through step(), so its gradients can be shown)."""
        n = int(n)
        if n < 1:
            return False
        pieces = min(100, n)
        done = 0
        for i in range(1, pieces + 1):      # in pieces, so the loss curve gets its points
            todo = n * i // pieces - done - (1 if i == pieces else 0)
            if todo > 0:
                self.trainer.train(steps=todo)
                done += todo
            if i < pieces:
                ev = self._evaluate(force=True)      # a sample of big data sets, as while playing
                self._record_history(int(self.trainer.steps), *self._losses_of(ev))
        self._last_result = self.trainer.step()
        return True

    def _cmd_inspect(self, name: str, *args) -> bool:
        """Phase stepping and inspection (explorer/inspector.py); the view is always republished."""
        self.inspector.handle(self, name, *args)
        return True

    def _cmd_speed(self, steps_per_second) -> bool:
        self._speed = None if steps_per_second in (None, 0) else float(steps_per_second)
        return False

    def _cmd_reset(self) -> bool:
        self._state = self._state.replace(seed=self._state.seed + 1)
        self._build(self._state, keep_history=False, data=self.data)   # new weights; the data, drawn points too, stays
        self.state_applied.emit(self._state)
        self.status_changed.emit("Reset: new random weights, step 0.")
        return True

    def _cmd_new_state(self, state: AppState) -> bool:
        """Start over with a whole new AppState (File ▸ New, a preset)."""
        self._build(state, keep_history=False)
        self._playing = False
        self.state_applied.emit(self._state)
        self.status_changed.emit("New network ready.")
        return True

    def _cmd_save_session(self, path: str) -> bool:
        """Write the network, its training progress, the loss history and the data to a session file."""
        from .session import Session, save_session
        csv = self._state.dataset == "csv"
        data = None if self._state.is_image else (self._csv_data if csv else self.data)
        history = (self._hist_steps, self._hist_train, self._hist_test)
        session = Session(self._state, self.trainer.net.parameters, self.trainer.progress(), history, data,
                          tuple((m.step, m.text) for m in self._markers))
        try:
            save_session(path, session)
        except OSError as exc:
            self.session_error.emit(f"Could not save the session to {path}: {exc.strerror or exc}")
            return False
        self.status_changed.emit(f"Saved the session at step {self.trainer.steps:,} to {path}.")
        self.session_saved.emit(int(self.trainer.steps), self._arch_version, self._data_version)
        return False

    def _cmd_open_session(self, session) -> bool:
        """Continue a saved session: its settings, weights, optimizer state, loss curve and data.
        Image sets are read again from their files; when they are missing the current session stays."""
        from engine.datasets import DataError

        from .session import csv_inputs
        state = session.state
        csv = state.dataset == "csv"
        try:
            data = csv_inputs(state, session.data) if csv else session.data
            made = self._made(state, data)
            trainer = made[2]
            trainer.net.parameters[...] = session.parameters
            trainer.restore_progress(session.progress)
        except DataError:                # its image files are missing: data_error has said where to put them
            return False
        except ValueError as exc:        # a file that read well but does not fit together
            self.session_error.emit(f"This session file is damaged: {exc}")
            return False
        self._install(*made, keep_history=False)
        steps, train, test = session.history
        self._hist_steps = [int(s) for s in steps]
        self._hist_train, self._hist_test = [float(v) for v in train], [float(v) for v in test]
        self._hist_stride = max(1, int(np.max(np.diff(steps)))) if len(steps) > 1 else 1
        self._markers = [EditMarker(step, text) for step, text in session.markers]
        if csv:
            self._csv_data = session.data
        self._playing = False
        self.state_applied.emit(self._state)
        self.status_changed.emit(f"Opened the session at step {self.trainer.steps:,}.")
        return True

    def _cmd_hyper(self, changes: dict) -> bool:
        """Training settings: lr, optimizer, batch_size, regularization, reg_rate, momentum."""
        new = self._state.replace(**changes)
        tr = self.trainer
        if new.optimizer != tr.optimizer:
            tr.optimizer = new.optimizer
        if new.lr != tr.lr:
            tr.lr = new.lr
        if new.batch_size != tr.batch_size:
            tr.batch_size = new.batch_size
        if new.l1 != tr.l1:
            tr.l1 = new.l1
        if new.l2 != tr.l2:
            tr.l2 = new.l2
        if hasattr(tr, "momentum") and new.momentum != tr.momentum:
            tr.momentum = new.momentum
        self._state = new
        self.state_applied.emit(new)
        return True

    def _cmd_loss(self, loss: str) -> bool:
        """Change the loss; the output activation follows when the pair requires it."""
        new = self._state.replace(loss=loss, output=self._output_for(loss, self._state.output))
        self._set_output(new.output, new.loss)
        self._state = new
        self._mark(f"loss {loss}")
        self.state_applied.emit(new)
        return True

    @staticmethod
    def _output_for(loss, output):
        if loss == "bce":
            return "sigmoid"
        if loss == "cce":
            return "softmax"
        return "sigmoid" if output == "softmax" else output

    def _set_output(self, activation: str, loss: str) -> None:
        """Output activation and loss together, through the trainer when it offers it."""
        target = self.trainer if hasattr(self.trainer, "set_output") else self.trainer.net
        target.set_output(activation=activation, loss=loss)

    def _cmd_data(self, changes: dict) -> bool:
        """Dataset settings: dataset, n, noise, train_ratio, classes, data_seed, features."""
        new = self._state.with_data(**changes)
        data = self._make_data(new)
        old = self.data
        outputs_change = data.kind != old.kind or (data.kind == "multiclass" and data.n_classes != old.n_classes)
        if (data.image_shape != old.image_shape or new.dtype != self._state.dtype
                or (outputs_change and (data.image_shape is not None or data.d != old.d))):
            new = self._fit_output_to_data(new, data)
            # a new network counts its steps from 0: a new loss curve, not one drawn back over the old
            self._build(new, keep_history=False, data=data)
            self._mark(f"data {new.dataset} (new network)")
        elif outputs_change:
            # other classes on the same plane: the output layer follows (softmax for several
            # classes), every other weight is kept
            new = self._fit_batch(self._fit_output_to_data(new, data), data)
            self._set_data(data, output=new.output, loss=new.loss, batch_size=new.batch_size)
            self.data = data
            self._new_data_in_use()
            self._arch_version += 1
            self._mark(f"{data.n_classes or 2} classes")
            self._say_batch_note()
        else:
            new = self._fit_batch(new, data)
            self._set_data(data, batch_size=new.batch_size)
            self.data = data
            self._new_data_in_use()
            if tuple(new.features) != tuple(self._state.features):
                self._arch_version += 1
                self._mark("inputs " + ", ".join(new.features))
            self._say_batch_note()
        self._state = new
        self._input_images = None
        self.state_applied.emit(new)
        return True

    def _cmd_dataset(self, data) -> bool:
        """Replace the data with a Dataset (a CSV import). The network keeps its hidden layers and the
        weights of inputs with the same name; the output layer follows the data's kind and classes.
        Coming from image data, a new network is built."""
        from engine import datasets
        if not isinstance(data, datasets.Dataset):
            raise ValueError("the data must be an engine Dataset")
        on_plane = data.d == 2 and all(f in datasets.FEATURES for f in data.features)
        # a table of x1, x2 is seen through the playground features in use (x1, x2 when the
        # current data is another table, whose column names are not playground features)
        current = tuple(self._state.features)
        keep_current = on_plane and all(f in datasets.FEATURES for f in current)
        features = current if keep_current else tuple(data.features)
        hidden = tuple(min(h, 1024) for h in self._state.hidden)
        new = self._state.replace(dataset="csv", features=features, hidden=hidden,
                                  dtype="float64" if self._state.is_image else self._state.dtype)
        new = self._fit_batch(self._fit_output_to_data(new, data), data)
        batch_note = self._batch_note
        used = datasets.with_features(data, features) if on_plane else data
        if self.data.image_shape is not None or new.dtype != self._state.dtype:
            self._build(new, keep_history=False, data=used)        # a new network: a new loss curve
        else:
            out = (new.output, new.loss) if (new.output, new.loss) != (self._state.output, self._state.loss) else (None, None)
            self._set_data(used, output=out[0], loss=out[1], batch_size=new.batch_size)
            self.data = used
            self._state = new
            self._new_data_in_use()
            self._arch_version += 1
            self._input_images = None
            self._last_result = None
            self._batch_note = ""
        self._csv_data = data
        self._mark(f"data {data.name}")
        self.state_applied.emit(self._state)
        self.status_changed.emit(f"Data: {data.name}, {data.m_train} training and {data.m_test} test rows, "
                                 f"{data.d} input{'s' if data.d != 1 else ''} ({data.kind}). {batch_note}".strip())
        return True

    def _cmd_add_point(self, x: float, y: float, label) -> bool:
        """A point drawn on the plot joins the training data; the network and its training go on."""
        from .point_editor import add_point
        return self._use_data(add_point(self.data, x, y, label))

    def _cmd_remove_point(self, x: float, y: float, radius=None, parts=("train", "test")) -> bool:
        """The point of parts (the ones drawn) nearest to (x, y) leaves the data."""
        from .point_editor import remove_nearest
        return self._use_data(remove_nearest(self.data, x, y, radius, parts)[0])

    def _new_data_in_use(self) -> None:
        """After self.data changed with the network kept: a new data version for the views, and a
        comparison network that follows it, keeping its weights as the main one does (it starts
        again when it cannot), so the two still train on the same data step for step."""
        self._data_version += 1
        if self._compare is None:
            return
        data, cmp = self.data, self._compare_trainer
        if cmp is None or data.image_shape is not None or data.points_train is None:
            self._start_compare()
            return
        state = self._fit_output_to_data(self._compare[0], data)
        try:
            cmp.set_data(data, output=state.output, loss=state.loss)
        except ValueError:
            self._start_compare()

    def _use_data(self, data) -> bool:
        self.trainer.set_data(data)
        self.data = data
        if self._state.dataset == "csv":        # the imported table, as a session saves it, has the points too
            from engine import datasets
            self._csv_data = data if datasets.is_table(data) else datasets.with_features(data, self._csv_data.features)
        self._new_data_in_use()
        return True

    @staticmethod
    def _fit_output_to_data(state: AppState, data) -> AppState:
        if data.kind == "regression":
            return state.replace(output="linear", loss="mse")
        if data.kind == "multiclass":
            if state.output == "softmax" and state.classes == int(data.n_classes):
                return state
            return state.replace(output="softmax", loss="cce", classes=int(data.n_classes))
        if state.output == "softmax":
            return state.replace(output="sigmoid", loss="bce", classes=2)
        return state

    def _cmd_add_layer(self, index=None, size=None, activation=None) -> bool:
        new = self._state.with_layer_added(index, size, activation)
        index = len(self._state.hidden) if index is None else index
        self.trainer.insert_layer(index, new.hidden[index], new.activations[index])
        return self._arch_done(new, f"+ layer {index + 1}")

    def _cmd_remove_layer(self, index=None) -> bool:
        new = self._state.with_layer_removed(index)
        index = len(self._state.hidden) - 1 if index is None else index
        self.trainer.remove_layer(index)
        return self._arch_done(new, f"− layer {index + 1}")

    def _cmd_add_neuron(self, layer: int, count: int = 1) -> bool:
        new = self._state.with_neurons(layer, count)
        self.trainer.add_neurons(layer, count)
        return self._arch_done(new, f"+ neuron in layer {layer + 1}")

    def _cmd_remove_neuron(self, layer: int, j: int | None = None) -> bool:
        new = self._state.with_neurons(layer, -1)
        j = self._state.hidden[layer] - 1 if j is None else j
        self.trainer.remove_neuron(layer, j)
        return self._arch_done(new, f"− neuron in layer {layer + 1}")

    def _cmd_activation(self, layer: int, name: str) -> bool:
        new = self._state.with_activation(layer, name)
        if layer == len(self._state.hidden):
            self._set_output(new.output, new.loss)
        else:
            self.trainer.set_activation(layer, name)
        return self._arch_done(new, f"layer {layer + 1}: {name}")

    def _arch_done(self, new: AppState, text: str) -> bool:
        self._state = new
        self._arch_version += 1
        self._mark(text)
        self._last_result = None
        self.state_applied.emit(new)
        return True

    def _cmd_set_weight(self, l: int, j: int, k: int, value: float) -> bool:
        net = self.trainer.net
        value = self._checked_value(value)
        if not (0 <= l < net.n_layers and 0 <= j < net.weights[l].shape[0] and 0 <= k < net.weights[l].shape[1]):
            raise ValueError(f"no weight {param_symbol(l, j, k, 'W')} in this network")
        net.weights[l][j, k] = value
        self.status_changed.emit(f"{param_symbol(l, j, k, 'W')} set to {num(value)}; it takes effect at the next step.")
        return True

    def _cmd_set_bias(self, l: int, j: int, value: float) -> bool:
        net = self.trainer.net
        value = self._checked_value(value)
        if not (0 <= l < net.n_layers and 0 <= j < net.biases[l].shape[0]):
            raise ValueError(f"no bias {param_symbol(l, j, None, 'b')} in this network")
        net.biases[l][j, 0] = value
        self.status_changed.emit(f"{param_symbol(l, j, None, 'b')} set to {num(value)}; it takes effect at the next step.")
        return True

    @staticmethod
    def _checked_value(value) -> float:
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not a number") from None
        if not math.isfinite(v) or abs(v) > 1e6:
            raise ValueError("a parameter must be a finite number between −1e6 and 1e6")
        return v

    def _mark(self, text: str) -> None:
        self._markers.append(EditMarker(int(self.trainer.steps), text))

    # ------------------------------------------------------------------ building
    def _cmd_compare(self, state: AppState | None = None, title: str = "") -> bool:
        """Train a second network (state's layers, activations and optimizer) beside the main one,
        on the same data and step for step, so a lesson can show two networks side by side.
        None stops it."""
        self._compare = None if state is None else (state, str(title))
        self._compare_trainer = None
        if state is not None:
            self._start_compare()
        return True

    def _start_compare(self) -> None:
        from engine import Network, Trainer
        state, _title = self._compare
        data = self.data
        self._compare_note = ""
        if data is None or data.image_shape is not None or data.points_train is None:
            self._compare_trainer = None
            self._compare_note = "a comparison needs data on a 2-D plane"
            return
        s = self._fit_output_to_data(state, data)
        net = Network([data.d, *s.hidden, data.n_out], hidden="tanh", output=s.output, loss=s.loss,
                      init=s.init, seed=s.seed, dtype=np.dtype(self._state.dtype))
        for l, act in enumerate(s.activations):
            net.set_activation(l, act)
        self._compare_trainer = Trainer(net, data, optimizer=s.optimizer, lr=s.lr,
                                        batch_size=min(s.batch_size, data.m_train), l2=s.l2, l1=s.l1,
                                        seed=s.seed, momentum=s.momentum)
        self._compare_offset = int(self.trainer.steps)

    def _with_comparison(self, snap: Snapshot) -> Snapshot:
        """snap with the comparison network caught up to the main one's step and drawn the same way."""
        from engine import TrainingDiverged
        cmp = self._compare_trainer
        behind = int(self.trainer.steps) - self._compare_offset - cmp.steps
        if behind > 0 and not self._compare_note:
            try:
                cmp.train(steps=behind)
            except TrainingDiverged as exc:
                self._compare_note = str(exc)
        plane = self._plane(cmp.net, self.data)
        if plane is None:
            return snap
        ev = cmp.evaluate()
        train_loss, test_loss = self._losses_of(ev)
        other = replace(
            snap, step=int(cmp.steps), epoch=int(cmp.epoch), sizes=tuple(int(n) for n in cmp.net.sizes),
            activations=tuple(cmp.net.activations), weights=frozen_list(cmp.net.weights),
            biases=frozen_list(cmp.net.biases), grad_weights=(), grad_biases=(), mean_dz=(), mean_activations=(),
            weight_changes=(), bias_changes=(), optimizer_state={}, train_loss=train_loss, test_loss=test_loss,
            train_accuracy=ev["train_accuracy"], test_accuracy=ev["test_accuracy"],
            grid_output=frozen(np.asarray(plane.output, dtype=np.float32)),
            grid_activations=tuple(frozen(np.asarray(a, dtype=np.float32)) for a in plane.activations),
            compare=None)
        return replace(snap, compare=other, compare_title=self._compare[1], compare_note=self._compare_note)

    def _make_data(self, state: AppState):
        """The Dataset a state describes. Image sets are loaded once (engine.datasets.load) and kept;
        a missing MNIST folder raises DatasetNotFound, whose message says where to put the files."""
        from engine import datasets
        dtype = np.dtype(state.dtype)
        if state.dataset in datasets.IMAGE_DATASETS:
            key = (state.dataset, state.data_dir, state.dtype, state.train_ratio, state.data_seed)
            if key not in self._image_cache:
                self.status_changed.emit(f"Loading {state.dataset}…")
                try:
                    if state.dataset == "digits":
                        data = datasets.load("digits", train_ratio=state.train_ratio, seed=state.data_seed,
                                             dtype=dtype)
                    else:
                        data = datasets.load(state.dataset, data_dir=state.data_dir or None, dtype=dtype)
                except datasets.DataError as exc:      # the current network and data stay as they are
                    self.data_error.emit(str(exc))
                    raise
                self._image_cache = {key: data}          # keep one: MNIST is 200 MB in float32
            return self._image_cache[key]
        if state.dataset == "csv":
            if self._csv_data is None:
                raise ValueError("no CSV data imported yet: use File > Import CSV…")
            from .session import csv_inputs
            return csv_inputs(state, self._csv_data)
        return datasets.make(state.dataset, n=state.n, noise=state.noise, train_ratio=state.train_ratio,
                             seed=state.data_seed, features=state.features, classes=state.classes, dtype=dtype)

    def _build(self, state: AppState, keep_history: bool, data=None) -> None:
        """A new network and trainer for ``state`` (and ``data``). Everything is made before anything
        is replaced, so a refused state (ValueError) leaves the current session as it was."""
        self._install(*self._made(state, data), keep_history=keep_history)

    def _made(self, state: AppState, data=None):
        """(state, data, trainer) of a new network, made without touching the current one."""
        from engine import Network, Trainer
        if data is None:
            data = self._make_data(state)
        state = self._fit_batch(self._fit_output_to_data(state, data), data)
        self._ensure_kernels(state.dtype)
        net = Network([data.d, *state.hidden, data.n_out], hidden="tanh", output=state.output, loss=state.loss,
                      init=state.init, seed=state.seed, dtype=np.dtype(state.dtype))
        for l, act in enumerate(state.activations):
            if net.activations[l] != act:
                net.set_activation(l, act)
        trainer = Trainer(net, data, optimizer=state.optimizer, lr=state.lr, batch_size=state.batch_size,
                          l2=state.l2, l1=state.l1, seed=state.seed, momentum=state.momentum)
        return state, data, trainer

    def _install(self, state: AppState, data, trainer, keep_history: bool) -> None:
        """Make (state, data, trainer) the session the worker trains and shows."""
        self.data, self._state, self.trainer = data, state, trainer
        self._data_version += 1
        self._arch_version += 1
        self._input_images = None
        self._last_result = None
        self._image_results = None
        self._eval = None
        self._chunk = 1                 # a new network: size the chunks afresh (short for big ones)
        self._epoch_goal = None
        if self._compare is not None:
            self._start_compare()       # new data or new weights: the comparison starts again with them
        if not keep_history:
            self._markers = []
            self._hist_steps, self._hist_train, self._hist_test = [], [], []
            self._hist_stride = 1
        self._say_batch_note()

    def _fit_batch(self, state: AppState, data) -> AppState:
        """A mini-batch no larger than the training set (a small CSV after MNIST's 128). Changes
        nothing but the note that _say_batch_note gives once the new state is in use."""
        self._batch_note = ""
        if state.batch_size <= data.m_train:
            return state
        self._batch_note = (f"Batch size lowered from {state.batch_size} to {data.m_train}: "
                            f"{data.name} has {data.m_train} training samples.")
        return state.replace(batch_size=data.m_train)

    def _say_batch_note(self) -> None:
        """Tell the status bar about a lowered batch size, once the change that lowered it is made."""
        if self._batch_note:
            self.status_changed.emit(self._batch_note)
            self._batch_note = ""

    def _set_data(self, data, output=None, loss=None, batch_size=None) -> None:
        """trainer.set_data, with the batch size lowered first when the new data needs it; on a refusal
        the trainer is as it was."""
        tr = self.trainer
        old_batch = tr.batch_size
        if batch_size is not None and batch_size < old_batch:
            tr.batch_size = batch_size
        try:
            tr.set_data(data, output=output, loss=loss)
        except ValueError:
            tr.batch_size = old_batch
            raise

    # ------------------------------------------------------------------ playing
    def _play_chunk(self) -> None:
        from engine import TrainingDiverged
        tr = self.trainer
        k = self._chunk
        t0 = time.perf_counter()
        try:
            if self._speed is not None:
                k = 1
            if self._epoch_goal is not None:
                k = max(1, min(k, self.trainer.steps_until_epoch(self._epoch_goal)))
            if k > 1:
                tr.train(steps=k - 1)
            self._last_result = tr.step()
        except TrainingDiverged as exc:
            self._on_diverged(exc)
            self._publish(force=True)
            return
        dt = time.perf_counter() - t0
        self.play_steps += k
        self.play_seconds += dt
        self._rate_steps += k
        if self._speed is None:
            # adapt the chunk so one takes ~CHUNK_SECONDS
            if dt > 0:
                self._chunk = next_chunk(k, dt, self._big_data())
        now = time.perf_counter()
        if now - self._rate_t0 >= 0.5:
            self._steps_per_second = self._rate_steps / (now - self._rate_t0)
            self._rate_t0, self._rate_steps = now, 0
        if self._epoch_goal is not None and tr.epoch >= self._epoch_goal:
            self._playing = False
            self._steps_per_second = 0.0
            self._epoch_goal = None
            self.epochs_done.emit(int(tr.epoch))
            self.status_changed.emit(f"Trained {self._state.epochs} epoch{'s' if self._state.epochs != 1 else ''} "
                                     f"(epoch {tr.epoch}, step {tr.steps:,}); paused. Press Space for more.")
            self._publish(force=True)
            return
        self._publish(force=False)
        if self._speed is not None:
            # wait for the next step, but wake for a command at once
            wait = max(0.0, 1.0 / self._speed - (time.perf_counter() - t0))
            if wait > 0:
                try:
                    cmd = self._queue.get(timeout=wait)
                except queue.Empty:
                    return
                if cmd[0] == "quit":
                    self._quit = True
                elif self._apply(cmd):
                    self._publish(force=True)

    def _set_epoch_goal(self) -> None:
        """With state.epochs = E, Play trains to the end of the next multiple of E epochs, then pauses."""
        self._epoch_goal = epoch_goal(int(self.trainer.epoch), int(self._state.epochs))

    def _on_diverged(self, exc) -> None:
        self._playing = False
        self._steps_per_second = 0.0
        step = getattr(exc, "step", self.trainer.steps)
        largest = max(float(np.max(np.abs(w))) for w in self.trainer.net.weights)
        msg = (f"Training diverged at step {step:,}: its cost or a weight became infinite, so it paused before "
               f"that step's update, with the weights it started from (largest |w| {num(largest, 3)}). "
               f"Try a smaller learning rate, or restore the last good weights.")
        self._last_result = None            # its ∂J/∂w may be from steps ago (the failing step came in a chunk)
        self._mark("diverged")
        self.diverged.emit(msg)             # the window shows it as an error in the status bar

    # ------------------------------------------------------------------ snapshots
    @staticmethod
    def _extent_of(data):
        ext = getattr(data, "extent", None)
        if ext is not None:
            return tuple(float(v) for v in ext)
        pts = data.points_train if getattr(data, "points_train", None) is not None else data.X_train[:2]
        lo = pts.min(axis=1)
        hi = pts.max(axis=1)
        pad = 0.1 * (hi - lo + 1e-9)
        return (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1]))

    def _inputs_over_plane(self, xs, ys, features):
        key = (features, xs[0], xs[-1], ys[0], ys[-1], len(xs))
        if self._input_images is not None and self._grid_key == key:
            return self._input_images
        from engine import datasets
        gx, gy = np.meshgrid(xs, ys)
        pts = np.stack([gx.ravel(), gy.ravel()])
        fm = datasets.feature_matrix(pts, features)
        self._input_images = frozen(np.asarray(fm, dtype=np.float32).reshape(len(features), len(ys), len(xs)))
        self._grid_key = key
        return self._input_images

    def _publish(self, force: bool) -> None:
        now = time.perf_counter()
        if not force:
            last = getattr(self, "_last_publish", 0.0)
            if now - last < PUBLISH_INTERVAL:
                return
            if not self._taken and now - last < 0.25:
                return
        self._last_publish = now
        if force:
            self.inspector.refresh(self)
        # measuring big data sets takes longer than drawing a step: show the step first with the
        # last numbers, then the new numbers once the window has drawn it (see _drain)
        deferred = force and self._eval is not None and self._big_data()
        self._defer_eval = deferred
        snap = self._make_snapshot(force)
        self._defer_eval = False
        self._hand_over(snap)
        self._losses_pending = None
        if deferred and self._eval[0] != self._eval_key():
            self._losses_pending = (snap, time.perf_counter() + LOSSES_AFTER_DRAW)

    def _eval_key(self) -> tuple:
        return (int(self.trainer.steps), self._data_version, self._arch_version)

    def _wait_for_command(self) -> float:
        """How long a paused worker waits for a command before it has something else to do."""
        if self._losses_pending is None:
            return 0.25
        return max(0.0, self._losses_pending[1] - time.perf_counter())

    def _publish_pending_losses(self) -> None:
        """Measure the losses of the snapshot on screen and hand it over again with them; given up
        as soon as a command comes (it is applied first, and measured again after)."""
        snap, _ = self._losses_pending
        if self._eval[0] == self._eval_key() or snap.step != int(self.trainer.steps):
            self._losses_pending = None
            return
        refined = self._with_new_losses(snap, stop=lambda: not self._queue.empty())
        if refined is not None:
            self._losses_pending = None
            self._hand_over(refined)

    def _with_new_losses(self, snap: Snapshot, stop=None) -> Snapshot | None:
        """``snap`` again with the losses measured now, marked as refining it (None when ``stop``
        said to give up)."""
        ev = self._evaluate(force=True, stop=stop)
        if ev is None:
            return None
        train_loss, test_loss = self._losses_of(ev)
        self._record_history(int(self.trainer.steps), train_loss, test_loss)
        self._serial += 1
        return replace(
            snap, serial=self._serial, refines=snap.serial,
            train_loss=train_loss, test_loss=test_loss,
            train_accuracy=ev.get("train_accuracy"), test_accuracy=ev.get("test_accuracy"),
            eval_samples=int(ev.get("samples", 0)), **self._history_fields())

    def _history_fields(self) -> dict:
        return dict(history_steps=frozen(np.asarray(self._hist_steps, dtype=np.float64)),
                    history_train=frozen(np.asarray(self._hist_train, dtype=np.float64)),
                    history_test=frozen(np.asarray(self._hist_test, dtype=np.float64)))

    @staticmethod
    def _losses_of(ev: dict) -> tuple[float, float]:
        """(train, test) loss of an evaluation; NaN for a missing one."""
        nan = float("nan")
        test_loss = ev.get("test_loss")
        return float(ev.get("train_loss", nan)), float(test_loss) if test_loss is not None else nan

    def _hand_over(self, snap: Snapshot) -> None:
        with self._lock:
            self._latest = snap
            self._taken = False
        self.snapshot_published.emit()

    def _big_data(self) -> bool:
        data = self.data
        return self.trainer.net.n_params * (data.m_train + data.m_test) > BIG_EVAL_WORK

    def _record_history(self, step, train, test) -> None:
        if self._hist_steps and self._hist_steps[-1] == step:
            self._hist_train[-1], self._hist_test[-1] = train, test
            return
        if self._hist_steps and step - self._hist_steps[-1] < self._hist_stride and step > self._hist_steps[-1]:
            return
        self._hist_steps.append(step)
        self._hist_train.append(train)
        self._hist_test.append(test)
        if len(self._hist_steps) > MAX_HISTORY:
            self._hist_steps = self._hist_steps[::2]
            self._hist_train = self._hist_train[::2]
            self._hist_test = self._hist_test[::2]
            self._hist_stride *= 2

    def _evaluate(self, force: bool, stop=None) -> dict | None:
        """trainer.evaluate(); for big data on the first BIG_EVAL_SAMPLES samples of each set, and at
        most every BIG_EVAL_INTERVAL s while playing (the loss curve needs no more)."""
        tr, data = self.trainer, self.data
        big = self._big_data()
        now = time.perf_counter()
        key = self._eval_key()
        if self._eval is not None and (self._eval[0] == key or self._defer_eval):
            return self._eval[2]
        if big and not force and self._eval is not None and now - self._eval[1] < BIG_EVAL_INTERVAL:
            return self._eval[2]
        ev = tr.evaluate(max_samples=BIG_EVAL_SAMPLES if big else None, stop=stop)
        if ev is None:
            return None
        ev["samples"] = BIG_EVAL_SAMPLES if big and max(data.m_train, data.m_test) > BIG_EVAL_SAMPLES else 0
        self._eval = (key, now, ev)
        return ev

    def _plane(self, net, data):
        """What the views draw over the input plane, or None when the data has none (images, or a
        table without plot columns). A CSV with more than two inputs gets a slice through its two
        plot columns with the other inputs held at their training means."""
        from engine import datasets, grid
        if data.image_shape is not None or data.points_train is None:
            return None
        extent = self._extent_of(data)
        if all(f in datasets.FEATURES for f in data.features):
            g = grid.evaluate(net, data.features, extent, resolution=self.grid_resolution)
            xs, ys = np.asarray(g.xs), np.asarray(g.ys)
            return Plane(extent, xs, ys, g.output, g.activations, self._inputs_over_plane(xs, ys, tuple(data.features)))
        names = tuple(data.axis_names or ())
        if len(names) != 2 or any(n not in data.features for n in names):
            return None
        r = self.grid_resolution
        xs, ys, pts = grid.grid_points(extent, r)
        if self._means is None or self._means[0] != self._data_version:
            self._means = (self._data_version, frozen(np.asarray(data.X_train, dtype=np.float64).mean(axis=1)))
        means = self._means[1]
        a, b = data.features.index(names[0]), data.features.index(names[1])
        X = slice_inputs(means, data.features, names, pts)
        trace = net.forward(np.ascontiguousarray(X, dtype=net.dtype))
        layers = [np.asarray(A).reshape(A.shape[0], r, r) for A in trace.A[1:]]
        inputs = frozen(X.reshape(X.shape[0], r, r).astype(np.float32))
        others = [f for i, f in enumerate(data.features) if i not in (a, b)]
        held = ", ".join(f"{f} = {num(means[data.features.index(f)], 3)}" for f in others[:4])
        more = f" and {len(others) - 4} more" if len(others) > 4 else ""
        held_by = ("the other input held at its training mean" if len(others) == 1
                   else f"the other {len(others)} inputs held at their training means")
        note = f"2-D slice through {names[0]} and {names[1]}; {held_by} ({held}{more})"
        return Plane(extent, xs, ys, layers[-1], layers, inputs, note, means)

    def _curve(self, net, data):
        """The output over the one input of a table of one input column (which has no plane), or None."""
        from engine import datasets
        if not datasets.is_table(data) or data.d != 1:
            return None
        if self._curve_inputs is None or self._curve_inputs[0] != self._data_version:
            train = np.asarray(data.X_train[0], dtype=np.float64)
            test = None if data.X_test is None or not data.X_test.shape[1] else np.asarray(data.X_test[0], np.float64)
            every = train if test is None else np.concatenate([train, test])
            lo, hi = float(every.min()), float(every.max())
            pad = 0.05 * (hi - lo) if hi > lo else 1.0
            xs = np.linspace(lo - pad, hi + pad, CURVE_POINTS)
            self._curve_inputs = (self._data_version, frozen(xs), frozen(train), frozen(test))
        _version, xs, train, test = self._curve_inputs
        layers = tuple(frozen(np.asarray(A, np.float64))
                       for A in net.forward(np.ascontiguousarray(xs[None, :], dtype=net.dtype)).A[1:])
        return Curve(str(data.features[0]), xs, layers[-1], train, test, layers)

    def _results_for_images(self, force: bool):
        """compute_results on a page of test images, at most every IMAGE_RESULTS_INTERVAL s while playing."""
        data = self.data
        if data.image_shape is None or data.kind != "multiclass":
            return None
        now = time.perf_counter()
        r = self._image_results
        step = int(self.trainer.steps)
        if r is not None and not force and (r.step == step or
                                             self._playing and now - self._image_results_at < IMAGE_RESULTS_INTERVAL):
            return r
        from .views.image_views import compute_results
        self._image_results = compute_results(self.trainer.net, data, step, limit=min(IMAGE_PAGE, data.m_test))
        self._image_results_at = now
        return self._image_results

    def _make_snapshot(self, force: bool = True) -> Snapshot:
        with np.errstate(over="ignore"):    # a diverging run's huge values are drawn as ±inf
            return self._snapshot(force)

    def _snapshot(self, force: bool) -> Snapshot:
        tr, net, data = self.trainer, self.trainer.net, self.data
        ev = self._evaluate(force)
        train_loss, test_loss = self._losses_of(ev)
        self._record_history(int(tr.steps), train_loss, test_loss)
        plane = self._plane(net, data) or NO_PLANE
        curve = self._curve(net, data) if plane is NO_PLANE else None
        res = self._last_result
        grads_w = grads_b = mean_dz = mean_a = dw = db = ()
        batch_loss = None
        if res is not None and len(res.grads.dW) == net.n_layers and all(
                res.grads.dW[l].shape == net.weights[l].shape for l in range(net.n_layers)):
            grads_w = frozen_list(res.grads.dW)
            grads_b = frozen_list(res.grads.db)
            mean_dz = tuple(frozen(np.asarray(dz).mean(axis=1)) for dz in res.grads.dZ)
            if plane is NO_PLANE and curve is None:     # the graph draws these where it has no input to draw over
                mean_a = tuple(frozen(np.asarray(a).mean(axis=1)) for a in res.trace.A)
            dw = frozen_list(res.weight_changes)
            db = frozen_list(res.bias_changes)
            batch_loss = float(res.loss)
        opt = {}
        for name, entry in (tr.optimizer_state() or {}).items():
            if isinstance(entry, dict):
                opt[name] = {k: frozen_list(v) for k, v in entry.items() if isinstance(v, (list, tuple))}
        kind = getattr(data, "kind", "binary")
        if kind == "regression":
            lt = frozen(np.asarray(data.Y_train)[0])
            ls = frozen(np.asarray(data.Y_test)[0]) if data.Y_test is not None else None
        else:
            lt = frozen(getattr(data, "labels_train", None))
            ls = frozen(getattr(data, "labels_test", None))
        self._serial += 1
        snap = Snapshot(
            serial=self._serial, state=self._state, step=int(tr.steps), epoch=int(tr.epoch),
            playing=self._playing, steps_per_second=float(self._steps_per_second),
            sizes=tuple(int(s) for s in net.sizes), activations=tuple(net.activations),
            features=tuple(data.features),
            weights=frozen_list(net.weights), biases=frozen_list(net.biases),
            grad_weights=grads_w, grad_biases=grads_b, mean_dz=mean_dz, mean_activations=mean_a,
            weight_changes=dw, bias_changes=db, batch_loss=batch_loss, optimizer_state=opt,
            train_loss=train_loss, test_loss=test_loss,
            train_accuracy=ev.get("train_accuracy"), test_accuracy=ev.get("test_accuracy"),
            eval_samples=int(ev.get("samples", 0)),
            markers=tuple(self._markers),
            extent=plane.extent, grid_xs=frozen(plane.xs), grid_ys=frozen(plane.ys),
            grid_output=None if plane.output is None else frozen(np.asarray(plane.output, dtype=np.float32)),
            grid_activations=tuple(frozen(np.asarray(a, dtype=np.float32)) for a in plane.activations),
            input_images=plane.input_images, curve=curve,
            data_version=self._data_version, arch_version=self._arch_version,
            kind=kind, n_classes=int(getattr(data, "n_classes", 2) or 0),
            points_train=frozen(getattr(data, "points_train", None)),
            points_test=frozen(getattr(data, "points_test", None)),
            labels_train=lt, labels_test=ls,
            dataset_name=str(getattr(data, "name", "")),
            image_shape=None if data.image_shape is None else tuple(data.image_shape),
            class_names=tuple(getattr(data, "class_names", ()) or ()),
            axis_names=None if getattr(data, "axis_names", None) is None else tuple(data.axis_names),
            slice_note=plane.note, held_inputs=plane.held_inputs,
            image_results=self._results_for_images(force),
            steps_per_epoch=int(tr.steps_per_epoch), target_epochs=int(self._state.epochs),
            epoch_fraction=tr.samples_in_epoch / tr.m_train if tr.m_train else 0.0,
            m_train=int(data.m_train), m_test=int(data.m_test),
            **self._history_fields(),
        )
        if self._compare_trainer is not None:
            snap = self._with_comparison(snap)
        return snap
