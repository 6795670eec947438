"""Read a CSV table and turn chosen columns into a Dataset.

Every complaint is a CsvError naming the row as a spreadsheet shows it (the header is row 1) and the
column, so the user can find the bad cell.
"""
from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.datasets import (DataError, Dataset, check_dtype, from_arrays, split_indices, _data_extent)

__all__ = ["CsvError", "CsvTable", "CsvPreview", "read_csv_table", "preview", "dataset_from_csv",
           "TASKS", "MISSING"]


class CsvError(DataError):
    """A CSV file that cannot be read, or columns that cannot become a dataset."""


TASKS = ("auto", "classification", "regression")
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-"})
_DELIMITERS = ",;\t|"
_MAX_AUTO_CLASSES = 20       # integer labels with at most this many values count as classes
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class CsvTable:
    """A CSV file's cells as text, column by column.

    row_numbers[i] is the spreadsheet row of data row i (header = row 1), for error messages.
    numeric[j] says whether every non-missing cell of column j is a finite number.
    """

    path: str
    header: tuple
    columns: tuple            # tuple over columns of tuples of cell strings
    numeric: tuple
    row_numbers: tuple
    delimiter: str
    has_header: bool

    @property
    def n_rows(self) -> int:
        return len(self.row_numbers)

    @property
    def n_columns(self) -> int:
        return len(self.header)

    def column(self, name) -> tuple:
        """The cells of a column given by name (or 0-based index)."""
        return self.columns[self.index(name)]

    def index(self, name) -> int:
        """0-based index of a column; CsvError listing the columns when there is none such."""
        if isinstance(name, (int, np.integer)) and not isinstance(name, bool) and 0 <= name < self.n_columns:
            return int(name)
        if name in self.header:
            return self.header.index(name)
        raise CsvError(f"{self.path}: no column {name!r}; the columns are {list(self.header)}")

    def head(self, rows: int = 10) -> list[tuple]:
        """The first rows as tuples of cells, for a preview."""
        return [tuple(col[i] for col in self.columns) for i in range(min(rows, self.n_rows))]


@dataclass(frozen=True)
class CsvPreview:
    """What an import dialog shows: the header, the first rows, column types and the row count."""

    header: tuple
    rows: list
    numeric: tuple
    n_rows: int
    delimiter: str


# --------------------------------------------------------------------------------------------------
# Reading


def _number(cell: str) -> float | None:
    """The cell as a finite float, or None when it is not one."""
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _is_infinite_or_nan(cell: str) -> bool:
    """Whether the cell reads as a float that is not finite: inf, nan, or beyond float range (1e400)."""
    try:
        return not math.isfinite(float(cell))
    except ValueError:
        return False


DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+([eE][+-]?\d+)?")


def _decimal_point(cell: str) -> str:
    return cell.replace(",", ".") if DECIMAL_COMMA.fullmatch(cell) else cell


def _is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING


