#!/usr/bin/python3
"""COCO bounding-box evaluation (AP / AR), re-implemented for TEST REFERENCE ONLY.

Whose algorithm this follows
----------------------------
pycocotools' ``COCOeval`` with ``iouType='bbox'`` and the parts of the ``COCO`` class it relies
on (annotation indexing, ``loadRes``), from the COCO API:

    https://github.com/cocodataset/cocoapi
      PythonAPI/pycocotools/cocoeval.py   (evaluate, evaluateImg, accumulate, summarize, Params)
      PythonAPI/pycocotools/coco.py       (createIndex, getAnnIds, loadRes)
      common/maskApi.c                    (bbIou, reached through pycocotools.mask.iou)
    BSD 2-Clause licence, Copyright (c) 2014, Piotr Dollar and Tsung-Yi Lin.

This file is not pycocotools and contains none of its code: it was written from scratch, from a
reading of the files above, so that the Java ``CocoEvaluator`` can be tested against committed
numbers (src-test-data/coco_eval_vectors.json) without pycocotools or its C extension. Only
bounding boxes are supported (no masks, no keypoints); parameters are the COCOeval defaults.

Usage
-----
    from cocoeval_reference import evaluate, evaluate_detailed
    stats = evaluate(gt_dict, results)          # the 12 numbers of COCOeval.stats
    r = evaluate_detailed(gt_dict, results)     # + precision/recall arrays, per-category AP

``gt_dict`` is a COCO ground-truth dict (images / annotations / categories); ``results`` is a
list of {image_id, category_id, bbox [x, y, w, h], score}. Run this file directly to evaluate a
pair of JSON files:  /usr/bin/python3 cocoeval_reference.py gt.json results.json

The semantics a port must reproduce (every one of them changes numbers)
---------------------------------------------------------------------
 1. Evaluated images = ids in gt['images']; evaluated categories = ids in gt['categories'], both
    sorted ascending. Annotations / results whose image or category is not in those sets are
    dropped. Every result image id must be a GT image id (loadRes asserts that).
 2. Results get (as loadRes does) area = w * h of their bbox, id = 1-based position in the
    results list, iscrowd = 0. GT 'ignore' is taken to be the annotation's iscrowd flag.
    GT annotation ids must be non-zero: a matched GT id of 0 would read as "unmatched".
 3. IoU (maskApi.c bbIou): for boxes [x, y, w, h],
        iw = min(dx + dw, gx + gw) - max(dx, gx);  ih likewise;  0 if iw <= 0 or ih <= 0
        inter = iw * ih;  union = dw*dh  if the GT is a crowd box,  else (dw*dh + gw*gh) - inter
    Box areas here come from w*h, never from the annotation's 'area' field.
 4. Area ranges (all [0, 1e10], small [0, 1024], medium [1024, 9216], large [9216, 1e10]) are
    closed at both ends and applied to the GT's 'area' FIELD (not w*h) and to the result's w*h.
 5. All sorts are stable. Per (image, category): detections by descending score (ties keep
    results-list order), cut to 100; GT by ignore flag (non-ignored first, ties keep
    annotation order). Per (category, area, maxDet) the detections of all images are concatenated
    in ascending image-id order (each image's list cut to maxDet) and stably re-sorted by
    descending score.
 6. Greedy matching per IoU threshold t, detections in score order: walk the GT list; skip GT
    already matched unless crowd; once a non-ignored GT is held, stop at the first ignored GT;
    skip if IoU < current best (initially min(t, 1 - 1e-10)); otherwise hold this GT and raise
    the bar to its IoU (so ties go to the later GT). A detection matched to an ignored GT is
    ignored; an unmatched detection whose area is outside the range is ignored.
 7. Thresholds are numpy.linspace values: iou t_i = 0.5 + i * (0.45 / 9) (t_8 is
    0.8999999999999999), recall r_i = i * 0.01, last element exactly the end point.
 8. Precision at each detection = tp / (fp + tp + 2.220446049250313e-16) (np.spacing(1); note
    1 + eps is representable, so one TP and no FP gives 0.9999999999999998; eps also turns the
    0 / 0 of ignored detections ranked before any counted one into 0), recall = tp / nGT.
    Precision is made non-increasing from the right; for each recall threshold r the first
    detection index with recall >= r (binary search, 'left') is looked up, 0 if there is none.
    Recall of the setting = recall after the last detection (0 if there are no detections).
 9. A (category, area, maxDet) setting with no evaluable image or no non-ignored GT stays -1.
    Each summary number is the mean of all entries > -1 of the relevant slice, -1 if none.
"""
import bisect
import json
import sys
from collections import defaultdict

