"""`backprop-explorer bench`: the engine's speed, as ratios to plain NumPy (and PyTorch) run here.

Every workload is measured in this one run, so the ratios hold on whatever machine runs it; PyTorch
in a process of its own when the engine calls MKL (see without_mkl).
"""

import json
import os
import pickle
import subprocess
import sys
import tempfile
import time

import numpy as np
from numba import njit

from . import kernels, threads
from .network import Network
from .trainer import Trainer

TINY_SIZES = [2, 8, 8, 1]
MNIST_SIZES = [784, 512, 10]
MNIST_SAMPLES = 60_000
MNIST_ROUNDS = 3                # epochs and bound measurements, taken in turns


# ----- plain NumPy, the reference a user would otherwise write -----------------------------------

def _numpy_tiny_steps(X, Y, n_steps, lr=0.03, batch=10, seed=0):
    """[2, 8, 8, 1] tanh/sigmoid/bce with SGD, one Python step at a time."""
    rng = np.random.default_rng(seed)
    sizes = TINY_SIZES
    W = [rng.normal(0, np.sqrt(2 / (a + b)), (b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
    B = [np.zeros((b, 1)) for b in sizes[1:]]
    m_all = X.shape[1]
    order = rng.permutation(m_all)
    cursor = 0
    for _ in range(n_steps):
        idx = order[cursor:cursor + batch]
        cursor = (cursor + batch) % m_all
        x, y = X[:, idx], Y[:, idx]
        a1 = np.tanh(W[0] @ x + B[0])
        a2 = np.tanh(W[1] @ a1 + B[1])
        a3 = 1 / (1 + np.exp(-(W[2] @ a2 + B[2])))
        m = x.shape[1]
        dz3 = (a3 - y) / m
        dz2 = (W[2].T @ dz3) * (1 - a2 ** 2)
        dz1 = (W[1].T @ dz2) * (1 - a1 ** 2)
        for w, b, dz, a in ((W[2], B[2], dz3, a2), (W[1], B[1], dz2, a1), (W[0], B[0], dz1, x)):
            w -= lr * (dz @ a.T)
            b -= lr * dz.sum(axis=1, keepdims=True)


def _torch_available():
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


_CHILD = """
import pickle, sys
from importlib import import_module
with open(sys.argv[1], "rb") as f:
    module, name, args = pickle.load(f)
result = getattr(import_module(module), name)(*args)
with open(sys.argv[1], "wb") as f:
    pickle.dump(result, f)
"""


def without_mkl(function, *args):
    """function(*args), in a process of its own whose engine calls SciPy's BLAS when this process's
    calls MKL. MKL's single-threaded layer, once loaded, holds for the MKL built into PyTorch too:
    measured here, PyTorch would run on one core."""
    if threads.BLAS != "mkl":
        return function(*args)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "call.pickle")
        with open(path, "wb") as f:
            pickle.dump((function.__module__, function.__name__, args), f)
        subprocess.run([sys.executable, "-c", _CHILD, path], check=True,
                       env=dict(os.environ, BACKPROP_EXPLORER_BLAS="scipy"))
        with open(path, "rb") as f:
            return pickle.load(f)


def blas_in_use():
    """The BLAS this process's engine calls: "mkl" or "scipy"."""
    return threads.BLAS


def torch_tiny_steps_per_s(n_steps):
    import torch
    torch.set_num_threads(os.cpu_count() or 1)
    X, Y = _tiny_data()
    return n_steps / _timed(_torch_tiny_steps, X.T.copy(), Y.T.copy(), n_steps)


def _torch_tiny_steps(X_rows, Y_rows, n_steps, lr=0.03, batch=10):
    """[2, 8, 8, 1] tanh/sigmoid/bce with SGD in float64, as a PyTorch user writes it."""
    import torch
    torch.manual_seed(0)
    (d, h1, h2, k) = TINY_SIZES
    model = torch.nn.Sequential(torch.nn.Linear(d, h1), torch.nn.Tanh(), torch.nn.Linear(h1, h2), torch.nn.Tanh(),
                                torch.nn.Linear(h2, k)).to(torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    X, Y = torch.from_numpy(X_rows), torch.from_numpy(Y_rows)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    perm = torch.randperm(X.shape[0])
    for step in range(n_steps):
        idx = perm[(step * batch) % len(perm):][:batch]
        opt.zero_grad()
        loss_fn(model(X[idx]), Y[idx]).backward()
        opt.step()


# ----- the workloads -----------------------------------------------------------------------------

def _timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def _tiny_data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-6, 6, (2, 500))
    Y = (np.hypot(X[0], X[1]) < 3.5).astype(np.float64)[None]
    return X, Y


def bench_tiny(quick):
    X, Y = _tiny_data()
    net = Network(TINY_SIZES, hidden="tanh", output="sigmoid", loss="bce", init="xavier", seed=0)
    trainer = Trainer(net, (X, Y), optimizer="sgd", lr=0.03, batch_size=10, seed=0)
    trainer.train(steps=100)                       # compile (or load the cache) outside the timing
    n = 100_000 if quick else 400_000
    engine_rate = n / _timed(trainer.train, n)
    n_ref = 5_000 if quick else 20_000
    numpy_rate = n_ref / _timed(_numpy_tiny_steps, X, Y, n_ref)
    result = {"workload": "tiny [2,8,8,1] tanh/sigmoid/bce sgd batch 10",
              "engine_steps_per_s": round(engine_rate), "numpy_steps_per_s": round(numpy_rate),
              "speedup_vs_numpy": round(engine_rate / numpy_rate, 1), "goal_steps_per_s": 200_000}
    if _torch_available():
        torch_rate = without_mkl(torch_tiny_steps_per_s, 2_000 if quick else 10_000)
        result["torch_steps_per_s"] = round(torch_rate)
        result["speedup_vs_torch"] = round(engine_rate / torch_rate, 1)
    return result


def matmul_bound_seconds(flops, product=None, dtype=np.float32, size=2048, repeats=3):
    """The time `flops` of float32 matrix products (square ones) take with product(a, b, out):
    NumPy's np.dot by default."""
    product = product or (lambda a, b, out: np.dot(a, b, out=out))
    a = np.random.default_rng(0).standard_normal((size, size)).astype(dtype)
    b, out = a.copy(), np.empty_like(a)
    product(a, b, out)
    best = min(_timed(product, a, b, out) for _ in range(repeats))
    return best * flops / (2.0 * size ** 3)


def engine_split_product(a, b, out):
    """out = a · b through the BLAS the kernels call (engine.blas), split over the cores as they split it."""
    kernels.matmul_split(a, b, out, threads.parts())


def _step_products_seconds(new, matmul, steps, batch, sizes, repeats):
    """Seconds for `steps` steps of only the five matrix products a [d, h, k] network's step makes,
    on arrays made by new(shape) and multiplied by matmul(a, b, out)."""
    (d, h, k) = sizes
    W1, W2, XT, A1, dZ1, dZ2 = (new(shape) for shape in ((h, d), (k, h), (d, batch), (h, batch), (h, batch),
                                                         (k, batch)))
    products = ((W1, XT), (W2, A1), (dZ1, XT.T), (dZ2, A1.T), (W2.T, dZ2))
    outs = [new((a.shape[0], b.shape[1])) for a, b in products]

    def one_step():
        for (a, b), out in zip(products, outs):
            matmul(a, b, out)

    one_step()
    best = min(_timed(lambda: [one_step() for _ in range(50)]) for _ in range(repeats))
    return best / 50 * steps


def same_shapes_seconds(steps, batch=128, sizes=MNIST_SIZES, repeats=3):
    """The time of just the matrix products one epoch of this network makes (same shapes, float32,
    the engine's BLAS, the large ones split over the cores as the kernels split them), called from
    compiled code as the training loop calls them: the floor for the engine's epoch."""
    rng = np.random.default_rng(0)
    (d, h, k) = sizes
    W1, W2, XT, A1, dZ1, dZ2 = (rng.random(shape, dtype=np.float32)
                                for shape in ((h, d), (k, h), (d, batch), (h, batch), (h, batch), (k, batch)))
    Z1, Z2, dW1, dW2, dA1 = (np.empty(shape, np.float32) for shape in ((h, batch), (k, batch), (h, d), (k, h),
                                                                     (h, batch)))
    args = (W1, XT, W2, A1, dZ1, dZ2, Z1, Z2, dW1, dW2, dA1, threads.PARTS)
    _step_products(1, *args)
    return min(_timed(_step_products, steps, *args) for _ in range(repeats))


@njit(cache=True, nogil=True)
def _step_products(n_steps, W1, XT, W2, A1, dZ1, dZ2, Z1, Z2, dW1, dW2, dA1, parts):
    """n_steps steps of only the five matrix products of a [d, h, k] network's step, with the
    input batch as columns as kernels.train_loop keeps it."""
    for _ in range(n_steps):
        kernels.matmul_split(W1, XT, Z1, parts)
        kernels.matmul(W2, A1, Z2)
        kernels.matmul_split(dZ1, XT.T, dW1, parts)
        kernels.matmul(dZ2, A1.T, dW2)
        kernels.matmul(W2.T, dZ2, dA1)


def torch_same_shapes_seconds(steps, batch=128, sizes=MNIST_SIZES, repeats=3):
    """same_shapes_seconds with PyTorch's matrix products (its BLAS is Intel's MKL on x86): what the
    products could take with another BLAS than the one Numba calls."""
    import torch
    torch.set_num_threads(os.cpu_count() or 1)
    return _step_products_seconds(torch.rand, lambda a, b, out: torch.mm(a, b, out=out), steps, batch, sizes,
                                  repeats)


def memory_passes_seconds(X_rows, order, steps, batch=128, sizes=MNIST_SIZES, repeats=2):
    """The time of the two passes over memory one epoch makes besides its products, with the
    engine's own kernels: gathering each batch's samples from the data (rows at random places in it), and
    one RMSprop update of every parameter per step. Returns (gather seconds, update seconds)."""
    parts = threads.parts()
    XT = np.empty((X_rows.shape[1], batch), X_rows.dtype)
    batches = [order[i * batch:(i + 1) * batch].astype(np.int64) for i in range(steps)]

    def gather_all():
        for idx in batches:
            kernels.gather_columns(X_rows, idx, XT, parts)

    net = Network(sizes, dtype=np.float32)
    rng = np.random.default_rng(0)
    grad = rng.standard_normal(net.n_params, dtype=np.float32) * np.float32(1e-3)
    state = np.zeros((1, net.n_params), np.float32)
    hyper = kernels.hyperparameters(1e-3, 0.0, 0.0, 0.0, False, 0.9, 0.9, 0.999, 1e-7, np.float32)
    p_sizes = np.array(sizes, np.int64)

    def update_all():
        for _ in range(steps):
            kernels.update_params_in_place(kernels.RMSPROP, p_sizes, net.offsets, net.parameters, grad, state, hyper,
                                           parts)

    gather_all()
    update_all()
    return (min(_timed(gather_all) for _ in range(repeats)), min(_timed(update_all) for _ in range(repeats)))


def mnist_epoch_flops(samples=MNIST_SAMPLES, sizes=MNIST_SIZES):
    """Multiply-adds ×2 of one epoch: forward, weight gradients, and the error sent back below layer 1."""
    forward = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    backward_errors = sum(a * b for a, b in zip(sizes[1:-1], sizes[2:]))
    return 2.0 * samples * (2 * forward + backward_errors)


def bench_mnist(quick):
    X_rows, Y_rows, order = _mnist_data()
    net = Network(MNIST_SIZES, hidden="relu", output="softmax", loss="cce", init="he", seed=0, dtype=np.float32)
    trainer = Trainer(net, (X_rows.T, Y_rows.T), optimizer="rmsprop", lr=1e-3, batch_size=128, seed=0)
    trainer.train(steps=5)
    steps_per_epoch = trainer.steps_per_epoch
    # The epoch and the bound are measured in turns, the best of each kept: on a shared machine the
    # speed drifts over tens of seconds, and measured apart they met different machines.
    epochs, numpy_bounds, engine_blas_bounds = [], [], []
    flops = mnist_epoch_flops()
    for _ in range(1 if quick else MNIST_ROUNDS):
        numpy_bounds.append(matmul_bound_seconds(flops, repeats=2))
        engine_blas_bounds.append(matmul_bound_seconds(flops, engine_split_product, repeats=2))
        if quick:
            epochs.append(_timed(trainer.train, 100) * steps_per_epoch / 100)
        else:
            epochs.append(_timed(trainer.train, None, 1))
    engine_epoch, numpy_bound, engine_blas_bound = min(epochs), min(numpy_bounds), min(engine_blas_bounds)
    bound = min(numpy_bound, engine_blas_bound)      # the fastest float32 product this machine has
    n_ref = 60 if quick else 150
    from .classic import BATCH, NumpyClassic        # the same references bench --classic runs
    numpy_epoch = _timed(NumpyClassic(0).steps, X_rows, Y_rows, order[:n_ref * BATCH]) * steps_per_epoch / n_ref
    same_shapes = same_shapes_seconds(steps_per_epoch)
    gather, update = memory_passes_seconds(X_rows, order, steps_per_epoch)
    floor = same_shapes + gather + update
    result = {"workload": "mnist-shaped [784,512,10] relu/softmax/cce rmsprop batch 128 float32, 60000 samples",
              "engine_s_per_epoch": round(engine_epoch, 3), "numpy_s_per_epoch": round(numpy_epoch, 3),
              "matmul_bound_s": round(bound, 3), "engine_over_bound": round(engine_epoch / bound, 3),
              "numpy_blas_bound_s": round(numpy_bound, 3), "engine_blas_bound_s": round(engine_blas_bound, 3),
              "engine_blas": blas_in_use(),
              "same_shape_matmuls_s": round(same_shapes, 3),
              "engine_over_same_shape_matmuls": round(engine_epoch / same_shapes, 2),
              "batch_gather_s": round(gather, 3), "rmsprop_update_s": round(update, 3),
              "products_gather_update_s": round(floor, 3), "products_gather_update_over_bound": round(floor / bound, 2),
              "goal_over_bound": 1.3}
    if _torch_available():
        epoch, products = without_mkl(torch_mnist_seconds, 40 if quick else 120, steps_per_epoch)
        result["torch_s_per_epoch"] = round(epoch, 3)
        result["torch_same_shape_matmuls_s"] = round(products, 3)
    return result


def _mnist_data():
    """The mnist-shaped workload's random data and the sample order the references step through."""
    rng = np.random.default_rng(0)
    X_rows = rng.random((MNIST_SAMPLES, 784), dtype=np.float32)
    labels = rng.integers(0, 10, MNIST_SAMPLES)
    Y_rows = np.zeros((MNIST_SAMPLES, 10), np.float32)
    Y_rows[np.arange(MNIST_SAMPLES), labels] = 1
    return X_rows, Y_rows, rng.permutation(MNIST_SAMPLES)


def torch_mnist_seconds(n_steps, steps_per_epoch):
    """PyTorch's seconds per mnist-shaped epoch (from n_steps steps), and its products' alone."""
    import torch
    from .classic import BATCH, TorchClassic
    torch.set_num_threads(os.cpu_count() or 1)
    X_rows, Y_rows, order = _mnist_data()
    seconds = _timed(TorchClassic(0).steps, X_rows, Y_rows, order[:n_steps * BATCH])
    return seconds * steps_per_epoch / n_steps, torch_same_shapes_seconds(steps_per_epoch)


COLD_START = """
import time, numpy as np
start = time.perf_counter()
from engine import Network, Trainer
X = np.random.default_rng(0).normal(size=(2, 50)); Y = (X[0] > 0).astype(float)[None]
Trainer(Network([2, 8, 8, 1]), (X, Y)).step()
print(time.perf_counter() - start)
"""


def bench_cold_start():
    """Seconds from a new interpreter to the first finished step, with the compile cache warm."""
    def run():
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", COLD_START], capture_output=True, text=True, check=True)
        return time.perf_counter() - start, float(out.stdout.strip())
    run()                                            # fills the compile cache if it is cold
    total, inside = min(run() for _ in range(3))
    return {"workload": "cold start to the first step (compile cache warm)",
            "seconds_process": round(total, 3), "seconds_import_to_step": round(inside, 3), "goal_s": 1.0}


def run_bench(json_output=False, quick=False):
    results = {"tiny": bench_tiny(quick), "mnist": bench_mnist(quick), "cold_start": bench_cold_start(),
               "cpu_count": os.cpu_count(), "numpy": np.__version__}
    if json_output:
        print(json.dumps(results))
        return 0
    tiny, mnist, cold = results["tiny"], results["mnist"], results["cold_start"]
    print(f"{'workload':<16} {'engine':>14} {'numpy':>14} {'torch':>14}  ratio / goal")
    print(f"{'tiny steps/s':<16} {tiny['engine_steps_per_s']:>14,} {tiny['numpy_steps_per_s']:>14,} "
          f"{tiny.get('torch_steps_per_s', '-'):>14}  {tiny['speedup_vs_numpy']}× numpy / goal 200,000 steps/s "
          f"{_verdict(tiny['engine_steps_per_s'] >= 200_000)}")
    print(f"{'mnist s/epoch':<16} {mnist['engine_s_per_epoch']:>14} {mnist['numpy_s_per_epoch']:>14} "
          f"{mnist.get('torch_s_per_epoch', '-'):>14}  {mnist['engine_over_bound']:.2f}× the matmul bound "
          f"({mnist['matmul_bound_s']} s) / goal 1.3× {_verdict(mnist['engine_over_bound'] <= 1.3)}")
    print(f"{'':<16} {'':>14} {'':>14} {'':>14}  bound: the faster of NumPy's BLAS "
          f"({mnist['numpy_blas_bound_s']} s) and the engine's, {mnist['engine_blas']} "
          f"({mnist['engine_blas_bound_s']} s)")
    print(f"{'':<16} {'':>14} {'':>14} {'':>14}  {mnist['engine_over_same_shape_matmuls']}× its own matrix "
          f"products alone ({mnist['same_shape_matmuls_s']} s)")
    print(f"{'':<16} {'':>14} {'':>14} {'':>14}  those products + gathering the batches "
          f"({mnist['batch_gather_s']} s) + the RMSprop updates ({mnist['rmsprop_update_s']} s) = "
          f"{mnist['products_gather_update_s']} s, {mnist['products_gather_update_over_bound']}× the bound")
    if "torch_same_shape_matmuls_s" in mnist:
        print(f"{'':<16} {'':>14} {'':>14} {'':>14}  the same products with PyTorch's BLAS: "
              f"{mnist['torch_same_shape_matmuls_s']} s")
    print(f"{'cold start s':<16} {cold['seconds_process']:>14} {'':>14} {'':>14}  goal < 1 s "
          f"{_verdict(cold['seconds_process'] < 1)} (import to first step {cold['seconds_import_to_step']} s)")
    return 0


def _verdict(met: bool) -> str:
    return "(met)" if met else "(not met)"
