#!/usr/bin/python3
"""Times torchvision's sigmoid_focal_loss (forward + backward) and BCE-with-logits next to the
Java benchmarks, for docs/benchmarks.md. Called by org.focaldl4j.benchmarks.BenchmarkReport:

    /usr/bin/python3 torch_focal_bench.py ELEMENTS[,ELEMENTS...] REPS

Shapes are [ELEMENTS/80, 80]; 2 threads (the machine's cores); prints one JSON object per line:
{"impl": ..., "dtype": ..., "elements": ..., "median_ms": ..., "samples": ...}.
Run it with MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184 (the report does):
without them glibc returns every large tensor to the OS and timings wander.
"""
import json
import statistics
import sys
import time

import torch
from torchvision.ops import sigmoid_focal_loss

torch.set_num_threads(2)


def bench(fn, reps, warmup=3):
    """Median time in ms of reps calls after warmup calls, and the number of timed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), len(times)


def main():
    sizes = [int(s) for s in sys.argv[1].split(",")]
    reps = int(sys.argv[2])
    g = torch.Generator().manual_seed(0)
    for dtype in (torch.float32, torch.float64):
        for n in sizes:
            if dtype == torch.float64 and n != 8_000_000:
                continue
            rows = n // 80
            x0 = (torch.randn(rows, 80, generator=g) * 3).to(dtype)
            y = (torch.rand(rows, 80, generator=g) < 0.001).to(dtype)

            def focal():
                x = x0.detach().requires_grad_(True)
                sigmoid_focal_loss(x, y, alpha=0.25, gamma=2, reduction="sum").backward()

            def bce():
                x = x0.detach().requires_grad_(True)
                torch.nn.functional.binary_cross_entropy_with_logits(x, y, reduction="sum").backward()

            r = max(5, min(reps, int(2e9 / max(n, 1) / 50)))
            for name, fn in (("torchvision sigmoid_focal_loss", focal), ("torch BCE-with-logits", bce)):
                median, samples = bench(fn, r)
                print(json.dumps({"impl": name, "dtype": str(dtype).replace("torch.", ""), "elements": n,
                                  "median_ms": median, "samples": samples}), flush=True)


if __name__ == "__main__":
    main()
