#!/usr/bin/python3
"""Reference vectors for the Java CocoEvaluator (COCO bounding-box AP / AR).

Regenerate (Debian's python3 + python3-numpy only, no PyPI), from the repository root:
    /usr/bin/python3 src-test-data/make_coco_eval_vectors.py

Writes src-test-data/coco_eval_vectors.json. The numbers come from cocoeval_reference.py (next to
this file), a from-scratch re-implementation of pycocotools' COCOeval (iouType='bbox'); see its
header for the source (cocodataset/cocoapi, BSD 2-Clause, (c) 2014 Piotr Dollar and Tsung-Yi Lin)
and for the list of semantics a port has to reproduce.

Each entry of "sets" holds
    gt          COCO ground truth: images [{id, width, height}], annotations [{id, image_id,
                category_id, bbox [x, y, w, h], area, iscrowd}], categories [{id, name}]
    results     [{image_id, category_id, bbox, score}]
    stats       the 12 COCOeval.stats values, in the order of "statNames"
    perCategory [{categoryId, ap, ap50, ap75}] at area 'all', maxDets 100 (-1 = no GT)
The Java side is expected to match stats and perCategory to 1e-12.

Sets: "random" (seeded, realistic mix: small/medium/large, crowd boxes, 'area' != w*h, images
without GT or without detections, >100 detections on one image, score ties, wrong classes) and
small hand-checkable sets whose key numbers are derived in comments and asserted below.
"""
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cocoeval_reference as ref  # noqa: E402

OUT = os.path.join(HERE, "coco_eval_vectors.json")
SEED = 20240611
EPS = 2.0 ** -52                      # np.spacing(1)
ONE_TP_PRECISION = 1.0 / (1.0 + EPS)  # a lone TP: 1 / (0 + 1 + eps) = 0.9999999999999998


# --- small helpers to write sets ----------------------------------------------------------------
def gt_dict(images, annotations, categories):
    """images: [(id, w, h)], annotations: [(id, image, cat, bbox, area, crowd)], categories: ids."""
    return {
        "images": [{"id": i, "width": w, "height": h} for i, w, h in images],
        "annotations": [
            {"id": a, "image_id": img, "category_id": c, "bbox": list(b),
             "area": b[2] * b[3] if area is None else area, "iscrowd": crowd}
            for a, img, c, b, area, crowd in annotations],
        "categories": [{"id": c, "name": "cat%d" % c} for c in categories],
    }


def det(image_id, category_id, bbox, score):
    return {"image_id": image_id, "category_id": category_id, "bbox": list(bbox), "score": score}


def approx(a, b, tol=1e-15):
    return abs(a - b) <= tol


# --- hand-checkable sets ------------------------------------------------------------------------
def set_tp_below_fp():
    # One medium GT (40x40 = 1600). A same-sized false positive (no overlap) scores 0.9, the exact
    # true positive 0.8. Score order FP, TP: tp = [0, 1], fp = [1, 1], recall = [0, 1],
    # precision = [0/(1+eps), 1/(2+eps)] = [0, 0.5] (2 + eps rounds to 2). The envelope from the
    # right makes it [0.5, 0.5]; every recall threshold 0..1 finds index 0 or 1 -> 0.5, so all
    # 101 samples are 0.5 and AP = 0.5 at every IoU (the TP has IoU 1). Small / large have no GT
    # -> -1. AR@1 keeps only the top detection per image (the FP) -> 0; AR@10 = AR@100 = 1.
    gt = gt_dict([(1, 100, 100)], [(1, 1, 1, [10, 10, 40, 40], None, 0)], [1])
    res = [det(1, 1, [55, 55, 40, 40], 0.9), det(1, 1, [10, 10, 40, 40], 0.8)]
    expected = [0.5, 0.5, 0.5, -1, 0.5, -1, 0.0, 1.0, 1.0, -1, 1.0, -1]
    return "tp_below_fp", "one GT; a false positive scores above the true positive", gt, res, expected


