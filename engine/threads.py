"""How many blocks the compiled kernels split their large products and updates into, one per core,
and which library's matrix product they call (engine.blas).

A mini-batch step of a big network is a few matrix products plus passes over every parameter.
A BLAS with its own threads runs one product on both cores, but each product then waits for the
slower thread, and the passes between products run on one core. Splitting each product by rows and
each pass by ranges into one block per core, in a Numba parallel loop, keeps both cores busy through
the whole step: the 784-512-10 epoch takes about 20% less time.

That needs a BLAS that runs one thread per call. MKL, when installed, is set so when it is loaded
(engine.blas). Otherwise the kernels call SciPy's OpenBLAS, and two threads calling an OpenBLAS
whose own thread pool has started take about 20 times as long per product. OpenBLAS reads its
thread count once, when it is loaded, so this module loads it first, with OPENBLAS_NUM_THREADS=1
set for that moment only; NumPy's own OpenBLAS is a separate library and keeps its threads. When neither is
possible (SciPy's BLAS was loaded earlier, or Numba has no thread-safe threading layer), PARTS is 1
and the kernels call a multi-threaded BLAS.
"""

import ctypes
import importlib
import os
import sys
import threading
from contextlib import contextmanager

import numba

from . import blas

BLAS_MODULE = blas.SCIPY_BLAS


def _load_blas_single_threaded():
    """Load SciPy's BLAS with one thread, unless something loaded it already."""
    if BLAS_MODULE in sys.modules:
        return
    saved = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        importlib.import_module(BLAS_MODULE)
    finally:
        if saved is None:
            del os.environ["OPENBLAS_NUM_THREADS"]
        else:
            os.environ["OPENBLAS_NUM_THREADS"] = saved


def blas_threads():
    """The thread count of the OpenBLAS that SciPy (and so Numba) uses; None when not found."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    for pool in threadpool_info():
        if pool.get("internal_api") == "openblas" and "scipy" in os.path.basename(os.path.dirname(pool["filepath"])):
            return pool["num_threads"]
    return None


def _start_threads():
    """Start Numba's threading layer and return its name (None when none could start).

    Only TBB and OpenMP are of use here: the fallback, workqueue, is slower than running serially
    and aborts when two threads start parallel work at once. The OpenMP layer turns on nested
    parallelism when it starts (omp_set_nested(1), in the calling thread), in the GNU OpenMP
    runtime that every library of the process using it shares; PyTorch, whose parallel loops call
    MKL's, then ran 4 times slower, with 4 threads on 2 cores. The engine never nests, so it turns
    nesting off again.

    OpenMP is tried before TBB (which MKL brings along): the 784-512-10 epoch is 7% faster with it."""
    if numba.config.THREADING_LAYER == "default" and "NUMBA_THREADING_LAYER_PRIORITY" not in os.environ:
        numba.config.THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]
    try:
        numba.get_num_threads()
        layer = numba.threading_layer()
    except ValueError:
        return None
    if layer == "omp":
        try:
            ctypes.CDLL("libgomp.so.1").omp_set_max_active_levels(1)
        except (OSError, AttributeError):
            pass
    return layer


def _parts_and_blas():
    """(blocks per large product, the BLAS the kernels call: "mkl" or "scipy")."""
    cores = numba.config.NUMBA_NUM_THREADS
    if cores < 2:
        return 1, ("mkl" if blas.bind_mkl() else _scipy(single_threaded=False))
    if _start_threads() not in ("omp", "tbb"):
        # no splitting: the products had better use a BLAS with threads of its own
        return 1, _scipy(single_threaded=False)
    if blas.bind_mkl():
        return cores, "mkl"
    _scipy(single_threaded=True)
    return (cores if blas_threads() == 1 else 1), "scipy"


def _scipy(single_threaded):
    if single_threaded:
        _load_blas_single_threaded()
    blas.bind_scipy()
    return "scipy"


# Blocks per large product or pass: the number of cores, or 1 when splitting is not possible;
# and which library's matrix product the kernels call (engine.blas).
PARTS, BLAS = _parts_and_blas()


def _serial_in_child():
    """A forked child must not start parallel work: GNU OpenMP is not fork-safe, and Numba ends a
    child that tries. (Read through parts() at every call, so this takes effect everywhere.)"""
    global PARTS
    PARTS = 1


if PARTS > 1 and hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_serial_in_child)


_limit = threading.local()


def parts():
    """Blocks to split large work into, for work started on this thread: PARTS, or fewer inside
    ``at_most(n)``."""
    limit = getattr(_limit, "cores", None)
    return PARTS if limit is None else min(PARTS, limit)


@contextmanager
def at_most(cores):
    """Within the block, work started on this thread uses at most ``cores`` cores: an app keeps a
    core free for drawing while it steps or measures a big network. Other threads are unaffected."""
    if isinstance(cores, bool) or not isinstance(cores, int) or cores < 1:
        raise ValueError(f"cores must be a whole number ≥ 1, got {cores!r}")
    previous = getattr(_limit, "cores", None)
    _limit.cores = cores
    try:
        yield
    finally:
        _limit.cores = previous
