"""The matrix product the compiled kernels call: Intel's MKL when it is installed, else SciPy's BLAS.

On the shapes of a big network's step (for 784-512-10: 256×784 by 784×128 on each core) MKL's
single-threaded sgemm runs about a quarter faster than the OpenBLAS that SciPy ships, and the
products are most of an epoch. The kernels split each product over the cores themselves
(engine.threads), so whichever library is used must run one thread per call there.

The kernels call two external symbols, ``backprop_sgemm`` and ``backprop_dgemm``, with the Fortran
BLAS interface that MKL and SciPy's ``cython_blas`` both provide. This module binds them to one
library's functions when the process starts. The compiled kernels refer only to the names, so
they stay in Numba's cache whichever library a later process finds.
"""

import ctypes
import importlib.metadata
import os

import llvmlite.binding as llvm
from numba.extending import get_cython_function_address

SCIPY_BLAS = "scipy.linalg.cython_blas"
MKL_SEQUENTIAL = 1        # MKL_THREADING_SEQUENTIAL of mkl_service.h
MKL_LP64 = 0              # MKL_INTERFACE_LP64


def _mkl_library_path():
    """Where the `mkl` package put its single dynamic library, or None when it is not installed."""
    try:
        files = importlib.metadata.files("mkl") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name.startswith(("libmkl_rt.so", "mkl_rt")) and not file.name.endswith(".lib"):
            path = file.locate()
            if os.path.exists(path):
                return str(path)
    return None


def _load_mkl_single_threaded():
    """MKL's (sgemm, dgemm) addresses, with MKL set to its single-threaded layer, or None."""
    if os.environ.get("BACKPROP_EXPLORER_BLAS", "").lower() == "scipy":
        return None
    path = _mkl_library_path()
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
        lib.MKL_Set_Threading_Layer.argtypes = [ctypes.c_int]
        lib.MKL_Set_Interface_Layer.argtypes = [ctypes.c_int]
        # the kernels pass 32-bit integers (LP64), whatever MKL_INTERFACE_LAYER says
        if lib.MKL_Set_Interface_Layer(MKL_LP64) != MKL_LP64:
            return None
        if lib.MKL_Set_Threading_Layer(MKL_SEQUENTIAL) != MKL_SEQUENTIAL or lib.MKL_Get_Max_Threads() != 1:
            return None                       # loaded earlier with threads of its own
        return ctypes.cast(lib.sgemm_, ctypes.c_void_p).value, ctypes.cast(lib.dgemm_, ctypes.c_void_p).value
    except (OSError, AttributeError):
        return None


def _scipy_blas():
    """SciPy's (sgemm, dgemm) addresses. engine.threads loads this library single-threaded first
    when the kernels are to split products over cores."""
    return (get_cython_function_address(SCIPY_BLAS, "sgemm"),
            get_cython_function_address(SCIPY_BLAS, "dgemm"))


def _bind(addresses):
    llvm.add_symbol("backprop_sgemm", addresses[0])
    llvm.add_symbol("backprop_dgemm", addresses[1])


def bind_mkl():
    """Point backprop_sgemm and backprop_dgemm at MKL's functions, run single-threaded, when MKL is
    installed. Returns whether it did.

    MKL's single-threaded layer is process-wide: the MKL built into PyTorch then runs on one core
    too, when both are in one process (engine.bench measures PyTorch in a process of its own). Its
    threaded layers are not fit here: their GNU OpenMP hangs in a forked child."""
    addresses = _load_mkl_single_threaded()
    if addresses is not None:
        _bind(addresses)
    return addresses is not None


def bind_scipy():
    """Point backprop_sgemm and backprop_dgemm at SciPy's functions."""
    _bind(_scipy_blas())


def mkl_installed():
    """Whether the `mkl` package is installed (whether the engine could load it is threads.BLAS)."""
    return _mkl_library_path() is not None
