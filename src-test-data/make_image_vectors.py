"""Reference images and their pixels for focal-dl4j-detection's ImageFiles, decoded by Pillow.

Pillow (Debian's python3-pil) writes small PNG and JPEG files of every kind ImageFiles must read or refuse,
and decodes the ones it must read, giving for each its size and its samples as [C, H, W] in [0, 1]
(sample / 255, or / 65535 for 16-bit). JPEG decoders may differ by a level or two (IDCT rounding), so the
Java test bounds the difference there; PNG files must decode exactly. Writes src-test-data/images/ and
src-test-data/image_vectors.json.

Regenerate: apt-get install python3-pil; /usr/bin/python3 src-test-data/make_image_vectors.py
"""
import json
import os

import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "images")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)
W, H = 16, 12


def smooth_rgb():
    # smooth gradients plus a little noise: JPEG keeps them close
    y, x = np.mgrid[0:H, 0:W]
    r = 30 + 12 * x
    g = 40 + 15 * y
    b = 200 - 6 * x - 5 * y
    img = np.stack([r, g, b], axis=-1) + rng.integers(-3, 4, size=(H, W, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


rgb = smooth_rgb()
grey = rgb[:, :, 1].copy()
files = {}

Image.fromarray(rgb, "RGB").save(os.path.join(out, "rgb.png"))
Image.fromarray(rgb, "RGB").save(os.path.join(out, "rgb.jpg"), quality=95, subsampling=0)
Image.fromarray(grey, "L").save(os.path.join(out, "grey.png"))
Image.fromarray(grey, "L").save(os.path.join(out, "grey.jpg"), quality=95)
Image.fromarray(np.stack([grey] * 3, axis=-1), "RGB").save(os.path.join(out, "grey_as_rgb.png"))
Image.fromarray(rgb, "RGB").quantize(colors=16, dither=Image.Dither.NONE).save(os.path.join(out, "palette.png"))
g16 = (grey.astype(np.uint16) * 257 + rng.integers(0, 200, size=(H, W))).astype(np.uint16)
Image.fromarray(g16, "I;16").save(os.path.join(out, "grey16.png"))
rgba = np.concatenate([rgb, np.full((H, W, 1), 255, np.uint8)], axis=-1)
Image.fromarray(rgba, "RGBA").save(os.path.join(out, "rgba_opaque.png"))
la = np.stack([grey, np.full((H, W), 255, np.uint8)], axis=-1)
Image.fromarray(la, "LA").save(os.path.join(out, "grey_alpha_opaque.png"))
rgba_t = rgba.copy()
rgba_t[5, 7, 3] = 128
Image.fromarray(rgba_t, "RGBA").save(os.path.join(out, "rgba_transparent.png"))
Image.fromarray(rgb, "RGB").convert("CMYK").save(os.path.join(out, "cmyk.jpg"), quality=95)
with open(os.path.join(out, "rgb.png"), "rb") as f:
    data = f.read()
with open(os.path.join(out, "truncated.png"), "wb") as f:
    f.write(data[: len(data) // 2])
with open(os.path.join(out, "not_an_image.png"), "wb") as f:
    f.write(b"this is text, not a PNG file\n")


def chw(name):
    im = Image.open(os.path.join(out, name))
    if im.mode in ("I;16", "I;16B", "I"):
        a = np.asarray(im, dtype=np.float64)[None] / 65535.0
    elif im.mode in ("L", "LA"):
        a = np.asarray(im.convert("L"), dtype=np.float64)[None] / 255.0
    else:
        a = np.asarray(im.convert("RGB"), dtype=np.float64).transpose(2, 0, 1) / 255.0
    return {"channels": a.shape[0], "width": im.width, "height": im.height, "mode": im.mode,
            "pixels": [round(v, 12) for v in a.reshape(-1).tolist()]}


vectors = {
    "source": "Pillow " + Image.__version__ + " (src-test-data/make_image_vectors.py)",
    "exact": {n: chw(n) for n in ["rgb.png", "grey.png", "grey_as_rgb.png", "palette.png", "grey16.png",
                                  "rgba_opaque.png", "grey_alpha_opaque.png"]},
    "jpeg": {n: chw(n) for n in ["rgb.jpg", "grey.jpg"]},
    "refused": ["rgba_transparent.png", "cmyk.jpg", "truncated.png", "not_an_image.png"],
}
with open(os.path.join(here, "image_vectors.json"), "w") as f:
    json.dump(vectors, f, indent=1)
print("wrote", len(vectors["exact"]) + len(vectors["jpeg"]) + len(vectors["refused"]), "images")