import numpy as np

# --- Parameters (COCOeval Params.setDetParams defaults) -----------------------------------------
IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)          # T = 10
RECALL_THRESHOLDS = np.linspace(0.0, 1.0, 101)       # R = 101
MAX_DETS = [1, 10, 100]                              # M = 3
AREA_RANGES = [[0.0, 1e5 ** 2], [0.0, 32.0 ** 2], [32.0 ** 2, 96.0 ** 2], [96.0 ** 2, 1e5 ** 2]]
AREA_LABELS = ["all", "small", "medium", "large"]    # A = 4
EPS = np.spacing(1)                                  # 2.220446049250313e-16

STAT_NAMES = [
    "AP", "AP50", "AP75", "APsmall", "APmedium", "APlarge",
    "AR1", "AR10", "AR100", "ARsmall", "ARmedium", "ARlarge",
]


# --- Loading: what COCO.createIndex / getAnnIds / loadRes leave for COCOeval --------------------
def _index_ground_truth(gt_dict):
    """Return (sorted image ids, sorted category ids, {(img, cat): [gt records]})."""
    image_ids = sorted({int(img["id"]) for img in gt_dict["images"]})
    category_ids = sorted({int(cat["id"]) for cat in gt_dict["categories"]})
    images, categories = set(image_ids), set(category_ids)
    ann_ids = [ann["id"] for ann in gt_dict["annotations"]]
    assert len(set(ann_ids)) == len(ann_ids), "GT annotation ids must be unique"
    assert all(i != 0 for i in ann_ids), "GT annotation id 0 is indistinguishable from 'unmatched'"
    gts = defaultdict(list)
    for ann in gt_dict["annotations"]:          # list order is kept within each (image, category)
        key = (int(ann["image_id"]), int(ann["category_id"]))
        if key[0] in images and key[1] in categories:
            crowd = int(ann["iscrowd"])
            gts[key].append({
                "id": ann["id"],
                "bbox": [float(v) for v in ann["bbox"]],
                "area": float(ann["area"]),
                "crowd": crowd,
                "ignore": crowd != 0,            # cocoeval: gt['ignore'] = iscrowd
            })
    return image_ids, category_ids, gts


def _index_results(results, image_ids, category_ids):
    """Mimic loadRes for boxes and group by (image, category), keeping results-list order."""
    images, categories = set(image_ids), set(category_ids)
    unknown = {r["image_id"] for r in results} - images
    assert not unknown, "results refer to images not in the ground truth: %r" % sorted(unknown)
    dts = defaultdict(list)
    for position, r in enumerate(results):
        x, y, w, h = (float(v) for v in r["bbox"])
        key = (int(r["image_id"]), int(r["category_id"]))
        if key[1] in categories:
            dts[key].append({
                "id": position + 1,
                "bbox": [x, y, w, h],
                "area": w * h,
                "score": float(r["score"]),
            })
    return dts


# --- Geometry -----------------------------------------------------------------------------------
def box_iou(det_boxes, gt_boxes, gt_crowd):
    """IoU matrix [len(det_boxes) x len(gt_boxes)] with bbIou's exact operation order."""
    out = [[0.0] * len(gt_boxes) for _ in det_boxes]
    for g, (gx, gy, gw, gh) in enumerate(gt_boxes):
        g_area = gw * gh
        for d, (dx, dy, dw, dh) in enumerate(det_boxes):
            d_area = dw * dh
            iw = min(dx + dw, gx + gw) - max(dx, gx)
            if iw <= 0:
                continue
            ih = min(dy + dh, gy + gh) - max(dy, gy)
            if ih <= 0:
                continue
            inter = iw * ih
            union = d_area if gt_crowd[g] else d_area + g_area - inter
            out[d][g] = inter / union
    return out


def _by_descending_score(dets):
    """Stable sort, highest score first (equal scores keep their order)."""
    return sorted(dets, key=lambda d: -d["score"])


def _outside(area, area_range):
    return area < area_range[0] or area > area_range[1]


