"""CSV import dialog: preview, column choices, datasets from good files, row/column messages for bad ones."""
import numpy as np
import pytest
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from explorer.dialogs.csv_import import CsvImportDialog


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture
def flowers(tmp_path):
    rng = np.random.default_rng(0)
    lines = ["length,width,height,species"]
    for i in range(60):
        c = ("setosa", "virginica", "versicolor")[i % 3]
        lines.append(f"{rng.normal(i % 3, 0.2):.3f},{rng.normal(-(i % 3), 0.2):.3f},{rng.random():.3f},{c}")
    return write(tmp_path, "flowers.csv", "\n".join(lines) + "\n")


def ok_button(dlg):
    return dlg.buttons.button(QDialogButtonBox.Ok)


def test_preview_and_default_choices(qtbot, flowers):
    dlg = CsvImportDialog(flowers)
    qtbot.addWidget(dlg)
    assert dlg.preview.columnCount() == 4 and dlg.preview.rowCount() == 10
    assert dlg.preview.horizontalHeaderItem(3).text() == "species (text)"
    assert dlg.preview.verticalHeaderItem(0).text() == "2"            # spreadsheet row numbers
    assert dlg.features() == ["length", "width", "height"]
    assert dlg.label() == "species"
    assert "slice through 'length' and 'width'" in dlg.note.text()
    assert "held at their means" in dlg.note.text()
    assert ok_button(dlg).isEnabled()


def test_text_labels_and_three_features_make_a_multiclass_slice(qtbot, flowers):
    dlg = CsvImportDialog(flowers)
    qtbot.addWidget(dlg)
    dlg.plot_y.setCurrentText("height")
    ok_button(dlg).click()
    data = dlg.dataset
    assert dlg.result() == QDialog.Accepted
    assert data.kind == "multiclass" and data.n_classes == 3
    assert data.class_names == ("setosa", "versicolor", "virginica")
    assert data.features == ("length", "width", "height")
    assert data.axis_names == ("length", "height")
    assert data.points_train.shape == (2, data.m_train)


def test_two_numeric_features_make_a_2d_binary_set(qtbot, tmp_path):
    rows = ["a,b,label"] + [f"{i * 0.1},{(i % 5) * 0.3},{i % 2}" for i in range(20)]
    dlg = CsvImportDialog(write(tmp_path, "two.csv", "\n".join(rows)))
    qtbot.addWidget(dlg)
    assert not dlg.plot_x.isEnabled()
    ok_button(dlg).click()
    data = dlg.dataset
    assert data.kind == "binary" and data.features == ("x1", "x2") and data.axis_names == ("a", "b")


def test_regression_task_can_be_chosen(qtbot, tmp_path):
    rows = ["x,y,z"] + [f"{i},{i % 3},{i * 1.5}" for i in range(20)]
    dlg = CsvImportDialog(write(tmp_path, "reg.csv", "\n".join(rows)))
    qtbot.addWidget(dlg)
    dlg.task_combo.setCurrentIndex(dlg.task_combo.findData("regression"))
    ok_button(dlg).click()
    assert dlg.dataset.kind == "regression"


@pytest.mark.parametrize("text, message", [
    ("a,b,c\n1,2,0\n3,oops,1\n5,6,0\n7,8,1\n", "row 3, column 'b': 'oops' is not a number"),
    ("a,b,c\n1,2,0\n3,,1\n5,6,0\n7,8,1\n", "row 3, column 'b': missing value"),
    ("a,b,c\n1,2,0\n3,4,0\n5,6,0\n7,8,0\n", "single class"),
    ("a,b,c\n1,2,0\n3,4,1\n", "only 2 data rows"),
])
def test_bad_files_name_the_row_and_column_and_load_nothing(qtbot, tmp_path, text, message):
    dlg = CsvImportDialog(write(tmp_path, "bad.csv", text))
    qtbot.addWidget(dlg)
    assert dlg.features() == ["a", "b"]                # a column with one bad cell is still ticked
    assert message in dlg.note.text() or ok_button(dlg).isEnabled()
    if ok_button(dlg).isEnabled():
        ok_button(dlg).click()
    assert dlg.dataset is None and dlg.result() != QDialog.Accepted
    assert message in dlg.note.text()


def test_not_a_csv_keeps_the_previous_table(qtbot, tmp_path, flowers):
    dlg = CsvImportDialog(flowers)
    qtbot.addWidget(dlg)
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\x00\x00\x01\x02" * 50)
    assert not dlg.load_file(binary)
    assert "not a CSV file" in dlg.note.text()
    assert dlg.table.path == str(flowers) and dlg.preview.columnCount() == 4
    assert dlg.label() == "species"


def test_label_cannot_be_a_feature_and_text_features_are_refused(qtbot, flowers):
    dlg = CsvImportDialog(flowers)
    qtbot.addWidget(dlg)
    dlg.label_combo.setCurrentText("height")
    assert "height" not in dlg.features()               # picking it as the label unticks it
    dlg._checks[3].setChecked(True)                     # species (text) as a feature
    assert "'setosa' is not a number" in dlg.note.text() and "column 'species'" in dlg.note.text()
    assert not ok_button(dlg).isEnabled()
    dlg._checks[3].setChecked(False)
    assert ok_button(dlg).isEnabled()
    ok_button(dlg).click()
    assert dlg.dataset.kind == "regression" and dlg.dataset.axis_names == ("length", "width")