def _read_text(path: Path) -> str:
    """The file as text; refuse binary files (a NUL byte) instead of producing garbage columns."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CsvError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise CsvError(f"{path} is empty")
    if b"\x00" in raw[:8192]:
        raise CsvError(f"{path} is not a CSV file: it holds binary data (a text table with one row per "
                       "line and comma, semicolon or tab between the cells is expected)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _delimiter(path: Path, text: str) -> str:
    """The delimiter by csv.Sniffer, falling back on the most frequent candidate in the first line."""
    sample = text[:_SNIFF_BYTES]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample.splitlines() else ""
        counts = {d: first.count(d) for d in _DELIMITERS}
        best = max(counts, key=counts.get)
        if counts[best] == 0:
            raise CsvError(f"{path} is not a CSV table: no delimiter (comma, semicolon, tab or |) found "
                           "in its first line; a dataset needs at least two columns") from None
        return best


def _records(path: Path, text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) for every non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    out = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                out.append((reader.line_num, [c.strip() for c in cells]))
    except csv.Error as exc:
        raise CsvError(f"{path}: row {reader.line_num} cannot be read as CSV: {exc}") from exc
    return out


def read_csv_table(path) -> CsvTable:
    """Read a CSV file (delimiter sniffed) into text columns, with numeric detection per column.

    The first row is the header when it names the columns: when one of its cells is text over a
    column of numbers, or (a table without numeric columns) when it is not all numbers. Otherwise
    the columns are named "column 1", "column 2", ... Rows must all have as many cells as the header.
    """
    path = Path(path)
    text = _read_text(path)
    delimiter = _delimiter(path, text)
    records = _records(path, text, delimiter)
    if delimiter != ",":         # "3,14" in a file split by ; or tabs is a decimal comma
        records = [(row, [_decimal_point(c) for c in cells]) for row, cells in records]
    first_row, first = records[0]
    has_header = _is_header(first, [cells for _, cells in records[1:]])
    header = tuple(first) if has_header else tuple(f"column {j + 1}" for j in range(len(first)))
    if len(header) < 2:
        raise CsvError(f"{path} has a single column {header[0]!r}; a dataset needs feature and label columns "
                       f"(delimiter found: {delimiter!r})")
    if has_header:
        _check_header(path, header, first_row)
    body = records[1:] if has_header else records
    for row, cells in body:
        if len(cells) != len(header):
            raise CsvError(f"{path}: row {row} has {len(cells)} cells but the header (row {first_row}) has "
                           f"{len(header)}; every row needs one cell per column")
    columns = tuple(tuple(cells[j] for _, cells in body) for j in range(len(header)))
    numeric = tuple(_column_is_numeric(col) for col in columns)
    return CsvTable(str(path), header, columns, numeric, tuple(r for r, _ in body), delimiter, has_header)


def _is_header(first: list, rows: list) -> bool:
    """Whether the first record names the columns (see read_csv_table)."""
    if all(_number(c) is not None for c in first):
        return False
    numeric_below = [j for j in range(len(first))
                     if _column_is_numeric([cells[j] for cells in rows if j < len(cells)])]
    if not numeric_below:
        return True
    # "5.1, 3.5, setosa" over rows of the same kinds is data; "length, width, kind" is a header
    return any(_number(first[j]) is None and not _is_missing(first[j]) for j in numeric_below)


def _check_header(path: Path, header: tuple, row: int) -> None:
    for j, name in enumerate(header):
        if not name:
            raise CsvError(f"{path}: row {row} (the header) has an empty name in column {j + 1}")
        if header.index(name) != j:
            raise CsvError(f"{path}: row {row} (the header) names the column {name!r} twice")


def _column_is_numeric(cells) -> bool:
    present = [c for c in cells if not _is_missing(c)]
    return bool(present) and all(_number(c) is not None for c in present)


def preview(path, rows: int = 10) -> CsvPreview:
    """The header, first rows, column types and row count of a CSV file, for an import dialog."""
    table = read_csv_table(path)
    return CsvPreview(table.header, table.head(rows), table.numeric, table.n_rows, table.delimiter)


# --------------------------------------------------------------------------------------------------
# Columns -> Dataset


def _numeric_column(table: CsvTable, j: int, role: str) -> np.ndarray:
    """A column as floats; CsvError at the first missing or non-numeric cell."""
    name = table.header[j]
    values = np.empty(table.n_rows)
    for i, cell in enumerate(table.columns[j]):
        row = table.row_numbers[i]
        if _is_missing(cell):
            raise CsvError(f"{table.path}: row {row}, column {name!r}: missing value "
                           f"(every {role} cell needs a number)")
        value = _number(cell)
        if value is None:
            what = "is not a finite number" if _is_infinite_or_nan(cell) else "is not a number"
            raise CsvError(f"{table.path}: row {row}, column {name!r}: {cell!r} {what} "
                           f"({role} columns must be numeric)")
        values[i] = value
    return values


def _label_cells(table: CsvTable, j: int) -> tuple:
    cells = table.columns[j]
    for i, cell in enumerate(cells):
        if _is_missing(cell):
            raise CsvError(f"{table.path}: row {table.row_numbers[i]}, column {table.header[j]!r}: "
                           "missing label")
    return cells


def _resolve_task(table: CsvTable, j: int, task: str) -> str:
    """auto: text labels, or whole numbers with few distinct values, mean classification."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if task != "auto":
        return task
    if not table.numeric[j]:
        return "classification"
    values = np.array([_number(c) for c in table.columns[j]])
    whole = np.all(values == np.round(values))
    return "classification" if whole and np.unique(values).size <= _MAX_AUTO_CLASSES else "regression"


def _classes(table: CsvTable, j: int, cells: tuple) -> tuple[np.ndarray, tuple]:
    """Class numbers and names; numeric labels sort by value, text labels alphabetically."""
    if table.numeric[j]:
        values = np.array([_number(c) for c in cells])
        uniq, labels = np.unique(values, return_inverse=True)
        names = tuple(str(int(v)) if v == int(v) else repr(float(v)) for v in uniq)
    else:
        uniq, labels = np.unique(np.array(cells, dtype=object).astype(str), return_inverse=True)
        names = tuple(str(u) for u in uniq)
    if len(names) < 2:
        raise CsvError(f"{table.path}: column {table.header[j]!r} holds a single class {names[0]!r}; "
                       "classification needs at least 2 classes (or make it a regression task)")
    return labels.astype(np.int64), names


def _column_list(table: CsvTable, columns, what: str) -> list[int]:
    if isinstance(columns, (str, int)):
        columns = [columns]
    idx = [table.index(c) for c in columns]
    if not idx:
        raise CsvError(f"choose at least one {what}; the columns are {list(table.header)}")
    if len(set(idx)) != len(idx):
        raise CsvError(f"a column is chosen twice among the {what}s: {list(columns)}")
    return idx


