"""Reading feature and label files for the command line (.npy, .npz, .csv, .parquet).

Tables are read with pandas under explicit rules, because the files users bring are mostly
written by pandas: ``DataFrame.to_csv()`` writes its index as an unnamed first column and an
unnamed frame's column names as a header row ``0,1,...``; ``Series.to_csv()`` writes ``0``
above the values; parquet keeps a named index apart from the columns. Each rule can be
overridden with ``--header`` and ``--index-col``; what was read is reported, never guessed
silently.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Spellings of a missing value (compared in lower case): pandas writes None and NaN as an
# empty cell, and reads these strings as NaN by default.
_MISSING_TEXT = frozenset({"", "nan", "none", "null", "na", "n/a", "<na>", "#n/a", "nat"})
_NAN_TEXT = frozenset({"nan", "-nan", "+nan"})
# pandas' name for an index column written without a name, as read back by read_csv
_UNNAMED_INDEX = ("", "Unnamed: 0")


class InputFileError(ValueError):
    """A feature or label file that cannot be used, with the file named in the message."""


@dataclass
class Table:
    """The columns of a .csv or .parquet file, and how they were read."""

    path: Path
    names: list  # column names (positions "0", "1", ... without a header row)
    columns: list  # one 1-D array per column: strings for .csv, pandas' values for .parquet
    n_rows: int
    header: bool  # a header row was read (always True for .parquet)
    index: str | None = None  # the index column set aside, by name
    ambiguous_first_row: bool = False  # a one-column file whose first row may be a header
    index_levels: dict = field(default_factory=dict)  # a parquet file's named index, by name

    def pop(self, name):
        position = self.names.index(name)
        self.names.pop(position)
        return self.columns.pop(position)

    def set_aside(self, column):
        """Remove the column named ``column`` (or at that position) as the row index."""
        name = column
        if name not in self.names and name.isdigit() and int(name) < len(self.names):
            name = self.names[int(name)]
        if name not in self.names:
            raise InputFileError(
                f"{self.path}: --index-col {column}: no such column "
                f"(columns: {', '.join(map(repr, self.names))})."
            )
        self.pop(name)
        self.index = name


def _pandas(path):
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - pandas is installed with the test extra
        raise InputFileError(
            f"{path}: reading .csv and .parquet files needs pandas (and pyarrow for .parquet): "
            'python -m pip install "skhscore[cli]".'
        ) from exc
    return pd


def _numeric_mask(pd, text):
    """Which cells of a column of strings are numbers (NaN spelled out included)."""
    parsed = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").notna().to_numpy()
    return parsed | np.isin(np.char.lower(text.astype(str)), list(_NAN_TEXT))


def _has_header(pd, rows, header):
    """Decide whether the first row is a header; returns (header, ambiguous)."""
    if header != "auto":
        return header == "yes", False
    first, data = rows[0], rows[1:]
    width = len(first)
    first_numeric = _numeric_mask(pd, first)
    data_numeric = [bool(_numeric_mask(pd, data[:, j]).all()) for j in range(width)]
    # a name above a numeric column (",0,1" of an index column, "f0,f1", "label" above ints)
    if any(
        numeric and not head for numeric, head in zip(data_numeric, first_numeric, strict=True)
    ):
        return True, False
    # pandas' default names of an unnamed frame or Series: 0, 1, ..., k-1
    if [cell.strip() for cell in first] == [str(i) for i in range(width)]:
        data_integer = all(np.char.isdigit(np.char.strip(data.astype(str))).all(axis=0))
        if width >= 2 or not data_integer:
            return True, False
        return False, True  # "0" above integers: a header or a first value of 0
    return False, width == 1 and not data_numeric[0]


def _set_index_aside(table, index_col):
    """Remove the index column of a .csv table, by the --index-col rule."""
    if index_col == "none" or not table.columns:
        return
    if index_col != "auto":
        table.set_aside(index_col)
        return
    if table.header and table.names[0] in _UNNAMED_INDEX:
        table.pop(table.names[0])
        table.index = "(unnamed, written by pandas' to_csv)"
        return
    values = np.char.strip(table.columns[0].astype(str))
    if len(table.columns) >= 2 and np.array_equal(values, np.arange(table.n_rows).astype(str)):
        raise InputFileError(
            f"{table.path}: the first column ({table.names[0]!r}) holds 0, 1, ..., "
            f"{table.n_rows - 1}, like a pandas index written by to_csv(): pass --index-col 0 "
            "to set it aside, or --index-col none to score it as a feature."
        )


def _read_csv(path, header, index_col):
    pd = _pandas(path)
    try:
        frame = pd.read_csv(
            path, header=None, dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(f"{path}: the file is empty.") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: not a readable comma-separated table ({exc}).") from exc
    rows = frame.to_numpy(dtype=str)
    has_header, ambiguous = _has_header(pd, rows, header)
    if has_header:
        names, rows = [cell.strip() for cell in rows[0]], rows[1:]
    else:
        names = [str(j) for j in range(rows.shape[1])]
    table = Table(
        path=path,
        names=names,
        columns=[rows[:, j] for j in range(rows.shape[1])],
        n_rows=rows.shape[0],
        header=has_header,
        ambiguous_first_row=ambiguous,
    )
    _set_index_aside(table, index_col)
    return table


def _read_parquet(path, index_col):
    pd = _pandas(path)
    try:
        frame = pd.read_parquet(path)
    except ImportError as exc:  # pragma: no cover - pyarrow is installed with the test extra
        raise InputFileError(f"{path}: reading .parquet files needs pyarrow ({exc}).") from exc
    except Exception as exc:  # pyarrow's errors have no common public base class
        raise InputFileError(f"{path}: not a readable parquet file ({exc}).") from exc
    names = [str(name) for name in frame.columns]
    table = Table(
        path=path,
        names=names,
        columns=[frame.iloc[:, j].to_numpy() for j in range(frame.shape[1])],
        n_rows=frame.shape[0],
        header=True,
    )
    # the frame's own index is never a feature; a named one may hold the labels
    if any(name is not None for name in frame.index.names):
        table.index_levels = {
            str(name): frame.index.get_level_values(position).to_numpy()
            for position, name in enumerate(frame.index.names)
        }
        table.index = ", ".join(table.index_levels)
    if index_col not in ("auto", "none"):
        table.set_aside(index_col)
    return table


def read_table(path, *, header="auto", index_col="auto"):
    """Read a .csv or .parquet file into a :class:`Table`."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        return _read_parquet(path, index_col)
    return _read_csv(path, header, index_col)


