"""The 2-D playground datasets, features, and the Dataset helpers."""
import numpy as np
import pytest

from engine import datasets as D


@pytest.mark.parametrize("name", D.TWO_D_DATASETS)
def test_make_shapes_dtype_and_extent(name):
    data = D.make(name, n=200, noise=0.1, seed=3)
    assert data.name == name
    assert data.m_train == 100 and data.m_test == 100
    assert data.X_train.shape == (2, 100) and data.X_test.shape == (2, 100)
    assert data.X_train.dtype == np.float64 and data.Y_train.dtype == np.float64
    assert data.X_train.flags.c_contiguous and data.Y_train.flags.c_contiguous
    assert data.points_train.shape == (2, 100)
    assert data.features == ("x1", "x2") and data.d == 2
    assert data.extent == (-6.0, 6.0, -6.0, 6.0)
    assert np.abs(data.points_train).max() < 8      # "about [-6, 6]²"
    np.testing.assert_array_equal(data.X_train, data.points_train)


@pytest.mark.parametrize("name", ["circle", "xor", "gaussian", "spiral", "moons"])
def test_binary_sets_are_balanced_zero_one_rows(name):
    data = D.make(name, n=301, seed=1)
    assert data.kind == "binary" and data.n_out == 1 and data.n_classes == 2
    assert set(np.unique(data.Y_train)) == {0.0, 1.0}
    counts = np.bincount(np.concatenate([data.labels_train, data.labels_test]))
    assert abs(counts[0] - counts[1]) <= 1
    # the stratified split keeps each part balanced too
    assert abs(np.bincount(data.labels_train)[0] - np.bincount(data.labels_train)[1]) <= 2


def test_multiclass_spiral_and_blobs_are_one_hot():
    data = D.make("spiral", n=400, classes=4, seed=0)
    assert data.kind == "multiclass" and data.n_out == 4 and data.n_classes == 4
    np.testing.assert_array_equal(data.Y_train.sum(axis=0), 1.0)
    assert np.bincount(data.labels_train).tolist() == [50, 50, 50, 50]
    assert data.class_names == ("0", "1", "2", "3")
    blobs = D.make("blobs")
    assert blobs.kind == "multiclass" and blobs.n_classes == 3
    assert D.make("blobs", classes=2).kind == "binary"


@pytest.mark.parametrize("name", D.REGRESSION_2D)
def test_regression_sets(name):
    data = D.make(name, n=300, seed=0)
    assert data.kind == "regression" and data.n_out == 1 and data.n_classes == 0
    assert np.abs(data.Y_train).max() <= 1.3 and data.Y_train.std() > 0.1
    with pytest.raises(ValueError, match="regression"):
        data.labels_train


def test_plane_target_is_the_scaled_sum_without_noise():
    data = D.make("plane", n=50, seed=0)
    np.testing.assert_allclose(data.Y_train[0], data.points_train.sum(axis=0) / 10)


def test_circle_labels_follow_the_radius_without_noise():
    data = D.make("circle", n=200, seed=0)
    r = np.hypot(*data.points_train)
    assert np.all(r[data.labels_train == 1] <= 2.5) and np.all(r[data.labels_train == 0] >= 3.5)


def test_xor_labels_follow_the_quadrant_without_noise():
    data = D.make("xor", n=200, seed=0)
    prod = data.points_train[0] * data.points_train[1]
    np.testing.assert_array_equal(data.labels_train, (prod > 0).astype(int))


def test_same_seed_same_data_different_seed_differs():
    a = D.make("spiral", n=100, noise=0.3, seed=7)
    b = D.make("spiral", n=100, noise=0.3, seed=7)
    c = D.make("spiral", n=100, noise=0.3, seed=8)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.Y_test, b.Y_test)
    assert not np.array_equal(a.X_train, c.X_train)


def test_noise_moves_points():
    assert not np.allclose(D.make("circle", noise=0.0).points_train, D.make("circle", noise=0.3).points_train)


def test_train_ratio_sizes():
    data = D.make("gaussian", n=100, train_ratio=0.8)
    assert (data.m_train, data.m_test) == (80, 20)


def test_float32_dtype():
    data = D.make("xor", dtype=np.float32)
    assert data.X_train.dtype == np.float32 and data.Y_test.dtype == np.float32


def test_feature_matrix_values_and_aliases():
    pts = np.array([[1.0, 2.0, -3.0], [0.5, -1.0, 4.0]])
    X = D.feature_matrix(pts, ("x1", "x2", "x1^2", "x2²", "x1*x2", "sin(x1)", "sin x2"))
    np.testing.assert_allclose(X[0], pts[0])
    np.testing.assert_allclose(X[2], pts[0] ** 2)
    np.testing.assert_allclose(X[3], pts[1] ** 2)
    np.testing.assert_allclose(X[4], pts[0] * pts[1])
    np.testing.assert_allclose(X[5], np.sin(pts[0]))
    np.testing.assert_allclose(X[6], np.sin(pts[1]))
    data = D.make("circle", n=20, features=("x1^2", "x1*x2"))
    assert data.features == ("x1²", "x1·x2")
    np.testing.assert_allclose(data.X_train[1], data.points_train[0] * data.points_train[1])


