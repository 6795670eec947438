"""The worker-side half of phase stepping and the math panel (no Qt here).

The training worker owns the Trainer; it hands phase and inspection commands to an Inspector,
which walks ``trainer.phases()`` one phase at a time and, after every command, publishes an
immutable :class:`InspectView` of copies: the current phase with its arrays, and for the selected
weight its chain rule, finite-difference check, next update and cost slice. All of those numbers
come from engine.inspect; nothing here re-does the maths.

Commands (``worker.post("inspect", name, *args)``):

* ``next`` / ``previous``: walk the phases of one step. ``previous`` revisits a phase already
  computed in this pass (an update once applied is not undone).
* ``step``: one step of the chosen granularity (``sample``: a batch of 1, ``batch``, ``epoch``).
* ``granularity`` name; ``select`` kind, layer, j, k; ``sample`` s; ``second`` layer, j, k (or None).
* ``refresh``: recompute the view (after an edit elsewhere).
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

GRANULARITIES = ("sample", "batch", "epoch")
PHASE_KINDS = ("affine", "activation", "cost", "backward", "update")
SLICE_POINTS = 81


def _frozen(a):
    if a is None:
        return None
    if isinstance(a, (float, int, np.floating, np.integer)):
        return float(a)
    out = np.array(a, dtype=np.float64 if np.asarray(a).dtype.kind == "f" else None, copy=True)
    out.setflags(write=False)
    return out


def phase_plan(n_layers: int) -> list[tuple[str, int | None]]:
    """(kind, layer) of every phase of one step, in order, as Trainer.phases yields them."""
    plan = []
    for n in range(1, n_layers + 1):
        plan += [("affine", n), ("activation", n)]
    plan.append(("cost", None))
    plan += [("backward", n) for n in range(n_layers, 0, -1)]
    plan.append(("update", None))
    return plan


@dataclass(frozen=True)
class PhaseInfo:
    kind: str
    layer: int | None           # 1-based as on screen
    label: str
    index: int                  # position in phase_plan
    arrays: dict                # frozen copies (numbers for scalars)


@dataclass(frozen=True)
class SliceInfo:
    """The cost over one weight, every other parameter fixed, on the batch of the chain rule."""
    values: np.ndarray
    costs: np.ndarray
    w: float
    cost: float
    slope: float
    new_w: float
    new_cost: float


@dataclass(frozen=True)
class InspectView:
    serial: int
    step: int
    granularity: str
    sizes: tuple
    activations: tuple
    loss: str
    optimizer: str
    settings: dict              # engine.inspect.optimizer_settings: the optimizer's hyperparameters, l1, l2
    plan: tuple                 # phase_plan(L)
    phase: PhaseInfo | None     # None when no pass is in progress
    furthest: int               # index of the furthest phase computed in this pass (-1: none)
    batch_indices: np.ndarray | None
    batch_source: str           # what batch the chain rule is computed on, in words
    selection: tuple | None     # (kind, layer0, j, k)
    sample: int
    chain: object = None        # engine.inspect.ChainRule
    fd: object = None           # engine.inspect.FiniteDifference
    update: object = None       # engine.inspect.UpdatePreview
    update_applied: bool = False  # the update shown is the one this pass applied (else the next one)
    slice: SliceInfo | None = None
    second: tuple | None = None
    second_value: float | None = None
    surface: dict | None = None
    gradient_norms: np.ndarray | None = None
    error: str = ""
    phases: tuple = ()          # the PhaseInfo of every phase computed in this pass, in order

    @property
    def reviewing(self) -> bool:
        return self.phase is not None and self.phase.index < self.furthest

    def gradients_so_far(self) -> dict | None:
        """{layer (0-based): (dW, db, mean dZ over the batch)} of the backward phases this pass has
        computed up to the phase shown, for the node graph; None when no pass is in progress or its
        update is done (the step's gradients are then the snapshot's)."""
        if self.phase is None or self.phase.kind == "update":
            return None
        done = {}
        for p in self.phases[:self.phase.index + 1]:
            if p.kind == "backward":
                done[p.layer - 1] = (p.arrays["dW"], p.arrays["db"], _frozen(np.asarray(p.arrays["dZ"]).mean(axis=1)))
        return done


class Inspector:
    """Phase walking and inspection for one TrainingWorker; called on the worker's thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._latest: InspectView | None = None
        self._serial = 0
        self.granularity = "batch"
        self.selection: tuple | None = None
        self.second: tuple | None = None
        self.sample = 0
        self._fresh = False
        self._reset_pass()

    # ----------------------------------------------------------------- thread-safe read
    def latest(self) -> InspectView | None:
        with self._lock:
            return self._latest

    # ----------------------------------------------------------------- pass bookkeeping
    def _reset_pass(self):
        self._gen = None
        self._phases: list[PhaseInfo] = []
        self._raw = []                 # the engine's Phase objects of this pass
        self._pass_batch = None
        self._pass_words = "this pass's mini-batch"
        self._index = -1
        self._key = None
        self._update_record = None     # (optimizer, settings, lr, state before, state after, t) of this pass's update

    def _key_of(self, worker):
        tr = worker.trainer
        return (id(tr), id(tr.net), getattr(worker, "_arch_version", 0), getattr(worker, "_data_version", 0),
                tr.steps, tuple(tr.net.activations), tr.net.loss_name)

    def _check_pass(self, worker):
        """Drop a pass that another command made stale (a step, an edit, new data)."""
        if self._gen is not None and self._key != self._key_of(worker):
            self._gen.close()
            self._reset_pass()
        elif self._gen is None and self._phases and self._phases[-1].kind == "update" \
                and self._key is not None and self._key[:4] != self._key_of(worker)[:4]:
            self._reset_pass()

    # ----------------------------------------------------------------- commands
    def handle(self, worker, name: str, *args) -> bool:
        """Apply one command; publish a new view. True when the trainer changed."""
        if worker.trainer is None:
            return False
        self._check_pass(worker)
        changed = False
        error = ""
        try:
            if name == "next":
                changed = self._next(worker)
            elif name == "previous":
                if self._index > 0:
                    self._index -= 1
            elif name == "step":
                changed = self._step(worker)
            elif name == "granularity":
                if args[0] not in GRANULARITIES:
                    raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}")
                self.granularity = args[0]
            elif name == "select":
                kind, layer, j, k = args
                self.selection = (kind, int(layer), int(j), int(k)) if kind in ("weight", "bias") else None
            elif name == "sample":
                self._choose_sample(worker, args[0])
            elif name == "second":
                self.second = None if not args or args[0] is None else tuple(int(a) for a in args[:3])
            elif name == "refresh":
                pass
            elif name == "preset":
                from .presets import apply_preset
                if self._gen is not None:
                    self._gen.close()
                self._reset_pass()
                apply_preset(worker, args[0])
                self.selection = self.second = None
                changed = True
            elif name == "restore":
                changed = self._restore(worker, *args)
            else:
                raise ValueError(f"unknown inspect command {name!r}")
        except ValueError as exc:
            error = str(exc)
        self.publish(worker, error)
        self._fresh = True
        return changed

    def trainer_changed(self) -> None:
        """Another command came after the last inspect command: its view may be out of date."""
        self._fresh = False

    def refresh(self, worker) -> None:
        """After another command changed the trainer: drop a stale pass, recompute the view."""
        if self._fresh:
            self._fresh = False
            return
        if worker.trainer is not None:
            self._check_pass(worker)
            self.publish(worker)

    def _restore(self, worker, weights, biases, *_):
        """Put back weights saved from an earlier snapshot (after training diverged)."""
        net = worker.trainer.net
        if len(weights) != net.n_layers or any(np.shape(w) != v.shape for w, v in zip(weights, net.weights)):
            raise ValueError("the saved weights no longer fit the network (its shape changed)")
        for l in range(net.n_layers):
            net.weights[l][...] = weights[l]
            net.biases[l][...] = biases[l]
        # the velocity or running averages grew with the divergence: kept, they would throw the
        # restored weights straight back out, whatever the new learning rate
        worker.trainer.reset_optimizer_state()
        worker._last_result = None
        worker._eval = None                  # the losses shown are measured again, on these weights
        if hasattr(worker, "status_changed"):
            worker.status_changed.emit("Restored the last good weights; the optimizer starts afresh.")
        return True

    def _next(self, worker) -> bool:
        if self._index < len(self._phases) - 1:            # walking forward again after Previous
            self._index += 1
            return False
        if self._gen is None:
            self._start(worker)
            return False
        return self._pull(worker)

    def _start(self, worker):
        tr = worker.trainer
        if getattr(worker, "_playing", False) and hasattr(worker, "_cmd_pause"):
            worker._cmd_pause()
        self._reset_pass()
        if self.granularity == "epoch":            # run the epoch up to its last mini-batch, then walk that one
            left = tr.steps_until_epoch(tr.epoch + 1)
            if left > 1:
                tr.train(steps=left - 1)
            self._pass_words = "this epoch's last mini-batch"
        saved = tr.batch_size
        if self.granularity == "sample":
            tr.batch_size = 1
        try:
            self._pass_batch = tr.peek_batch()         # the batch phases() is about to take
            self._gen = tr.phases()
            self._key = self._key_of(worker)
            self._pull(worker, first=True)
        finally:
            tr.batch_size = saved              # the batch is taken by the first phase

    def _choose_sample(self, worker, sample) -> None:
        """The sample (0-based column of the batch) whose chain rule is shown."""
        m = self._batch_for_chain(worker)[1].shape[1]
        if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or not 0 <= sample < m:
            shown = sample + 1 if isinstance(sample, (int, np.integer)) and not isinstance(sample, bool) else sample
            raise ValueError(f"sample {shown} refused: the batch has {m} sample{'s' if m != 1 else ''}, "
                             f"choose 1 to {m}")
        self.sample = int(sample)

    def _pull(self, worker, first=False) -> bool:
        from engine import TrainingDiverged
        from engine import inspect
        tr = worker.trainer
        before = None
        if len(self._phases) == len(phase_plan(tr.net.n_layers)) - 1:        # the update comes next
            before = (tr.optimizer, inspect.optimizer_settings(tr), tr.lr, _state_copy(tr), tr.updates_done + 1)
        try:
            phase = next(self._gen)
        except StopIteration:
            self._gen = None
            return False
        except TrainingDiverged:
            self._gen = None
            raise
        self._raw.append(phase)
        idx = len(self._phases)
        arrays = {}
        for key, value in phase.arrays.items():
            if key in ("result", "grads"):
                continue
            if isinstance(value, str):
                arrays[key] = value
            elif isinstance(value, list):
                arrays[key] = tuple(_frozen(v) for v in value)
            else:
                arrays[key] = _frozen(value)
        if phase.kind == "cost":
            arrays["regularisation"] = inspect.regularisation_cost(tr.net.weights, tr.l1, tr.l2)
        if phase.kind == "update" and before is not None:
            self._update_record = before[:4] + (_state_copy(tr), before[4])
        self._phases.append(PhaseInfo(phase.kind, phase.layer, phase.label, idx, arrays))
        self._index = idx
        if phase.kind == "update":
            worker._last_result = phase.arrays["result"]
            self._gen = None
            self._key = self._key_of(worker)
            return True
        self._key = self._key_of(worker)
        return False

    def _step(self, worker) -> bool:
        tr = worker.trainer
        if getattr(worker, "_playing", False) and hasattr(worker, "_cmd_pause"):
            worker._cmd_pause()
        if self._gen is not None:
            self._gen.close()
        self._reset_pass()
        if self.granularity == "sample":
            saved = tr.batch_size
            tr.batch_size = 1
            try:
                worker._last_result = tr.step()
            finally:
                tr.batch_size = saved
        elif self.granularity == "batch":
            worker._last_result = tr.step()
        else:
            left = tr.steps_until_epoch(tr.epoch + 1)
            if left > 1:
                tr.train(steps=left - 1)
            worker._last_result = tr.step()
        return True

    # ----------------------------------------------------------------- the view
    def _batch_for_chain(self, worker):
        """(net, X, Y, trace, indices, words, grads): the batch the math panel explains."""
        tr = worker.trainer
        net = tr.net
        if self._raw:
            first = self._raw[0]
            cost = next((p for p in self._raw if p.kind == "cost"), None)
            update = self._raw[-1] if self._raw[-1].kind == "update" else None
            if update is not None:
                res = update.arrays["result"]
                work = net.copy()
                for l in range(work.n_layers):
                    work.weights[l][...] = update.arrays["old_weights"][l]
                    work.biases[l][...] = update.arrays["old_biases"][l]
                return (work, res.X, res.Y, res.trace, res.indices,
                        f"the mini-batch of step {res.step} (weights before its update)", res.grads)
            X = first.arrays["A_prev"]
            words = self._pass_words
            if cost is not None:
                Y, idx = cost.arrays["Y"], cost.arrays["indices"]
                return net, X, Y, net.forward(X), idx, words, None
            if self._pass_batch is not None:
                idx, X, Y = self._pass_batch
                return net, X, Y, net.forward(X), idx, words, None
        idx, X, Y = tr.peek_batch()
        return net, X, Y, net.forward(X), idx, "the next mini-batch", None

    def publish(self, worker, error: str = "") -> None:
        # a diverging network's numbers overflow here; the views say so rather than the console
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self._publish(worker, error)

    def _publish(self, worker, error: str) -> None:
        from engine import inspect
        tr = worker.trainer
        net = tr.net
        phase = self._phases[self._index] if 0 <= self._index < len(self._phases) else None
        L = net.n_layers
        chain = fd = upd = sl = surface = norms = None
        applied = False
        second_value = None
        idx = None
        words = ""
        sample = self.sample
        selection = self.selection
        if selection is not None:
            kind, l, j, k = selection
            if not (0 <= l < L and 0 <= j < net.sizes[l + 1] and (kind == "bias" or 0 <= k < net.sizes[l])):
                selection = self.selection = None
        second = self.second
        if second is not None:
            l2, j2, k2 = second
            if not (0 <= l2 < L and 0 <= j2 < net.sizes[l2 + 1] and 0 <= k2 < net.sizes[l2]):
                second = self.second = None
        try:
            w_net, X, Y, trace, idx, words, grads = self._batch_for_chain(worker)
            m = X.shape[1]
            sample = min(self.sample, m - 1)
            if grads is None:
                grads = w_net.backward(trace, Y)
            norms = inspect.gradient_norms(grads)
            if selection is not None:
                kind, l, j, k = selection
                param = "W" if kind == "weight" else "b"
                k = k if param == "W" else 0
                chain = inspect.chain_rule(w_net, trace, Y, l, j, k, sample, param=param)
                fd = inspect.finite_difference(w_net, X, Y, l, j, k, param=param)
                if w_net is net:
                    upd = inspect.update_preview(tr, l, j, k, grads=grads, param=param)
                else:
                    upd = self._applied_update(self._raw[-1], l, j, k, param, chain)
                    applied = True
                w = chain.value
                span = max(1.0, 2.0 * abs(w), 3.0 * abs(upd.new_w - w))
                values = np.linspace(w - span, w + span, SLICE_POINTS)
                values[SLICE_POINTS // 2] = w
                costs = inspect.cost_slice(w_net, X, Y, l, j, k, values, param=param)
                J = w_net.loss(trace, Y)
                new_cost = float(inspect.cost_slice(w_net, X, Y, l, j, k, [upd.new_w], param=param)[0])
                sl = SliceInfo(_frozen(values), _frozen(costs), w, J, chain.engine_value, upd.new_w, new_cost)
                if second is not None and param == "W" and second != (l, j, k):
                    l2, j2, k2 = second
                    w2 = float(w_net.weights[l2][j2, k2])
                    span2 = max(1.0, 2.0 * abs(w2))
                    v1 = np.linspace(w - span, w + span, 41)
                    v2 = np.linspace(w2 - span2, w2 + span2, 41)
                    surface = {"values1": _frozen(v1), "values2": _frozen(v2),
                               "costs": _frozen(inspect.cost_surface(w_net, X, Y, (l, j, k), (l2, j2, k2), v1, v2))}
                    second_value = w2
        except ValueError as exc:
            error = error or str(exc)
        self._serial += 1
        view = InspectView(
            serial=self._serial, step=int(tr.steps), granularity=self.granularity,
            sizes=tuple(net.sizes), activations=tuple(net.activations), loss=net.loss_name,
            optimizer=tr.optimizer, settings=inspect.optimizer_settings(tr),
            plan=tuple(phase_plan(L)), phase=phase, furthest=len(self._phases) - 1,
            batch_indices=_frozen(idx) if idx is not None else None, batch_source=words,
            selection=selection, sample=sample, chain=chain, fd=fd, update=upd,
            update_applied=applied, slice=sl,
            second=second, second_value=second_value, surface=surface,
            gradient_norms=_frozen(norms) if norms is not None else None, error=error,
            phases=tuple(self._phases))
        with self._lock:
            self._latest = view

    def _applied_update(self, phase_update, l, j, k, param, chain):
        """The update already applied in this pass, with the state and settings it was made with."""
        from engine import inspect
        a = phase_update.arrays
        which = "weights" if param == "W" else "biases"
        old = a["old_" + which][l][j, k]
        new = a[which][l][j, k]
        if self._update_record is None:
            raise ValueError("the optimizer state of this update was not recorded")
        optimizer, settings, lr, before, after, t = self._update_record
        return inspect.describe_update(optimizer, lr, settings, l, j, k, old, chain.engine_value,
                                       {n: v[which][l][j, k] for n, v in before.items()},
                                       {n: v[which][l][j, k] for n, v in after.items()}, new, t, param)


def _state_copy(tr) -> dict:
    """A copy of the optimizer's state: name -> {"weights": [...], "biases": [...]}."""
    return {name: {part: [a.copy() for a in arrays[part]] for part in ("weights", "biases")}
            for name, arrays in tr.optimizer_state().items()}


def is_finite_view(view: InspectView) -> bool:
    return view is not None and (view.slice is None or math.isfinite(view.slice.cost))
