"""engine.blas and kernels.matmul: the products the compiled kernels make, through whichever BLAS
(MKL or SciPy's) the process bound, for every operand layout the kernels pass."""
import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from engine import blas, kernels, threads

RNG = np.random.default_rng(3)


def operand(rows, cols, layout, dtype):
    """A rows×cols matrix stored by rows, by columns (a transposed view), or with gaps (strided)."""
    if layout == "rows":
        return RNG.standard_normal((rows, cols)).astype(dtype)
    if layout == "columns":
        return RNG.standard_normal((cols, rows)).astype(dtype).T
    return RNG.standard_normal((rows, 2 * cols)).astype(dtype)[:, ::2]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, k, n", [(5, 7, 3), (1, 7, 3), (5, 1, 3), (5, 7, 1), (64, 300, 130)])
def test_matmul_equals_numpy_for_every_layout_and_writes_only_its_block(dtype, m, k, n):
    for a_layout, b_layout in itertools.product(("rows", "columns", "strided"), repeat=2):
        A, B = operand(m, k, a_layout, dtype), operand(k, n, b_layout, dtype)
        around = np.full((m + 3, n + 4), 7.0, dtype)
        C = around[1:m + 1, 2:n + 2]                      # a block of a larger array, as the kernels pass
        kernels.matmul(A, B, C)
        tolerance = 1e-4 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(C, A.astype(np.float64) @ B, rtol=tolerance, atol=tolerance)
        untouched = np.ones(around.shape, bool)
        untouched[1:m + 1, 2:n + 2] = False
        assert (around[untouched] == 7.0).all(), (a_layout, b_layout)


def test_split_product_equals_numpy():
    A, B = operand(300, 200, "rows", np.float32), operand(200, 150, "columns", np.float32)
    C = np.empty((300, 150), np.float32)
    kernels.matmul_split(A, B, C, 2)
    np.testing.assert_allclose(C, A @ B, rtol=1e-4, atol=1e-4)


def test_the_bound_library_is_named():
    assert threads.BLAS in ("mkl", "scipy")
    if threads.BLAS == "mkl":
        assert blas.mkl_installed()


TRAIN = """
import json, numpy as np
from engine import Network, Trainer, threads
rng = np.random.default_rng(0)
X = rng.random((200, 300), dtype=np.float32)
labels = rng.integers(0, 10, 300)
net = Network([200, 128, 10], hidden="relu", output="softmax", loss="cce", seed=0, dtype=np.float32)
trainer = Trainer(net, (X, labels), optimizer="rmsprop", lr=1e-3, batch_size=64, seed=0)
trainer.train(steps=20)
print(json.dumps({"blas": threads.BLAS, "w": net.weights[0][:4, :4].tolist(), "loss": trainer.evaluate()["train_loss"]}))
"""


def train_with(library):
    env = dict(os.environ, BACKPROP_EXPLORER_BLAS=library)
    out = subprocess.run([sys.executable, "-c", TRAIN], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not blas.mkl_installed(), reason="MKL is not installed")
def test_training_through_mkl_matches_training_through_scipys_blas():
    with_mkl, with_scipy = train_with("mkl"), train_with("scipy")
    assert (with_mkl["blas"], with_scipy["blas"]) == ("mkl", "scipy")
    np.testing.assert_allclose(with_mkl["w"], with_scipy["w"], rtol=1e-4, atol=1e-6)
    assert with_mkl["loss"] == pytest.approx(with_scipy["loss"], rel=1e-4)


def test_the_bench_measures_pytorch_in_a_process_without_mkl():
    from engine.bench import blas_in_use, without_mkl
    if threads.BLAS == "mkl":
        assert without_mkl(os.getpid) != os.getpid()
        assert without_mkl(blas_in_use) == "scipy"
    else:
        assert without_mkl(os.getpid) == os.getpid()