def standardized(X: np.ndarray, rows) -> np.ndarray:
    """Each feature row of X shifted and scaled to mean 0 and standard deviation 1 over the given
    sample columns (the training rows); a constant feature is only shifted. Each row is first
    divided by its largest magnitude, which changes nothing in the result but keeps the squares
    of the spread from overflowing for values near 1e300."""
    largest = np.abs(X[:, rows]).max(axis=1, keepdims=True)
    X = X / np.where(largest > 0, largest, 1.0)
    mean = X[:, rows].mean(axis=1, keepdims=True)
    sd = X[:, rows].std(axis=1, keepdims=True)
    return (X - mean) / np.where(sd > 0, sd, 1.0)


def scales_differ(path_or_table, feature_columns) -> bool:
    """Whether the chosen numeric columns are on scales a tanh network copes badly with: values
    beyond ±10, or spreads more than 10× apart. Columns that are not all numbers count as no."""
    table = path_or_table if isinstance(path_or_table, CsvTable) else read_csv_table(path_or_table)
    try:
        X = np.stack([_numeric_column(table, f, "feature") for f in _column_list(table, feature_columns,
                                                                                     "feature column")])
    except CsvError:
        return False
    spread = X.std(axis=1)
    return bool(np.abs(X).max() > 10 or spread.max() > 10 * max(spread.min(), 1e-12))


def dataset_from_csv(path_or_table, feature_columns, label_column, task: str = "auto",
                     train_ratio: float = 0.8, seed: int = 0, plot_columns=None,
                     dtype=np.float64, name: str | None = None, standardize: bool = False) -> Dataset:
    """A Dataset from chosen CSV columns.

    Two feature columns make a 2-D dataset (features x1, x2; axis_names keep the column names) that
    the playground can plot and extend with x1², sin x1, ... More columns keep their names as features;
    plot_columns (two of them) then gives the points to draw, otherwise points are None.
    Classification: 2 classes -> binary 0/1, more -> one-hot; regression: a float target row.
    standardize: every feature to mean 0 and standard deviation 1 over the training rows (the name
    says so); the plot's axes are then in those units.
    """
    table = path_or_table if isinstance(path_or_table, CsvTable) else read_csv_table(path_or_table)
    dt = check_dtype(dtype)
    feats = _column_list(table, feature_columns, "feature column")
    j = table.index(label_column)
    if j in feats:
        raise CsvError(f"column {table.header[j]!r} cannot be both a feature and the label")
    if table.n_rows < 4:
        raise CsvError(f"{table.path} has only {table.n_rows} data rows; a dataset needs at least 4")
    X = np.stack([_numeric_column(table, f, "feature") for f in feats])
    cells = _label_cells(table, j)
    task = _resolve_task(table, j, task)
    if task == "classification":
        values, class_names = _classes(table, j, cells)
        kind = "binary" if len(class_names) == 2 else "multiclass"
    else:
        values, class_names, kind = _numeric_column(table, j, "regression target"), (), "regression"
    names = tuple(table.header[f] for f in feats)
    name = name or Path(table.path).stem
    if standardize:       # the training rows of the split made below, to take their mean and spread
        train, _ = split_indices(X.shape[1], train_ratio, np.random.default_rng(seed),
                                 None if kind == "regression" else values)
        X = standardized(X, train)
        name = f"{name} (standardised)"
    if len(feats) == 2 and (plot_columns is None or tuple(plot_columns) == names):
        return from_arrays(X, values, kind, train_ratio=train_ratio, seed=seed, name=name,
                           class_names=class_names or None, dtype=dt, axis_names=names)
    return _table_dataset(table, X, values, kind, names, class_names, plot_columns, train_ratio, seed, name, dt)


def _table_dataset(table, X, values, kind, names, class_names, plot_columns, train_ratio, seed, name, dt):
    """A dataset whose features are the chosen column names (not the 2-D playground features)."""
    points = None
    if plot_columns is not None:
        plot = list(plot_columns)
        if len(plot) != 2 or any(p not in names for p in plot):
            raise CsvError(f"plot_columns must be two of the feature columns {list(names)}, got {plot}")
        points = X[[names.index(p) for p in plot]]
    rng = np.random.default_rng(seed)
    train, test = split_indices(X.shape[1], train_ratio, rng, None if kind == "regression" else values)
    k = len(class_names)

    def targets(v):
        if kind == "multiclass":
            Y = np.zeros((k, v.size), dtype=dt)
            Y[v, np.arange(v.size)] = 1.0
            return Y
        return v.astype(dt).reshape(1, -1)

    return Dataset(
        name=name, kind=kind,
        X_train=np.ascontiguousarray(X[:, train], dtype=dt), Y_train=targets(values[train]),
        X_test=np.ascontiguousarray(X[:, test], dtype=dt), Y_test=targets(values[test]),
        features=names, n_classes=k, class_names=tuple(class_names),
        points_train=None if points is None else np.ascontiguousarray(points[:, train]),
        points_test=None if points is None else np.ascontiguousarray(points[:, test]),
        extent=None if points is None else _data_extent(points),
        axis_names=None if points is None else tuple(plot_columns),
    )
