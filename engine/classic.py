"""`backprop-explorer bench --classic NAME`: the 784-512-10 classic on real images, epoch by epoch,
through the engine, plain NumPy and PyTorch (when installed).

relu hidden layer, softmax output, cce, RMSprop (lr 1e-3, rho 0.9), batch 128, float32, He
initialisation. Each implementation reports its test accuracy after every epoch and its training
seconds per epoch (evaluation not counted).
"""

import json
import time

import numpy as np

from . import datasets
from .bench import _torch_available, without_mkl
from .network import Network
from .trainer import Trainer

SIZES = (784, 512, 10)
LR, RHO, EPS, BATCH = 1e-3, 0.9, 1e-7, 128


class NumpyClassic:
    """The network as a careful NumPy user writes it (rows are samples)."""

    def __init__(self, seed):
        rng = np.random.default_rng(seed)
        f32 = np.float32
        d, h, k = SIZES
        self.params = [rng.normal(0, np.sqrt(2 / d), (d, h)).astype(f32), np.zeros(h, f32),
                       rng.normal(0, np.sqrt(2 / h), (h, k)).astype(f32), np.zeros(k, f32)]
        self.caches = [np.zeros_like(p) for p in self.params]
        self.rng = rng

    def predict(self, X):
        W1, b1, W2, b2 = self.params
        return (np.maximum(X @ W1 + b1, 0) @ W2 + b2).argmax(axis=1)

    def epoch(self, X, Y):
        self.steps(X, Y, self.rng.permutation(X.shape[0]))

    def steps(self, X, Y, order):
        """One step per BATCH entries of order."""
        W1, b1, W2, b2 = self.params
        f32 = np.float32
        for start in range(0, len(order), BATCH):
            idx = order[start:start + BATCH]
            x, y = X[idx], Y[idx]
            z1 = x @ W1 + b1
            a1 = np.maximum(z1, 0)
            z2 = a1 @ W2 + b2
            e = np.exp(z2 - z2.max(axis=1, keepdims=True))
            dz2 = (e / e.sum(axis=1, keepdims=True) - y) / f32(len(idx))
            dz1 = (dz2 @ W2.T) * (z1 > 0)
            grads = (x.T @ dz1, dz1.sum(axis=0), a1.T @ dz2, dz2.sum(axis=0))
            for p, c, g in zip(self.params, self.caches, grads):
                c *= f32(RHO)
                c += f32(1 - RHO) * g * g
                p -= f32(LR) * g / (np.sqrt(c) + f32(EPS))


class TorchClassic:
    def __init__(self, seed):
        import torch
        torch.manual_seed(seed)
        self.torch = torch
        self.model = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(),
                                         torch.nn.Linear(SIZES[1], SIZES[2]))
        self.opt = torch.optim.RMSprop(self.model.parameters(), lr=LR, alpha=RHO, eps=EPS)
        self.loss = torch.nn.CrossEntropyLoss()

    def predict(self, X):
        with self.torch.no_grad():
            return self.model(self.torch.from_numpy(X)).argmax(dim=1).numpy()

    def epoch(self, X, Y):
        self.steps(X, Y, self.torch.randperm(X.shape[0]))

    def steps(self, X, Y, order):
        """One step per BATCH entries of order."""
        torch = self.torch
        X, labels = torch.from_numpy(X), torch.from_numpy(Y.argmax(axis=1))
        for start in range(0, len(order), BATCH):
            idx = order[start:start + BATCH]
            self.opt.zero_grad()
            self.loss(self.model(X[idx]), labels[idx]).backward()
            self.opt.step()


class EngineClassic:
    def __init__(self, seed, data):
        net = Network(list(SIZES), hidden="relu", output="softmax", loss="cce", init="he", seed=seed,
                      dtype=np.float32)
        self.trainer = Trainer(net, data, optimizer="rmsprop", lr=LR, rho=RHO, eps=EPS, batch_size=BATCH,
                               seed=seed)

    def predict(self, X):
        return self.trainer.net.predict(np.ascontiguousarray(X.T)).argmax(axis=0)

    def epoch(self, X, Y):
        self.trainer.train(epochs=1)


def _run(model, X_train, Y_train, X_test, y_test, epochs):
    accuracies, seconds = [], 0.0
    for _ in range(epochs):
        start = time.perf_counter()
        model.epoch(X_train, Y_train)
        seconds += time.perf_counter() - start
        accuracies.append(round(float(np.mean(model.predict(X_test) == y_test)), 4))
    return {"test_accuracy_per_epoch": accuracies, "s_per_epoch": round(seconds / epochs, 3)}


def torch_classic(name, data_dir, epochs, seed):
    """PyTorch's run of the classic (engine.bench.without_mkl runs it in a process of its own)."""
    import os
    import torch
    torch.set_num_threads(os.cpu_count() or 1)
    return _run(TorchClassic(seed), *_samples_as_rows(datasets.load(name, data_dir=data_dir)), epochs)


def _samples_as_rows(data):
    """(X_train, Y_train, X_test, test labels) with samples as rows, as NumPy and PyTorch take them."""
    return (np.ascontiguousarray(data.X_train.T), np.ascontiguousarray(data.Y_train.T),
            np.ascontiguousarray(data.X_test.T), data.Y_test.argmax(axis=0))


def run_classic(name, data_dir=None, epochs=5, seed=0, json_output=False):
    data = datasets.load(name, data_dir=data_dir)
    X_train, Y_train, X_test, y_test = _samples_as_rows(data)
    models = {"engine": EngineClassic(seed, data), "numpy": NumpyClassic(seed)}
    EngineClassic(seed, data).trainer.train(steps=3)       # compile before timing
    results = {"dataset": name, "epochs": epochs, "network": "784-512-10 relu/softmax/cce rmsprop 1e-3 batch 128 float32"}
    for key, model in models.items():
        results[key] = _run(model, X_train, Y_train, X_test, y_test, epochs)
    if _torch_available():
        results["torch"] = without_mkl(torch_classic, name, data_dir, epochs, seed)
    if json_output:
        print(json.dumps(results))
        return 0
    print(f"784-512-10 on {name}, {epochs} epochs: test accuracy after each epoch, training seconds per epoch")
    for key in ("engine", "numpy", "torch"):
        if key not in results:
            continue
        r = results[key]
        print(f"{key:<8} {' '.join(f'{a:.3f}' for a in r['test_accuracy_per_epoch'])}   {r['s_per_epoch']:.3f} s/epoch")
    return 0