def _table_features(table):
    """The remaining columns of a table as a float64 matrix, naming any cell that is not."""
    names = table.names
    if not names:
        raise InputFileError(f"{table.path}: no feature column is left.")
    pd = _pandas(table.path)
    X = np.empty((table.n_rows, len(names)))
    for out, column in enumerate(table.columns):
        if column.dtype.kind in "biuf":
            X[:, out] = column
            continue
        text = column.astype(str)
        values = pd.to_numeric(pd.Series(column, dtype=object), errors="coerce").to_numpy()
        bad = np.flatnonzero(np.isnan(values) & ~np.isin(np.char.lower(text), list(_NAN_TEXT)))
        if bad.size:
            cell = text[bad[0]].strip()
            what = "is empty" if cell == "" else f"holds {cell!r}, not a number"
            more = f" (and {bad.size - 1} other cells)" if bad.size > 1 else ""
            raise InputFileError(
                f"{table.path}: column {names[out]!r}, row {bad[0]} {what}{more}; feature "
                "columns must be numeric (rows are counted from 0, after any header). Name a "
                "label column with --labels, or an index column with --index-col."
            )
        X[:, out] = values
    return X, names


def missing_label_rows(values):
    """Positions of the missing labels (None, NaN, pd.NA, empty or "nan"-like text)."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        return np.flatnonzero(np.isnan(values))
    if values.dtype.kind in "biu":
        return np.array([], dtype=np.intp)
    missing = [
        value is None
        or (isinstance(value, float) and value != value)
        or (type(value).__name__ in ("NAType", "NaTType"))
        or (isinstance(value, str) and value.strip().lower() in _MISSING_TEXT)
        for value in values.ravel()
    ]
    return np.flatnonzero(missing)


def clean_labels(values, source, *, regression=False):
    """Refuse missing labels naming the rows; text labels become numbers when they all are."""
    rows = missing_label_rows(values)
    if rows.size:
        shown = ", ".join(map(str, rows[:10])) + (", ..." if rows.size > 10 else "")
        raise InputFileError(
            f"{source}: {rows.size} missing label(s) (empty, None or NaN) at rows {shown}; "
            "every sample needs a label: fill them in, or drop those rows from both the "
            "features and the labels (rows are counted from 0, after any header)."
        )
    values = np.asarray(values)
    if regression:
        try:
            return values.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise InputFileError(
                f"{source}: --target regression needs numeric labels ({exc})."
            ) from exc
    if values.dtype.kind not in "OUS":
        return values
    if not all(isinstance(value, str) for value in values):
        return values  # mixed types are refused, with the labels named, by the scorer
    text = np.char.strip(values.astype(str))
    # numbers read back as text become numbers, as pandas would read them: "151.0" must reach
    # the library as a float, whose check warns when it looks like a regression target
    for dtype in (np.int64, np.float64):
        try:
            return text.astype(dtype)
        except (ValueError, OverflowError):
            continue
    return text


def _load_npy(path, mmap_mode=None, what="features"):
    with open(path, "rb") as handle:
        if handle.read(6) != b"\x93NUMPY":
            raise InputFileError(
                f"{path}: not a .npy file (it lacks numpy's header); save arrays with np.save, "
                "or give a .csv file the .csv extension."
            )
    try:
        return np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Python objects" in str(exc):
            fix = (
                "np.save(path, np.asarray(features, dtype=float))"
                if what == "features"
                else "np.save(path, np.asarray(labels, dtype=str)), or as integers"
            )
            raise InputFileError(
                f"{path}: holds Python objects (an object array), not {what} numpy can read "
                f"without pickle; save a plain array ({fix})."
            ) from exc
        raise InputFileError(f"{path}: not a readable .npy file ({exc}).") from exc
    except (OSError, EOFError) as exc:
        raise InputFileError(f"{path}: not a readable .npy file ({exc}).") from exc


def _load_npz(path, preferred):
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputFileError(f"{path}: not a readable .npz archive ({exc}).") from exc
    if not hasattr(archive, "keys"):
        raise InputFileError(f"{path}: a .npy array saved under a .npz name; rename it.")
    with archive:
        try:
            arrays = {key: archive[key] for key in archive.keys()}
        except ValueError as exc:
            raise InputFileError(f"{path}: holds Python objects, not numbers ({exc}).") from exc
    keys = list(arrays)
    key = keys[0] if len(keys) == 1 else next((k for k in preferred if k in keys), None)
    if key is None:
        raise InputFileError(
            f"{path}: holds several arrays ({', '.join(keys)}); name the wanted one "
            f"{preferred[0]!r}."
        )
    return arrays, key


def _check_numeric(X, path):
    if X.dtype.kind not in "biuf":
        kind = "complex numbers" if X.dtype.kind == "c" else f"dtype {X.dtype}"
        raise InputFileError(
            f"{path}: features must be real numbers, the file holds {kind}; save the real "
            "features (for complex values, their real and imaginary parts as columns)."
        )
    if X.ndim != 2:
        raise InputFileError(
            f"{path}: features must be a 2-D array (samples x features), got shape {X.shape}."
        )
    if X.shape[1] == 0:
        raise InputFileError(f"{path}: has no feature column (shape {X.shape}).")


def load_features(path, label_column=None, *, header="auto", index_col="auto"):
    """Load a feature matrix, the label column when one is named, and what was read.

    Parameters
    ----------
    path : str or Path
        ``.npy`` (opened memory-mapped), ``.npz`` (its only array, or the array named ``X``
        or ``features``), ``.csv`` or ``.parquet``.
    label_column : str, default=None
        Name of a column (or of the named index of a .parquet file) holding the labels; it is
        removed from the features.
    header, index_col : str, default="auto"
        The ``--header`` and ``--index-col`` rules of the command line.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or None
        The label column's raw values (see :func:`clean_labels`), or None.
    read : dict
        What was read: ``columns`` (names or None), ``header``, ``index``, ``note``.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    y = None
    read = {"columns": None, "header": None, "index": None, "note": None}
    if suffix == ".npy":
        X = _load_npy(path, mmap_mode="r")
    elif suffix == ".npz":
        arrays, key = _load_npz(path, ("X", "features"))
        X = arrays[key]
        if label_column is not None and label_column in arrays:
            y = arrays[label_column]
    elif suffix in (".csv", ".parquet"):
        table = read_table(path, header=header, index_col=index_col)
        if label_column is not None:
            if label_column in table.index_levels:
                y = table.index_levels[label_column]  # the named index holds the labels
                table.index = None
            elif label_column not in table.names:
                raise InputFileError(
                    f"{path}: has no column named {label_column!r} (columns: "
                    f"{', '.join(map(repr, table.names))}"
                    + ("" if table.header else "; no header row was read, see --header")
                    + ")."
                )
            else:
                y = table.pop(label_column)
        X, names = _table_features(table)
        read = {
            "columns": names,
            "header": table.header if suffix == ".csv" else None,
            "index": table.index,
            "note": (
                "the first row '0' was read as data (pass --header yes if it is pandas' "
                "column name)"
                if table.ambiguous_first_row
                else None
            ),
        }
    else:
        raise InputFileError(
            f"{path}: unknown file type {suffix!r}; use .npy, .npz, .csv or .parquet."
        )
    _check_numeric(X, path)
    return X, y, read


