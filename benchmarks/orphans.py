"""How long a training run's processes outlive an app killed with `kill -9`, this tree against
another (`--root`): the app starts the worker server and a run exactly as the app does
(tests/demo/training/test_orphans.py), is killed mid-run, and the seconds until its last child ended
are timed.

    .venv/bin/python benchmarks/orphans.py --root /tmp/base --kills 5 [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
PROBE = """
import importlib.util, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("orphans", sys.argv[3])
t = importlib.util.module_from_spec(spec)
spec.loader.exec_module(t)
from tests.conftest import FIXTURE_DIR
t.ROOT, t.GONE_WITHIN_S = Path.cwd(), float(sys.argv[2])
for _ in range(int(sys.argv[1])):
    children, seconds, left = t.kill_app_and_time_its_children(FIXTURE_DIR, FIXTURE_DIR, True)
    print(len(children), -1 if seconds is None else round(seconds, 3), flush=True)
"""


def kill_times(root: Path, kills: int, limit_s: float) -> list[float | None]:
    """Seconds until every child ended after each kill (None: some outlived `limit_s`)."""
    # this tree's test helper, run from `root`: `root`'s app is started and killed
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {str(root)!r})\n" + PROBE,
            str(kills),
            str(limit_s),
            str(HERE / "tests" / "test_orphans.py"),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    times = [float(line.split()[1]) for line in probe.stdout.splitlines()]
    return [None if t < 0 else t for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, action="append", default=[], help="another tree")
    parser.add_argument("--kills", type=int, default=5, help="kills per tree")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds to wait per kill")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    results = {}
    for root in [HERE, *args.root]:
        times = kill_times(root.resolve(), args.kills, args.limit)
        ended = [t for t in times if t is not None]
        results[str(root)] = {
            "seconds": times,
            "median_s": statistics.median(ended) if ended else None,
            "max_s": max(ended) if ended else None,
            "never_ended": len(times) - len(ended),
        }
    if args.json:
        print(json.dumps(results))
        return
    for root, result in results.items():
        print(f"{root}: {result['seconds']} (median {result['median_s']} s)")


if __name__ == "__main__":
    main()
