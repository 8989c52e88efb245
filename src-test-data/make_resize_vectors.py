"""Reference resizes for focal-dl4j-detection's Letterbox, by Pillow.

Pillow's Image.resize(size, BILINEAR) on 32-bit float images ("F" mode): separable, antialiased triangle filter
(support max(1, in/out)), horizontal pass first, coefficients in double, results stored as float32. This script
draws random planes, resizes each to several sizes (up, down, and mixed), and writes
src-test-data/resize_vectors.json.

Regenerate: apt-get install python3-pil; /usr/bin/python3 src-test-data/make_resize_vectors.py
"""
import json
import os

import numpy as np
from PIL import Image

rng = np.random.default_rng(5)
cases = []
for (w, h), targets in [((17, 13), [(8, 6), (34, 26), (17, 13), (5, 13), (30, 7)]),
                        ((40, 30), [(16, 12), (52, 39), (39, 29), (1, 1)]),
                        ((7, 5), [(30, 21), (3, 2)])]:
    plane = rng.random((h, w), dtype=np.float32)
    for (w2, h2) in targets:
        out = np.asarray(Image.fromarray(plane, "F").resize((w2, h2), Image.Resampling.BILINEAR), dtype=np.float32)
        cases.append({"w": w, "h": h, "w2": w2, "h2": h2,
                      "input": [float(v) for v in plane.reshape(-1)],
                      "output": [float(v) for v in out.reshape(-1)]})
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "resize_vectors.json"), "w") as f:
    json.dump({"source": "Pillow " + Image.__version__ + " resize BILINEAR, mode F", "cases": cases}, f)
print(len(cases), "cases")
