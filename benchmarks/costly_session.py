"""One session doing the worst it can, beside a class drawing (issue 28), side by side.

    python benchmarks/costly_session.py [--before DIR] [--students 16] [--seconds 30] [--json]

For each checkout (this one and, with --before, another), on a server of its own: S light
students draw (`light_load.round_of`, no training) for --seconds, first alone, then beside one
Chromium tab that asks for the most expensive view there is again and again: Inspect's
embedding of a saved model with a timeline, moving its "At step" slider one step a second, every
step a model the server has not embedded yet (t-SNE of 1,500 digits each). Reported per
checkout: the drawings' median and p95 with and without the attacker, the server's CPU, and how
many new embeddings the attacker was given. Medians are over one round each; the machine is
named in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from light_load import round_of  # noqa: E402
from light_roles import student  # noqa: E402
from serving import CHROMIUM, CHROMIUM_FLAGS, running_app  # noqa: E402


def checkpoint_with_timeline(folder: Path) -> Path:
    """The shipped model with a 40-snapshot timeline (as tests/browser/test_e2e.py makes it)."""
    import numpy as np

    from lenet.files.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint, save_checkpoint
    from lenet.timeline.file import timeline_payload
    from lenet.timeline.snapshots import Snapshot, Timeline, flat_weights

    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    final = flat_weights(model)
    snaps = tuple(Snapshot(k * 4, k / 40, final * np.float32(k / 39)) for k in range(40))
    payload = {"timeline": timeline_payload(Timeline(snaps, 156))}
    return save_checkpoint(folder / "with_timeline.pt", model, payload)


def attack(url: str, stop: threading.Event, seen: dict) -> None:
    """Inspect's embedding, the slider moved a step a second until `stop`."""
    try:
        _attack(url, stop, seen)
    except Exception as error:  # noqa: BLE001 - said in the result, not lost in a thread
        seen["error"] = f"{type(error).__name__}: {str(error)[:200]}"


def _attack(url: str, stop: threading.Event, seen: dict) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        tab.goto(f"{url}/inspect?part=embedding")
        sidebar = tab.get_by_test_id("stSidebar")
        sidebar.get_by_test_id("stSelectbox").first.click(timeout=60_000)
        tab.get_by_role("option", name="Saved: with_timeline", exact=False).first.click()
        slider = sidebar.get_by_role("slider").first
        slider.wait_for(timeout=60_000)
        slider.focus()
        slider.press("Home")
        while not stop.is_set():
            slider.press("ArrowRight")
            seen["moves"] += 1
            time.sleep(1.0)
            seen["refused"] = tab.get_by_text("new embeddings in a minute").count()
        browser.close()


async def drawing(url: str, pid: int, args) -> dict:
    options = SimpleNamespace(trainers=0, seconds=args.seconds, think=0.5, train_limit=60)
    return await round_of(url, pid, options, args.students)


def measure(root: Path, args) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        checkpoint_with_timeline(Path(folder))
        env = {"LENET_CHECKPOINT_DIR": folder, "LENET_DATABASE_URL": f"sqlite:///{folder}/r.db"}
        with running_app(env, script=str(root / "demo" / "serve.py")) as (url, server):
            asyncio.run(student(url, 3, 0, 0.5))  # warm
            alone = asyncio.run(drawing(url, server.pid, args))
            stop, seen = threading.Event(), {"moves": 0, "refused": 0}
            attacker = threading.Thread(target=attack, args=(url, stop, seen), daemon=True)
            attacker.start()
            time.sleep(8)  # the attacker's page is up and moving
            beside = asyncio.run(drawing(url, server.pid, args))
            stop.set()
            attacker.join(60)
    keys = ("median_s", "p95_s", "server_cpu_percent", "readings", "right", "errors")
    return {
        "alone": {k: alone[k] for k in keys},
        "beside_attacker": {k: beside[k] for k in keys},
        "attacker_moves": seen["moves"],
        "attacker_told_to_wait": bool(seen["refused"]),
        "attacker_error": seen.get("error"),
        "p95_ratio": round(beside["p95_s"] / alone["p95_s"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another checkout to measure beside this one")
    parser.add_argument("--students", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    checkouts = {"now": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    found = {name: measure(root, args) for name, root in checkouts.items()}
    print(json.dumps(found, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