def set_crowd_only_match():
    # A crowd region (iscrowd=1, its 'area' 9000.5 is not w*h) and two regular medium GT. Two
    # top-scoring detections lie inside the crowd box: IoU against a crowd box is
    # intersection / detection area = 1, so they match the crowd GT, which is ignored -> the
    # detections are ignored (neither TP nor FP). The two exact TPs follow: tp = [0, 0, 1, 2],
    # fp = [0, 0, 0, 0], precision [0, 0, 1/(1+eps), 2/(2+eps) = 1] -> envelope all 1 -> AP 1.0
    # exactly. AR@1: the top detection of the image is an ignored one -> 0.
    gt = gt_dict([(1, 300, 300)],
                 [(1, 1, 1, [0, 0, 120, 120], 9000.5, 1),
                  (2, 1, 1, [150, 20, 50, 50], None, 0),
                  (3, 1, 1, [150, 150, 60, 60], None, 0)], [1])
    res = [det(1, 1, [10, 10, 30, 30], 0.95), det(1, 1, [50, 40, 40, 40], 0.9),
           det(1, 1, [150, 20, 50, 50], 0.8), det(1, 1, [150, 150, 60, 60], 0.7)]
    expected = [1.0, 1.0, 1.0, -1, 1.0, -1, 0.0, 1.0, 1.0, -1, 1.0, -1]
    return "crowd_only_match", "detections matching only a crowd box are ignored", gt, res, expected


def set_crowd_vs_regular():
    # Regular GT R = [20,20,100,100] lies inside crowd C = [0,0,200,200]; S is a second regular GT.
    # D = [20,20,100,80] has IoU 8000/10000 = 0.8 with R and 1 with C (crowd IoU). Regular GT
    # come first, so for t <= 0.8 (thresholds 0 to 6; t_6 == 0.8 exactly) D matches R and the
    # search stops at the first ignored GT -> TP. For t in {0.85, 0.8999999999999999, 0.95} R is
    # below the bar and D falls through to C -> ignored, R stays unmatched. E lies inside C only
    # (ignored at every t); S' matches S exactly.
    #   t <= 0.8: E ign, D TP, S' TP -> precision [0, 1/(1+eps), 1] -> envelope 1 -> AP 1.0
    #   t >= .85: E ign, D ign, S' TP -> recall 0.5 with precision 1/(1+eps); thresholds
    #             r_0..r_50 (r_50 == 0.5) get it, r_51.. get 0 -> AP = 51 * (1/(1+eps)) / 101
    gt = gt_dict([(4, 400, 400)],
                 [(10, 4, 2, [0, 0, 200, 200], 30000, 1),
                  (11, 4, 2, [20, 20, 100, 100], None, 0),
                  (12, 4, 2, [300, 300, 50, 50], None, 0)], [2])
    res = [det(4, 2, [130, 130, 60, 60], 0.95), det(4, 2, [20, 20, 100, 80], 0.9),
           det(4, 2, [300, 300, 50, 50], 0.8)]
    per_iou = [1.0] * 7 + [51 * ONE_TP_PRECISION / 101] * 3
    return ("crowd_vs_regular", "a detection over a regular GT inside a crowd region: regular "
            "match while IoU allows, crowd (ignored) match above", gt, res, {2: per_iou})


def set_empty_results():
    # No detections at all. Every category with GT gets precision 0 and recall 0, so every stat
    # whose slice has GT is 0.0; here category 1 has small, medium and large GT, so all 12 are 0.
    # (pycocotools' loadRes itself fails on an empty list (it reads anns[0]); these values are
    # what COCOeval computes for a result set with no annotations.)
    gt = gt_dict([(1, 640, 480), (2, 320, 240)],
                 [(1, 1, 1, [10.5, 10.5, 20, 20], None, 0),
                  (2, 1, 1, [100, 100, 50.25, 50], None, 0),
                  (3, 1, 1, [200, 200, 150, 150], None, 0),
                  (4, 1, 5, [300, 50, 60, 40], None, 0)], [1, 5])
    expected = [0.0] * 12
    return "empty_results", "no detections: AP and AR 0 for categories with GT", gt, [], expected