# --- Per image and category (COCOeval.evaluateImg) ----------------------------------------------
def _evaluate_image(gts, dets_sorted, ious, area_range, max_det):
    """Match one image's detections of one category to its GT for every IoU threshold.

    dets_sorted are already score-sorted and cut to MAX_DETS[-1]; ious[d][g] is in the
    original GT order. Returns None when there is neither GT nor detection.
    """
    if not gts and not dets_sorted:
        return None
    gt_flag = [1 if (g["ignore"] or _outside(g["area"], area_range)) else 0 for g in gts]
    gt_order = sorted(range(len(gts)), key=lambda i: gt_flag[i])     # stable: kept GT first
    gt_list = [gts[i] for i in gt_order]
    gt_ignored = [gt_flag[i] for i in gt_order]
    dets = dets_sorted[:max_det]
    n_thr, n_gt, n_det = len(IOU_THRESHOLDS), len(gt_list), len(dets)

    det_gt_id = np.zeros((n_thr, n_det))            # matched GT id, 0 = unmatched
    det_ignored = np.zeros((n_thr, n_det), dtype=bool)
    if n_gt and n_det:
        for ti, thr in enumerate(IOU_THRESHOLDS):
            gt_taken = [False] * n_gt
            for di in range(n_det):
                bar = min(thr, 1 - 1e-10)
                held = -1
                for gi in range(n_gt):
                    if gt_taken[gi] and not gt_list[gi]["crowd"]:
                        continue
                    if held >= 0 and not gt_ignored[held] and gt_ignored[gi]:
                        break                       # regular GT held; the rest are ignored GT
                    overlap = ious[di][gt_order[gi]]
                    if overlap < bar:
                        continue
                    bar, held = overlap, gi
                if held >= 0:
                    gt_taken[held] = True
                    det_gt_id[ti, di] = gt_list[held]["id"]
                    det_ignored[ti, di] = bool(gt_ignored[held])
    for di, d in enumerate(dets):
        if _outside(d["area"], area_range):
            det_ignored[:, di] |= det_gt_id[:, di] == 0
    return {
        "scores": [d["score"] for d in dets],
        "matched": det_gt_id != 0,
        "det_ignored": det_ignored,
        "gt_ignored": gt_ignored,
    }


# --- Accumulation over images (COCOeval.accumulate) ---------------------------------------------
def _precision_recall(per_image, max_det):
    """Precision [T x R], recall [T] and sampled scores [T x R] of one (category, area, maxDet),
    or None when the setting has no non-ignored GT / no evaluated image (stays -1)."""
    if not per_image:
        return None
    scores = [s for e in per_image for s in e["scores"][:max_det]]
    order = sorted(range(len(scores)), key=lambda i: -scores[i])     # stable, across images
    matched = np.concatenate([e["matched"][:, :max_det] for e in per_image], axis=1)[:, order]
    ignored = np.concatenate([e["det_ignored"][:, :max_det] for e in per_image], axis=1)[:, order]
    n_pos = sum(1 for e in per_image for f in e["gt_ignored"] if f == 0)
    if n_pos == 0:
        return None
    sorted_scores = [scores[i] for i in order]
    tp_cum = np.cumsum(matched & ~ignored, axis=1).astype(np.float64)
    fp_cum = np.cumsum(~matched & ~ignored, axis=1).astype(np.float64)

    n_thr, n_rec, n_det = len(IOU_THRESHOLDS), len(RECALL_THRESHOLDS), len(order)
    precision = np.zeros((n_thr, n_rec))
    recall = np.zeros(n_thr)
    score_at = np.zeros((n_thr, n_rec))
    for t in range(n_thr):
        tp, fp = tp_cum[t].tolist(), fp_cum[t].tolist()
        rc = [v / n_pos for v in tp]
        pr = [tp[i] / (fp[i] + tp[i] + EPS) for i in range(n_det)]
        recall[t] = rc[-1] if n_det else 0.0
        for i in range(n_det - 1, 0, -1):           # precision envelope, right to left
            if pr[i] > pr[i - 1]:
                pr[i - 1] = pr[i]
        for r, thr in enumerate(RECALL_THRESHOLDS.tolist()):
            i = bisect.bisect_left(rc, thr)         # first detection with recall >= thr
            if i < n_det:
                precision[t, r] = pr[i]
                score_at[t, r] = sorted_scores[i]
    return precision, recall, score_at


