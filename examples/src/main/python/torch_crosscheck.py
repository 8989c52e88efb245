#!/usr/bin/python3
"""An independent PyTorch implementation of one run of the imbalance study (docs/experiments.md, protocol v2), for the
study's cross-check. It trains on what CrossCheckExport wrote (the same canvases, anchor targets, anchors and
pretrained backbone) and evaluates with src-test-data/cocoeval_reference.py (a from-scratch COCOeval, checked against
cocoapi), not with the Java code it checks. Before training it must reproduce a DL4J network of the run (trained 20
steps, its classification output weights perturbed so that each anchor's logits differ by class): its outputs to 1e-4
of their spread and its first batch's data losses to 1e-5 (crosscheck_mutation.py shows a channel-order mistake
failing that check):

    /usr/bin/python3 examples/src/main/python/torch_crosscheck.py EXPORT_DIR OUT.json [THREADS]

Written from the protocol, not from the Java code: the detector (tiny backbone: five 3x3 convs with ReLU, strides
1, 2, 2, 2, 2, DL4J's Same padding, i.e. a stride-2 conv pads one pixel on the right and bottom only; a 2-level
feature pyramid of lateral 1x1 convs, nearest 2x upsampling added from the coarser level and a 3x3 conv per level;
one classification and one box subnet shared by both levels, 2 x (3x3 conv, ReLU) then a 3x3 conv, normal(0, 0.01)
weights, zero biases, the classification output's bias -log((1 - pi) / pi)); the backbone's weights the exported
pretrained ones, the pyramid's He-normal as DL4J's WeightInit.RELU, by torch's own generator; the losses (sigmoid
focal loss from torchvision, gamma = 0 for alpha-CE, over the anchors not ignored, each image's entries weighted 1,
the appended empty canvas's E; smooth L1 with beta 0.1 over the positive anchors; both divided by the batch's
positive anchors); SGD with Nesterov momentum 0.9 (torch's form), weight decay 1e-4 x lr on the conv weights
applied after the step (DL4J's WeightDecay with applyLR, decoupled), the warm-up from lr/3 and the two divisions by
10; the training canvases reshuffled every epoch by torch's generator seeded with the run's seed; a run whose data
loss is non-finite or above 10x its first is diverged. Inference: per level the top 1000 anchor-class scores above
0.05, boxes decoded (torchvision's BoxCoder, weights 1) and clipped to the canvas, empty boxes dropped, class-wise
NMS at 0.5 (torchvision), the best 100 per canvas.

Writes OUT.json: the run's settings, the 12 COCO statistics on the validation and test canvases, the data losses
(means over blocks of iterations/360), seconds, torch's version and threads.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import batched_nms, sigmoid_focal_loss
from torchvision.models.detection._utils import BoxCoder

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "src-test-data"))
from cocoeval_reference import evaluate  # noqa: E402


def same_conv(x, conv, stride):
    """DL4J's Same mode for a 3x3 conv: stride 1 pads 1 all round; stride 2 on an even size pads right and bottom."""
    if stride == 1:
        return F.conv2d(x, conv.weight, conv.bias, padding=1)
    total_h = max((math.ceil(x.shape[2] / stride) - 1) * stride + 3 - x.shape[2], 0)
    total_w = max((math.ceil(x.shape[3] / stride) - 1) * stride + 3 - x.shape[3], 0)
    x = F.pad(x, (total_w // 2, total_w - total_w // 2, total_h // 2, total_h - total_h // 2))
    return F.conv2d(x, conv.weight, conv.bias, stride=stride)


class Head(nn.Module):
    def __init__(self, channels, outputs, anchors, last_bias):
        super().__init__()
        self.hidden = nn.ModuleList([nn.Conv2d(channels, channels, 3) for _ in range(2)])
        self.out = nn.Conv2d(channels, anchors * outputs, 3)
        for conv in list(self.hidden) + [self.out]:
            nn.init.normal_(conv.weight, 0.0, 0.01)
            nn.init.zeros_(conv.bias)
        nn.init.constant_(self.out.bias, last_bias)

    def forward(self, levels):
        flat = []
        for x in levels:
            for conv in self.hidden:
                x = F.relu(same_conv(x, conv, 1))
            flat.append(same_conv(x, self.out, 1).flatten(2))
        return torch.cat(flat, 2)


class Detector(nn.Module):
    def __init__(self, width, classes, anchors, prior):
        super().__init__()
        chans = [1, width, 2 * width, 2 * width, 4 * width, 4 * width]
        self.strides = [1, 2, 2, 2, 2]
        self.backbone = nn.ModuleList([nn.Conv2d(chans[i], chans[i + 1], 3) for i in range(5)])
        f = 2 * width
        self.lateral = nn.ModuleList([nn.Conv2d(4 * width, f, 1) for _ in range(2)])
        self.smooth = nn.ModuleList([nn.Conv2d(f, f, 3) for _ in range(2)])
        for conv in list(self.lateral) + list(self.smooth):
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
            nn.init.zeros_(conv.bias)
        self.cls = Head(f, classes, anchors, -math.log((1 - prior) / prior))
        self.box = Head(f, 4, anchors, 0.0)

    def forward(self, x):
        maps = []
        for conv, stride in zip(self.backbone, self.strides):
            x = F.relu(same_conv(x, conv, stride))
            maps.append(x)
        c3, c4 = maps[3], maps[4]                                   # strides 8 and 16
        top = self.lateral[1](c4)
        fine = self.lateral[0](c3) + F.interpolate(top, scale_factor=2, mode="nearest")
        p = [same_conv(fine, self.smooth[0], 1), same_conv(top, self.smooth[1], 1)]
        return self.cls(p), self.box(p)


def load_params(model, file, params):
    """Copies DL4J parameters (raw float32 in the order of `params`: vertex, param, DL4J shape) into the twin: conv
    layers' W [out, in, kH, kW] as they are, the heads' W0, W1, … from SameDiff's [kH, kW, in, out], biases flat."""
    raw = np.fromfile(file, dtype="<f4")
    at = 0
    for p in params:
        n = int(np.prod(p["shape"]))
        value = torch.from_numpy(raw[at:at + n].copy()).reshape(p["shape"])
        at += n
        v, name = p["vertex"], p["param"]
        if v.startswith("backbone_conv"):
            conv = model.backbone[int(v[len("backbone_conv"):])]
        elif v.startswith("fpn_lateral"):
            conv = model.lateral[int(v[len("fpn_lateral"):])]
        elif v.startswith("fpn_p"):
            conv = model.smooth[int(v[len("fpn_p"):])]
        else:                                                       # cls_head / box_head
            head = model.cls if v == "cls_head" else model.box
            i = int(name[1:])
            conv = head.hidden[i] if i < len(head.hidden) else head.out
            if name.startswith("W"):
                value = value.permute(3, 2, 0, 1)
            name = name[0]
        if name == "W":
            conv.weight.data.copy_(value)
        else:
            conv.bias.data.copy_(value.reshape(-1))
    assert at == raw.size, file + " holds more than the manifest lists"


def check_architecture(export, m, val):
    """Loads the DL4J network CrossCheckExport trained for a few steps into the twin and compares its outputs on the
    first validation canvases (class logits and box deltas, each relative to its spread) and its data losses on the
    first training batch: the twin must be the same function with the same losses (float sums in other orders aside),
    or the comparison of trained runs means nothing."""
    model = Detector(m["width"], m["classes"], m["anchors_per_location"], m["prior"])
    load_params(model, os.path.join(export, "network.f32"), m["network_params"])
    n = m["checked_canvases"]
    with torch.no_grad():
        logits, box = model(val[:n])
    ref_cls = torch.from_numpy(np.fromfile(os.path.join(export, "check_cls.f32"), dtype="<f4").reshape(logits.shape))
    ref_box = torch.from_numpy(np.fromfile(os.path.join(export, "check_box.f32"), dtype="<f4").reshape(box.shape))
    def relative(ours, ref):
        return float((ours - ref).abs().max() / (ref - ref.mean()).abs().max())

    cls_err, box_err = relative(logits, ref_cls), relative(box, ref_box)
    print("architecture check after %d DL4J steps: class logits max diff %.2e, box deltas %.2e (of their spread)"
          % (m["checked_after_steps"], cls_err, box_err))
    assert cls_err < 1e-4 and box_err < 1e-4, "the twin is not DL4J's network"
    return model, {"canvases": n, "after_steps": m["checked_after_steps"], "class_logit_max_rel_diff": cls_err,
                   "box_delta_max_rel_diff": box_err}


def batch_of(train, cls_idx, deltas, idx, m):
    """Canvases idx with their targets, and the empty canvas of weight E appended when the level has one."""
    k, a, canvas = m["classes"], m["anchors_per_location"], m["canvas"]
    x, c, d = train[idx], cls_idx[idx], deltas[idx]
    w = torch.ones(len(idx))
    if m["empty_per_batch"] > 0:
        x = torch.cat([x, torch.zeros(1, 1, canvas, canvas)])
        c = torch.cat([c, torch.full((1, a, c.shape[2]), k, dtype=c.dtype)])
        d = torch.cat([d, torch.zeros(1, 4 * a, d.shape[2])])
        w = torch.cat([w, torch.tensor([float(m["empty_per_batch"])])])
    return x, c, d, w


def learning_rate(m, it):
    lr, warmup = m["learning_rate"], m["warmup"]
    if it < warmup:
        return lr * (1.0 / 3 + 2.0 / 3 * it / warmup)
    if it >= m["decay_at"][1]:
        return lr / 100
    if it >= m["decay_at"][0]:
        return lr / 10
    return lr


def class_logits(logits, a, k):
    """The head's [N, A*K, M] output as [N, A, K, M]: channel a*K + k is anchor a's logit of class k."""
    n, _, loc = logits.shape
    return logits.reshape(n, a, k, loc)


def losses(model, images, cls_idx, deltas, weights, m):
    """Classification and box data losses of a batch, each divided by max(1, positive anchors)."""
    k, a = m["classes"], m["anchors_per_location"]
    logits, box = model(images)                                    # [N, A*K, M], [N, 4*A, M]
    n, _, loc = logits.shape
    logits = class_logits(logits, a, k)
    valid = cls_idx >= 0                                             # [N, A, M]
    positive = valid & (cls_idx < k)
    onehot = F.one_hot(cls_idx.clamp(min=0).long(), k + 1)[..., :k].permute(0, 1, 3, 2).float()   # [N, A, K, M]
    entry = sigmoid_focal_loss(logits, onehot, alpha=m["alpha"], gamma=m["gamma"], reduction="none")
    entry = entry * valid.unsqueeze(2) * weights.reshape(n, 1, 1, 1)
    p = max(1.0, float(positive.sum()))
    box_err = F.smooth_l1_loss(box.reshape(n, a, 4, loc), deltas.reshape(n, a, 4, loc), beta=m["box_beta"],
                               reduction="none") * positive.unsqueeze(2)
    return entry.sum() / p, box_err.sum() / p


def detect(model, images, anchors, m, canvas):
    k, a = m["classes"], m["anchors_per_location"]
    coder = BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
    sizes = [(canvas // int(s)) ** 2 for s in m["strides"]]
    out = []
    with torch.no_grad():
        for start in range(0, images.shape[0], 50):
            logits, deltas = model(images[start:start + 50])
            probs = torch.sigmoid(class_logits(logits, a, k))            # [n, A, K, M]
            for i in range(probs.shape[0]):
                boxes_all, scores_all, labels_all = [], [], []
                offset = 0
                for size in sizes:
                    # anchor-class entries of this level, in flat anchor order (A*m + a) then class
                    pr = probs[i, :, :, offset:offset + size].permute(2, 0, 1).reshape(-1)
                    keep = torch.nonzero(pr > 0.05).flatten()
                    top = pr[keep].topk(min(1000, keep.numel())).indices
                    keep = keep[top]
                    anchor_idx = offset * a + keep // k
                    cls = keep % k
                    d = deltas[i].reshape(a, 4, -1)[:, :, offset:offset + size].permute(2, 0, 1).reshape(-1, 4)[keep // k]
                    b = coder.decode_single(d.double(), anchors[anchor_idx].double())
                    b = b.clamp(min=0, max=canvas)
                    nonempty = (b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1])
                    boxes_all.append(b[nonempty])
                    scores_all.append(pr[keep][nonempty].double())
                    labels_all.append(cls[nonempty])
                    offset += size
                b, s, c = torch.cat(boxes_all), torch.cat(scores_all), torch.cat(labels_all)
                keep = batched_nms(b, s, c, 0.5)[:100]
                for j in keep.tolist():
                    x1, y1, x2, y2 = b[j].tolist()
                    out.append({"image_id": start + i + 1, "category_id": int(c[j]) + 1,
                                "bbox": [x1, y1, x2 - x1, y2 - y1], "score": float(s[j])})
    return out


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: torch_crosscheck.py EXPORT_DIR OUT.json [THREADS]")
    export, out_file = sys.argv[1], sys.argv[2]
    threads = sys.argv[3] if len(sys.argv) > 3 else "1"
    if not threads.isdigit() or int(threads) < 1:
        sys.exit("THREADS must be an integer >= 1; got %r" % threads)
    torch.set_num_threads(int(threads))
    with open(os.path.join(export, "manifest.json")) as f:
        m = json.load(f)
    if m.get("family") not in ("CE", "FL"):
        sys.exit("the twin implements alpha-CE and FL only; the export is of family %r" % m.get("family"))
    canvas, k, a, loc = m["canvas"], m["classes"], m["anchors_per_location"], m["locations"]
    counts = m["counts"]

    def images(name):
        return torch.from_numpy(np.fromfile(os.path.join(export, "images_%s.f32" % name), dtype="<f4")
                                .reshape(counts[name], 1, canvas, canvas).copy())

    train, val, test = images("train"), images("val"), images("test")
    cls_idx = torch.from_numpy(np.fromfile(os.path.join(export, "targets_cls.i8"), dtype="i1")
                               .reshape(counts["train"], a, loc).astype(np.int64))
    deltas = torch.from_numpy(np.fromfile(os.path.join(export, "targets_deltas.f32"), dtype="<f4")
                              .reshape(counts["train"], 4 * a, loc).copy())
    anchors = torch.from_numpy(np.fromfile(os.path.join(export, "anchors.f32"), dtype="<f4").reshape(-1, 4).copy())

    dl4j_net, architecture = check_architecture(export, m, val)
    ref = m["checked_first_batch_losses"]
    with torch.no_grad():
        c0, b0 = losses(dl4j_net, *batch_of(train, cls_idx, deltas, torch.arange(ref["canvases"]), m), m)
    cls_rel, box_rel = abs(float(c0) / ref["classification"] - 1), abs(float(b0) / ref["box"] - 1)
    print("loss check on the first batch: classification %.6f (DL4J %.6f), box %.6f (DL4J %.6f)"
          % (c0, ref["classification"], b0, ref["box"]))
    assert cls_rel < 1e-5 and box_rel < 1e-5, "the twin's losses are not DL4J's"
    architecture["first_batch_loss_rel_diff"] = {"classification": cls_rel, "box": box_rel}
    torch.manual_seed(m["seed"])
    model = Detector(m["width"], k, a, m["prior"])
    load_params(model, os.path.join(export, "backbone.f32"), m["backbone_params"])
    decayed = [p for name, p in model.named_parameters() if name.endswith("weight")]
    opt = torch.optim.SGD(model.parameters(), lr=m["learning_rate"], momentum=m["momentum"], nesterov=True)
    shuffler = torch.Generator().manual_seed(m["seed"])
    batch = m["batch"]
    order, cursor = torch.randperm(counts["train"], generator=shuffler), 0
    cls_curve, box_curve, diverged, first = [], [], None, None
    t0 = time.time()
    for it in range(m["iterations"]):
        if cursor >= counts["train"]:
            order, cursor = torch.randperm(counts["train"], generator=shuffler), 0
        idx = order[cursor:cursor + batch]
        cursor += batch
        x, c, d, w = batch_of(train, cls_idx, deltas, idx, m)          # with the empty canvas of weight E
        lr = learning_rate(m, it)
        for group in opt.param_groups:
            group["lr"] = lr
        cls_loss, box_loss = losses(model, x, c, d, w, m)
        data = float(cls_loss) + float(box_loss)
        first = data if first is None else first
        cls_curve.append(float(cls_loss))
        box_curve.append(float(box_loss))
        if not math.isfinite(data) or data > 10 * first:
            diverged = it
            break
        opt.zero_grad()
        (cls_loss + box_loss).backward()
        opt.step()
        with torch.no_grad():
            for p in decayed:
                p.mul_(1 - lr * m["weight_decay"])
        if (it + 1) % 100 == 0:
            print("step %d classification %.4f box %.4f" % (it + 1, cls_loss, box_loss), flush=True)
    seconds = time.time() - t0
    model.eval()
    record = {"implementation": "PyTorch (examples/src/main/python/torch_crosscheck.py)", "level": m["level"],
              "config": m["config"], "seed": m["seed"], "learning_rate": m["learning_rate"],
              "iterations": m["iterations"], "diverged_at": diverged, "train_seconds": round(seconds, 1),
              "torch": torch.__version__, "threads": torch.get_num_threads(), "architecture_check": architecture}
    names = ["AP", "AP50", "AP75", "APsmall", "APmedium", "APlarge", "AR1", "AR10", "AR100", "ARsmall", "ARmedium",
             "ARlarge"]
    for split, imgs in (("val", val), ("test", test)):
        if diverged is None:
            with open(os.path.join(export, "gt_%s.json" % split)) as f:
                gt = json.load(f)
            stats = evaluate(gt, detect(model, imgs, anchors, m, canvas))
            record[split] = {n: round(float(v), 6) for n, v in zip(names, stats)}
        else:
            record[split] = None
    block = max(1, m["iterations"] // 360)
    record["class_loss_curve"] = [round(float(np.mean(cls_curve[i:i + block])), 5) for i in range(0, len(cls_curve), block)]
    record["box_loss_curve"] = [round(float(np.mean(box_curve[i:i + block])), 5) for i in range(0, len(box_curve), block)]
    with open(out_file, "w") as f:
        json.dump(record, f, indent=2)
    print(json.dumps({k2: record[k2] for k2 in ("level", "config", "diverged_at", "train_seconds")}),
          "val AP", record["val"] and record["val"]["AP"], "test AP", record["test"] and record["test"]["AP"])


if __name__ == "__main__":
    main()
