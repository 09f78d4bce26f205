"""How long `lenet.predict` takes to read a phone photo of a digit: 0.75, 3 and 12 MP.

    python benchmarks/predict_photos.py [--json] [--root PATH] [--repeats 3] [--timeout 600]

Each photo is a realistic JPEG: a 7, 2 or 4 drawn with a felt pen (dark ink, strokes about 1% of
the picture) on light paper lit unevenly, with sensor noise. The photos are read in a fresh
process per tree with one warm model (the shipped checkpoint): `read_image` then `classify`, as
the CLI does for each file; the best of `--repeats` reads per photo. With `--root /tmp/base` the
same photos are read by that tree too, once each, and the table shows both side by side. A tree
taking longer than `--timeout` seconds in all is reported as such (today's main: minutes at 12 MP).
Target: 12 MP in a few seconds, and the same digit at every size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"0.75 MP": (1000, 750), "3 MP": (2000, 1500), "12 MP": (4000, 3000)}
# pen strokes of three digits, in units of the digit's height (x, y from its top-left corner)
STROKES = {
    7: [[(0.0, 0.05), (0.6, 0.0), (0.25, 1.0)]],
    2: [[(0.0, 0.25), (0.2, 0.02), (0.45, 0.0), (0.6, 0.2), (0.5, 0.45), (0.0, 1.0), (0.65, 0.97)]],
    4: [[(0.45, 0.0), (0.0, 0.65), (0.65, 0.62)], [(0.45, 0.3), (0.45, 1.0)]],
}

TIMER = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, ".")
from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from lenet.reading import classify
from lenet.cli.predict import read_image
model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
paths, repeats = json.loads(sys.argv[1]), int(sys.argv[2])
classify(model, read_image(Path(paths[0])))  # warm-up
for path in paths:
    best, digit = float("inf"), None
    for _ in range(repeats):
        began = time.perf_counter()
        prediction = classify(model, read_image(Path(path)))
        best = min(best, time.perf_counter() - began)
        digit = None if prediction is None else prediction.digit
    print(json.dumps({"path": path, "seconds": best, "digit": digit}), flush=True)
"""


def photo(digit: int, width: int, height: int, seed: int = 0) -> Image.Image:
    """A phone photo of a digit drawn with a felt pen on unevenly lit paper (RGB)."""
    rng = np.random.default_rng(seed)
    tall = 0.55 * height
    left, top = 0.42 * width + rng.uniform(-0.05, 0.05) * width, 0.22 * height
    ink = Image.new("L", (width, height), 0)
    pen = ImageDraw.Draw(ink)
    for stroke in STROKES[digit]:
        points = [(left + x * tall, top + y * tall) for x, y in stroke]
        pen.line(points, fill=255, width=max(2, round(0.01 * height)), joint="curve")
    ys, xs = np.ogrid[0:height, 0:width]
    light = 205 + 35 * (xs / width) * (0.6 + 0.4 * ys / height)  # paper lit from one side
    paper = np.asarray(ink, dtype=np.float32) / 255 * 0.8
    gray = light * (1 - paper) + rng.normal(0, 5, (height, width)).astype(np.float32)
    tint = np.array([1.0, 0.97, 0.9], dtype=np.float32)  # warm indoor light
    return Image.fromarray(np.clip(gray[..., None] * tint, 0, 255).astype(np.uint8), "RGB")


def write_photos(folder: Path) -> list[Path]:
    """One JPEG per size, the digits 7, 2, 4 in turn, as a phone saves them."""
    paths = []
    for (label, (width, height)), digit in zip(SIZES.items(), (7, 2, 4), strict=True):
        path = folder / f"{label.replace(' ', '').replace('.', '_')}-{digit}.jpg"
        photo(digit, width, height).save(path, quality=90)
        paths.append(path)
    return paths


def time_tree(root: Path, paths: list[Path], repeats: int, timeout: float) -> dict[str, dict]:
    """Seconds and digit per photo read by the tree at `root` (missing ones timed out)."""
    command = [sys.executable, "-c", TIMER, json.dumps([str(p) for p in paths]), str(repeats)]
    try:
        done = subprocess.run(
            command, cwd=root, capture_output=True, text=True, timeout=timeout, check=False
        )
        out = done.stdout
    except subprocess.TimeoutExpired as expired:  # keep the photos it did read
        out = expired.stdout or ""
        out = out.decode() if isinstance(out, bytes) else out
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {Path(row["path"]).name: row for row in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--root", type=Path, help="another tree to time beside this one")
    parser.add_argument("--repeats", type=int, default=3, help="reads per photo here (best kept)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per tree in all")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        paths = write_photos(Path(folder))
        trees = {"this tree": ROOT} | ({"--root": args.root} if args.root else {})
        results = {
            name: time_tree(root, paths, 1 if name == "--root" else args.repeats, args.timeout)
            for name, root in trees.items()
        }
    table = []
    for label, path in zip(SIZES, paths, strict=True):
        row = {"photo": label, "expected": int(path.stem.split("-")[1])}
        for name, result in results.items():
            found = result.get(path.name)
            row[name] = {"seconds": found["seconds"], "digit": found["digit"]} if found else None
        table.append(row)
    if args.json:
        print(json.dumps({"photos": table, "trees": {k: str(v) for k, v in trees.items()}}))
        return
    for row in table:
        cells = [f"{row['photo']:>8} (a {row['expected']})"]
        for name in results:
            cell = row[name]
            text = "timed out" if cell is None else f"{cell['seconds']:.2f} s -> {cell['digit']}"
            cells.append(f"{name}: {text}")
        if args.root and row["--root"] and row["this tree"]:
            cells.append(f"ratio {row['--root']['seconds'] / row['this tree']['seconds']:.0f}x")
        print(" | ".join(cells))


if __name__ == "__main__":
    main()
