"""The department's deployment on this machine (README "Many students: a Ray cluster"; the pieces
of `make cluster-demo`): a Ray head with one CPU started by `ray start`, two app servers side by
side on PostgreSQL, every run on the cluster. Students on either server wait in one line; both
servers' Class pages show the same runs and the same queue; the head killed mid-run fails the run
with the reason, new runs fail at once with one line, and drawing still works."""

from __future__ import annotations

import contextlib
import time

import pytest
from playwright.sync_api import expect

from benchmarks.draw_speed import SHAPES, draw
from benchmarks.serving import free_port, running_app
from benchmarks.store_speed import postgres_schema
from demo.classroom.teacher import REFRESH_S
from scripts.cluster_demo import server_env, start_head, stop_head
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_e2e import prediction, status, wait_until
from tests.browser.test_runs_last import give_nickname
from tests.conftest import postgres_url

LONG = "?preset=quick&epochs=30&train_size=20000"  # long enough to watch, stopped by the test


@pytest.fixture(scope="module")
def deployment(app_url):  # app_url: skipped or failed as every browser test when no browser
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(postgres_schema(postgres_url()))
        head = start_head(cpus=1, client_port=free_port(), niceness=0)  # see start_head
        stack.callback(stop_head, head)
        env = server_env(head, database)
        one, _ = stack.enter_context(running_app(env))
        two, _ = stack.enter_context(running_app(env))
        yield head, one, two


def start(tab, url: str, name: str) -> None:
    tab.goto(f"{url}/{LONG}")
    tab.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    give_nickname(tab, name)
    tab.get_by_role("button", name="Start training").click()


def test_two_servers_share_one_queue_and_class_page_and_survive_the_cluster(browser, deployment):
    head, one, two = deployment
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    ada, bob, teacher = context.new_page(), context.new_page(), context.new_page()
    try:
        start(ada, one, "Ada")  # on the first server
        ada.get_by_text("images a second").first.wait_for(timeout=90_000)
        start(bob, two, "Bob")  # on the second: the cluster's one CPU is Ada's
        clicked = time.time()
        # a fresh server's first connection to the cluster can take Ray's client server ~15 s
        wait_until(
            lambda: "queued (position 1)" in status(bob), timeout=90, seen=lambda: status(bob)
        )
        print(f"\nBob queued {time.time() - clicked:.1f} s after his click")
        bob.get_by_text("The Ray cluster's CPUs are all busy").wait_for()
        wait_until(lambda: "1 of 1 CPUs busy on the Ray cluster, 1 run waiting" in status(bob))

        for url in (one, two):  # the same class, whichever server the teacher's page is on
            teacher.goto(f"{url}/class")
            line = teacher.locator("p", has_text="Ray cluster:")
            line.wait_for(timeout=60_000)
            # the line is the server's last look at the cluster (at most 2 s old when asked), so
            # a server that last asked before Bob joined shows him at its next refresh
            fresh = 3 * REFRESH_S * 1000
            expect(line).to_contain_text(
                "1 of 1 CPUs in use · 1 waiting, next first:", timeout=fresh
            )
            expect(line).to_contain_text("Bob", timeout=fresh)
            expect(teacher.get_by_text("2 runs", exact=False).first).to_be_visible()
        teacher.get_by_role("button", name="Download the table (CSV)").wait_for()
        time.sleep(1.0)  # the charts below finish drawing
        save_screenshot_of(teacher, "cluster-class")

        ada.get_by_test_id("stMainBlockContainer").get_by_role(
            "button", name="Stop"
        ).click()  # Bob's run starts by itself
        wait_until(lambda: "stopped" in status(ada), timeout=30)
        bob.get_by_text("images a second").first.wait_for(timeout=90_000)
        assert "running" in status(bob)

        stop_head(head)  # the cluster goes away mid-run
        began = time.time()
        wait_until(lambda: "failed" in status(bob), timeout=60)
        bob.get_by_text("stopped answering").first.wait_for()
        print(f"\nthe run failed {time.time() - began:.1f} s after the head was killed")

        bob.get_by_role("button", name="Start training").click()  # a new run: one line at once
        bob.get_by_text("cannot take training runs now").first.wait_for(timeout=20_000)
        save_screenshot_of(bob, "cluster-gone")

        bob.goto(f"{two}/draw")  # drawing still works
        surface = bob.locator("canvas.upper-canvas").first
        surface.wait_for(timeout=60_000)
        time.sleep(0.5)
        draw(bob, surface.bounding_box(), SHAPES["7"])
        wait_until(lambda: prediction(bob)[:1].isdigit(), timeout=30)
        assert prediction(bob).startswith("7")
        for tab in (ada, bob, teacher):
            assert tab.locator(".stException").count() == 0
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name, tab in (("ada", ada), ("bob", bob), ("teacher", teacher)):
            tab.screenshot(path=str(ARTIFACTS / f"test_cluster-{name}.png"))
        context.close()


def save_screenshot_of(tab, name: str) -> None:
    from tests.browser.conftest import save_screenshot

    save_screenshot(tab, name)
