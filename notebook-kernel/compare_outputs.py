"""Compares the outputs of a freshly executed notebook with the committed one.

Text (stdout, stderr, text/plain results) must be identical cell by cell except for numbers, which must
agree to 2 % (relative) or 0.005 (absolute): a trained model's figures move in the last digits between CPUs
(AVX2 and AVX-512 sum in different orders), while a wrong result moves them further. An image output must
be present where the committed notebook has one (PNG bytes may differ with fonts). Exit status 1 on any
difference.
"""
import re
import sys

import nbformat

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def same_text(a, b):
    """Equal apart from numbers that agree within the tolerance above."""
    if a == b:
        return True
    if NUMBER.split(a) != NUMBER.split(b):
        return False
    for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
        fx, fy = float(x), float(y)
        if abs(fx - fy) > max(0.005, 0.02 * max(abs(fx), abs(fy))):
            return False
    return True


def same_outputs(oa, ob):
    return len(oa) == len(ob) and all(ka == kb and same_text(ta, tb) for (ka, ta), (kb, tb) in zip(oa, ob))


def outputs(cell):
    found = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            found.append((o["name"], o["text"]))
        elif o["output_type"] in ("execute_result", "display_data"):
            data = o.get("data", {})
            found.append(("image/png", "<image>") if "image/png" in data else ("text/plain", data.get("text/plain", "")))
        elif o["output_type"] == "error":
            found.append(("error", o.get("ename", "") + ": " + o.get("evalue", "")))
    merged = []                                 # a stream may arrive in several pieces
    for kind, text in found:
        if merged and merged[-1][0] == kind and kind in ("stdout", "stderr"):
            merged[-1] = (kind, merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


committed = nbformat.read(sys.argv[1], as_version=4)
fresh = nbformat.read(sys.argv[2], as_version=4)
code_a = [c for c in committed.cells if c.cell_type == "code"]
code_b = [c for c in fresh.cells if c.cell_type == "code"]
bad = 0
for i, (a, b) in enumerate(zip(code_a, code_b)):
    oa, ob = outputs(a), outputs(b)
    if not same_outputs(oa, ob):
        bad += 1
        print(f"{sys.argv[1]}: code cell {i + 1} output differs", file=sys.stderr)
        print(f"  committed: {oa!r}"[:2000], file=sys.stderr)
        print(f"  now:       {ob!r}"[:2000], file=sys.stderr)
if len(code_a) != len(code_b):
    bad += 1
    print(f"{sys.argv[1]}: {len(code_a)} code cells committed, {len(code_b)} executed", file=sys.stderr)
sys.exit(1 if bad else 0)
