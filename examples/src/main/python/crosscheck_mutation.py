#!/usr/bin/python3
"""Shows that torch_crosscheck.py's own checks can fail: runs it on an export with its classification loss reading
the head's channels as (class, anchor) instead of (anchor, class), a porting mistake its output check cannot see (the
outputs are compared in one layout), and reports whether the loss check stops it:

    /usr/bin/python3 examples/src/main/python/crosscheck_mutation.py EXPORT_DIR

Exit status 0 when the mutation is caught, 1 when it is not.
"""
import os
import sys

import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_crosscheck  # noqa: E402


def misread_losses(model, images, cls_idx, deltas, weights, m):
    k, a = m["classes"], m["anchors_per_location"]
    logits, box = model(images)
    n, _, loc = logits.shape
    logits = logits.reshape(n, k, a, loc).permute(0, 2, 1, 3)          # the mutation: channel k·A + a
    valid = cls_idx >= 0
    positive = valid & (cls_idx < k)
    onehot = F.one_hot(cls_idx.clamp(min=0).long(), k + 1)[..., :k].permute(0, 1, 3, 2).float()
    entry = sigmoid_focal_loss(logits, onehot, alpha=m["alpha"], gamma=m["gamma"], reduction="none")
    entry = entry * valid.unsqueeze(2) * weights.reshape(n, 1, 1, 1)
    p = max(1.0, float(positive.sum()))
    box_err = F.smooth_l1_loss(box.reshape(n, a, 4, loc), deltas.reshape(n, a, 4, loc), beta=m["box_beta"],
                               reduction="none") * positive.unsqueeze(2)
    return entry.sum() / p, box_err.sum() / p


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: crosscheck_mutation.py EXPORT_DIR")
    torch_crosscheck.losses = misread_losses
    sys.argv = [sys.argv[0], sys.argv[1], os.devnull]
    try:
        torch_crosscheck.main()
    except AssertionError as e:
        print("caught:", e)
        sys.exit(0)
    print("NOT caught: the twin's checks let a (class, anchor) misreading through")
    sys.exit(1)
