"""The Fashion-MNIST subset committed with the examples, so that the demo runs on a fresh machine.

Reads Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist: the original gzipped IDX
files of Xiao, Rasul and Vollgraf 2017, Zalando Research, MIT licence) and writes the first 3,000
training items and the first 1,000 test items, unchanged, as gzipped IDX files beside this script.

Regenerate: apt-get install dataset-fashion-mnist; /usr/bin/python3 make_fashion_mnist_subset.py
"""
import gzip
import os
import struct

SOURCE = "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))
COUNTS = {"train": 3000, "t10k": 1000}


def read(path):
    with gzip.open(path, "rb") as f:
        return f.read()


for split, n in COUNTS.items():
    images = read(os.path.join(SOURCE, split + "-images-idx3-ubyte.gz"))
    labels = read(os.path.join(SOURCE, split + "-labels-idx1-ubyte.gz"))
    magic, count, rows, cols = struct.unpack(">IIII", images[:16])
    assert magic == 2051 and rows == 28 and cols == 28 and count >= n
    lmagic, lcount = struct.unpack(">II", labels[:8])
    assert lmagic == 2049 and lcount == count
    head = struct.pack(">IIII", 2051, n, 28, 28) + images[16:16 + n * 28 * 28]
    lhead = struct.pack(">II", 2049, n) + labels[8:8 + n]
    # mtime=0: the same bytes every time
    with open(os.path.join(HERE, split + "-images-idx3-ubyte.gz"), "wb") as f:
        f.write(gzip.compress(head, mtime=0))
    with open(os.path.join(HERE, split + "-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(gzip.compress(lhead, mtime=0))
    print(split, n, "items")
