"""Datasets for the explorer: the 2-D playground sets, their input features, and one `load` entry point.

Samples are columns everywhere: X is (d, m), Y is (n_out, m). Binary targets are a 0/1 row (sigmoid +
bce), multiclass targets are one-hot columns (softmax + cce), regression targets a float row.

The 2-D generators follow the TensorFlow Playground (src/dataset.ts) in spirit: points in about
[-6, 6]², the same circle / xor / gauss / spiral shapes and the same noise scales. Two deliberate
differences: classes are exactly balanced, and noise moves the points instead of flipping labels, so a
class's count never depends on the noise.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

__all__ = [
    "Dataset", "DataError", "TWO_D_DATASETS", "CLASSIFICATION_2D", "REGRESSION_2D", "MULTICLASS_2D",
    "IMAGE_DATASETS", "ALL_DATASETS", "FEATURES", "FEATURE_ALIASES", "PLAYGROUND_EXTENT", "KINDS",
    "make", "load", "feature_matrix", "canonical_features", "with_features", "with_points",
    "from_arrays", "split_indices",
]


class DataError(ValueError):
    """Bad or missing data: a file, a table or arrays that cannot become a Dataset."""


KINDS = ("binary", "multiclass", "regression")
CLASSIFICATION_2D = ("circle", "xor", "gaussian", "spiral", "moons", "blobs")
REGRESSION_2D = ("plane", "gaussian-hill")
TWO_D_DATASETS = CLASSIFICATION_2D + REGRESSION_2D
MULTICLASS_2D = ("spiral", "blobs")          # the 2-D sets that accept classes > 2
IMAGE_DATASETS = ("digits", "mnist", "fashion-mnist")
ALL_DATASETS = TWO_D_DATASETS + IMAGE_DATASETS
PLAYGROUND_EXTENT = (-6.0, 6.0, -6.0, 6.0)
_DEFAULT_CLASSES = {"blobs": 3}              # every other classification set defaults to 2 classes
_MAX_CLASSES = 10
_DTYPES = (np.float32, np.float64)

FEATURES = ("x1", "x2", "x1²", "x2²", "x1·x2", "sin x1", "sin x2")
FEATURE_ALIASES = {
    "x1^2": "x1²", "x1**2": "x1²", "x2^2": "x2²", "x2**2": "x2²",
    "x1*x2": "x1·x2", "x1 x2": "x1·x2", "x1x2": "x1·x2", "x1·x2": "x1·x2",
    "sin(x1)": "sin x1", "sinx1": "sin x1", "sin(x2)": "sin x2", "sinx2": "sin x2",
}
_FEATURE_FUNCS = {
    "x1": lambda p: p[0],
    "x2": lambda p: p[1],
    "x1²": lambda p: p[0] * p[0],
    "x2²": lambda p: p[1] * p[1],
    "x1·x2": lambda p: p[0] * p[1],
    "sin x1": lambda p: np.sin(p[0]),
    "sin x2": lambda p: np.sin(p[1]),
}


# --------------------------------------------------------------------------------------------------
# The Dataset record


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split ready for a Network: X (d, m) inputs, Y (n_out, m) targets, and what the
    views need to draw it (raw 2-D points, extent, class names, image shape).

    Frozen so a snapshot can hold it without copying; eq=False because arrays have no single truth.
    """

    name: str
    kind: str
    X_train: np.ndarray
    Y_train: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    features: tuple
    points_train: np.ndarray | None = None
    points_test: np.ndarray | None = None
    n_classes: int = 0
    class_names: tuple = ()
    image_shape: tuple | None = None
    extent: tuple | None = None
    axis_names: tuple | None = None      # what the two point coordinates mean, e.g. CSV column names

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Dataset kind {self.kind!r} is not one of {KINDS}")
        for part in ("train", "test"):
            X, Y = getattr(self, f"X_{part}"), getattr(self, f"Y_{part}")
            if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
                raise ValueError(f"X_{part} {X.shape} and Y_{part} {Y.shape} must be 2-D with one column "
                                 "per sample (the same number of columns)")
            pts = getattr(self, f"points_{part}")
            if pts is not None and pts.shape != (2, X.shape[1]):
                raise ValueError(f"points_{part} has shape {pts.shape}, expected (2, {X.shape[1]})")
        if self.X_train.shape[0] != len(self.features) or self.X_test.shape[0] != len(self.features):
            raise ValueError(f"X has {self.X_train.shape[0]} rows but {len(self.features)} feature names")
        if self.Y_train.shape[0] != self.Y_test.shape[0]:
            raise ValueError("Y_train and Y_test must have the same number of rows")

    @property
    def d(self) -> int:
        """Number of inputs (rows of X)."""
        return self.X_train.shape[0]

    @property
    def n_out(self) -> int:
        """Number of targets per sample (rows of Y)."""
        return self.Y_train.shape[0]

    @property
    def m_train(self) -> int:
        return self.X_train.shape[1]

    @property
    def m_test(self) -> int:
        return self.X_test.shape[1]

    @property
    def is_classification(self) -> bool:
        return self.kind != "regression"

    @cached_property
    def labels_train(self) -> np.ndarray:
        """Class index of each training sample (int64, shape (m_train,))."""
        return self._labels(self.Y_train)

    @cached_property
    def labels_test(self) -> np.ndarray:
        """Class index of each test sample (int64, shape (m_test,))."""
        return self._labels(self.Y_test)

    def _labels(self, Y: np.ndarray) -> np.ndarray:
        if self.kind == "regression":
            raise ValueError(f"dataset {self.name!r} is a regression set: it has targets, not class labels")
        if self.kind == "binary":
            return (Y[0] > 0.5).astype(np.int64)
        return np.argmax(Y, axis=0).astype(np.int64)

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, kind={self.kind!r}, d={self.d}, n_out={self.n_out}, "
                f"m_train={self.m_train}, m_test={self.m_test}, features={self.features[:8]!r}"
                f"{'...' if len(self.features) > 8 else ''})")


