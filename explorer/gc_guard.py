"""Keep Python's cycle collector on the GUI thread while a training thread runs.

The collector runs in whichever thread happens to be allocating when its count is reached. If that
is the training thread and the garbage holds Qt widgets (a closed view whose signals close a
reference cycle), Qt destroys them there, off the GUI thread. That crashes, or deadlocks: the
destroying thread holds Qt's connection lock and waits for the GIL, while the GUI thread holds the
GIL and waits for that lock. So while any training thread runs, automatic collection is off and the
window collects on a timer in the GUI thread (collect_if_due), with the collector's own thresholds.
"""
from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_holders = 0


def hold() -> None:
    """A training thread is about to start: no automatic collection until release()."""
    global _holders
    with _lock:
        if _holders == 0:
            gc.disable()
        _holders += 1


def release() -> None:
    """A training thread has ended; automatic collection resumes when none is left."""
    global _holders
    with _lock:
        _holders = max(0, _holders - 1)
        if _holders == 0:
            gc.enable()


def collect_if_due() -> int:
    """Collect the generations whose counts passed their thresholds, as the automatic collector
    would have; call it from the GUI thread. Returns the number of unreachable objects found."""
    thresholds = gc.get_threshold()
    counts = gc.get_count()
    oldest = -1                       # collecting a generation collects the younger ones with it
    for generation in range(3):
        if counts[generation] <= thresholds[generation]:
            break
        oldest = generation
    return gc.collect(oldest) if oldest >= 0 else 0


def freeze_long_lived() -> None:
    """Collect once, then set every object alive now out of the collector's sight: the modules,
    compiled kernels and views made at start-up live as long as the app, and a full collection
    that looked at all of them took about 60 ms of the GUI thread. Later collections look only at
    objects made since. Call it once, from the GUI thread, when start-up is over."""
    gc.collect()
    gc.freeze()
