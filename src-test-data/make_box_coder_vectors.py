"""Reference vectors for focal-dl4j-detection's BoxCoder, from torchvision's BoxCoder.

torchvision.models.detection._utils.BoxCoder (Debian's python3-torchvision 0.14) encodes boxes
against anchors as (dx, dy, dw, dh) with per-coordinate weights and decodes them with dw, dh clamped
at log(1000/16). This script draws anchors and boxes in float64, runs torchvision's encode_single and
decode_single, and writes src-test-data/box_coder_vectors.json.

Regenerate: apt-get install python3-torchvision; /usr/bin/python3 src-test-data/make_box_coder_vectors.py
"""
import json
import math
import os

import torch
from torchvision.models.detection._utils import BoxCoder

torch.manual_seed(7)


def random_boxes(n, scale):
    xy = torch.rand(n, 2, dtype=torch.float64) * scale
    wh = torch.rand(n, 2, dtype=torch.float64) * scale * 0.5 + 0.5   # positive widths and heights
    return torch.cat([xy, xy + wh], dim=1)


cases = []
for weights in [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0), (2.0, 0.5, 3.0, 1.5)]:
    coder = BoxCoder(weights, bbox_xform_clip=math.log(1000.0 / 16))
    anchors = random_boxes(40, 100.0)
    boxes = random_boxes(40, 100.0)
    deltas = coder.encode_single(boxes, anchors)
    # Decode the encoded deltas and, separately, wild deltas that hit the clamp.
    wild = torch.randn(40, 4, dtype=torch.float64) * 3
    wild[:5, 2:] = torch.tensor([8.0, 20.0])        # beyond log(1000/16) ≈ 4.135 (after ÷ weight for small weights)
    decoded = coder.decode_single(wild, anchors)
    cases.append({
        "weights": list(weights),
        "anchors": anchors.tolist(),
        "boxes": boxes.tolist(),
        "deltas": deltas.tolist(),
        "wildDeltas": wild.tolist(),
        "decodedWild": decoded.tolist(),
    })

out = {
    "source": "torchvision %s, models/detection/_utils.py BoxCoder (encode_single, decode_single), float64"
              % __import__("torchvision").__version__,
    "generator": "src-test-data/make_box_coder_vectors.py",
    "scaleClamp": math.log(1000.0 / 16),
    "cases": cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "box_coder_vectors.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", path, sum(len(c["anchors"]) for c in cases), "anchor-box pairs")