# --------------------------------------------------------------------------------------------------
# Small validators shared with images.py and csv_data.py


def check_dtype(dtype) -> np.dtype:
    """Only float32 and float64 make sense for training; say so instead of failing later."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise ValueError(f"dtype {dtype!r} is not a NumPy dtype; use np.float32 or np.float64") from exc
    if dt not in [np.dtype(t) for t in _DTYPES]:
        raise ValueError(f"dtype {dt} is not allowed; use np.float32 or np.float64")
    return dt


def check_train_ratio(train_ratio, m: int) -> int:
    """Return the number of training samples; refuse a ratio that would leave a part empty."""
    if isinstance(train_ratio, bool) or not isinstance(train_ratio, (int, float, np.floating)) \
            or not math.isfinite(train_ratio) or not 0.0 < train_ratio < 1.0:
        raise ValueError(f"train_ratio must be a number strictly between 0 and 1, got {train_ratio!r}")
    m_train = int(round(m * train_ratio))
    if m_train < 1 or m_train > m - 1:
        raise ValueError(f"train_ratio={train_ratio} leaves the {'training' if m_train < 1 else 'test'} "
                         f"set empty with {m} samples; use a ratio between {1.5 / m:.3g} and "
                         f"{1 - 1.5 / m:.3g} or more samples")
    return m_train


def split_indices(m: int, train_ratio: float, rng: np.random.Generator,
                  labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled train/test index arrays; stratified when labels are given.

    Stratified so a small balanced set stays balanced in both parts: samples are ordered by their
    (random) rank within their class, so any prefix holds each class in proportion.
    """
    m_train = check_train_ratio(train_ratio, m)
    order = rng.permutation(m)
    if labels is not None:
        labels = np.asarray(labels)[order]
        frac = np.empty(m)
        for c in np.unique(labels):
            where = np.flatnonzero(labels == c)
            frac[where] = (np.arange(where.size) + 0.5) / where.size
        order = order[np.argsort(frac, kind="stable")]
    train, test = order[:m_train], order[m_train:]
    return rng.permutation(train), rng.permutation(test)


