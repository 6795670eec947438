"""Large products and passes split into one block per core: the same numbers as one block, the
BLAS set up for it, and the fallback when it cannot be."""
import ctypes.util
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from engine import Network, Trainer, TrainingDiverged, blas, kernels, threads

RNG = np.random.default_rng(0)


def random(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def test_blocks_split_only_large_work_and_cover_every_row():
    assert kernels.blocks(2, 512, kernels.PARALLEL_MIN_MACS - 1, kernels.PARALLEL_MIN_MACS) == 1
    assert kernels.blocks(2, 512, kernels.PARALLEL_MIN_MACS, kernels.PARALLEL_MIN_MACS) == 2
    assert kernels.blocks(1, 512, 10 ** 9, kernels.PARALLEL_MIN_MACS) == 1
    assert kernels.blocks(8, 64, 10 ** 9, kernels.PARALLEL_MIN_MACS) == 2     # at least 32 rows each
    for rows, n in ((512, 2), (7, 3), (1000, 7)):
        edges = [kernels.block(rows, n, p) for p in range(n)]
        assert edges[0][0] == 0 and edges[-1][1] == rows
        assert all(hi == lo for (_, hi), (lo, _) in zip(edges, edges[1:]))


# A block's product may add its 784 terms in another order than the whole product does (MKL picks
# its kernels by size): float32 sums of that many terms then differ in their last digits.
PRODUCT_TOLERANCE = dict(rtol=1e-5, atol=2e-4)


def test_split_products_equal_one_block():
    W, b, X = random(512, 784), random(512, 1), random(64, 784)
    Z1, Z2 = (np.empty((512, 64), np.float32) for _ in range(2))
    kernels.affine(W, b, X.T, Z1, 1)
    kernels.affine(W, b, X.T, Z2, 2)
    np.testing.assert_allclose(Z2, Z1, **PRODUCT_TOLERANCE)

    dZ = random(512, 64)
    dW1, dW2 = np.empty_like(W), np.empty_like(W)
    db1, db2 = np.empty_like(b), np.empty_like(b)
    sums = [kernels.weight_grads(dZ, X, dW1, db1, 0.5, 1), kernels.weight_grads(dZ, X, dW2, db2, 0.5, 2)]
    np.testing.assert_allclose(dW2, dW1, **PRODUCT_TOLERANCE)
    np.testing.assert_allclose(db2, db1, **PRODUCT_TOLERANCE)
    # and each returns Σ|dW| + Σ|db|, which says whether a gradient is NaN
    expected = np.abs(dW1).sum(dtype=np.float64) + np.abs(db1).sum(dtype=np.float64)
    assert sums == pytest.approx([expected, expected], rel=1e-4)
    dZ[300, 7] = np.nan
    assert np.isnan(kernels.weight_grads(dZ, X, dW1, db1, 0.5, 1))
    assert np.isnan(kernels.weight_grads(dZ, X, dW2, db2, 0.5, 2))
    dZ[300, 7] = 0.0

    # the error sent back through W (512 × 784), split by W's columns, and in the same pass the
    # weight gradients of the layer below (784 × 30, from its 30 inputs)
    Z_prev = random(784, 64)
    A_prev = np.maximum(Z_prev, 0)
    A_below = random(30, 64)
    results = []
    for parts in (1, 2):
        out, dW_below, db_below = np.empty((784, 64), np.float32), np.empty((784, 30), np.float32), np.empty((784, 1), np.float32)
        total = kernels.error_and_grads_below(W, dZ, Z_prev, A_prev, kernels.RELU, out, A_below.T, dW_below, db_below,
                                              0.5, parts)
        results.append((out, dW_below, db_below, total))
    for one, split in zip(results[0], results[1]):
        np.testing.assert_allclose(split, one, **PRODUCT_TOLERANCE)
    out, dW_below, db_below, _ = results[1]
    np.testing.assert_allclose(out, (W.T @ dZ) * (Z_prev > 0), **PRODUCT_TOLERANCE)
    np.testing.assert_allclose(dW_below, 0.5 * out @ A_below.T, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(db_below[:, 0], 0.5 * out.sum(axis=1), rtol=1e-4, atol=1e-3)


def test_split_gather_and_sums_equal_one_block():
    X_rows, idx = random(1000, 784), RNG.permutation(1000)[:128].astype(np.int64)
    XT1, XT2 = np.empty((784, 128), np.float32), np.empty((784, 128), np.float32)
    kernels.gather_columns(X_rows, idx, XT1, 1)
    kernels.gather_columns(X_rows, idx, XT2, 2)
    np.testing.assert_array_equal(XT2, X_rows[idx].T)
    np.testing.assert_array_equal(XT1, XT2)
    x = random(300_000, dtype=np.float64)
    assert kernels.abs_sum_parts(x, 2) == pytest.approx(np.abs(x).sum(), rel=1e-12)
    x[12345] = np.nan
    assert np.isnan(kernels.abs_sum_parts(x, 2))


@pytest.mark.parametrize("opt", [kernels.SGD, kernels.MOMENTUM, kernels.RMSPROP, kernels.ADAM])
def test_split_update_equals_one_block(opt):
    n = 200_000
    theta, grad, state = random(n), random(n), np.abs(random(2, n))
    hyper = kernels.hyperparameters(1e-3, 1e-4, 1e-3, 0.9, False, 0.9, 0.9, 0.999, 1e-7, np.float32)
    kernels.set_step(opt, hyper, 3)
    results = []
    for parts in (1, 2):
        t, s = theta.copy(), state.copy()
        sums = kernels.update_range(opt, t, grad, s, 10, n - 10, hyper, True, parts)
        results.append((t, s, sums))
    (t1, s1, sums1), (t2, s2, sums2) = results
    # equal up to rounding: where a block starts decides which values the vectorised loop body
    # (with fused multiply-adds) computes and which its scalar remainder does. A weight that the
    # update brings near 0 keeps the absolute rounding of its O(1) inputs, a few float32 ulps of
    # 1; an update applied to the wrong range would be off by about lr·g = 1e-3.
    np.testing.assert_allclose(t2, t1, rtol=1e-6, atol=2e-6)
    np.testing.assert_allclose(s2, s1, rtol=1e-6, atol=2e-6)
    assert t2[0] == theta[0] and t2[-1] == theta[-1]        # outside [lo, hi): untouched
    np.testing.assert_allclose(sums2, sums1, rtol=1e-5)


def big_trainer(parts=None, monkeypatch=None, scale=1.0, lr=1e-3):
    """A network big enough to split, trained with `parts` blocks (None: what the engine chose)."""
    if parts is not None:
        monkeypatch.setattr(threads, "PARTS", parts)
    rng = np.random.default_rng(1)
    X = rng.random((300, 2000), dtype=np.float32) * np.float32(scale)
    labels = rng.integers(0, 3, 2000)
    net = Network([300, 256, 3], hidden="relu", output="softmax", loss="cce", init="he", seed=0,
                  dtype=np.float32)
    return Trainer(net, (X, labels), optimizer="rmsprop", lr=lr, batch_size=128, seed=0)


def test_training_split_over_cores_matches_one_core(monkeypatch):
    one = big_trainer(1, monkeypatch)
    one.train(steps=30)
    two = big_trainer(2, monkeypatch)
    two.train(steps=30)
    np.testing.assert_allclose(two.net.parameters, one.net.parameters, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(two._state, one._state, rtol=1e-3, atol=1e-12)
    assert two.last_loss == pytest.approx(one.last_loss, rel=1e-4)


def test_an_overflowing_split_update_is_refused_and_the_weights_are_kept(monkeypatch):
    trainer = big_trainer(2, monkeypatch, scale=1e4, lr=1e37)
    before, state_before = trainer.net.parameters.copy(), trainer._state.copy()
    with pytest.raises(TrainingDiverged):
        trainer.train(steps=3)
    assert trainer.steps == 0
    np.testing.assert_array_equal(trainer.net.parameters, before)
    np.testing.assert_array_equal(trainer._state, state_before)



def test_at_most_one_core_keeps_products_whole_on_this_thread_only(monkeypatch):
    trainer = big_trainer(2, monkeypatch)
    trainer.train(steps=5)
    split = trainer.evaluate()
    parts_used = []
    affine = kernels.affine

    def recording_affine(W, b, A_prev, Z, parts):
        parts_used.append(parts)
        return affine(W, b, A_prev, Z, parts)

    monkeypatch.setattr(kernels, "affine", recording_affine)
    with threads.at_most(1):
        one = trainer.evaluate()
        assert threads.parts() == 1
        other_thread = []
        worker = threading.Thread(target=lambda: other_thread.append(threads.parts()))
        worker.start()
        worker.join()
        assert other_thread == [2]                      # other threads keep every core
    assert parts_used and set(parts_used) == {1}
    for key in ("train_loss", "train_accuracy"):
        assert one[key] == pytest.approx(split[key], rel=1e-5)
    assert threads.parts() == 2                         # and so does this one after the block
    parts_used.clear()
    trainer.evaluate()
    assert set(parts_used) == {2}
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ValueError, match="cores must be a whole number"):
            with threads.at_most(bad):
                pass


def test_a_step_at_most_one_core_matches_a_split_step(monkeypatch):
    one, two = big_trainer(2, monkeypatch), big_trainer(2, monkeypatch)
    parts_used = []
    for name in ("weight_grads", "error_and_grads_below", "update_params"):
        kernel = getattr(kernels, name)
        monkeypatch.setattr(kernels, name, lambda *args, kernel=kernel: parts_used.append(args[-1]) or kernel(*args))
    with threads.at_most(1):
        a = one.step()
    assert len(parts_used) == 3 and set(parts_used) == {1}
    b = two.step()
    assert set(parts_used[3:]) == {2}
    np.testing.assert_allclose(a.grads.dW[0], b.grads.dW[0], rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(one.net.parameters, two.net.parameters, rtol=1e-5, atol=1e-7)


PROBE = """
import ctypes, json, os, sys
if sys.argv[1] == "scipy-first":
    import scipy.linalg
import numba
from engine import threads
from threadpoolctl import threadpool_info
pools = {os.path.basename(os.path.dirname(p["filepath"])): p["num_threads"] for p in threadpool_info()
         if p.get("internal_api") == "openblas"}
mkl = [p["num_threads"] for p in threadpool_info() if p.get("internal_api") == "mkl"]
mkl_layer = [p.get("threading_layer") for p in threadpool_info() if p.get("internal_api") == "mkl"]
levels = None
if numba.threading_layer() == "omp":
    levels = ctypes.CDLL("libgomp.so.1").omp_get_max_active_levels()
print(json.dumps({"parts": threads.PARTS, "blas": threads.BLAS, "pools": pools, "mkl": mkl,
                  "mkl_layer": mkl_layer[0] if mkl_layer else None,
                  "layer": numba.threading_layer(), "levels": levels}))
"""


def probe(mode, blas=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS", "BACKPROP_EXPLORER_BLAS")}
    if blas:
        env["BACKPROP_EXPLORER_BLAS"] = blas
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


two_cores_and_openmp = pytest.mark.skipif((os.cpu_count() or 1) < 2 or not ctypes.util.find_library("gomp"),
                                          reason="splitting needs two cores and an OpenMP runtime")


@two_cores_and_openmp
def test_on_two_cores_the_engine_splits_with_its_blas_single_threaded_and_numpys_untouched():
    found = probe("engine-first")
    assert found["parts"] == os.cpu_count()
    assert found["layer"] == "omp"                         # preferred to TBB, which MKL brings along
    assert found["blas"] == ("mkl" if blas.mkl_installed() else "scipy")
    if found["blas"] == "mkl":
        assert found["mkl"] == [1]                         # what the kernels call: one thread per call
        assert found["mkl_layer"] == "sequential"         # no OpenMP: safe in a forked child
    else:
        assert found["pools"]["scipy.libs"] == 1
    assert found["pools"].get("numpy.libs", os.cpu_count()) == os.cpu_count()
    if found["layer"] == "omp":
        assert found["levels"] == 1                        # nested parallelism off again


@two_cores_and_openmp
def test_with_scipys_blas_chosen_the_engine_splits_with_it_single_threaded():
    found = probe("engine-first", blas="scipy")
    assert found["parts"] == os.cpu_count() and found["blas"] == "scipy" and found["mkl"] == []
    assert found["pools"]["scipy.libs"] == 1


def test_when_scipys_blas_is_already_loaded_with_threads_the_engine_does_not_split_on_it():
    found = probe("scipy-first", blas="scipy")
    assert found["parts"] == 1 and found["blas"] == "scipy"
    assert found["pools"]["scipy.libs"] == os.cpu_count()


@pytest.mark.skipif(not blas.mkl_installed(), reason="MKL is not installed")
@two_cores_and_openmp
def test_with_mkl_scipys_blas_loaded_earlier_does_not_matter():
    found = probe("scipy-first")
    assert found["parts"] == os.cpu_count() and found["blas"] == "mkl" and found["mkl"] == [1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_trains_a_big_network_on_one_core():
    # GNU OpenMP is not fork-safe: a child that starts parallel work is ended by Numba
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            trainer = big_trainer()
            trainer.train(steps=5)
            code = 0 if threads.PARTS == 1 and trainer.steps == 5 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
