"""CSV import: good tables become datasets, broken ones say which row and column is wrong."""
import numpy as np
import pytest

from engine.csv_data import CsvError, dataset_from_csv, preview, read_csv_table
from engine.datasets import DataError, with_features


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


NUMERIC = "x,y,label\n" + "".join(f"{i},{i % 3 - 1.5},{i % 2}\n" for i in range(12))


def test_read_table_and_preview(tmp_path):
    table = read_csv_table(write(tmp_path, NUMERIC))
    assert table.header == ("x", "y", "label") and table.n_rows == 12
    assert table.numeric == (True, True, True) and table.delimiter == ","
    assert table.row_numbers[0] == 2
    p = preview(table.path, rows=3)
    assert p.rows == [("0", "-1.5", "0"), ("1", "-0.5", "1"), ("2", "0.5", "0")] and p.n_rows == 12


def test_numeric_binary_labels_make_a_2d_dataset(tmp_path):
    data = dataset_from_csv(write(tmp_path, NUMERIC), ["x", "y"], "label", train_ratio=0.5, seed=1)
    assert data.kind == "binary" and data.n_out == 1 and data.class_names == ("0", "1")
    assert data.features == ("x1", "x2") and data.axis_names == ("x", "y")
    assert data.m_train == 6 and data.m_test == 6
    # label of each point is x mod 2
    np.testing.assert_array_equal(data.labels_train, data.points_train[0].astype(int) % 2)
    assert with_features(data, ["x1", "x1*x2"]).d == 2          # 2-D CSV data can use playground features


def test_semicolon_text_labels_multiclass(tmp_path):
    rows = "".join(f"{i};{i * 0.5};{['cat', 'ant', 'bee'][i % 3]}\n" for i in range(9))
    data = dataset_from_csv(write(tmp_path, "a;b;animal\n" + rows), ["a", "b"], "animal", train_ratio=2 / 3)
    assert data.kind == "multiclass" and data.class_names == ("ant", "bee", "cat")
    assert data.Y_train.shape == (3, 6)
    for x, lab in zip(data.points_train[0], data.labels_train):
        assert ["cat", "ant", "bee"][int(x) % 3] == data.class_names[lab]


def test_three_features_with_and_without_plot_columns(tmp_path):
    rows = "".join(f"{i},{i * 2},{-i},{'yes' if i % 2 else 'no'}\n" for i in range(10))
    path = write(tmp_path, "f1,f2,f3,answer\n" + rows)
    data = dataset_from_csv(path, ["f1", "f2", "f3"], "answer", seed=0)
    assert data.d == 3 and data.features == ("f1", "f2", "f3") and data.points_train is None
    assert data.kind == "binary" and data.class_names == ("no", "yes")
    np.testing.assert_array_equal(data.X_train[1], 2 * data.X_train[0])
    plotted = dataset_from_csv(path, ["f1", "f2", "f3"], "answer", plot_columns=("f3", "f1"))
    np.testing.assert_array_equal(plotted.points_train, plotted.X_train[[2, 0]])
    assert plotted.axis_names == ("f3", "f1") and plotted.extent is not None


def test_regression_auto_and_forced(tmp_path):
    rows = "".join(f"{i},{i * 0.1:.2f}\n" for i in range(30))
    path = write(tmp_path, "x,target\n" + rows)
    data = dataset_from_csv(path, ["x"], "target")
    assert data.kind == "regression" and data.n_classes == 0
    np.testing.assert_allclose(data.Y_train[0], data.X_train[0] * 0.1, atol=1e-9)
    assert dataset_from_csv(write(tmp_path, NUMERIC), ["x"], "label", task="regression").kind == "regression"


def test_headerless_numeric_file(tmp_path):
    data = dataset_from_csv(write(tmp_path, NUMERIC.split("\n", 1)[1]), ["column 1", "column 2"], "column 3")
    assert data.axis_names == ("column 1", "column 2") and data.m_train + data.m_test == 12