def load_labels(path, n_samples, *, header="auto", index_col="auto"):
    """Load raw labels: a .npy/.npz file (1-D) or a one-column table (.csv, .txt, .parquet).

    A text file's first line is a header when the rule of :func:`load_features` says so; a
    first line that may be either (text labels, or ``0`` above integers) is taken as a header
    only when the file has ``n_samples + 1`` lines. Returns ``(labels, note or None)``.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    note = None
    if suffix == ".npy":
        labels = _load_npy(path, what="labels")
    elif suffix == ".npz":
        arrays, key = _load_npz(path, ("y", "labels"))
        labels = arrays[key]
    else:
        table = read_table(path, header=header, index_col=index_col)
        columns = table.columns
        if len(columns) != 1:
            raise InputFileError(
                f"{path}: expected one label per line (one column besides an index), found "
                f"{len(columns)} columns; name the label column of a feature table with "
                "--labels COLUMN instead."
            )
        labels = columns[0]
        if table.ambiguous_first_row and labels.shape[0] == n_samples + 1:
            note = f"its first line {labels[0].strip()!r} was read as a header"
            labels = labels[1:]
    if labels.ndim == 2 and 1 in labels.shape:
        labels = labels.reshape(-1)
    if labels.ndim != 1:
        raise InputFileError(f"{path}: labels must be 1-D, got shape {labels.shape}.")
    if labels.dtype.kind not in "biufUS":  # complex, datetime, structured: not labels
        raise InputFileError(
            f"{path}: labels must be integers, strings or numbers, the file holds dtype "
            f"{labels.dtype}; save them as one of these."
        )
    return labels, note


def first_bad_rows(X, path, chunk_rows=65536):
    """Raise naming the first row that holds NaN or infinity, if any."""
    bad = []
    for start in range(0, X.shape[0], chunk_rows):
        block = np.asarray(X[start : start + chunk_rows], dtype=np.float64)
        rows = np.flatnonzero(~np.all(np.isfinite(block), axis=1))
        bad.extend((start + rows).tolist())
    if bad:
        more = f" (and {len(bad) - 1} other rows)" if len(bad) > 1 else ""
        raise InputFileError(
            f"{path}: row {bad[0]} contains NaN or infinity{more}; remove or impute those "
            "rows (rows are counted from 0, after any header)."
        )
