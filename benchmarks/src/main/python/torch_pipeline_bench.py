#!/usr/bin/python3
"""Times torchvision's counterparts of the detection toolkit's own steps on the same inputs as
org.focaldl4j.benchmarks.PipelineBenchmark (same formulas, see PipelineInputs.java), for
docs/benchmarks.md. Called by BenchmarkReport:

    /usr/bin/python3 torch_pipeline_bench.py REPS

2 threads; prints one JSON object per line: {"impl": ..., "median_ms": ..., "samples": ...}.
  match  : box_iou(boxes, anchors) + Matcher(0.5, 0.4, allow_low_quality_matches=True), one image
  encode : BoxCoder((1, 1, 1, 1)).encode_single of every anchor against a box
  decode : BoxCoder.decode_single of every anchor's deltas
  nms    : batched_nms of 1,000 scored boxes of 10 classes at IoU 0.5, the best 100 kept
The inputs are float32 (torchvision's usual type); the Java side computes in double.
"""
import json
import math
import sys

import torch
from torchvision.models.detection._utils import BoxCoder, Matcher
from torchvision.ops import batched_nms, box_iou

from torch_focal_bench import bench

torch.set_num_threads(2)


def anchors():
    """9 anchors per location on 256x256: strides 8, 16, 32; sizes 4s * 2^(i/3); aspect ratios 0.5, 1, 2."""
    out = []
    for s in (8, 16, 32):
        n = 256 // s
        for y in range(n):
            for x in range(n):
                cx, cy = (x + 0.5) * s, (y + 0.5) * s
                for i in range(3):
                    size = 4 * s * 2 ** (i / 3)
                    for ratio in (0.5, 1.0, 2.0):
                        w, h = size / math.sqrt(ratio), size * math.sqrt(ratio)
                        out.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    return torch.tensor(out, dtype=torch.float32)


def boxes():
    out = []
    for i in range(8):
        cx, cy = 20 + (i * 67) % 216, 20 + (i * 101) % 216
        w, h = 16 + (i * 29) % 96, 16 + (i * 41) % 96
        out.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    return torch.tensor(out, dtype=torch.float32)


def candidates():
    bx, scores, classes = [], [], []
    for i in range(1000):
        cx, cy = 128 + 100 * math.sin(i * 0.37), 128 + 100 * math.cos(i * 0.23)
        w, h = 20 + 10 * math.sin(i), 20 + 10 * math.cos(i)
        bx.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
        scores.append((i * 0.6180339887498949) % 1.0)
        classes.append(i % 10)
    return (torch.tensor(bx, dtype=torch.float32), torch.tensor(scores, dtype=torch.float32),
            torch.tensor(classes, dtype=torch.int64))


def main():
    reps = int(sys.argv[1])
    a, b = anchors(), boxes()
    matcher = Matcher(0.5, 0.4, allow_low_quality_matches=True)
    coder = BoxCoder((1.0, 1.0, 1.0, 1.0))
    matched = b[torch.arange(len(a)) % len(b)]
    deltas = torch.tensor([[0.1 * math.sin(i + j) for j in range(4)] for i in range(len(a))], dtype=torch.float32)
    cb, cs, cc = candidates()
    with torch.no_grad():
        cases = (
            ("torchvision box_iou + Matcher", lambda: matcher(box_iou(b, a))),
            ("torchvision BoxCoder.encode_single", lambda: coder.encode_single(matched, a)),
            ("torchvision BoxCoder.decode_single", lambda: coder.decode_single(deltas, a)),
            ("torchvision batched_nms", lambda: batched_nms(cb, cs, cc, 0.5)[:100]),
        )
        for name, fn in cases:
            median, samples = bench(fn, reps, warmup=5)
            print(json.dumps({"impl": name, "median_ms": median, "samples": samples}), flush=True)


if __name__ == "__main__":
    main()
