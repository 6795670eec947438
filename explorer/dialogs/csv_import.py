"""Import a CSV file: a preview of the table, which columns are features, which is the label, the
task, and (with more than two features) the two columns the decision boundary is drawn over.

Reading and converting are engine.csv_data's; this dialog only collects the choices. Any CsvError
is shown in the dialog, naming the row and column, and nothing is loaded until it succeeds.
"""
from __future__ import annotations

from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox,
                               QFileDialog, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QPushButton, QScrollArea, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from engine import csv_data
from engine.datasets import DataError

TASK_LABELS = {"auto": "Automatic", "classification": "Classification", "regression": "Regression"}


class CsvImportDialog(QDialog):
    """Pick columns of a CSV file; ``dataset`` holds the result after ``accept``."""

    def __init__(self, path=None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Import CSV")
        self.table: csv_data.CsvTable | None = None
        self.dataset = None
        self._checks: list[QCheckBox] = []
        lay = QVBoxLayout(self)

        top = QHBoxLayout()
        self.path_label = QLabel("No file chosen")
        self.path_label.setToolTip("The CSV file being imported")
        self.browse = QPushButton("Choose file…")
        self.browse.setToolTip("Pick a CSV file (comma, semicolon or tab separated; the first row may be a header)")
        self.browse.clicked.connect(self._on_browse)
        top.addWidget(self.path_label, 1)
        top.addWidget(self.browse)
        lay.addLayout(top)

        self.preview = QTableWidget()
        self.preview.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.preview.setToolTip("The first rows of the file; (text) marks columns that are not all numbers")
        self.preview.setMinimumHeight(160)
        lay.addWidget(self.preview, 1)

        choose = QHBoxLayout()
        feats = QGroupBox("Feature columns")
        feats.setToolTip("The inputs of the network: tick the numeric columns to use")
        self._feat_grid = QGridLayout()
        inner = QWidget()
        inner.setLayout(self._feat_grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setMinimumHeight(90)
        fl = QVBoxLayout(feats)
        fl.addWidget(scroll)
        choose.addWidget(feats, 2)

        form_box = QGroupBox("Target")
        form = QFormLayout(form_box)
        self.label_combo = QComboBox()
        self.label_combo.setToolTip("The column the network should predict: a class (numbers or text) or a value")
        self.label_combo.currentIndexChanged.connect(self._on_label_changed)
        self.task_combo = QComboBox()
        for key, text in TASK_LABELS.items():
            self.task_combo.addItem(text, key)
        self.task_combo.setToolTip("Automatic: text labels or a few whole numbers are classes, anything else "
                                   "is regression")
        self.task_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.plot_x = QComboBox()
        self.plot_x.setToolTip("With more than two features the decision boundary is a 2-D slice: the column "
                               "drawn across (the other features are held at their means)")
        self.plot_y = QComboBox()
        self.plot_y.setToolTip("The column drawn upwards in the decision-boundary slice")
        for c in (self.plot_x, self.plot_y):
            c.currentIndexChanged.connect(self._on_choice_changed)
        form.addRow("Label column", self.label_combo)
        form.addRow("Task", self.task_combo)
        form.addRow("Plot across", self.plot_x)
        form.addRow("Plot upwards", self.plot_y)
        self.standardize = QCheckBox("Standardise the features")
        self.standardize.setToolTip("Shift and scale each feature column to mean 0 and standard deviation 1 over "
                                    "the training rows. Ticked for you when the columns' scales differ a lot "
                                    "(income against age): raw, they would saturate every tanh neuron.")
        self._standardize_set_by_user = False
        self.standardize.clicked.connect(lambda: setattr(self, "_standardize_set_by_user", True))
        form.addRow("Scale", self.standardize)
        choose.addWidget(form_box, 1)
        lay.addLayout(choose)

        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setToolTip("What will be loaded, or what is wrong with the file or the choice")
        lay.addWidget(self.note)

        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText("Import")
        self.buttons.button(QDialogButtonBox.Ok).setToolTip("Load the chosen columns as the dataset")
        self.buttons.button(QDialogButtonBox.Cancel).setToolTip("Close without changing the current data")
        self.buttons.accepted.connect(self._on_import)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.resize(760, 560)
        self._set_ok(False)
        if path is not None:
            self.load_file(path)

    # -------------------------------------------------------------- file
    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import CSV", "", "CSV files (*.csv *.tsv *.txt);;All files (*)")
        if path:
            self.load_file(path)

    def load_file(self, path) -> bool:
        """Read a file into the preview; on error show the message and keep what was there."""
        try:
            table = csv_data.read_csv_table(path)
        except (DataError, OSError) as exc:
            self._error(str(exc))
            return False
        self.table = table
        self._standardize_set_by_user = False          # a new file: its scales decide again
        self.path_label.setText(str(path))
        self._fill_preview()
        self._fill_choices()
        self._on_choice_changed()
        return True

    def _fill_preview(self) -> None:
        t = self.table
        rows = t.head(10)
        self.preview.clear()
        self.preview.setColumnCount(t.n_columns)
        self.preview.setRowCount(len(rows))
        self.preview.setHorizontalHeaderLabels([h if t.numeric[j] else f"{h} (text)" for j, h in enumerate(t.header)])
        self.preview.setVerticalHeaderLabels([str(t.row_numbers[i]) for i in range(len(rows))])
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                self.preview.setItem(i, j, QTableWidgetItem(cell))
        self.preview.resizeColumnsToContents()

    def _fill_choices(self) -> None:
        t = self.table
        for cb in self._checks:
            cb.setParent(None)
        self._checks = []
        label = t.n_columns - 1            # the last column is the usual place for the label
        for j, name in enumerate(t.header):
            cb = QCheckBox(name)
            cb.setChecked(j != label and self._mostly_numeric(j))
            cb.setToolTip(f"Use {name!r} as an input" + ("" if t.numeric[j] else " (it holds text, so it cannot be)"))
            cb.toggled.connect(self._on_choice_changed)
            self._checks.append(cb)
            self._feat_grid.addWidget(cb, j // 3, j % 3)
        self.label_combo.blockSignals(True)
        self.label_combo.clear()
        self.label_combo.addItems(list(t.header))
        self.label_combo.setCurrentIndex(label)
        self.label_combo.blockSignals(False)
        self._last_label = t.header[label]

    def _mostly_numeric(self, j: int) -> bool:
        """A column of numbers with a few bad cells is still meant as a feature: tick it, so the
        bad cell gets named instead of the column silently left out."""
        cells = [c for c in self.table.columns[j] if not csv_data._is_missing(c)]
        good = sum(csv_data._number(c) is not None for c in cells)
        return bool(cells) and good >= 0.5 * len(cells)

    def _first_bad_cell(self, j: int):
        """(spreadsheet row, cell) of the first non-numeric cell of column j, or None."""
        for i, cell in enumerate(self.table.columns[j]):
            if not csv_data._is_missing(cell) and csv_data._number(cell) is None:
                return self.table.row_numbers[i], cell
        return None

    # -------------------------------------------------------------- choices
    def features(self) -> list[str]:
        return [cb.text() for cb in self._checks if cb.isChecked()]

    def label(self) -> str | None:
        return self.label_combo.currentText() or None

    def task(self) -> str:
        return self.task_combo.currentData()

    def plot_columns(self):
        feats = self.features()
        if len(feats) <= 2:
            return None
        return (self.plot_x.currentText(), self.plot_y.currentText())

    def _on_label_changed(self, _i: int) -> None:
        """The new label column stops being a feature; the old one, if numeric, becomes one again."""
        label, before = self.label(), getattr(self, "_last_label", None)
        self._last_label = label
        for j, cb in enumerate(self._checks):
            tick = (False if cb.text() == label
                    else True if cb.text() == before and self._mostly_numeric(j) else cb.isChecked())
            if tick != cb.isChecked():
                cb.blockSignals(True)
                cb.setChecked(tick)
                cb.blockSignals(False)
        self._on_choice_changed()

    def _on_choice_changed(self, *_args) -> None:
        if self.table is None:
            return
        feats = self.features()
        many = len(feats) > 2
        upwards = feats if len(feats) > 1 else []        # one column is drawn as a line: nothing goes up
        for combo, default, names in ((self.plot_x, 0, feats), (self.plot_y, 1, upwards)):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.setCurrentIndex(names.index(current) if current in names else min(default, len(names) - 1))
            combo.setEnabled(many)
            combo.blockSignals(False)
        if many and self.plot_x.currentText() == self.plot_y.currentText() and len(feats) > 1:
            self.plot_y.setCurrentIndex((self.plot_x.currentIndex() + 1) % len(feats))
        problem = self._problem()
        if problem:
            self._error(problem)
            return
        if not self._standardize_set_by_user:
            self.standardize.setChecked(csv_data.scales_differ(self.table, feats))
        text = f"{self.table.n_rows} rows · {len(feats)} feature{'s' if len(feats) != 1 else ''} · label {self.label()!r}"
        if many:
            text += (f". The decision boundary will be a slice through {self.plot_x.currentText()!r} and "
                     f"{self.plot_y.currentText()!r}, the other features held at their means.")
        elif len(feats) == 1:
            text += f". The output will be drawn as a function of {feats[0]!r}."
        self._info(text)

    def _problem(self) -> str | None:
        if self.table.n_rows == 0:
            return "The file has a header but no rows of data."
        feats = self.features()
        if not feats:
            return "Tick at least one feature column: the network's inputs."
        if self.label() in feats:
            return f"{self.label()!r} cannot be both a feature and the label."
        text_cols = [f for f in feats if not self.table.numeric[self.table.index(f)]]
        if text_cols:
            bad = self._first_bad_cell(self.table.index(text_cols[0]))
            if bad is None:             # not numeric for want of any value at all
                return (f"Column {text_cols[0]!r} has no values: every cell is missing. Untick it, or fill it "
                        "in the file.")
            row, cell = bad
            return (f"row {row}, column {text_cols[0]!r}: {cell!r} is not a number (feature columns must be "
                    "numeric). Fix the file, untick the column, or use it as the label.")
        if len(feats) > 2 and self.plot_x.currentText() == self.plot_y.currentText():
            return "Choose two different columns to plot."
        return None

    # -------------------------------------------------------------- result
    def build(self):
        """The Dataset for the current choices; raises DataError with the row and column if refused."""
        if self.table is None:
            raise DataError("choose a CSV file first")
        problem = self._problem()
        if problem:
            raise DataError(problem)
        feats = self.features()
        return csv_data.dataset_from_csv(self.table, feats, self.label(), task=self.task(),
                                         plot_columns=self.plot_columns(),
                                         standardize=self.standardize.isChecked())

    def _on_import(self) -> None:
        try:
            self.dataset = self.build()
        except DataError as exc:
            self.dataset = None
            self._error(str(exc))
            return
        self.accept()

    def _set_ok(self, ok: bool) -> None:
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(ok)

    def _error(self, text: str) -> None:
        self.note.setStyleSheet("color: #d62728;")
        self.note.setText(text)
        self._set_ok(self.table is not None and self._problem() is None)

    def _info(self, text: str) -> None:
        self.note.setStyleSheet("")
        self.note.setText(text)
        self._set_ok(True)


def import_csv(parent=None, path=None):
    """Run the dialog; the Dataset, or None when cancelled. The caller's data is untouched on None."""
    dlg = CsvImportDialog(path, parent)
    if path is None:
        dlg._on_browse()
        if dlg.table is None:
            return None
    return dlg.dataset if dlg.exec() == QDialog.Accepted else None
