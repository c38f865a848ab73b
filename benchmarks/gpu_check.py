"""GPU check: h_score through the array-API path on a CUDA tensor against the NumPy CPU path.

Needs PyTorch with CUDA (no network, no dataset: the data are generated on the GPU). Run from
the repository root, no install needed:

    python3 benchmarks/gpu_check.py

It generates features of shape (50000, 2048) with 100 classes on the GPU (float32, as a
network outputs them), computes h_score on the GPU (``array_api_dispatch=True``: centring,
scatter and class sums on the device, the k x k factorisation on the host) and with NumPy on
the CPU from the same numbers, prints both values, their relative difference and the median
times (``torch.cuda.synchronize`` around each GPU run), and exits with status 1 if they differ
by more than 1e-6 relative (2 when no CUDA device is found). About a minute on an H100.
``--device cpu --n 5000 --k 256`` is a quick dry run on a machine without a GPU. It then checks
skhscore.nn on the device: ``rank_layers`` of a small conv net with the statistics taken on
the device (array-API path, counted) against ``h_score`` of each layer's features on the host,
and ``h_score`` of grad-tracking, bfloat16 and float16 tensors on the device.
"""

import argparse
import os
import sys
import time
from pathlib import Path

# scikit-learn only allows array_api_dispatch when scipy's array API support is on, and scipy
# reads this variable when it is first imported: set it before anything imports scipy.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

TOLERANCE = 1e-6


