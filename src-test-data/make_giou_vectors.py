"""Reference GIoU losses and gradients for focal-dl4j-detection's BoxRegressionLossLayer.giou, from torchvision.

Deltas (dx, dy, dw, dh) are decoded by torchvision's BoxCoder.decode_single (Debian's python3-torchvision) against
one unit anchor [-0.5, -0.5, 0.5, 0.5] with the coder's weights and its clamp of dw, dh at log(1000/16); the loss
per anchor is torchvision.ops.generalized_box_iou_loss(pred_boxes, target_boxes, reduction="none", eps=0.0) (its
guard against empty boxes off: decoded boxes always have an area), and its gradient with respect to the predicted
deltas comes from autograd, all in float64. Writes src-test-data/giou_vectors.json.

Regenerate: apt-get install python3-torchvision; /usr/bin/python3 src-test-data/make_giou_vectors.py
"""
import json
import math
import os

import torch
from torchvision.models.detection._utils import BoxCoder
from torchvision.ops import generalized_box_iou_loss

torch.manual_seed(3)
cases = []
for weights, rows, anchors in [((1.0, 1.0, 1.0, 1.0), 6, 3), ((10.0, 10.0, 5.0, 5.0), 4, 2)]:
    coder = BoxCoder(weights, bbox_xform_clip=math.log(1000.0 / 16))
    n = rows * anchors
    target = torch.randn(n, 4, dtype=torch.float64) * torch.tensor([w * 0.3 for w in weights], dtype=torch.float64)
    pred = target + torch.randn(n, 4, dtype=torch.float64) * torch.tensor([w * 0.4 for w in weights],
                                                                           dtype=torch.float64)
    pred[0] = target[0] + torch.tensor([w * 3.0 for w in weights[:2]] + [0.1, -0.1], dtype=torch.float64)  # apart
    pred[1, 2] = 5.0 * weights[2]                                        # dw above the clip: no gradient in dw
    pred.requires_grad_(True)
    unit = torch.tensor([[-0.5, -0.5, 0.5, 0.5]], dtype=torch.float64).expand(n, 4)
    pb = coder.decode_single(pred, unit)
    tb = coder.decode_single(target, unit)
    loss = generalized_box_iou_loss(pb, tb, reduction="none", eps=0.0)
    grad, = torch.autograd.grad(loss.sum(), pred)
    cases.append({"weights": list(weights), "rows": rows, "anchors": anchors,
                  "pred": pred.detach().reshape(rows, anchors * 4).tolist(),
                  "target": target.reshape(rows, anchors * 4).tolist(),
                  "loss": loss.detach().reshape(rows, anchors).tolist(),
                  "gradient": grad.reshape(rows, anchors * 4).tolist()})
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "giou_vectors.json"), "w") as f:
    json.dump({"source": "torchvision " + __import__("torchvision").__version__
               + " generalized_box_iou_loss on BoxCoder.decode_single", "cases": cases}, f, indent=1)
print(len(cases), "cases")
