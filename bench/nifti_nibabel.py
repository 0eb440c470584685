"""nibabel side of bench/nifti-bench.ts: load + scale (get_fdata) + hippocampus crop.

Reads one file path per line on stdin, runs load + scale + crop on it once, and answers with
the elapsed milliseconds on stdout, so the TypeScript side can alternate runs of the two
readers and both see the same machine load.
The crop is the same as the TypeScript side's: the left and right hippocampus boxes
(resources/roi/hippocampus.json, MNI mm) mapped through the image's affine, plus 2 voxels.
"""
import json
import os
import sys
import time

import numpy as np
import nibabel as nib

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "resources", "roi", "hippocampus.json")) as f:
    BOXES = json.load(f)["boxes"]
MARGIN = 2


def crop(data, affine, box):
    inv = np.linalg.inv(affine)
    corners = np.array([[x, y, z, 1.0] for x in box["x"] for y in box["y"] for z in box["z"]])
    vox = (inv @ corners.T)[:3]
    lo = np.ceil(vox.min(axis=1) - 1e-6).astype(int) - MARGIN
    hi = np.floor(vox.max(axis=1) + 1e-6).astype(int) + MARGIN
    shape = data.shape[:3]
    lo = np.clip(lo, 0, shape)
    hi = np.clip(hi + 1, 0, shape)
    return data[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]].copy()


def once(path):
    img = nib.load(path)
    data = img.get_fdata()
    if data.ndim == 4:
        data = data.mean(axis=3)
    return crop(data, img.affine, BOXES["left"]), crop(data, img.affine, BOXES["right"])


def main():
    for line in sys.stdin:
        path = line.rstrip("\n")
        if not path:
            continue
        t0 = time.perf_counter()
        once(path)
        print(f"{(time.perf_counter() - t0) * 1000:.4f}", flush=True)


if __name__ == "__main__":
    main()