def set_no_gt_category():
    # Category 2 is listed but has no GT; category 99 is not listed at all. Their detections
    # (scoring above everything else, sitting on category-1 GT) must not count: category 2's
    # settings stay -1 and are left out of the means, category 99 is dropped. Category 1 alone:
    # two exact TPs -> AP 1.0; AR@1 takes one detection of the image -> 1 of 2 GT -> 0.5.
    gt = gt_dict([(1, 300, 300), (2, 300, 300)],
                 [(1, 1, 1, [10, 10, 50, 50], None, 0), (2, 1, 1, [100, 100, 60, 60], None, 0)],
                 [1, 2])
    res = [det(1, 2, [10, 10, 50, 50], 0.99), det(1, 99, [100, 100, 60, 60], 0.98),
           det(2, 2, [5, 5, 50, 50], 0.97),
           det(1, 1, [10, 10, 50, 50], 0.5), det(1, 1, [100, 100, 60, 60], 0.4)]
    expected = [1.0, 1.0, 1.0, -1, 1.0, -1, 0.5, 1.0, 1.0, -1, 1.0, -1]
    return ("no_gt_category", "detections of a category without GT (listed or not) are not "
            "counted", gt, res, expected)


def set_perfect_match():
    # Two small, two medium, two large GT; one exact detection each. With >= 2 TPs in every
    # range, precision is [1/(1+eps), 1, ...] -> envelope 1 -> every AP is exactly 1.0 and every
    # AR@100 1.0. AR@1 keeps one detection per image: 1 of 6 GT -> 1/6.
    boxes = [[5.5, 5.5, 20, 20], [40, 5, 30, 30.5], [100, 100, 40, 40], [200, 100, 90, 90],
             [10, 300, 100, 120], [300, 300, 200, 150.75]]
    gt = gt_dict([(3, 640, 640)], [(i + 1, 3, 1, b, None, 0) for i, b in enumerate(boxes)], [1])
    res = [det(3, 1, b, 0.9 - 0.1 * i) for i, b in enumerate(boxes)]
    expected = [1.0] * 6 + [1.0 / 6] + [1.0] * 5
    return "perfect_match", "every detection matches its GT exactly", gt, res, expected


def set_single_tp_eps():
    # One GT, one exact detection: precision = 1 / (0 + 1 + eps) = 0.9999999999999998, not 1,
    # because COCOeval adds np.spacing(1) to the denominator and 1 + eps is representable.
    gt = gt_dict([(1, 100, 100)], [(1, 1, 1, [10, 10, 40, 40], None, 0)], [1])
    res = [det(1, 1, [10, 10, 40, 40], 0.6)]
    return ("single_tp_eps", "one GT, one exact match: AP is 1/(1+eps), not 1", gt, res,
            {1: [ONE_TP_PRECISION] * 10})