def median_time(fn, reps, sync):
    times, value = [], None
    for _ in range(reps):
        sync()
        start = time.perf_counter()
        value = fn()
        sync()
        times.append(time.perf_counter() - start)
    times.sort()
    return value, times[len(times) // 2], times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--k", type=int, default=2048)
    parser.add_argument("--classes", type=int, default=100)
    parser.add_argument("--device", default="cuda", help="torch device (cpu for a dry run)")
    parser.add_argument("--gpu-reps", type=int, default=5)
    parser.add_argument("--cpu-reps", type=int, default=3)
    args = parser.parse_args()

    try:
        import torch
    except ImportError:
        print("FAIL: PyTorch is not installed; this check needs torch with CUDA.")
        return 2
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("FAIL: torch.cuda.is_available() is False: no CUDA device to check.")
        return 2

    import numpy as np
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    import skhscore
    from skhscore import h_score
    from skhscore._engine import array_api_statistics

    device = torch.device(args.device)
    on_cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if on_cuda else (lambda: None)
    name = torch.cuda.get_device_name(device) if on_cuda else "CPU (dry run)"
    blas = sorted({(i["internal_api"], i.get("num_threads")) for i in threadpool_info()})
    print(
        f"device: {name}; torch {torch.__version__}, numpy {np.__version__}, scipy "
        f"{scipy.__version__}, scikit-learn {sklearn.__version__}, skhscore "
        f"{skhscore.__version__}; CPU BLAS {blas}, {os.cpu_count()} cores"
    )
    n, k, n_classes = args.n, args.k, args.classes
    print(f"data: n={n}, k={k}, C={n_classes}, float32 features generated on {device}")

    gen = torch.Generator(device=device).manual_seed(0)
    y = torch.randint(0, n_classes, (n,), device=device, generator=gen)
    centres = 0.15 * torch.randn(n_classes, k, device=device, generator=gen)
    mixing = torch.randn(k, k, device=device, generator=gen) / k**0.5
    X = (torch.randn(n, k, device=device, generator=gen) + centres[y]) @ (
        torch.eye(k, device=device) + 0.5 * mixing
    ) + 3.0
    X = X.to(torch.float32).contiguous()
    sync()
    X_cpu, y_cpu = X.cpu().numpy(), y.cpu().numpy()

    with sklearn.config_context(array_api_dispatch=True):
        h_score(X, y)  # warm-up: CUDA context, cuBLAS handles, kernels
        h_gpu, t_gpu, gpu_times = median_time(lambda: h_score(X, y), args.gpu_reps, sync)
        stats_gpu = array_api_statistics(X, y)
        stats_gpu32 = array_api_statistics(X, y, scatter_dtype=np.float32)
        _, t_gpu32, _ = median_time(
            lambda: h_score(array_api_statistics(X, y, scatter_dtype=np.float32)),
            args.gpu_reps,
            sync,
        )
    h_cpu, t_cpu, cpu_times = median_time(lambda: h_score(X_cpu, y_cpu), args.cpu_reps, sync)
    h_cpu_auto = h_score(X_cpu, y_cpu, shrinkage="auto")

    checks = {
        "h_score": (h_gpu, h_cpu),
        "h_score, shrinkage='auto'": (h_score(stats_gpu, shrinkage="auto"), h_cpu_auto),
    }
    failed = False
    print()
    for label, (gpu, cpu) in checks.items():
        rel = abs(gpu - cpu) / abs(cpu)
        ok = rel <= TOLERANCE and np.isfinite(gpu)
        failed |= not ok
        print(
            f"{label:28s} GPU {gpu:.12f}  CPU {cpu:.12f}  rel. diff {rel:.1e}  "
            f"{'OK' if ok else 'FAIL'} (tolerance {TOLERANCE:.0e})"
        )
    h32 = h_score(stats_gpu32)
    print(
        f"{'float32 scatter on GPU':28s} GPU {h32:.12f}  rel. diff to CPU float64 "
        f"{abs(h32 - h_cpu) / h_cpu:.1e} (informative, not checked)"
    )
    print()
    print(
        f"GPU h_score (float64 on device): median {t_gpu:.3f} s of {args.gpu_reps} "
        f"[{', '.join(f'{t:.3f}' for t in gpu_times)}]"
    )
    print(f"GPU h_score, float32 scatter:    median {t_gpu32:.3f} s")
    print(
        f"CPU h_score (NumPy):             median {t_cpu:.3f} s of {args.cpu_reps} "
        f"[{', '.join(f'{t:.3f}' for t in cpu_times)}]"
    )
    print(f"speed-up CPU / GPU: {t_cpu / t_gpu:.1f}x (float32 scatter: {t_cpu / t_gpu32:.1f}x)")
    print()
    failed |= check_networks(torch, device, sync)
    print("RESULT:", "FAIL" if failed else "PASS")
    return 1 if failed else 0


def check_networks(torch, device, sync):
    """skhscore.nn on the device: tensors as networks return them, rank_layers' statistics.

    A small conv net (random weights, on the device) is ranked with ``device=...`` under
    array-API dispatch; each layer's value must equal ``h_score`` of the same layer's
    features moved to the host (NumPy path) within the tolerance, and the statistics must
    have been taken through the array-API path (counted). Then grad-tracking, bfloat16 and
    float16 tensors on the device against their float32 values on the host.
    """
    import sklearn

    from skhscore import h_score
    from skhscore.nn import TorchFeatures, _ranking, rank_layers

    torch.backends.cudnn.allow_tf32 = False  # the same float32 convolutions as the host
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 32, 3, padding=1),
        torch.nn.BatchNorm2d(32),
        torch.nn.ReLU(),
        torch.nn.Conv2d(32, 64, 3, stride=2),
        torch.nn.ReLU(),
        torch.nn.Conv2d(64, 128, 3, stride=2),
        torch.nn.ReLU(),
    ).to(device)
    gen = torch.Generator(device=device).manual_seed(1)
    y = torch.randint(0, 10, (4000,), device=device, generator=gen)
    X = torch.randn(4000, 3, 16, 16, device=device, generator=gen) + 0.2 * y[:, None, None, None]
    layers = ["1", "2", "4", "6"]
    calls = []
    original = _ranking.array_api_statistics

    def counted(*args, **kwargs):
        calls.append(args[0].device)
        return original(*args, **kwargs)

    _ranking.array_api_statistics = counted
    try:
        with sklearn.config_context(array_api_dispatch=True):
            sync()
            start = time.perf_counter()
            ranking = rank_layers(net, X, y, layers, device=device, batch_size=1000)
            sync()
            elapsed = time.perf_counter() - start
    finally:
        _ranking.array_api_statistics = original
    y_host = y.cpu().numpy()
    failed = len(calls) != 4 * len(layers) or any(d.type != device.type for d in calls)
    print(
        f"rank_layers on {device}: {elapsed:.2f} s, {len(calls)} batch statistics taken on "
        f"{sorted({str(d) for d in calls})} ({'OK' if not failed else 'FAIL'}: want 16)"
    )
    for i, layer in enumerate(layers):
        features = TorchFeatures(net, layer, device=device, batch_size=1000).transform(X)
        expected = h_score(features, y_host)
        rel = abs(ranking.h[i] - expected) / expected
        ok = rel <= TOLERANCE
        failed |= not ok
        print(
            f"layer {layer} (k={ranking.n_features[i]:3d}): device {ranking.h[i]:.10f} host "
            f"{expected:.10f} rel. diff {rel:.1e} {'OK' if ok else 'FAIL'}"
        )
    features = torch.randn(2000, 64, device=device, generator=gen) + 0.3 * y[:2000, None]
    tracking = features @ torch.eye(64, device=device, requires_grad=True)
    for label, tensor in {
        "grad-tracking": tracking,
        "bfloat16": tracking.to(torch.bfloat16),
        "float16": tracking.to(torch.float16),
    }.items():
        host = tensor.detach().float().cpu().numpy()
        expected = h_score(host, y_host[:2000])
        with sklearn.config_context(array_api_dispatch=True):
            on_device = h_score(tensor, y[:2000])
        rel = abs(on_device - expected) / expected
        ok = rel <= TOLERANCE
        failed |= not ok
        verdict = "OK" if ok else "FAIL"
        print(f"h_score of a {label} tensor on {device}: rel. diff {rel:.1e} {verdict}")
    return bool(failed)


if __name__ == "__main__":
    sys.exit(main())
