#!/usr/bin/python3
"""Times one training step of the demo's detector written in PyTorch, for the DL4J/PyTorch step table of
docs/performance.md. Called by org.focaldl4j.benchmarks.step.StepSpeed (benchmarks module):

    /usr/bin/python3 torch_detector_step.py WIDTH BATCH REPS THREADS [SIZE]

The network is FashionDetectionDemo.detector / RetinaNetExperiment's: 64x64 grey input (SIZE x SIZE if given); backbone of five
3x3 convs with ReLU (WIDTH, 2W, 2W, 4W, 4W filters, strides 1, 2, 2, 2, 2); a 2-level feature pyramid on the
last two maps (strides 8 and 16: lateral 1x1 to 2W, nearest 2x upsampling added, 3x3 conv); one classification
and one box subnet shared by both levels (2 x (3x3 conv 2W, ReLU), then 3x3 conv to 9*10 or 9*4); sigmoid
focal loss (alpha 0.25, gamma 2) over the anchors that are not ignored and smooth L1 (beta 0.1) over the
positive ones, both divided by the positive anchors of the batch; Adam, lr 1e-3 (the demo's). The same
work as the DL4J graph; not the same numbers: PyTorch's padding=1 pads a stride-2 conv on both sides where
DL4J's Same mode pads bottom and right, and the weights are PyTorch's own initialisation. Targets are fixed
random ones with the demo's proportions (~1.5 % positive, ~3 % ignored anchors), built once outside the
timed step (DL4J's loss layers expand their integer labels inside it); they do not change the work of a step.

Prints one JSON object: {"phase": "step", "median_ms", "samples", "threads", "torch"}. Run with
MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184 (as StepSpeed does).
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss

from torch_focal_bench import bench

A, K = 9, 10


class Head(nn.Module):
    """One subnet applied with the same weights to every level; outputs [N, A*O, M] (levels concatenated)."""

    def __init__(self, channels, width, outputs, last_bias):
        super().__init__()
        self.hidden = nn.ModuleList([nn.Conv2d(channels if i == 0 else width, width, 3, padding=1) for i in range(2)])
        self.out = nn.Conv2d(width, A * outputs, 3, padding=1)
        nn.init.constant_(self.out.bias, last_bias)

    def forward(self, levels):
        flat = []
        for x in levels:
            for conv in self.hidden:
                x = F.relu(conv(x))
            flat.append(self.out(x).flatten(2))
        return torch.cat(flat, 2)


class Detector(nn.Module):
    def __init__(self, w):
        super().__init__()
        chans = [1, w, 2 * w, 2 * w, 4 * w, 4 * w]
        self.backbone = nn.ModuleList(
            [nn.Conv2d(chans[i], chans[i + 1], 3, stride=1 if i == 0 else 2, padding=1) for i in range(5)])
        f = 2 * w
        self.lateral = nn.ModuleList([nn.Conv2d(4 * w, f, 1) for _ in range(2)])
        self.smooth = nn.ModuleList([nn.Conv2d(f, f, 3, padding=1) for _ in range(2)])
        self.cls = Head(f, f, K, -4.59511985013459)  # -log((1 - 0.01) / 0.01)
        self.box = Head(f, f, 4, 0.0)

    def forward(self, x):
        maps = []
        for conv in self.backbone:
            x = F.relu(conv(x))
            maps.append(x)
        c3, c4 = maps[3], maps[4]
        top = self.lateral[1](c4)
        merged = self.lateral[0](c3) + F.interpolate(top, scale_factor=2, mode="nearest")
        p = [self.smooth[0](merged), self.smooth[1](top)]
        return self.cls(p), self.box(p)


def main():
    if len(sys.argv) not in (5, 6):
        raise SystemExit("usage: torch_detector_step.py WIDTH BATCH REPS THREADS [SIZE]")
    width, batch, reps, threads = (int(a) for a in sys.argv[1:5])
    size = int(sys.argv[5]) if len(sys.argv) == 6 else 64
    if width < 1 or batch < 1 or reps < 1 or threads < 1 or size < 64 or size % 16:
        raise SystemExit("WIDTH, BATCH, REPS and THREADS must be >= 1 and SIZE a multiple of 16, at least 64; got "
                         + " ".join(sys.argv[1:]))
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    net = Detector(width)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    m = (size // 8) ** 2 + (size // 16) ** 2
    g = torch.Generator().manual_seed(2)
    images = torch.rand(batch, 1, size, size, generator=g)
    u = torch.rand(batch, A, m, generator=g)
    positive = u < 0.015
    ignored = (u >= 0.015) & (u < 0.045)
    classes = torch.randint(0, K, (batch, A, m), generator=g)
    onehot = torch.zeros(batch, A, K, m)
    onehot.scatter_(2, classes.unsqueeze(2), 1.0)
    onehot = (onehot * positive.unsqueeze(2)).reshape(batch, A * K, m)
    cls_mask = (~ignored).unsqueeze(2).expand(batch, A, K, m).reshape(batch, A * K, m).float()
    box_target = torch.randn(batch, 4 * A, m, generator=g)
    box_mask = positive.unsqueeze(2).expand(batch, A, 4, m).reshape(batch, 4 * A, m).float()
    positives = positive.sum().clamp(min=1).float()

    def step():
        opt.zero_grad()
        cls, box = net(images)
        fl = (sigmoid_focal_loss(cls, onehot, alpha=0.25, gamma=2, reduction="none") * cls_mask).sum()
        sl1 = (F.smooth_l1_loss(box, box_target, beta=0.1, reduction="none") * box_mask).sum()
        ((fl + sl1) / positives).backward()
        opt.step()

    median, samples = bench(step, reps, warmup=10)
    print(json.dumps({"phase": "step", "median_ms": median, "samples": samples, "threads": threads,
                      "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
