"""The command line, run as a subprocess on files the tests write."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
from _reference import make_task, paper_hscore


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "skhscore", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def candidates(tmp_path):
    """Three candidates' features of the same 150 labelled samples, and the labels."""
    strong, y = make_task(0, n=150, k=4, n_classes=3, signal=3.0)
    rng = np.random.default_rng(1)
    weak = strong[:, :1] + rng.normal(scale=3.0, size=(150, 1))
    noise = rng.normal(size=(150, 6))
    names = np.array(["cat", "dog", "eel"])[y]
    np.save(tmp_path / "strong.npy", strong)
    np.savez(tmp_path / "weak.npz", X=weak)
    with open(tmp_path / "noise.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(noise)  # no header
    with open(tmp_path / "labelled.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"f{i}" for i in range(6)] + ["label"])
        writer.writerows([*row, label] for row, label in zip(noise, names, strict=True))
    (tmp_path / "labels.txt").write_text("\n".join(names) + "\n")
    features = {"strong": strong, "weak": weak, "noise": noise}
    return tmp_path, features, names


def test_rank_json_orders_candidates_and_values_are_right(candidates):
    path, features, names = candidates
    result = run(
        "rank", path / "noise.csv", path / "weak.npz", path / "strong.npy",
        "--labels", path / "labels.txt", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    expected = {name: paper_hscore(F, names) for name, F in features.items()}
    assert [row["name"] for row in rows] == sorted(expected, key=lambda n: -expected[n])
    for row in rows:
        assert row["h_score"] == pytest.approx(expected[row["name"]], rel=1e-9)
        assert (row["n"], row["C"]) == (150, 3)
        assert row["k"] == features[row["name"]].shape[1]
        assert 0.0 <= row["pvalue"] <= 1.0
    assert [row["rank"] for row in rows] == [1, 2, 3]
    assert rows[0]["pvalue"] < 1e-10  # the planted signal is significant


def test_rank_label_column_and_csv_and_table_output(candidates):
    path, features, names = candidates
    result = run("rank", path / "labelled.csv", "--labels", "label", "--format", "csv")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("rank,name,h_score")
    value = float(lines[1].split(",")[2])
    assert value == pytest.approx(paper_hscore(features["noise"], names), rel=1e-9)
    table = run("rank", path / "strong.npy", path / "weak.npz", "--labels", path / "labels.txt")
    assert table.returncode == 0, table.stderr
    assert table.stdout.index("strong") < table.stdout.index("weak")


def test_sample_option_scores_a_subsample(candidates):
    path, _, _ = candidates
    result = run(
        "rank", path / "strong.npy", "--labels", path / "labels.txt",
        "--sample", 60, "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["n"] == 60


def missing_file(path):
    return path / "missing.npy"


def too_few_rows(path):
    np.save(path / "short.npy", np.ones((100, 2)))
    return path / "short.npy"


def nan_in_row_17(path):
    X = np.ones((150, 2))
    X[17, 1] = np.nan
    np.save(path / "nan.npy", X)
    return path / "nan.npy"


def unknown_type(path):
    (path / "x.txt").write_text("1 2\n")
    return path / "x.txt"


@pytest.mark.parametrize(
    "make_bad, message",
    [
        (missing_file, "missing.npy: no such file"),
        (too_few_rows, "short.npy has 100 rows but"),
        (nan_in_row_17, "nan.npy: row 17 contains NaN"),
        (unknown_type, "unknown file type"),
    ],
)
def test_helpful_errors_name_the_file_and_row(candidates, make_bad, message):
    path, _, _ = candidates
    result = run("rank", path / "strong.npy", make_bad(path), "--labels", path / "labels.txt")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_label_column_is_reported(candidates):
    path, _, _ = candidates
    result = run("rank", path / "labelled.csv", "--labels", "species")
    assert result.returncode == 2
    assert "no column named 'species'" in result.stderr
