"""Progress displays for feeding batches: tqdm when it is installed, a stderr line otherwise."""

import sys
import time


class _StderrCounter:
    """A dependency-free progress line on stderr: batches and samples, throttled."""

    def __init__(self, total, desc, interval=0.2):
        self.total, self.desc, self.interval = total, desc, interval
        self.batches, self.samples, self._last = 0, 0, 0.0

    def update(self, n_samples):
        self.batches += 1
        self.samples += n_samples
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._write()
            self._last = now

    def _write(self, end=""):
        of = "" if self.total is None else f"/{self.total}"
        sys.stderr.write(f"\r{self.desc}: {self.batches}{of} batches, {self.samples} samples{end}")
        sys.stderr.flush()

    def close(self):
        self._write(end="\n")


class _TqdmBar:
    def __init__(self, total, desc):
        from tqdm import tqdm

        self._bar = tqdm(total=total, desc=desc, unit="batch", file=sys.stderr)
        self.samples = 0

    def update(self, n_samples):
        self.samples += n_samples
        self._bar.update(1)
        self._bar.set_postfix(samples=self.samples, refresh=False)

    def close(self):
        self._bar.close()


class _NoProgress:
    def update(self, n_samples):
        pass

    def close(self):
        pass


def progress_bar(progress, total, desc="h_score"):
    """A progress display for ``progress`` (tqdm when installed, else a stderr line)."""
    if not progress:
        return _NoProgress()
    try:
        return _TqdmBar(total, desc)
    except ImportError:
        return _StderrCounter(total, desc)
