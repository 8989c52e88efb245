#!/usr/bin/python3
"""Shows that torch_crosscheck.py's own checks can fail: runs it on an export with its classification loss reading
the head's channels as (class, anchor) instead of (anchor, class), a porting mistake its output check cannot see (the
outputs are compared in one layout), and reports whether the loss check stops it:

    /usr/bin/python3 examples/src/main/python/crosscheck_mutation.py EXPORT_DIR

Exit status 0 when the mutation is caught, 1 when it is not.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_crosscheck  # noqa: E402


def misread(logits, a, k):
    """The mutation: channel k*A + a read as anchor a's logit of class k."""
    n, _, loc = logits.shape
    return logits.reshape(n, k, a, loc).permute(0, 2, 1, 3)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: crosscheck_mutation.py EXPORT_DIR")
    torch_crosscheck.class_logits = misread
    sys.argv = [sys.argv[0], sys.argv[1], os.devnull]
    try:
        torch_crosscheck.main()
    except AssertionError as e:
        if "losses" not in str(e):                                   # only the loss check can see this mutation
            raise
        print("caught:", e)
        sys.exit(0)
    print("NOT caught: the twin's checks let a (class, anchor) misreading through")
    sys.exit(1)
