"""The parts `backprop-explorer bench` measures the mnist-shaped epoch against."""
import numpy as np
import pytest

from engine import bench


def test_epoch_flops_count_forward_weight_gradients_and_the_error_sent_below_layer_1():
    # forward and weight gradients: 2·(784·512 + 512·10) each per sample; the error below layer 2: 2·512·10
    assert bench.mnist_epoch_flops(samples=1) == 2 * (2 * (784 * 512 + 512 * 10) + 512 * 10)
    assert bench.mnist_epoch_flops(samples=3, sizes=[4, 5, 6, 7]) == 3 * 2 * (2 * (20 + 30 + 42) + 30 + 42)


def test_memory_passes_are_timed_with_the_engines_kernels(monkeypatch):
    calls = {"gather_columns": 0, "update_params_in_place": 0}
    for name in calls:
        kernel = getattr(bench.kernels, name)

        def counted(*args, kernel=kernel, name=name):
            calls[name] += 1
            return kernel(*args)
        monkeypatch.setattr(bench.kernels, name, counted)
    rng = np.random.default_rng(0)
    X_rows = rng.random((400, 20), dtype=np.float32)
    gather, update = bench.memory_passes_seconds(X_rows, rng.permutation(400), steps=6, batch=50,
                                                 sizes=[20, 16, 3], repeats=2)
    assert 0 < gather < 5 and 0 < update < 5
    assert calls == {"gather_columns": 6 * 3, "update_params_in_place": 6 * 3}     # warm-up and two repeats


def test_the_bound_scales_the_timed_square_product_to_the_flops():
    seconds = []
    bound = bench.matmul_bound_seconds(2.0 * 64 ** 3 * 10, lambda a, b, out: seconds.append(1) or np.dot(a, b, out=out),
                                       size=64, repeats=2)
    assert len(seconds) == 3 and bound > 0
    assert bench.matmul_bound_seconds(0.0, size=64) == pytest.approx(0.0)


def test_the_table_says_whether_each_goal_is_met(monkeypatch, capsys):
    mnist = {"engine_s_per_epoch": 0.442, "numpy_s_per_epoch": 1.05, "engine_over_bound": 1.304,
             "matmul_bound_s": 0.339, "numpy_blas_bound_s": 0.339, "engine_blas": "mkl", "engine_blas_bound_s": 0.348,
             "engine_over_same_shape_matmuls": 1.18, "same_shape_matmuls_s": 0.375, "batch_gather_s": 0.015,
             "rmsprop_update_s": 0.054, "products_gather_update_s": 0.444, "products_gather_update_over_bound": 1.31}
    monkeypatch.setattr(bench, "bench_tiny", lambda quick: {"engine_steps_per_s": 250_000, "numpy_steps_per_s": 35_000,
                                                            "speedup_vs_numpy": 7.1})
    monkeypatch.setattr(bench, "bench_mnist", lambda quick: mnist)
    monkeypatch.setattr(bench, "bench_cold_start", lambda: {"seconds_process": 1.2, "seconds_import_to_step": 0.5})
    bench.run_bench()
    lines = capsys.readouterr().out.splitlines()
    assert "goal 200,000 steps/s (met)" in lines[1]
    assert "1.30× the matmul bound (0.339 s) / goal 1.3× (not met)" in lines[2]
    assert "goal < 1 s (not met)" in lines[-1]
    mnist["engine_over_bound"] = 1.29
    bench.run_bench()
    assert "1.29× the matmul bound (0.339 s) / goal 1.3× (met)" in capsys.readouterr().out


def test_the_step_products_are_the_five_products_of_a_step_with_the_batch_as_columns():
    rng = np.random.default_rng(0)
    d, h, k, m = 7, 70, 3, 5
    W1, W2, XT, A1, dZ1, dZ2 = (rng.random(shape, dtype=np.float32)
                                for shape in ((h, d), (k, h), (d, m), (h, m), (h, m), (k, m)))
    Z1, Z2, dW1, dW2, dA1 = (np.zeros(shape, np.float32) for shape in ((h, m), (k, m), (h, d), (k, h), (h, m)))
    bench._step_products(2, W1, XT, W2, A1, dZ1, dZ2, Z1, Z2, dW1, dW2, dA1, 2)
    for got, want in ((Z1, W1 @ XT), (Z2, W2 @ A1), (dW1, dZ1 @ XT.T), (dW2, dZ2 @ A1.T), (dA1, W2.T @ dZ2)):
        np.testing.assert_allclose(got, want, rtol=1e-5)
    assert bench.same_shapes_seconds(3, batch=m, sizes=[d, h, k], repeats=2) > 0


def test_the_epoch_and_the_bound_are_measured_in_turns_and_the_best_of_each_kept(monkeypatch):
    events = []
    bounds = iter([0.40, 0.31, 0.36, 0.30, 0.35, 0.33])        # NumPy's, then the engine's, per round
    epochs = iter([0.50, 0.44, 0.47])

    def bound(flops, product=None, repeats=3):
        events.append("bound")
        return next(bounds)

    monkeypatch.setattr(bench, "matmul_bound_seconds", bound)
    real_timed = bench._timed

    def timed(fn, *args):
        if getattr(fn, "__name__", "") == "train":
            events.append("epoch")
            return next(epochs)
        return real_timed(fn, *args)
    monkeypatch.setattr(bench, "_timed", timed)
    monkeypatch.setattr(bench, "same_shapes_seconds", lambda steps: 0.33)
    monkeypatch.setattr(bench, "memory_passes_seconds", lambda X, order, steps: (0.015, 0.05))
    monkeypatch.setattr(bench, "_torch_available", lambda: False)
    monkeypatch.setattr(bench, "MNIST_SAMPLES", 1280)
    result = bench.bench_mnist(quick=False)
    assert events == ["bound", "bound", "epoch"] * bench.MNIST_ROUNDS
    assert result["engine_s_per_epoch"] == 0.44
    assert result["numpy_blas_bound_s"] == 0.35 and result["engine_blas_bound_s"] == 0.30
    assert result["engine_over_bound"] == round(0.44 / 0.30, 3)
