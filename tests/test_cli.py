"""The command line, called in-process as ``main(argv)`` on files the tests write (most of them
with pandas, as users' files are), and once as a subprocess."""

import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from _reference import make_task, paper_hscore
from scipy import stats as scipy_stats

import skhscore
from skhscore._cli import display_names, main, speak_in_flags


def rank(capsys, *args):
    """Run ``skhscore rank`` in-process; returns (exit status, stdout, stderr)."""
    status = main(["rank", *map(str, args)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def rank_json(capsys, *args):
    status, out, err = rank(capsys, *args, "--format", "json")
    assert status == 0, err
    return json.loads(out), err


def adjusted_hscore(F, y):
    """(H - E0) / (min(k, C - 1) - E0), E0 = rank (C - 1) / (n - 1) (REFERENCE.md)."""
    F = np.asarray(F, dtype=np.float64)
    n, n_classes = F.shape[0], np.unique(y).size
    rank_ = np.linalg.matrix_rank(F - F.mean(axis=0))
    null_mean = rank_ * (n_classes - 1) / (n - 1)
    return (paper_hscore(F, y) - null_mean) / (min(rank_, n_classes - 1) - null_mean)


def adjusted_shrunk_hscore(F, y, alpha=None):
    """(H_a - E0) / (M - E0) of the shrunk covariance S_a = (1 - a) S + a tr(S) / k I.

    Written as generalised symmetric eigenproblems of (S_B, S_a) and (S, S_a) with scipy
    (User Guide, "The chance-adjusted score"); a: scikit-learn's Ledoit-Wolf intensity.
    """
    from scipy.linalg import eigh
    from sklearn.covariance import ledoit_wolf_shrinkage

    F = np.asarray(F, dtype=np.float64)
    n, k = F.shape
    centred = F - F.mean(axis=0)
    alpha = ledoit_wolf_shrinkage(centred) if alpha is None else alpha
    q = np.unique(y).size - 1
    S = centred.T @ centred / n
    class_means = np.array([centred[y == label].mean(axis=0) for label in y])
    S_B = class_means.T @ class_means / n
    S_a = (1 - alpha) * S + alpha * np.trace(S) / k * np.eye(k)
    value = eigh(S_B, S_a, eigvals_only=True).sum()
    gains = eigh(S, S_a, eigvals_only=True)  # ascending
    null_mean = q / (n - 1) * gains.sum()
    gains = gains[gains > 1e-10 * gains.max()][::-1]  # the rank r of the features, descending
    return (value - null_mean) / (gains[:q].sum() * q / min(q, gains.size) - null_mean)


@pytest.fixture
def task():
    """A frame of 4 informative features of 150 samples in 3 classes, and its labels."""
    X, y = make_task(0, n=150, k=4, n_classes=3, signal=3.0)
    return pd.DataFrame(X), y


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
    pd.DataFrame(noise).to_csv(tmp_path / "noise.csv", header=False, index=False)
    labelled = pd.DataFrame(noise, columns=[f"f{i}" for i in range(6)]).assign(label=names)
    labelled.to_csv(tmp_path / "labelled.csv", index=False)
    (tmp_path / "labels.txt").write_text("\n".join(names) + "\n")
    features = {"strong": strong, "weak": weak, "noise": noise}
    return tmp_path, features, names


# ----------------------------------------------------------------------------- ranking
def test_rank_json_orders_candidates_and_values_are_right(candidates, capsys):
    path, features, names = candidates
    rows, _ = rank_json(
        capsys, path / "noise.csv", path / "weak.npz", path / "strong.npy",
        "--labels", path / "labels.txt", "--rank-by", "h",
    )  # fmt: skip
    expected = {name: paper_hscore(F, names) for name, F in features.items()}
    assert [row["name"] for row in rows] == sorted(expected, key=lambda n: -expected[n])
    for row in rows:
        assert row["h_score"] == pytest.approx(expected[row["name"]], rel=1e-9)
        assert row["adjusted"] == pytest.approx(adjusted_hscore(features[row["name"]], names))
        assert row["adjusted_shrunk"] == pytest.approx(
            adjusted_shrunk_hscore(features[row["name"]], names), rel=1e-8
        )
        assert (row["n"], row["C"], row["ranked_by"]) == (150, 3, "h")
        assert row["k"] == features[row["name"]].shape[1]
        assert 0.0 <= row["pvalue"] <= 1.0
    assert [row["rank"] for row in rows] == [1, 2, 3]
    assert rows[0]["pvalue"] < 1e-10  # the planted signal is significant


def test_rank_by_chooses_the_score_and_the_output_says_which(tmp_path, capsys):
    """Wide noise beats a narrow weak signal on plain H (the width bias), not once adjusted."""
    rng = np.random.default_rng(3)
    y = np.repeat([0, 1, 2], 50)
    signal = (y[:, None] == [0, 1]) * 0.6 + rng.normal(size=(150, 2))
    wide_noise = rng.normal(size=(150, 60))
    np.save(tmp_path / "signal.npy", signal)
    np.save(tmp_path / "wide.npy", wide_noise)
    np.save(tmp_path / "y.npy", y)
    plain = {"signal": paper_hscore(signal, y), "wide": paper_hscore(wide_noise, y)}
    adjusted = {"signal": adjusted_hscore(signal, y), "wide": adjusted_hscore(wide_noise, y)}
    assert plain["wide"] > plain["signal"] and adjusted["signal"] > adjusted["wide"]
    files = (tmp_path / "signal.npy", tmp_path / "wide.npy", "--labels", tmp_path / "y.npy")
    by_h, _ = rank_json(capsys, *files, "--rank-by", "h")
    assert [row["name"] for row in by_h] == ["wide", "signal"]
    by_adjusted, _ = rank_json(capsys, *files, "--rank-by", "adjusted")
    assert [row["name"] for row in by_adjusted] == ["signal", "wide"]
    assert {row["ranked_by"] for row in by_adjusted} == {"adjusted"}
    for row in by_adjusted:
        assert row["adjusted"] == pytest.approx(adjusted[row["name"]], rel=1e-9)
    # the default: the library's model-selection score, h_score(F, y, "auto", adjusted=True)
    selection = {
        "signal": adjusted_shrunk_hscore(signal, y),
        "wide": adjusted_shrunk_hscore(wide_noise, y),
    }
    assert selection["signal"] > selection["wide"]
    default, _ = rank_json(capsys, *files)
    assert [row["name"] for row in default] == ["signal", "wide"]
    assert {row["ranked_by"] for row in default} == {"adjusted-shrunk"}
    for row in default:
        assert row["adjusted_shrunk"] == pytest.approx(selection[row["name"]], rel=1e-8)
    fixed, _ = rank_json(capsys, *files, "--shrinkage", "0.3")
    for row in fixed:
        expected = adjusted_shrunk_hscore(
            signal if row["name"] == "signal" else wide_noise, y, 0.3
        )
        assert row["adjusted_shrunk"] == pytest.approx(expected, rel=1e-8)
    status, out, _ = rank(capsys, *files)
    assert status == 0 and "Ranked by the chance-adjusted shrunk H-score" in out
    assert "--rank-by adjusted-shrunk" in out and "adj shrunk" in out
    shrunk, _ = rank_json(capsys, *files, "--rank-by", "shrunk", "--shrinkage", "0.5")
    values = [row["h_shrunk"] for row in shrunk]
    assert values == sorted(values, reverse=True)
    status, out, _ = rank(capsys, *files, "--rank-by", "shrunk")
    assert status == 0 and "Ranked by the shrunk H-score" in out and "--rank-by shrunk" in out


@pytest.mark.parametrize(
    "paths, expected",
    [
        (["resnet/layer4.npy", "vit/layer4.npy"], ["resnet/layer4", "vit/layer4"]),
        (["a/b/x.npy", "c/b/x.npy", "y.npy"], ["a/b/x", "c/b/x", "y"]),
        (["feats/a.npy", "feats/a.csv"], ["a.npy", "a.csv"]),
        (["same.npy", "same.npy"], ["same.npy (1)", "same.npy (2)"]),
    ],
)
def test_equal_stems_are_told_apart_by_the_shortest_path_suffix(paths, expected):
    assert display_names(paths) == expected


def test_equal_stems_in_the_output(tmp_path, capsys, task):
    frame, y = task
    for model in ("resnet", "vit"):
        (tmp_path / model).mkdir()
        np.save(tmp_path / model / "layer4.npy", frame.to_numpy())
    np.save(tmp_path / "y.npy", y)
    rows, _ = rank_json(
        capsys, tmp_path / "resnet/layer4.npy", tmp_path / "vit/layer4.npy",
        "--labels", tmp_path / "y.npy",
    )  # fmt: skip
    assert [row["name"] for row in rows] == ["resnet/layer4", "vit/layer4"]


def test_label_column_csv_output_and_table(candidates, capsys):
    path, features, names = candidates
    status, out, err = rank(capsys, path / "labelled.csv", "--labels", "label", "--format", "csv")
    assert status == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("rank,name,adjusted_shrunk,h_score")
    values = lines[1].split(",")
    expected = adjusted_shrunk_hscore(features["noise"], names)
    assert float(values[2]) == pytest.approx(expected, rel=1e-8)
    assert float(values[3]) == pytest.approx(paper_hscore(features["noise"], names), rel=1e-9)
    status, out, err = rank(
        capsys, path / "strong.npy", path / "weak.npz", "--labels", "labels.txt"
    )
    assert status == 2 and "labels.txt" in err  # a relative name that is neither file nor column
    status, out, err = rank(
        capsys, path / "strong.npy", path / "weak.npz", "--labels", path / "labels.txt"
    )
    assert status == 0, err
    assert out.index("strong") < out.index("weak")


def test_sample_option_scores_a_subsample(candidates, capsys):
    path, _, _ = candidates
    rows, err = rank_json(
        capsys, path / "strong.npy", "--labels", path / "labels.txt", "--sample", 60
    )
    assert rows[0]["n"] == 60 and "random sample of 60 rows" in err


def test_regression_target(tmp_path, capsys):
    """One continuous target: H is the R^2 of the least-squares fit of y on the features."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(scale=2.0, size=200)
    np.save(tmp_path / "X.npy", X)
    np.savetxt(tmp_path / "y.txt", y)
    design = np.column_stack([np.ones(200), X])
    residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    r2 = 1 - residual @ residual / np.sum((y - y.mean()) ** 2)
    rows, _ = rank_json(
        capsys, tmp_path / "X.npy", "--labels", tmp_path / "y.txt", "--target", "regression"
    )
    assert rows[0]["h_score"] == pytest.approx(r2, rel=1e-9)
    assert rows[0]["C"] is None


# ---------------------------------------------------------------- files written by pandas
def test_to_csv_with_index_and_numeric_header(tmp_path, capsys, task):
    """``,0,1,2,3`` header and an index column: neither is scored."""
    frame, y = task
    frame.to_csv(tmp_path / "features.csv")
    np.save(tmp_path / "y.npy", y)
    rows, err = rank_json(capsys, tmp_path / "features.csv", "--labels", tmp_path / "y.npy")
    assert rows[0]["h_score"] == pytest.approx(paper_hscore(frame.to_numpy(), y), rel=1e-9)
    assert (rows[0]["n"], rows[0]["k"]) == (150, 4)
    assert "150 rows x 4 features; columns 0, 1, 2, 3; header row read; index" in err


def test_to_csv_without_index_numeric_header(tmp_path, capsys, task):
    frame, y = task
    frame.to_csv(tmp_path / "features.csv", index=False)
    np.save(tmp_path / "y.npy", y)
    rows, err = rank_json(capsys, tmp_path / "features.csv", "--labels", tmp_path / "y.npy")
    assert rows[0]["h_score"] == pytest.approx(paper_hscore(frame.to_numpy(), y), rel=1e-9)
    assert (rows[0]["n"], rows[0]["k"]) == (150, 4)
    assert "set aside" not in err
    # --header no reads pandas' names as a data row: one more row than labels, refused
    status, _, err = rank(
        capsys, tmp_path / "features.csv", "--labels", tmp_path / "y.npy", "--header", "no"
    )
    assert status == 2 and "has 151 rows but" in err


@pytest.mark.parametrize("index", [True, False])
def test_series_to_csv_as_features_and_as_labels(tmp_path, capsys, index):
    """A Series writes ``0`` (or ``,0``) above its values: a header, for features and labels."""
    rng = np.random.default_rng(5)
    y = np.repeat([0, 1], 40)
    feature = pd.Series(y * 1.5 + rng.normal(size=80))
    feature.to_csv(tmp_path / "feature.csv", index=index)
    pd.Series(y).to_csv(tmp_path / "labels.csv", index=index)
    rows, err = rank_json(capsys, tmp_path / "feature.csv", "--labels", tmp_path / "labels.csv")
    expected = paper_hscore(feature.to_numpy()[:, None], y)
    assert rows[0]["h_score"] == pytest.approx(expected, rel=1e-9)
    assert (rows[0]["n"], rows[0]["k"], rows[0]["C"]) == (80, 1, 2)


def test_label_file_whose_first_label_is_zero_keeps_it(tmp_path, capsys, task):
    frame, y = task
    y = np.sort(y)  # the first label is 0, as pandas' Series header would be
    np.save(tmp_path / "X.npy", frame.to_numpy())
    np.savetxt(tmp_path / "labels.txt", y, fmt="%d")
    rows, err = rank_json(capsys, tmp_path / "X.npy", "--labels", tmp_path / "labels.txt")
    assert rows[0]["h_score"] == pytest.approx(paper_hscore(frame.to_numpy(), y), rel=1e-9)
    assert "header" not in err


def test_string_header_with_label_column_and_index(tmp_path, capsys, task):
    frame, y = task
    named = frame.set_axis(["a", "b", "c", "d"], axis=1).assign(species=np.array(list("xyz"))[y])
    named.to_csv(tmp_path / "table.csv")
    rows, err = rank_json(capsys, tmp_path / "table.csv", "--labels", "species")
    assert rows[0]["h_score"] == pytest.approx(paper_hscore(frame.to_numpy(), y), rel=1e-9)
    assert (rows[0]["k"], rows[0]["C"]) == (4, 3)
    assert "columns a, b, c, d" in err and "labels from column 'species'" in err


def test_headerless_index_column_is_refused_then_set_aside_by_flag(tmp_path, capsys, task):
    frame, y = task
    frame.to_csv(tmp_path / "table.csv", header=False)
    np.save(tmp_path / "y.npy", y)
    args = (tmp_path / "table.csv", "--labels", tmp_path / "y.npy")
    status, _, err = rank(capsys, *args)
    assert status == 2 and "like a pandas index" in err and "--index-col 0" in err
    rows, _ = rank_json(capsys, *args, "--index-col", "0")
    assert rows[0]["h_score"] == pytest.approx(paper_hscore(frame.to_numpy(), y), rel=1e-9)
    rows, _ = rank_json(capsys, *args, "--index-col", "none")
    with_index = np.column_stack([np.arange(150), frame.to_numpy()])
    assert rows[0]["h_score"] == pytest.approx(paper_hscore(with_index, y), rel=1e-9)


def test_parquet_named_index_is_the_index_and_can_hold_the_labels(tmp_path, capsys, task):
    pytest.importorskip("pyarrow")
    frame, y = task
    named = frame.set_axis(["a", "b", "c", "d"], axis=1)
    ids = pd.Index([f"s{i}" for i in range(150)], name="sample")
    named.assign(label=y).set_index(ids).to_parquet(tmp_path / "by_id.parquet")
    rows, err = rank_json(capsys, tmp_path / "by_id.parquet", "--labels", "label")
    assert rows[0]["h_score"] == pytest.approx(paper_hscore(frame.to_numpy(), y), rel=1e-9)
    assert rows[0]["k"] == 4 and "index sample set aside" in err
    named.set_index(pd.Index(y, name="label")).to_parquet(tmp_path / "by_label.parquet")
    rows, _ = rank_json(capsys, tmp_path / "by_label.parquet", "--labels", "label")
    assert rows[0]["h_score"] == pytest.approx(paper_hscore(frame.to_numpy(), y), rel=1e-9)
    assert (rows[0]["k"], rows[0]["C"]) == (4, 3)


@pytest.mark.parametrize("missing", ["", None, np.nan])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_missing_labels_are_refused_naming_the_rows(tmp_path, capsys, task, missing, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    frame, y = task
    labels = pd.Series(np.array(["cat", "dog", "eel"])[y], dtype=object)
    labels[[4, 90]] = missing
    table = frame.set_axis(list("abcd"), axis=1).assign(label=labels)
    path = tmp_path / f"table{suffix}"
    table.to_csv(path) if suffix == ".csv" else table.to_parquet(path)
    status, _, err = rank(capsys, path, "--labels", "label")
    assert status == 2
    assert "2 missing label(s)" in err and "rows 4, 90" in err


def test_missing_labels_in_a_label_file(tmp_path, capsys, task):
    frame, y = task
    np.save(tmp_path / "X.npy", frame.to_numpy())
    labels = pd.Series(y.astype(float))
    labels[7] = np.nan
    labels.to_csv(tmp_path / "labels.csv", index=False)
    np.save(tmp_path / "labels.npy", labels.to_numpy())
    for name in ("labels.csv", "labels.npy"):
        status, _, err = rank(capsys, tmp_path / "X.npy", "--labels", tmp_path / name)
        assert status == 2 and "1 missing label(s)" in err and "rows 7;" in err


def test_a_text_cell_in_a_feature_column_is_named(tmp_path, capsys, task):
    frame, y = task
    table = frame.set_axis(list("abcd"), axis=1).astype(object)
    table.loc[12, "c"] = "n.a."
    table.assign(label=y).to_csv(tmp_path / "table.csv", index=False)
    status, _, err = rank(capsys, tmp_path / "table.csv", "--labels", "label")
    assert status == 2 and "column 'c', row 12 holds 'n.a.', not a number" in err


@pytest.mark.parametrize("as_column", [True, False])
def test_whole_float_labels_in_a_csv_warn_like_a_regression_target(tmp_path, capsys, as_column):
    """pandas writes a float target of whole numbers as "151.0": read back as numbers, it
    gets the library's regression-like warning (in flags) instead of passing as text."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = np.round(50 * rng.normal(size=120) + 150).astype(np.float64)
    assert np.unique(y).size > 40
    pd.Series(y, name="target").to_csv(tmp_path / "y.csv", index=False)
    pd.DataFrame(X).assign(target=y).to_csv(tmp_path / "table.csv", index=False)
    np.save(tmp_path / "X.npy", X)
    args = (
        (tmp_path / "table.csv", "--labels", "target")
        if as_column
        else (tmp_path / "X.npy", "--labels", tmp_path / "y.csv")
    )
    rows, err = rank_json(capsys, *args, "--rank-by", "h")
    assert "it looks like a regression target" in err and "--target regression" in err
    assert rows[0]["C"] == np.unique(y).size
    assert rows[0]["h_score"] == pytest.approx(paper_hscore(X, y), rel=1e-9)


# -------------------------------------------------------------- messages, flags, version
def test_warnings_become_messages_in_flags(tmp_path, capsys):
    """More columns than samples: the library's warning, in the command line's words."""
    rng = np.random.default_rng(0)
    np.save(tmp_path / "wide.npy", rng.normal(size=(10, 20)))
    np.save(tmp_path / "y.npy", np.arange(10) % 2)
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        status, _, err = rank(capsys, tmp_path / "wide.npy", "--labels", tmp_path / "y.npy")
    assert status == 0 and escaped == []
    assert "skhscore rank: warning: " in err and "wide.npy: The H-score test is degenerate" in err
    assert "--test permutation" in err and "method=" not in err and "shrinkage=" not in err


def test_permutation_test_flag(tmp_path, capsys):
    """The smallest p-value of N permutations is 1 / (N + 1), reached by a perfect signal."""
    y = np.repeat([0, 1], 20)
    np.save(tmp_path / "X.npy", np.column_stack([y, np.arange(40) % 3]).astype(float))
    np.save(tmp_path / "y.npy", y)
    rows, _ = rank_json(
        capsys, tmp_path / "X.npy", "--labels", tmp_path / "y.npy",
        "--test", "permutation", "--permutations", 49,
    )  # fmt: skip
    assert rows[0]["pvalue"] == pytest.approx(1 / 50)


@pytest.mark.parametrize(
    "message, expected",
    [
        ("use target='regression' instead", "use --target regression instead"),
        ('pass target="regression".', "pass --target regression."),
        ("try shrinkage='auto'", "try --rank-by adjusted-shrunk --shrinkage auto"),
        ("with method='permutation'", "with --test permutation"),
        ("no keyword here", "no keyword here"),
    ],
)
def test_keyword_advice_is_rewritten_as_flags(message, expected):
    assert speak_in_flags(message) == expected


def test_pvalues_below_double_precision_print_as_a_bound(tmp_path, capsys):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 400)
    X = np.eye(3)[y] * 8 + rng.normal(size=(1200, 3))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    # the F approximation of Pillai's trace (statsmodels' MANOVA), its log tail by scipy
    from statsmodels.multivariate.manova import MANOVA

    frame = pd.DataFrame(X, columns=["x0", "x1", "x2"]).assign(g=y.astype(str))
    pillai = MANOVA.from_formula("x0 + x1 + x2 ~ g", frame).mv_test().results["g"]["stat"]
    row = pillai.loc["Pillai's trace"]
    log_p = scipy_stats.f.logsf(row["F Value"], row["Num DF"], row["Den DF"])
    assert log_p < np.log(1e-300)
    status, out, _ = rank(capsys, tmp_path / "X.npy", "--labels", tmp_path / "y.npy")
    assert status == 0 and "< 1e-300" in out and "e-31" not in out and "0.00e+00" not in out
    rows, _ = rank_json(capsys, tmp_path / "X.npy", "--labels", tmp_path / "y.npy")
    assert rows[0]["pvalue"] == "< 1e-300"


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"skhscore {skhscore.__version__}"


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


def complex_npy(path):
    np.save(path / "complex.npy", np.ones((150, 2), dtype=complex))
    return path / "complex.npy"


def object_npy(path):
    np.save(path / "object.npy", np.array([[1, "a"]] * 150, dtype=object))
    return path / "object.npy"


def text_as_npy(path):
    (path / "text.npy").write_text("1,2\n3,4\n")
    return path / "text.npy"


@pytest.mark.parametrize(
    "make_bad, message",
    [
        (missing_file, "missing.npy: no such file"),
        (too_few_rows, "short.npy has 100 rows but"),
        (nan_in_row_17, "nan.npy: row 17 contains NaN"),
        (unknown_type, "unknown file type"),
        (complex_npy, "complex.npy: features must be real numbers, the file holds complex"),
        (object_npy, "object.npy: holds Python objects"),
        (text_as_npy, "text.npy: not a .npy file"),
    ],
)
def test_helpful_errors_name_the_file_and_row(candidates, capsys, make_bad, message):
    path, _, _ = candidates
    status, _, err = rank(
        capsys, path / "strong.npy", make_bad(path), "--labels", path / "labels.txt"
    )
    assert status == 2
    assert message in err
    assert "Traceback" not in err


def no_columns(path):
    np.save(path / "empty.npy", np.ones((150, 0)))
    return path / "empty.npy"


@pytest.mark.parametrize(
    "make_bad, message",
    [
        (no_columns, "empty.npy: has no feature column (shape (150, 0))"),
    ],
)
def test_helpful_errors_name_the_feature_file(candidates, capsys, make_bad, message):
    path, _, _ = candidates
    status, _, err = rank(capsys, make_bad(path), "--labels", path / "labels.txt")
    assert status == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize(
    "labels, message",
    [
        (np.ones(150, dtype=complex), "y.npy: labels must be integers, strings or numbers"),
        (np.array([1, "a"] * 75, dtype=object), "y.npy: holds Python objects"),
        (np.arange(150) + 0.5, "strong.npy: y looks continuous"),  # the library's error
        (np.zeros(150, dtype=int), "strong.npy: y has a single class"),
    ],
)
def test_label_errors_name_a_file(candidates, capsys, labels, message):
    """A label file numpy or the library cannot use is named (not numpy's bare text, not a
    dump of the array); the library's own errors are prefixed with the file being scored."""
    path, _, _ = candidates
    np.save(path / "y.npy", labels, allow_pickle=True)
    status, _, err = rank(capsys, path / "strong.npy", "--labels", path / "y.npy")
    assert status == 2 and message in err and "Traceback" not in err
    assert "\n[" not in repr(err) and "np.asarray(features" not in err
    assert "cross-validation" not in err  # the command line has no folds


def test_unknown_label_column_is_reported(candidates, capsys):
    path, _, _ = candidates
    status, _, err = rank(capsys, path / "labelled.csv", "--labels", "species")
    assert status == 2
    assert "no column named 'species'" in err


# ---------------------------------------------------------------------- as a program
def test_help_imports_no_heavy_module():
    code = (
        "import sys\nfrom skhscore._cli import main\n"
        "try:\n    main(['rank', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'pandas'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "--rank-by" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_subprocess_smoke(candidates):
    path, features, names = candidates
    result = subprocess.run(
        [sys.executable, "-m", "skhscore", "rank", str(path / "strong.npy"), "--labels",
         str(path / "labels.txt"), "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)[0]
    assert row["h_score"] == pytest.approx(paper_hscore(features["strong"], names), rel=1e-9)
    assert "read " in result.stderr