class EvalResult:
    """Everything evaluate_detailed computes. Arrays use COCOeval's layout:
    precision / scores [T, R, K, A, M], recall [T, K, A, M]; -1 marks "no GT in this setting"."""

    def __init__(self, category_ids, precision, recall, scores):
        self.category_ids = category_ids
        self.precision = precision
        self.recall = recall
        self.scores = scores
        self.stats = _summarize(precision, recall)

    def category_ap(self, iou_index=None, area="all", max_dets=100):
        """{category id: AP} for one IoU threshold index (None = mean over all ten)."""
        a, m = AREA_LABELS.index(area), MAX_DETS.index(max_dets)
        out = {}
        for k, cat in enumerate(self.category_ids):
            s = self.precision[:, :, k, a, m]
            if iou_index is not None:
                s = s[iou_index]
            kept = s[s > -1]
            out[cat] = float(np.mean(kept)) if kept.size else -1.0
        return out

    def category_ap_by_iou(self, area="all", max_dets=100):
        """{category id: [AP at each of the ten IoU thresholds]} (debugging aid)."""
        per_t = [self.category_ap(t, area, max_dets) for t in range(len(IOU_THRESHOLDS))]
        return {cat: [per_t[t][cat] for t in range(len(per_t))] for cat in self.category_ids}


# --- Summary (COCOeval.summarize for boxes) -----------------------------------------------------
def _mean_or_minus_one(values):
    kept = values[values > -1]
    return float(np.mean(kept)) if kept.size else -1.0


def _summarize(precision, recall):
    def ap(iou=None, area="all", max_dets=100):
        s = precision[:, :, :, AREA_LABELS.index(area), MAX_DETS.index(max_dets)]
        if iou is not None:
            s = s[IOU_THRESHOLDS == iou]    # exact comparison, as COCOeval does
        return _mean_or_minus_one(s)

    def ar(area="all", max_dets=100):
        return _mean_or_minus_one(recall[:, :, AREA_LABELS.index(area), MAX_DETS.index(max_dets)])

    return [
        ap(), ap(iou=0.5), ap(iou=0.75), ap(area="small"), ap(area="medium"), ap(area="large"),
        ar(max_dets=1), ar(max_dets=10), ar(), ar(area="small"), ar(area="medium"),
        ar(area="large"),
    ]


# --- Entry points -------------------------------------------------------------------------------
def evaluate_detailed(gt_dict, results):
    image_ids, category_ids, gts = _index_ground_truth(gt_dict)
    dts = _index_results(results, image_ids, category_ids)
    n_thr, n_rec = len(IOU_THRESHOLDS), len(RECALL_THRESHOLDS)
    K, A, M = len(category_ids), len(AREA_RANGES), len(MAX_DETS)
    precision = -np.ones((n_thr, n_rec, K, A, M))
    recall = -np.ones((n_thr, K, A, M))
    scores = -np.ones((n_thr, n_rec, K, A, M))

    for k, cat in enumerate(category_ids):
        # IoUs once per image, with the score-sorted detections cut to the largest maxDets.
        prepared = {}
        for img in image_ids:
            g = gts.get((img, cat), [])
            d = _by_descending_score(dts.get((img, cat), []))[:MAX_DETS[-1]]
            ious = box_iou([x["bbox"] for x in d], [x["bbox"] for x in g], [x["crowd"] for x in g])
            prepared[img] = (g, d, ious)
        for a, area_range in enumerate(AREA_RANGES):
            per_image = []
            for img in image_ids:                    # ascending image id: fixes tie order
                g, d, ious = prepared[img]
                e = _evaluate_image(g, d, ious, area_range, MAX_DETS[-1])
                if e is not None:
                    per_image.append(e)
            for m, max_det in enumerate(MAX_DETS):
                pr = _precision_recall(per_image, max_det)
                if pr is not None:
                    precision[:, :, k, a, m], recall[:, k, a, m], scores[:, :, k, a, m] = pr
    return EvalResult(category_ids, precision, recall, scores)


def evaluate(gt_dict, results):
    """The 12 COCOeval.stats numbers for boxes, as Python floats (order: STAT_NAMES)."""
    return evaluate_detailed(gt_dict, results).stats


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: cocoeval_reference.py GT.json RESULTS.json")
    with open(sys.argv[1]) as f:
        gt = json.load(f)
    with open(sys.argv[2]) as f:
        res = json.load(f)
    result = evaluate_detailed(gt, res)
    for name, value in zip(STAT_NAMES, result.stats):
        print("%-9s %.17g" % (name, value))
    for cat, aps in result.category_ap_by_iou().items():
        print("category %s AP per IoU:" % cat, " ".join("%.4f" % v for v in aps))