def _check_int(value, name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return int(value)


# --------------------------------------------------------------------------------------------------
# Features


def canonical_features(features) -> tuple[str, ...]:
    """Map feature names (canonical or ASCII aliases such as "x1*x2") to canonical names."""
    if isinstance(features, str):
        features = (features,)
    try:
        features = tuple(features)
    except TypeError as exc:
        raise ValueError(f"features must be a sequence of names from {FEATURES}") from exc
    if not features:
        raise ValueError(f"features must name at least one of {FEATURES}")
    out = []
    for f in features:
        key = f.strip().lower() if isinstance(f, str) else f
        name = key if key in _FEATURE_FUNCS else FEATURE_ALIASES.get(key)
        if name is None:
            raise ValueError(f"unknown feature {f!r}; allowed: {FEATURES} "
                             f"(or the ASCII forms {tuple(sorted(FEATURE_ALIASES))})")
        if name in out:
            raise ValueError(f"feature {name!r} is listed twice")
        out.append(name)
    return tuple(out)


def feature_matrix(points, features=("x1", "x2"), dtype=np.float64) -> np.ndarray:
    """Inputs X (d, m) for raw 2-D points (2, m): one row per feature, in the order given."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[0] != 2:
        raise ValueError(f"points must have shape (2, m), got {pts.shape}")
    names = canonical_features(features)
    dt = check_dtype(dtype)
    X = np.empty((len(names), pts.shape[1]), dtype=dt)
    for row, name in enumerate(names):
        X[row] = _FEATURE_FUNCS[name](pts)
    return X


def with_features(data: Dataset, features) -> Dataset:
    """The same points and labels seen through other input features (a new Dataset)."""
    if data.points_train is None or not set(data.features) <= set(FEATURES):
        raise ValueError(f"dataset {data.name!r} has no 2-D playground points; features {FEATURES} "
                         "apply only to 2-D datasets")
    names = canonical_features(features)
    dt = data.X_train.dtype
    return replace(data, features=names,
                   X_train=feature_matrix(data.points_train, names, dt),
                   X_test=feature_matrix(data.points_test, names, dt))


# --------------------------------------------------------------------------------------------------
# Building datasets from points


def _targets(values: np.ndarray, kind: str, n_classes: int, dtype) -> np.ndarray:
    """Y for a kind: 0/1 row, one-hot columns, or a float row."""
    if kind == "binary":
        return values.astype(dtype).reshape(1, -1)
    if kind == "multiclass":
        Y = np.zeros((n_classes, values.size), dtype=dtype)
        Y[values, np.arange(values.size)] = 1.0
        return Y
    return values.astype(dtype).reshape(1, -1)


def _check_points(points, what: str) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[0] != 2:
        raise ValueError(f"{what} must have shape (2, m), got {pts.shape}")
    if not np.all(np.isfinite(pts)):
        raise ValueError(f"{what} contains NaN or infinite coordinates")
    return pts


def _check_values(values, kind: str, m: int, n_classes: int, what: str) -> np.ndarray:
    """Labels (int classes) for classification, finite float targets for regression."""
    vals = np.asarray(values).reshape(-1)
    if vals.size != m:
        raise ValueError(f"{what} has {vals.size} values for {m} points")
    if kind == "regression":
        vals = vals.astype(np.float64)
        if not np.all(np.isfinite(vals)):
            raise ValueError(f"{what} contains NaN or infinite targets")
        return vals
    if vals.size and not np.all(np.equal(np.mod(vals, 1), 0)):
        raise ValueError(f"{what} must be whole class numbers 0..{n_classes - 1}")
    vals = vals.astype(np.int64)
    if vals.size and (vals.min() < 0 or vals.max() >= n_classes):
        raise ValueError(f"{what} must be class numbers 0..{n_classes - 1}, got values "
                         f"{vals.min()}..{vals.max()}")
    return vals


def _data_extent(points: np.ndarray) -> tuple[float, float, float, float]:
    """Bounding box of the points with a 10 % margin, never degenerate."""
    lo, hi = points.min(axis=1), points.max(axis=1)
    pad = np.maximum((hi - lo) * 0.1, 1e-3 + 0.05 * np.abs(hi))
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def from_arrays(points, labels_or_targets, kind: str, train_ratio: float = 0.5, seed: int = 0,
                features=("x1", "x2"), name: str = "custom", class_names=None, n_classes=None,
                extent=None, dtype=np.float64, axis_names=None) -> Dataset:
    """A 2-D Dataset from arbitrary points (2, m) and class labels (int) or regression targets.

    Used for imported CSV points and for points a user draws. The split is seeded and stratified.
    n_classes defaults to len(class_names), else max label + 1 (at least 2); binary is 2 classes.
    extent defaults to the points' bounding box plus a margin.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    pts = _check_points(points, "points")
    m = pts.shape[1]
    if m < 2:
        raise ValueError(f"need at least 2 points (one to train, one to test), got {m}")
    dt = check_dtype(dtype)
    names = canonical_features(features)
    k = _class_count(kind, labels_or_targets, class_names, n_classes)
    values = _check_values(labels_or_targets, kind, m, k, "labels_or_targets")
    rng = np.random.default_rng(seed)
    train, test = split_indices(m, train_ratio, rng, None if kind == "regression" else values)
    return _assemble(name, kind, pts[:, train], values[train], pts[:, test], values[test], names, k,
                     class_names, extent if extent is not None else _data_extent(pts), dt, axis_names)


def _class_count(kind: str, values, class_names, n_classes) -> int:
    if kind == "regression":
        return 0
    if kind == "binary":
        return 2
    if n_classes is not None:
        return _check_int(n_classes, "n_classes", 2)
    if class_names is not None:
        return max(2, len(class_names))
    vals = np.asarray(values).reshape(-1)
    return max(2, int(vals.max()) + 1) if vals.size else 2


def _assemble(name, kind, pts_tr, v_tr, pts_te, v_te, features, n_classes, class_names, extent, dtype,
              axis_names=None) -> Dataset:
    """Put the parts together into C-contiguous arrays of one dtype."""
    if class_names is None:
        class_names = tuple(str(c) for c in range(n_classes))
    class_names = tuple(str(c) for c in class_names)
    if kind != "regression" and len(class_names) != n_classes:
        raise ValueError(f"{len(class_names)} class names for {n_classes} classes")
    return Dataset(
        name=name, kind=kind,
        X_train=feature_matrix(pts_tr, features, dtype), Y_train=_targets(v_tr, kind, n_classes, dtype),
        X_test=feature_matrix(pts_te, features, dtype), Y_test=_targets(v_te, kind, n_classes, dtype),
        features=features, points_train=np.ascontiguousarray(pts_tr), points_test=np.ascontiguousarray(pts_te),
        n_classes=n_classes, class_names=class_names, image_shape=None,
        extent=tuple(float(e) for e in extent),
        axis_names=tuple(axis_names) if axis_names is not None else None,
    )


def _values_of(data: Dataset, part: str) -> np.ndarray:
    if data.kind == "regression":
        return getattr(data, f"Y_{part}")[0].astype(np.float64)
    return getattr(data, f"labels_{part}")


def with_points(data: Dataset, points_train=None, labels_train=None, points_test=None,
                labels_test=None) -> Dataset:
    """The same 2-D dataset with its training (and/or test) points replaced, e.g. drawn by hand.

    Labels are class numbers (or targets for regression). A part left as None is kept as it is; the
    features, classes and extent are kept, so a network trained on `data` still fits.
    """
    if data.points_train is None or not set(data.features) <= set(FEATURES):
        raise ValueError(f"dataset {data.name!r} has no 2-D points to replace")
    parts = {}
    for part, pts, vals in (("train", points_train, labels_train), ("test", points_test, labels_test)):
        if (pts is None) != (vals is None):
            raise ValueError(f"give points_{part} and labels_{part} together")
        if pts is None:
            parts[part] = (getattr(data, f"points_{part}"), _values_of(data, part))
            continue
        p = _check_points(pts, f"points_{part}")
        if p.shape[1] < 1:
            raise ValueError(f"points_{part} must hold at least one point")
        parts[part] = (p, _check_values(vals, data.kind, p.shape[1], data.n_classes, f"labels_{part}"))
    (p_tr, v_tr), (p_te, v_te) = parts["train"], parts["test"]
    return _assemble(data.name, data.kind, p_tr, v_tr, p_te, v_te, data.features, data.n_classes,
                     data.class_names, data.extent, data.X_train.dtype, data.axis_names)


def is_table(data: Dataset) -> bool:
    """Whether ``data`` is a table whose inputs are its own columns (an imported CSV of one or more
    than two feature columns), not images and not the playground's features of 2-D points."""
    return data.image_shape is None and not (data.points_train is not None and set(data.features) <= set(FEATURES))


def with_samples(data: Dataset, X_train=None, labels_train=None, X_test=None, labels_test=None) -> Dataset:
    """The same table (see is_table) with its training (and/or test) samples replaced, e.g. a row
    added by a click on its plot.

    X is (d, m) in the table's columns; labels are class numbers (or targets for regression). A part
    left as None is kept as it is. The points to plot are X's rows named by axis_names; the features,
    classes and extent are kept, so a network trained on `data` still fits and the plot stays put.
    """
    if not is_table(data):
        raise ValueError(f"dataset {data.name!r} is not a table of columns; use with_points for 2-D points")
    dt = data.X_train.dtype
    plot_rows = None if data.points_train is None else [data.features.index(a) for a in data.axis_names]
    parts = {}
    for part, X, vals in (("train", X_train, labels_train), ("test", X_test, labels_test)):
        if (X is None) != (vals is None):
            raise ValueError(f"give X_{part} and labels_{part} together")
        if X is None:
            parts[part] = (getattr(data, f"X_{part}"), getattr(data, f"Y_{part}"), getattr(data, f"points_{part}"))
            continue
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] != data.d or X.shape[1] < 1:
            raise ValueError(f"X_{part} must have shape ({data.d}, m) with m >= 1, got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError(f"X_{part} contains NaN or infinite values")
        v = _check_values(vals, data.kind, X.shape[1], data.n_classes, f"labels_{part}")
        points = None if plot_rows is None else np.ascontiguousarray(X[plot_rows])
        parts[part] = (np.ascontiguousarray(X, dtype=dt), _targets(v, data.kind, data.n_classes, dt), points)
    (X_tr, Y_tr, p_tr), (X_te, Y_te, p_te) = parts["train"], parts["test"]
    return replace(data, X_train=X_tr, Y_train=Y_tr, X_test=X_te, Y_test=Y_te, points_train=p_tr, points_test=p_te)


# --------------------------------------------------------------------------------------------------
# The playground generators: each returns points (2, n) and labels (n,) or targets (n,)


def _class_sizes(n: int, k: int) -> list[int]:
    """Equal counts per class, the first n % k classes one larger."""
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def _gen_circle(rng, n, noise, k):
    """Class 1 inside radius 2.5, class 0 in the ring 3.5..5 (playground: radius 5)."""
    radius = 5.0
    n1, n0 = _class_sizes(n, 2)
    r = np.concatenate([rng.uniform(0, radius * 0.5, n1), rng.uniform(radius * 0.7, radius, n0)])
    angle = rng.uniform(0, 2 * np.pi, n)
    pts = np.stack([r * np.sin(angle), r * np.cos(angle)])
    pts += rng.uniform(-radius, radius, (2, n)) * noise
    return pts, np.concatenate([np.ones(n1, np.int64), np.zeros(n0, np.int64)])


def _gen_xor(rng, n, noise, k):
    """Class 1 where x1·x2 > 0, class 0 elsewhere; a 0.3 gap around the axes (playground)."""
    n1, n0 = _class_sizes(n, 2)
    mag = rng.uniform(0, 5, (2, n)) + 0.3
    sx = rng.choice([-1.0, 1.0], n)
    sy = np.concatenate([sx[:n1], -sx[n1:]])          # same sign -> class 1, opposite -> class 0
    pts = np.stack([mag[0] * sx, mag[1] * sy])
    pts += rng.uniform(-5, 5, (2, n)) * noise
    return pts, np.concatenate([np.ones(n1, np.int64), np.zeros(n0, np.int64)])


def _gen_gaussian(rng, n, noise, k):
    """Two Gaussians at (2, 2) (class 1) and (-2, -2); variance 0.5 + 7·noise (playground)."""
    std = math.sqrt(0.5 + 7.0 * noise)
    n1, n0 = _class_sizes(n, 2)
    centres = np.concatenate([np.full(n1, 2.0), np.full(n0, -2.0)])
    pts = centres + rng.normal(0, std, (2, n))
    return pts, np.concatenate([np.ones(n1, np.int64), np.zeros(n0, np.int64)])


def _gen_spiral(rng, n, noise, k):
    """k interleaved spiral arms, radius 0..5 over 1.75 turns (playground, generalised to k arms)."""
    pts, labels = [], []
    for c, size in enumerate(_class_sizes(n, k)):
        i = np.arange(size) / max(size, 1)
        r = i * 5.0
        t = 1.75 * i * 2 * np.pi + 2 * np.pi * c / k
        p = np.stack([r * np.sin(t), r * np.cos(t)]) + rng.uniform(-1, 1, (2, size)) * noise
        pts.append(p)
        labels.append(np.full(size, (1 - c) if k == 2 else c, np.int64))   # playground: arm 0 positive
    return np.concatenate(pts, axis=1), np.concatenate(labels)


def _gen_moons(rng, n, noise, k):
    """Two interleaved half circles (scikit-learn's make_moons) scaled by 3 to fill the plot."""
    n1, n0 = _class_sizes(n, 2)
    t1, t0 = rng.uniform(0, np.pi, n1), rng.uniform(0, np.pi, n0)
    upper = np.stack([np.cos(t1), np.sin(t1)])
    lower = np.stack([1 - np.cos(t0), 0.5 - np.sin(t0)])
    pts = (np.concatenate([upper, lower], axis=1) - [[0.5], [0.25]]) * 3.0
    pts += rng.normal(0, 1.0, (2, n)) * noise * 3.0
    return pts, np.concatenate([np.zeros(n1, np.int64), np.ones(n0, np.int64)])


def _gen_blobs(rng, n, noise, k):
    """k Gaussian blobs on a circle of radius 3.5; variance 0.5 + 7·noise like the playground gauss."""
    std = math.sqrt(0.5 + 7.0 * noise) * 0.6
    pts, labels = [], []
    for c, size in enumerate(_class_sizes(n, k)):
        a = 2 * np.pi * c / k + np.pi / 4
        centre = np.array([[3.5 * np.cos(a)], [3.5 * np.sin(a)]])
        pts.append(centre + rng.normal(0, std, (2, size)))
        labels.append(np.full(size, c, np.int64))
    return np.concatenate(pts, axis=1), np.concatenate(labels)


def _gen_plane(rng, n, noise, k):
    """Target (x1 + x2) / 10 read at a noise-shifted position (playground regressPlane)."""
    pts = rng.uniform(-6, 6, (2, n))
    shifted = pts + rng.uniform(-6, 6, (2, n)) * noise
    return pts, (shifted[0] + shifted[1]) / 10.0


_HILLS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def _gen_gaussian_hill(rng, n, noise, k):
    """Six hills and valleys of height ±1 falling to 0 at distance 2 (playground regressGaussian)."""
    pts = rng.uniform(-6, 6, (2, n))
    shifted = pts + rng.uniform(-6, 6, (2, n)) * noise
    target = np.zeros(n)
    for cx, cy, sign in _HILLS:
        dist = np.hypot(shifted[0] - cx, shifted[1] - cy)
        value = sign * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
        target = np.where(np.abs(value) > np.abs(target), value, target)
    return pts, target


_GENERATORS = {
    "circle": _gen_circle, "xor": _gen_xor, "gaussian": _gen_gaussian, "spiral": _gen_spiral,
    "moons": _gen_moons, "blobs": _gen_blobs, "plane": _gen_plane, "gaussian-hill": _gen_gaussian_hill,
}


def _check_make_args(name, n, noise, classes) -> int:
    """Validate make()'s arguments; return the number of classes (0 for regression)."""
    if name not in _GENERATORS:
        raise ValueError(f"unknown 2-D dataset {name!r}; allowed: {TWO_D_DATASETS}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating)) \
            or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0 (the playground uses 0 to 0.5), got {noise!r}")
    if name in REGRESSION_2D:
        if classes not in (None, 2):
            raise ValueError(f"{name!r} is a regression set: classes does not apply (leave it None); "
                             f"only {MULTICLASS_2D} take classes > 2")
        k = 0
    elif name in MULTICLASS_2D:
        k = _DEFAULT_CLASSES.get(name, 2) if classes is None else \
            _check_int(classes, "classes", 2, _MAX_CLASSES)
    else:
        if classes not in (None, 2):
            raise ValueError(f"{name!r} has exactly 2 classes; only {MULTICLASS_2D} take classes = 2.."
                             f"{_MAX_CLASSES}, got classes={classes!r}")
        k = 2
    _check_int(n, "n (number of points)", max(4, 2 * k))
    return k


def make(name: str, n: int = 500, noise: float = 0.0, train_ratio: float = 0.5, seed: int = 0,
         features=("x1", "x2"), classes: int | None = None, dtype=np.float64) -> Dataset:
    """A seeded 2-D playground dataset split into train and test.

    classes: None means the set's default (2; 3 for blobs). With 2 classes the set is binary (a 0/1
    row); spiral and blobs with classes > 2 are multiclass (one-hot). Same seed -> identical data.
    """
    k = _check_make_args(name, n, noise, classes)
    names = canonical_features(features)
    dt = check_dtype(dtype)
    check_train_ratio(train_ratio, n)
    rng = np.random.default_rng(seed)
    pts, values = _GENERATORS[name](rng, n, float(noise), k)
    kind = "regression" if k == 0 else ("binary" if k == 2 else "multiclass")
    train, test = split_indices(n, train_ratio, rng, None if k == 0 else values)
    return _assemble(name, kind, pts[:, train], values[train], pts[:, test], values[test], names, k,
                     None, PLAYGROUND_EXTENT, dt)


def load(name: str, data_dir=None, **kw) -> Dataset:
    """One entry point for every dataset name: 2-D sets go to `make`, image sets to engine.images.

    data_dir is only used by the image sets that live in files (mnist, fashion-mnist).
    """
    if name in TWO_D_DATASETS:
        return make(name, **kw)
    if name == "digits":
        from engine import images
        return images.load_digits(**kw)
    if name in ("mnist", "fashion-mnist"):
        from engine import images
        return images.load_mnist_like(name, data_dir=data_dir, **kw)
    raise ValueError(f"unknown dataset {name!r}; allowed: {ALL_DATASETS}")
