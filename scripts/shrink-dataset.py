# Re-encodes a data set's photographs smaller, same layout, names and label files, so that it
# travels to a lent GPU machine within the device tool's 64 MiB (working tree + payload + data).
# Only for transport: the networks see 128-256 px, far below the width kept here; results from a
# shrunk copy must say so (docs/real-data.md). Needs OpenCV (scripts/setup.sh --torch).
#   /usr/bin/python3 scripts/shrink-dataset.py <data-dir> <out-dir> [width=512] [jpeg-quality=93]
import os, shutil, sys
import cv2

src, dst = sys.argv[1], sys.argv[2]
width = int(sys.argv[3]) if len(sys.argv) > 3 else 512
quality = int(sys.argv[4]) if len(sys.argv) > 4 else 93
if os.path.exists(dst):
    sys.exit(f"shrink-dataset: {dst} exists; give a new folder")
for root, _, files in os.walk(src):
    out = os.path.join(dst, os.path.relpath(root, src))
    os.makedirs(out, exist_ok=True)
    for name in files:
        path = os.path.join(root, name)
        image = cv2.imread(path) if name.lower().endswith((".jpg", ".jpeg", ".png", ".tif", ".tiff")) else None
        if image is None:  # labels, READMEs: copied as they are
            shutil.copy(path, os.path.join(out, name))
            continue
        h, w = image.shape[:2]
        if w > width:  # area averaging, as drgrade's own resize; never enlarged
            image = cv2.resize(image, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
        # Each file keeps its name and format: JPEGs at the given quality, PNG and TIFF lossless.
        params = [cv2.IMWRITE_JPEG_QUALITY, quality] if name.lower().endswith((".jpg", ".jpeg")) else []
        cv2.imwrite(os.path.join(out, name), image, params)
