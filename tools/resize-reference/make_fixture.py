"""Writes tests/CnnGen.Tests/Fixtures/resize/reference.json: resizes computed by libraries other
than CnnGen, for the cases where their arithmetic is TensorFlow's (TensorFlow itself is not
installable where this was run).

- Pillow, mode "F" (float32, weights in double), BICUBIC and LANCZOS, upsampling only: Pillow
  widens its kernels when shrinking (antialiasing) and TensorFlow's antialias=False does not,
  but when enlarging both sample Keys' cubic (a = -0.5) or Lanczos-3 at the half-pixel source
  position, drop taps outside the image and renormalise. The ratios are powers of two so that
  TensorFlow's bicubic table (fractions rounded to 1/1024) is exact.
- PyTorch adaptive_avg_pool2d at integer ratios, where TensorFlow's area resize is the mean of
  each block.

Run from the repository root: python3 tools/resize-reference/make_fixture.py
"""
import json
import os

import numpy as np
import PIL
import torch
from PIL import Image


def image(height, width, channels):
    """Deterministic values 0-255 (no random generator to reproduce elsewhere)."""
    y, x, c = np.meshgrid(np.arange(height), np.arange(width), np.arange(channels), indexing="ij")
    return (((y * 7 + 3) * (x * 11 + 5) * (c + 1) + 17 * x * x) % 256).astype(np.float32)


def pillow(pixels, out_height, out_width, resample):
    planes = [np.asarray(Image.fromarray(np.ascontiguousarray(pixels[:, :, c]), mode="F").resize((out_width, out_height), resample=resample))
              for c in range(pixels.shape[2])]
    return np.stack(planes, axis=2)


def area(pixels, out_height, out_width):
    t = torch.from_numpy(pixels).permute(2, 0, 1).unsqueeze(0)
    return torch.nn.functional.adaptive_avg_pool2d(t, (out_height, out_width))[0].permute(1, 2, 0).numpy()


def case(source, method, in_height, in_width, channels, out_height, out_width, resize):
    pixels = image(in_height, in_width, channels)
    out = resize(pixels, out_height, out_width)
    return {
        "source": source, "method": method,
        "inHeight": in_height, "inWidth": in_width, "channels": channels, "outHeight": out_height, "outWidth": out_width,
        "input": [float(v) for v in pixels.reshape(-1)],
        "output": [float(v) for v in out.astype(np.float32).reshape(-1)],
    }


cases = []
for method, resample in (("Bicubic", Image.BICUBIC), ("Lanczos3", Image.LANCZOS)):
    for (ih, iw, oh, ow) in ((4, 4, 8, 16), (5, 3, 10, 12), (3, 6, 12, 6)):
        cases.append(case(f"Pillow {PIL.__version__}", method, ih, iw, 3, oh, ow, lambda p, h, w, r=resample: pillow(p, h, w, r)))
for (ih, iw, oh, ow) in ((6, 8, 3, 2), (9, 6, 3, 3), (4, 10, 4, 5)):
    cases.append(case(f"PyTorch {torch.__version__} adaptive_avg_pool2d", "Area", ih, iw, 3, oh, ow, area))

path = os.path.join("tests", "CnnGen.Tests", "Fixtures", "resize", "reference.json")
with open(path, "w", encoding="utf-8") as f:
    # One case a line: small diffs when the script changes.
    f.write('{\n "generator": "tools/resize-reference/make_fixture.py",\n "cases": [\n  ')
    f.write(",\n  ".join(json.dumps(c) for c in cases))
    f.write("\n ]\n}\n")
print(f"wrote {len(cases)} cases to {path}")