def test_a_headerless_file_with_text_labels_keeps_its_first_row(tmp_path):
    from engine.csv_data import read_csv_table
    rows = "5.1,3.5,setosa\n4.9,3.0,setosa\n6.3,3.3,virginica\n5.8,2.7,virginica\n6.0,2.9,virginica\n"
    table = read_csv_table(write(tmp_path, rows))
    assert not table.has_header and table.n_rows == 5
    assert table.header == ("column 1", "column 2", "column 3") and table.numeric == (True, True, False)
    named = read_csv_table(write(tmp_path, "length,width,kind\n" + rows))
    assert named.has_header and named.header == ("length", "width", "kind") and named.n_rows == 5
    texts = read_csv_table(write(tmp_path, "name,kind\nada,x\nbob,y\n"))      # no numbers at all
    assert texts.has_header and texts.n_rows == 2


@pytest.mark.parametrize("text, args, needle", [
    ("x,y,c\n1,2,a\n3,oops,b\n5,6,a\n7,8,b\n", (["x", "y"], "c"), "row 3, column 'y': 'oops' is not a number"),
    ("x,y,c\n1,2,a\n3,inf,b\n5,6,a\n7,8,b\n", (["x", "y"], "c"), "row 3, column 'y': 'inf' is not a finite number"),
    ("x,y,c\n1,2,a\n3,4,b\n1e400,6,a\n7,8,b\n", (["x", "y"], "c"), "row 4, column 'x': '1e400' is not a finite"),
    ("x,y,c\n1,2,a\n3,4,b\n5,,a\n7,8,b\n", (["x", "y"], "c"), "row 4, column 'y': missing value"),
    ("x,y,c\n1,2,a\n3,4,b\n5,6,\n7,8,b\n", (["x", "y"], "c"), "row 4, column 'c': missing label"),
    ("x,y,c\n1,2,a\n3,4,a\n5,6,a\n7,8,a\n", (["x", "y"], "c"), "column 'c' holds a single class 'a'"),
    ("x,y,c\n1,2,a\n3,4,b\n5,6,a\n", (["x", "y"], "c"), "only 3 data rows"),
    ("x,y,c\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n", (["x", "z"], "c"), "no column 'z'"),
    ("x,y,c\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n", (["x", "y"], "x"), "both a feature and the label"),
    ("x,y,c\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n", (["x"], "c", "regression"), "row 2, column 'c': 'a' is not a number"),
])
def test_broken_columns_name_row_and_column(tmp_path, text, args, needle):
    with pytest.raises(CsvError) as err:
        dataset_from_csv(write(tmp_path, text), *args)
    assert needle in str(err.value)
    assert isinstance(err.value, DataError) and isinstance(err.value, ValueError)


def test_ragged_row(tmp_path):
    with pytest.raises(CsvError, match=r"row 4 has 2 cells but the header \(row 1\) has 3"):
        read_csv_table(write(tmp_path, "a,b,c\n1,2,3\n4,5,6\n7,8\n9,10,11\n"))


def test_binary_file(tmp_path):
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(CsvError, match="binary"):
        read_csv_table(path)


def test_no_delimiter(tmp_path):
    with pytest.raises(CsvError, match="no delimiter"):
        read_csv_table(write(tmp_path, "hello world\nthis is prose\nnot a table\n"))


def test_empty_and_missing_file(tmp_path):
    with pytest.raises(CsvError, match="empty"):
        read_csv_table(write(tmp_path, "\n\n"))
    with pytest.raises(CsvError, match="cannot read"):
        read_csv_table(tmp_path / "nope.csv")


def test_bad_task(tmp_path):
    with pytest.raises(ValueError, match="auto"):
        dataset_from_csv(write(tmp_path, NUMERIC), ["x", "y"], "label", task="clustering")


def test_standardised_features_have_mean_0_and_spread_1_on_the_training_rows(tmp_path):
    from engine.csv_data import scales_differ
    rng = np.random.default_rng(0)
    rows = "".join(f"{rng.normal(40_000, 9_000):.0f},{rng.integers(18, 90)},{'yes' if i % 2 else 'no'}\n"
                   for i in range(50))
    path = write(tmp_path, "income,age,bought\n" + rows)
    small = write(tmp_path, "x,y,c\n" + "".join(f"{i / 4 - 1},{(i % 3) / 2},{i % 2}\n" for i in range(12)), "s.csv")
    assert scales_differ(path, ["income", "age"]) and not scales_differ(small, ["x", "y"])
    raw = dataset_from_csv(path, ["income", "age"], "bought")
    std = dataset_from_csv(path, ["income", "age"], "bought", standardize=True)
    assert std.name == "data (standardised)" and std.axis_names == ("income", "age")
    np.testing.assert_allclose(std.X_train.mean(axis=1), 0, atol=1e-9)
    np.testing.assert_allclose(std.X_train.std(axis=1), 1, atol=1e-9)
    np.testing.assert_array_equal(std.Y_train, raw.Y_train)            # the same split
    mean, sd = raw.X_train.mean(axis=1, keepdims=True), raw.X_train.std(axis=1, keepdims=True)
    np.testing.assert_allclose(std.X_test, (raw.X_test - mean) / sd)