def test_columns_on_different_scales_are_standardised_unless_the_user_says_no(qtbot, tmp_path, flowers):
    rng = np.random.default_rng(0)
    rows = ["income,age,bought"] + [f"{rng.normal(40_000, 9_000):.0f},{rng.integers(18, 90)},{i % 2}"
                                    for i in range(40)]
    dlg = CsvImportDialog(write(tmp_path, "people.csv", "\n".join(rows)))
    qtbot.addWidget(dlg)
    assert dlg.standardize.isChecked()
    ok_button(dlg).click()
    assert dlg.dataset.name == "people (standardised)" and abs(dlg.dataset.X_train.mean()) < 1e-9
    no = CsvImportDialog(write(tmp_path, "people2.csv", "\n".join(rows)))
    qtbot.addWidget(no)
    no.standardize.click()                                      # the user unticks it: it stays so
    no.task_combo.setCurrentIndex(1)
    assert not no.standardize.isChecked()
    ok_button(no).click()
    assert no.dataset.X_train.max() > 1000
    small = CsvImportDialog(flowers)                            # comparable scales: left as they are
    qtbot.addWidget(small)
    assert not small.standardize.isChecked()


def test_the_plot_of_two_table_columns_is_not_held_square(window, qtbot, tmp_path):
    from engine import csv_data
    rng = np.random.default_rng(0)
    rows = ["income,age,bought"] + [f"{rng.normal(40_000, 9_000):.0f},{rng.integers(18, 90)},{i % 2}"
                                    for i in range(40)]
    vb = window.boundary.plot.getViewBox()
    assert vb.state["aspectLocked"]                             # the playground's x1, x2
    window.use_dataset(csv_data.dataset_from_csv(write(tmp_path, "p.csv", "\n".join(rows)), ["income", "age"],
                                                 "bought"))
    qtbot.waitUntil(lambda: window.snapshot.dataset_name == "p", timeout=10_000)
    qtbot.waitUntil(lambda: not vb.state["aspectLocked"], timeout=10_000)
    (x0, x1), (y0, y1) = vb.viewRange()
    assert y1 - y0 < 200 and x1 - x0 > 10_000                 # age keeps its own scale


def test_a_label_in_the_first_column_gives_its_place_back(qtbot, tmp_path):
    rows = ["kind,a,b"] + [f"{i % 2},{i * 0.1},{(i % 5) * 0.3}" for i in range(20)]
    dlg = CsvImportDialog(write(tmp_path, "first.csv", "\n".join(rows)))
    qtbot.addWidget(dlg)
    assert dlg.label() == "b" and dlg.features() == ["kind", "a"]
    dlg.label_combo.setCurrentText("kind")
    assert dlg.features() == ["a", "b"] and ok_button(dlg).isEnabled()


def test_one_feature_column_imports_a_table_drawn_as_a_function_and_none_is_refused(qtbot, tmp_path):
    rows = ["x,y"] + [f"{i * 0.1:.1f},{'yes' if i % 3 else 'no'}" for i in range(30)]
    dlg = CsvImportDialog(write(tmp_path, "one.csv", "\n".join(rows)))
    qtbot.addWidget(dlg)
    assert dlg.features() == ["x"] and dlg.label() == "y"
    assert ok_button(dlg).isEnabled() and "a function of 'x'" in dlg.note.text()
    assert not dlg.plot_x.isEnabled() and dlg.plot_y.currentText() == ""
    dlg._checks[0].setChecked(False)                            # no input at all
    assert not ok_button(dlg).isEnabled() and "at least one feature column" in dlg.note.text()
    dlg._checks[0].setChecked(True)
    ok_button(dlg).click()
    data = dlg.dataset
    assert dlg.result() == QDialog.Accepted
    assert data.kind == "binary" and data.features == ("x",) and data.points_train is None
    assert data.X_train.shape == (1, data.m_train)


def test_a_column_with_no_values_and_a_file_with_no_rows_are_refused_with_a_message(qtbot, tmp_path):
    rows = [f"{i * 0.1:.1f},{(i * 7 % 5) * 0.2:.1f},NA,{'yes' if i % 2 else 'no'}" for i in range(20)]
    dlg = CsvImportDialog(write(tmp_path, "notes.csv", "a,b,notes,label\n" + "\n".join(rows) + "\n"))
    qtbot.addWidget(dlg)
    assert dlg.features() == ["a", "b"] and ok_button(dlg).isEnabled()
    dlg._checks[2].setChecked(True)                     # every cell of 'notes' is missing
    assert "Column 'notes' has no values" in dlg.note.text()
    assert not ok_button(dlg).isEnabled()
    dlg._on_import()                                    # refused, the dialog stays open with its message
    assert dlg.dataset is None and "'notes' has no values" in dlg.note.text()
    dlg._checks[2].setChecked(False)
    ok_button(dlg).click()
    assert dlg.dataset is not None and dlg.dataset.X_train.shape[0] == 2

    empty = CsvImportDialog(write(tmp_path, "empty.csv", "a,b,label\n"))
    qtbot.addWidget(empty)
    assert "no rows of data" in empty.note.text()
    for check in empty._checks[:2]:
        check.setChecked(True)
    assert "no rows of data" in empty.note.text()
    assert not ok_button(empty).isEnabled()