def set_max_dets_ties():
    # Two images, one medium GT each, each with 100 medium false positives (40x40 grid, no
    # overlap with the GT) and one exact TP -- all 101 scores equal (0.5). Stable sorting keeps
    # results order among ties, and an image keeps only its first 100 detections:
    #   image 2: TP listed last  -> it is the 101st -> cut before matching;
    #   image 9: TP listed first -> kept.
    # Accumulation concatenates images by ascending id (2 before 9, although gt['images'] lists
    # 9 first) and re-sorts stably: 100 FP of image 2, then image 9's TP (index 100), then its 99
    # FP. At the TP: recall 1/2, precision 1/(100+1+eps) = 1/101, and the envelope carries 1/101
    # back to index 0. Recall thresholds r_0..r_50 (<= 0.5) -> 1/101, r_51..r_100 -> 0:
    #   AP = 51 * (1/101) / 101 at every IoU; AR = 0.5 (also at maxDets 1 and 10: image 9's first
    #   detection is its TP). Areas: everything is medium.
    fps = [[5 + 60 * (i % 10), 5 + 60 * (i // 10), 40, 40] for i in range(100)]
    gtbox = [800, 300, 50, 50]
    gt = gt_dict([(9, 1000, 700), (2, 1000, 700)],
                 [(1, 2, 1, gtbox, None, 0), (2, 9, 1, gtbox, None, 0)], [1])
    res = ([det(2, 1, b, 0.5) for b in fps] + [det(2, 1, gtbox, 0.5)]
           + [det(9, 1, gtbox, 0.5)] + [det(9, 1, b, 0.5) for b in fps])
    ap = 51 * (1 / 101) / 101
    expected = [ap, ap, ap, -1, ap, -1, 0.5, 0.5, 0.5, -1, 0.5, -1]
    return ("max_dets_ties", "score ties: results order decides the maxDets=100 cut, image id "
            "order decides the accumulation order", gt, res, expected)


def set_area_boundaries():
    # Area ranges are closed intervals on the GT's 'area' field and the detection's w*h.
    #   G1 [10,10,32,32]  area 1024   -> small AND medium
    #   G2 [100,10,96,96] area 9216   -> medium AND large
    #   G3 [10,200,40,40] area 1000.5 (w*h = 1600) -> small only (the field counts, not w*h)
    # Detections: F (unmatched, 32x32 = 1024) 0.95, then exact copies of G1 0.9, G2 0.8, G3 0.7.
    #   all:    F FP, 3 TP -> precision [0, 1/2, 2/3, 3/4] -> envelope 3/4 -> AP 0.75
    #   small:  F FP (1024 is inside), G1 TP, G2's copy ignored (matched an ignored GT), G3 TP
    #           -> [0, 1/2, -, 2/3] -> 2/3
    #   medium: F FP, G1 TP, G2 TP, G3's copy ignored -> 2/3
    #   large:  only G2 counts; F and G1's copy are ignored (F: unmatched, 1024 outside) -> lone
    #           TP -> 1/(1+eps)
    #   AR@1: F only -> 0; all other AR 1.
    gt = gt_dict([(1, 400, 400)],
                 [(1, 1, 1, [10, 10, 32, 32], None, 0), (2, 1, 1, [100, 10, 96, 96], None, 0),
                  (3, 1, 1, [10, 200, 40, 40], 1000.5, 0)], [1])
    res = [det(1, 1, [300, 300, 32, 32], 0.95), det(1, 1, [10, 10, 32, 32], 0.9),
           det(1, 1, [100, 10, 96, 96], 0.8), det(1, 1, [10, 200, 40, 40], 0.7)]
    expected = [0.75, 0.75, 0.75, 2 / 3, 2 / 3, ONE_TP_PRECISION, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    return ("area_boundaries", "GT areas exactly 32^2 and 96^2, 'area' field != w*h, unmatched "
            "detection of area exactly 32^2", gt, res, expected)


def set_iou_threshold_edges():
    # IoUs exactly 0.5 ([0,0,10,5] vs [0,0,10,10]: 50/100), 0.75 (300/400) and 0.9 (900/1000).
    # A detection matches when IoU >= t (t_5 == 0.75, t_8 == 0.8999999999999999). Scores put the
    # weakest overlap first: D50 0.9, D75 0.8, D90 0.7.
    #   t_0:       3 TP -> 1.0
    #   t_1..t_5:  D50 FP, D75 TP, D90 TP -> envelope 2/3 up to recall 2/3: r_0..r_66 -> 67 / 101
    #              samples of 2/3
    #   t_6..t_8:  only D90: FP, FP, TP -> precision 1/3 at recall 1/3: r_0..r_33 -> 34 samples
    #   t_9:       none -> 0
    gt = gt_dict([(1, 400, 100)],
                 [(1, 1, 1, [0, 0, 10, 10], None, 0), (2, 1, 1, [100, 0, 20, 20], None, 0),
                  (3, 1, 1, [200, 0, 100, 10], None, 0)], [1])
    res = [det(1, 1, [0, 0, 10, 5], 0.9), det(1, 1, [100, 0, 20, 15], 0.8),
           det(1, 1, [200, 0, 90, 10], 0.7)]
    per_iou = [1.0] + [67 * (2 / 3) / 101] * 5 + [34 * (1 / 3) / 101] * 3 + [0.0]
    return ("iou_threshold_edges", "IoU exactly 0.5, 0.75 and 0.9 against the linspace "
            "thresholds", gt, res, {1: per_iou})


def set_iou_float_rounding():
    # GT A = [12.36, 0, 28.2, 10] and its detection [12.55, 0, 25.38, 10]: in doubles the IoU
    # evaluates to 0.8999999999999999 (exactly the linspace threshold t_8), so A is matched at
    # t_8; a port using 0.9 for t_8 would not match it. B is matched exactly (score below A's).
    #   t_0..t_8: 2 TP -> precision [1/(1+eps), 1] -> envelope 1 -> AP 1.0
    #   t_9:      A' FP, B' TP -> precision [0, 1/2], recall [0, 1/2] -> r_0..r_50 get 1/2
    #             -> AP = 51 * 0.5 / 101
    gt = gt_dict([(1, 200, 100)],
                 [(1, 1, 1, [12.36, 0, 28.2, 10], None, 0), (2, 1, 1, [100, 20, 30, 30], None, 0)],
                 [1])
    res = [det(1, 1, [12.55, 0, 25.38, 10], 0.9), det(1, 1, [100, 20, 30, 30], 0.8)]
    assert box_iou([12.55, 0, 25.38, 10], [12.36, 0, 28.2, 10]) == ref.IOU_THRESHOLDS[8]
    per_iou = [1.0] * 9 + [51 * 0.5 / 101]
    return ("iou_float_rounding", "IoU that rounds to 0.8999999999999999 == t_8 in double "
            "arithmetic", gt, res, {1: per_iou})


# --- the random set -----------------------------------------------------------------------------
CATEGORIES = [1, 3, 7, 8, 11, 15, 20]   # 15: listed, never annotated; 20: annotated, never detected
DETECTED = [1, 3, 7, 8, 11, 15]
ANNOTATED = [1, 3, 7, 8, 11, 20]


def box_iou(a, b):
    return ref.box_iou([a], [b], [0])[0][0]


def set_random():
    rng = np.random.default_rng(SEED)
    n_images = 64
    image_ids = sorted(int(i) for i in rng.choice(np.arange(1, 2000), n_images, replace=False))
    sizes = {i: (int(rng.integers(64, 641)), int(rng.integers(64, 641))) for i in image_ids}
    roles = rng.permutation(image_ids)
    no_gt = set(int(i) for i in roles[:5])              # 3 of them get only false positives
    no_det = set(int(i) for i in roles[5:10])           # GT but no detections at all
    crowded = int(roles[10])                            # > 100 detections of one category

    def rnd(v, digits=2):
        return round(float(v), digits)

    def random_box(w_img, h_img):
        side = math.exp(rng.uniform(math.log(6), math.log(0.8 * min(w_img, h_img))))
        aspect = math.exp(rng.uniform(math.log(0.5), math.log(2)))
        w = min(side * math.sqrt(aspect), w_img - 1.0)
        h = min(side / math.sqrt(aspect), h_img - 1.0)
        x, y = rng.uniform(0, w_img - w), rng.uniform(0, h_img - h)
        return [rnd(x), rnd(y), max(rnd(w), 0.5), max(rnd(h), 0.5)]

    def jitter(box, level):
        x, y, w, h = box
        return [x + rng.normal(0, level * w), y + rng.normal(0, level * h),
                w * math.exp(rng.normal(0, level)), h * math.exp(rng.normal(0, level))]

    def det_bbox(b):
        # mostly 2 decimals, as detectors usually dump; some full-precision doubles
        return [rnd(v) for v in b] if rng.random() < 0.85 else [float(v) for v in b]

    def score(iou):
        s = float(np.clip(0.3 + 0.65 * iou + rng.normal(0, 0.12), 0.01, 0.999))
        return round(s, 1) if rng.random() < 0.3 else s    # rounding -> many exact ties

    # A few non-crowd GT get boundary areas on purpose: exactly 32^2 and 96^2, via w*h and via
    # the 'area' field alone.
    boundary_plan = ["box32", "field1024", "field9216", "box96"]

    annotations, results = [], []
    next_ann_id = 1
    for img in image_ids:
        w_img, h_img = sizes[img]
        n_gt = 0 if img in no_gt else int(rng.integers(1, 9))
        if img == crowded:
            n_gt = 8
        img_gts = []
        for _ in range(n_gt):
            cat = 3 if img == crowded else int(rng.choice(ANNOTATED))
            b = random_box(w_img, h_img)
            crowd = int(rng.random() < 0.05)
            if crowd:                                   # segmentation area of a crowd region
                area = rnd(b[2] * b[3] * rng.uniform(0.4, 0.9))
            elif rng.random() < 0.12:                   # polygon area, smaller than the box
                area = rnd(b[2] * b[3] * rng.uniform(0.55, 0.95))
            else:
                area = b[2] * b[3]
            if not crowd and boundary_plan and img != crowded:
                plan = boundary_plan.pop(0)
                if plan == "box32":
                    b = [min(b[0], w_img - 32.0), min(b[1], h_img - 32.0), 32.0, 32.0]
                    area = 1024.0
                elif plan == "box96" and min(w_img, h_img) > 96:
                    b = [min(b[0], w_img - 96.0), min(b[1], h_img - 96.0), 96.0, 96.0]
                    area = 9216.0
                elif plan == "field1024":
                    area = 1024.0
                elif plan == "field9216":
                    area = 9216.0
                else:
                    boundary_plan.insert(0, plan)       # image too small for 96x96: retry
            img_gts.append((next_ann_id, img, cat, b, area, crowd))
            next_ann_id += int(rng.integers(1, 4))      # ids need not be contiguous
        annotations += img_gts
        if img in no_det or (img in no_gt and rng.random() < 0.4):
            continue
        for _, _, cat, b, _, crowd in img_gts:
            if cat == 20:
                continue                                # category 20 is never detected
            if crowd:                                   # a few detections inside the region
                for _ in range(int(rng.integers(1, 4))):
                    fw, fh = b[2] * rng.uniform(0.2, 0.6), b[3] * rng.uniform(0.2, 0.6)
                    sub = [b[0] + rng.uniform(0, b[2] - fw), b[1] + rng.uniform(0, b[3] - fh),
                           fw, fh]
                    results.append(det(img, cat, det_bbox(sub), score(0.6)))
                continue
            if rng.random() < 0.88:
                d = jitter(b, rng.uniform(0.0, 0.3))
                s = score(box_iou(d, b))
                results.append(det(img, cat, det_bbox(d), s))
                if rng.random() < 0.06:                 # exact duplicate, same score
                    results.append(det(img, cat, det_bbox(d), s))
            if rng.random() < 0.15:                     # a second, looser detection
                d = jitter(b, rng.uniform(0.1, 0.4))
                results.append(det(img, cat, det_bbox(d), score(box_iou(d, b))))
            if rng.random() < 0.08:                     # right place, wrong class
                other = int(rng.choice([c for c in DETECTED if c != cat]))
                d = jitter(b, 0.05)
                results.append(det(img, other, det_bbox(d), score(0.9)))
        for _ in range(int(rng.integers(0, 5))):        # pure false positives
            results.append(det(img, int(rng.choice(DETECTED)), det_bbox(random_box(w_img, h_img)),
                               round(float(rng.uniform(0.01, 0.8)), 3)))
        if img == crowded:
            for _ in range(115):                        # pushes category 3 over maxDets = 100
                results.append(det(img, 3, det_bbox(random_box(w_img, h_img)),
                                   round(float(rng.uniform(0.0, 1.0)), 2)))

    images = [(i, *sizes[i]) for i in rng.permutation(image_ids).tolist()]  # list order != id order
    order = rng.permutation(len(annotations))
    annotations = [annotations[i] for i in order]                # order within an image matters
    results = [results[i] for i in rng.permutation(len(results))]
    gt = gt_dict(images, annotations, CATEGORIES)
    return ("random", "seeded synthetic data set (seed %d)" % SEED, gt, results, None)


def describe_random(gt, res):
    """Facts the random set is meant to contain; asserted so a seed change cannot lose them."""
    anns = gt["annotations"]
    per_img_gt = {i["id"]: 0 for i in gt["images"]}
    for a in anns:
        per_img_gt[a["image_id"]] += 1
    per_img_det, per_img_cat = {i: 0 for i in per_img_gt}, {}
    for r in res:
        per_img_det[r["image_id"]] += 1
        key = (r["image_id"], r["category_id"])
        per_img_cat[key] = per_img_cat.get(key, 0) + 1
    areas = [a["area"] for a in anns if not a["iscrowd"]]
    scores = [r["score"] for r in res]
    facts = {
        "imagesWithoutGt": sum(1 for n in per_img_gt.values() if n == 0),
        "imagesWithoutGtOrDetections": sum(1 for i in per_img_gt
                                           if per_img_gt[i] == 0 and per_img_det[i] == 0),
        "imagesWithoutGtButWithDetections": sum(1 for i in per_img_gt
                                                if per_img_gt[i] == 0 and per_img_det[i] > 0),
        "imagesWithGtButNoDetections": sum(1 for i in per_img_gt
                                           if per_img_gt[i] > 0 and per_img_det[i] == 0),
        "maxDetectionsPerImageAndCategory": max(per_img_cat.values()),
        "crowdAnnotations": sum(a["iscrowd"] for a in anns),
        "nonCrowdAreaNotWH": sum(1 for a in anns if not a["iscrowd"]
                                 and a["area"] != a["bbox"][2] * a["bbox"][3]),
        "gtSmallMediumLarge": [sum(1 for x in areas if x < 32 ** 2),
                               sum(1 for x in areas if 32 ** 2 <= x <= 96 ** 2),
                               sum(1 for x in areas if x > 96 ** 2)],
        "gtAreaExactly1024": sum(1 for x in areas if x == 1024),
        "gtAreaExactly9216": sum(1 for x in areas if x == 9216),
        "detectionsSharingAScore": len(scores) - len(set(scores)),
        "detectionsWithNonIntegerBox": sum(1 for r in res if any(v != int(v) for v in r["bbox"])),
    }
    assert len(gt["images"]) >= 60 and len(ANNOTATED) >= 6
    assert facts["imagesWithoutGtOrDetections"] >= 1
    assert facts["imagesWithoutGtButWithDetections"] >= 1
    assert facts["imagesWithGtButNoDetections"] >= 3
    assert facts["maxDetectionsPerImageAndCategory"] > 100
    assert facts["crowdAnnotations"] >= 5 and facts["nonCrowdAreaNotWH"] >= 5
    assert min(facts["gtSmallMediumLarge"]) >= 20
    assert facts["gtAreaExactly1024"] >= 2 and facts["gtAreaExactly9216"] >= 1
    assert facts["detectionsSharingAScore"] >= 50
    return facts


# --- output ---------------------------------------------------------------------------------------
def to_json(obj, indent=""):
    """JSON with one line per annotation / result / small record, so diffs stay readable.
    Floats use Python's repr (shortest round-trip form), as json.dumps does."""
    inner = indent + " "
    if isinstance(obj, dict) and any(isinstance(v, (dict, list)) and len(json.dumps(v)) > 100
                                     for v in obj.values()):
        items = ["%s%s: %s" % (inner, json.dumps(k), to_json(v, inner)) for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(obj, list) and obj and all(isinstance(v, (dict, list)) for v in obj):
        return "[\n" + ",\n".join(inner + to_json(v, inner) for v in obj) + "\n" + indent + "]"
    return json.dumps(obj)


# --- main ---------------------------------------------------------------------------------------
def counts(gt, res):
    return {
        "images": len(gt["images"]),
        "categories": len(gt["categories"]),
        "gtAnnotations": len(gt["annotations"]),
        "crowdAnnotations": sum(a["iscrowd"] for a in gt["annotations"]),
        "detections": len(res),
    }


def main():
    builders = [set_random, set_tp_below_fp, set_crowd_only_match, set_crowd_vs_regular,
                set_empty_results, set_no_gt_category, set_perfect_match, set_single_tp_eps,
                set_max_dets_ties, set_area_boundaries, set_iou_threshold_edges, set_iou_float_rounding]
    sets = []
    for build in builders:
        name, description, gt, res, expected = build()
        result = ref.evaluate_detailed(gt, res)
        stats = result.stats
        ap, ap50, ap75 = (result.category_ap(t) for t in (None, 0, 5))

        # Self-checks against the hand derivations in the comments above.
        if isinstance(expected, list):
            for i, (got, want) in enumerate(zip(stats, expected)):
                assert approx(got, want), (name, ref.STAT_NAMES[i], got, want)
        elif isinstance(expected, dict):
            by_iou = result.category_ap_by_iou()
            for cat, want in expected.items():
                for t, (g, w) in enumerate(zip(by_iou[cat], want)):
                    assert approx(g, w), (name, cat, t, g, w)
        if name == "tp_below_fp":
            assert ap50[1] == 0.5                       # exact: every sample is 0.5
        if name in ("perfect_match", "crowd_only_match", "no_gt_category"):
            assert stats[0] == 1.0 and stats[1] == 1.0  # exact, not merely close
        if name == "empty_results":
            assert all(s == 0.0 for s in stats)
        if name == "no_gt_category":
            assert ap[2] == -1.0 and 99 not in ap

        entry = {
            "name": name,
            "description": description,
            "counts": counts(gt, res),
            "gt": gt,
            "results": res,
            "stats": [float(s) for s in stats],
            "perCategory": [{"categoryId": c, "ap": ap[c], "ap50": ap50[c], "ap75": ap75[c]}
                            for c in result.category_ids],
        }
        if name == "random":
            entry["facts"] = describe_random(gt, res)
        sets.append(entry)

    doc = {
        "generator": "src-test-data/make_coco_eval_vectors.py (numbers from "
                     "src-test-data/cocoeval_reference.py)",
        "source": "Algorithm of pycocotools COCOeval, iouType 'bbox' (PythonAPI/pycocotools/"
                  "cocoeval.py, coco.py; common/maskApi.c bbIou) from "
                  "https://github.com/cocodataset/cocoapi, BSD 2-Clause licence, Copyright (c) "
                  "2014, Piotr Dollar and Tsung-Yi Lin; independently re-implemented, no "
                  "pycocotools code included.",
        "tolerance": 1e-12,
        "params": {
            "iouThrs": ref.IOU_THRESHOLDS.tolist(),
            "recThrs": ref.RECALL_THRESHOLDS.tolist(),
            "maxDets": ref.MAX_DETS,
            "areaRng": ref.AREA_RANGES,
            "areaRngLbl": ref.AREA_LABELS,
        },
        "statNames": ref.STAT_NAMES,
        "sets": sets,
    }
    with open(OUT, "w") as f:
        f.write(to_json(doc) + "\n")
    for s in sets:
        print("%-20s %s" % (s["name"], s["counts"]))
        print("   stats", " ".join("%.6f" % v for v in s["stats"]))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