def test_decimal_commas_in_a_semicolon_file_are_numbers(tmp_path):
    path = write(tmp_path, "länge;breite;art\n" + "".join(f"{i},5;-{i % 3},25;{'a' if i % 2 else 'b'}\n"
                                                          for i in range(10)))
    data = dataset_from_csv(path, ["länge", "breite"], "art")
    values = np.sort(np.concatenate([data.X_train[0], data.X_test[0]]))
    np.testing.assert_allclose(values, np.arange(10) + 0.5)


THREE = "a,b,c,kind\n" + "".join(f"{i},{i % 4 * 0.5},{(i * 7) % 5},{'yes' if i % 3 else 'no'}\n" for i in range(20))


def test_a_table_with_its_samples_replaced_keeps_everything_else(tmp_path):
    from engine.datasets import is_table, with_samples
    data = dataset_from_csv(write(tmp_path, THREE), ["a", "b", "c"], "kind", plot_columns=("c", "a"))
    assert is_table(data)
    X = np.concatenate([data.X_train, [[1.5], [2.5], [3.5]]], axis=1)
    labels = np.concatenate([data.labels_train, [1]])
    new = with_samples(data, X, labels)
    assert new.m_train == data.m_train + 1 and new.m_test == data.m_test
    np.testing.assert_array_equal(new.X_train, X)
    assert new.labels_train[-1] == 1 and new.Y_train.dtype == data.Y_train.dtype
    assert tuple(new.points_train[:, -1]) == (3.5, 1.5)           # the plot columns, c across and a up
    assert (new.features, new.class_names, new.extent, new.axis_names) == \
        (data.features, data.class_names, data.extent, data.axis_names)
    np.testing.assert_array_equal(new.X_test, data.X_test)
    one = dataset_from_csv(write(tmp_path, THREE, "one.csv"), ["a"], "c", task="regression")
    kept = with_samples(one, X_test=one.X_test[:, :2], labels_test=[0.5, -1.0])
    assert kept.points_test is None and kept.Y_test.tolist() == [[0.5, -1.0]] and kept.m_train == one.m_train


def test_replacing_a_tables_samples_refuses_what_does_not_fit(tmp_path):
    from engine import datasets
    data = dataset_from_csv(write(tmp_path, THREE), ["a", "b", "c"], "kind")
    with pytest.raises(ValueError, match=r"must have shape \(3, m\)"):
        datasets.with_samples(data, np.zeros((2, 4)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="NaN or infinite"):
        datasets.with_samples(data, np.full((3, 2), np.nan), [0, 1])
    with pytest.raises(ValueError, match="class numbers 0..1"):
        datasets.with_samples(data, np.zeros((3, 2)), [0, 2])
    with pytest.raises(ValueError, match="together"):
        datasets.with_samples(data, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="not a table"):
        datasets.with_samples(datasets.make("circle", n=20), np.zeros((2, 2)), [0, 1])


def test_standardising_huge_values_gives_what_it_gives_for_small_ones():
    import warnings
    from engine.csv_data import standardized
    X = np.array([[1.0, 2.0, 4.0, -3.0], [5.0, 5.0, 5.0, 5.0]])
    rows = np.array([0, 1, 2])
    small = standardized(X, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                       # no overflow in the squares of the spread
        huge = standardized(X * 1e300, rows)
    np.testing.assert_allclose(huge, small, rtol=1e-12)
    np.testing.assert_allclose(small[0, :3].mean(), 0.0, atol=1e-15)
    np.testing.assert_allclose(small[0, :3].std(), 1.0)
    assert np.all(small[1] == 0.0)                           # a constant feature is only shifted
