"""Reading feature and label files for the command line (.npy, .npz, .csv, .parquet)."""

import csv
from pathlib import Path

import numpy as np


class InputFileError(ValueError):
    """A feature or label file that cannot be used, with the file named in the message."""


def _read_csv(path):
    """Return ``(header or None, rows as lists of strings)`` of a comma-separated file."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row]
    if not rows:
        raise InputFileError(f"{path}: the file is empty.")
    try:
        [float(value) for value in rows[0]]
    except ValueError:
        return [name.strip() for name in rows[0]], rows[1:]
    return None, rows


def _read_table(path):
    """Return ``(column names or None, 2-D object array)`` of a .csv or .parquet file."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            import pandas as pd

            frame = pd.read_parquet(path)
        except ImportError as exc:
            raise InputFileError(
                f"{path}: reading .parquet files needs pandas and pyarrow "
                "(python -m pip install pandas pyarrow)."
            ) from exc
        return [str(c) for c in frame.columns], frame.to_numpy(dtype=object)
    header, rows = _read_csv(path)
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise InputFileError(f"{path}: rows have different numbers of columns {sorted(widths)}.")
    return header, np.array(rows, dtype=object)


def _to_float(values, path, names=None):
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputFileError(
            f"{path}: the feature columns must be numeric ({exc}); "
            + ("columns: " + ", ".join(names) if names else "")
        ) from exc


def load_features(path, label_column=None):
    """Load a feature matrix, and the label column when one is named.

    Parameters
    ----------
    path : str or Path
        ``.npy`` (opened memory-mapped), ``.npz`` (its only array, or the array named ``X``
        or ``features``), ``.csv`` (optional header row) or ``.parquet``.
    label_column : str, default=None
        Name of a column of a .csv/.parquet file holding the labels; it is removed from the
        features.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or None
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    y = None
    if suffix == ".npy":
        X = np.load(path, mmap_mode="r", allow_pickle=False)
    elif suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.keys())
            key = (
                keys[0]
                if len(keys) == 1
                else next((k for k in ("X", "features") if k in keys), None)
            )
            if key is None:
                raise InputFileError(
                    f"{path}: holds several arrays ({', '.join(keys)}); name the features 'X'."
                )
            X = archive[key]
            if label_column is not None and label_column in keys:
                y = archive[label_column]
    elif suffix in (".csv", ".parquet"):
        names, table = _read_table(path)
        if label_column is not None:
            if names is None or label_column not in names:
                raise InputFileError(
                    f"{path}: has no column named {label_column!r}"
                    + (f" (columns: {', '.join(names)})" if names else " (no header row)")
                )
            index = names.index(label_column)
            y = labels_from_strings(table[:, index])
            table = np.delete(table, index, axis=1)
            names = names[:index] + names[index + 1 :]
        X = _to_float(table, path, names)
    else:
        raise InputFileError(
            f"{path}: unknown file type {suffix!r}; use .npy, .npz, .csv or .parquet."
        )
    if X.ndim != 2:
        raise InputFileError(
            f"{path}: features must be a 2-D array (samples x features), got shape {X.shape}."
        )
    return X, y


def labels_from_strings(values):
    """Text labels as integers when they all are, else as strings (so "1" and "01" agree)."""
    values = np.array([str(v).strip() for v in values], dtype=object)
    try:
        return values.astype(np.int64)
    except ValueError:
        return values.astype(str)


def load_labels(path):
    """Load labels from a .npy/.npz file (1-D) or a text/.csv file with one label per line.

    A text file has no header line, except that a first line that is not a number above
    numeric labels is taken as a header.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        labels = np.load(path, allow_pickle=False)
    elif suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.keys())
            key = keys[0] if len(keys) == 1 else ("y" if "y" in keys else None)
            if key is None:
                raise InputFileError(
                    f"{path}: holds several arrays ({', '.join(keys)}); name the labels 'y'."
                )
            labels = archive[key]
    else:
        header, rows = _read_csv(path)
        if header is not None:
            rows = [header, *rows]
        if any(len(row) != 1 for row in rows):
            raise InputFileError(f"{path}: expected one label per line.")
        labels = labels_from_strings(row[0] for row in rows)
        if labels.dtype.kind == "U" and labels_from_strings(labels[1:]).dtype.kind == "i":
            labels = labels_from_strings(labels[1:])  # a header line above numeric labels
    if labels.ndim == 2 and 1 in labels.shape:
        labels = labels.reshape(-1)
    if labels.ndim != 1:
        raise InputFileError(f"{path}: labels must be 1-D, got shape {labels.shape}.")
    return labels


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