def test_with_features_keeps_points_and_labels():
    data = D.make("circle", n=40)
    other = D.with_features(data, D.FEATURES)
    assert other.d == 7 and other.features == D.FEATURES
    np.testing.assert_array_equal(other.points_train, data.points_train)
    np.testing.assert_array_equal(other.Y_train, data.Y_train)
    np.testing.assert_allclose(other.X_test[3], data.points_test[1] ** 2)


def test_from_arrays_and_with_points():
    pts = np.array([[0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 0, 1, 0, 1, 0, 1]], float)
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    data = D.from_arrays(pts, labels, "multiclass", train_ratio=0.5, seed=0, name="drawn")
    assert data.n_classes == 3 and data.m_train == 4 and data.m_test == 4
    assert data.extent[0] < 0 and data.extent[1] > 7
    # the split is a permutation of the input
    got = np.concatenate([data.points_train, data.points_test], axis=1)
    assert sorted(map(tuple, got.T)) == sorted(map(tuple, pts.T))
    drawn = D.with_points(data, np.array([[1.0, -1.0], [2.0, 3.0]]), [2, 0])
    assert drawn.m_train == 2 and drawn.labels_train.tolist() == [2, 0]
    np.testing.assert_array_equal(drawn.points_test, data.points_test)
    assert drawn.n_classes == 3 and drawn.extent == data.extent
    with pytest.raises(ValueError, match="0..2"):
        D.with_points(data, np.zeros((2, 1)), [3])


def test_from_arrays_regression_targets():
    pts = np.random.default_rng(0).normal(size=(2, 10))
    data = D.from_arrays(pts, pts[0] * 2, "regression", train_ratio=0.7, extent=(-6, 6, -6, 6))
    np.testing.assert_allclose(data.Y_train[0], 2 * data.points_train[0])
    assert data.extent == (-6.0, 6.0, -6.0, 6.0)


def test_load_dispatches_two_d_names():
    data = D.load("moons", n=60, seed=2)
    np.testing.assert_array_equal(data.X_train, D.make("moons", n=60, seed=2).X_train)
    assert set(D.TWO_D_DATASETS) < set(D.ALL_DATASETS) and "fashion-mnist" in D.ALL_DATASETS


@pytest.mark.parametrize("kwargs, allowed", [
    (dict(name="square"), "circle"),
    (dict(name="circle", n=3), ">= 4"),
    (dict(name="spiral", n=6, classes=4), ">= 8"),
    (dict(name="circle", n=2.5), "integer"),
    (dict(name="circle", noise=-0.1), ">= 0"),
    (dict(name="circle", noise=float("nan")), "finite"),
    (dict(name="circle", train_ratio=0.0), "between 0 and 1"),
    (dict(name="circle", train_ratio=1.0), "between 0 and 1"),
    (dict(name="circle", n=10, train_ratio=0.01), "empty"),
    (dict(name="circle", features=("x3",)), "x1²"),
    (dict(name="circle", features=()), "at least one"),
    (dict(name="circle", features=("x1", "x1")), "twice"),
    (dict(name="spiral", classes=1), "between 2 and 10"),
    (dict(name="circle", classes=3), "spiral"),
    (dict(name="plane", classes=3), "regression"),
    (dict(name="circle", dtype=np.int32), "float32"),
])
def test_bad_make_arguments_say_what_is_allowed(kwargs, allowed):
    with pytest.raises(ValueError, match=allowed):
        D.make(**kwargs)


def test_bad_load_name_lists_every_dataset():
    with pytest.raises(ValueError) as err:
        D.load("cifar")
    assert "fashion-mnist" in str(err.value) and "gaussian-hill" in str(err.value)


def test_helpers_refuse_bad_input():
    with pytest.raises(ValueError, match=r"\(2, m\)"):
        D.feature_matrix(np.zeros((3, 4)), ("x1",))
    with pytest.raises(ValueError, match="0..1"):
        D.from_arrays(np.zeros((2, 4)), [0, 1, 2, 0], "binary")
    with pytest.raises(ValueError, match="kind"):
        D.from_arrays(np.zeros((2, 4)), [0, 1, 0, 1], "ordinal")
    with pytest.raises(ValueError, match="NaN"):
        D.from_arrays(np.full((2, 4), np.nan), [0, 1, 0, 1], "binary")
