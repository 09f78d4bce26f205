"""A class on contact: a freshly started server, students arriving together, settings that last."""

from __future__ import annotations

import pytest

from benchmarks.serving import running_app

pytestmark = pytest.mark.browser

READY = {  # what each page shows once its script has run
    "": "Start training",
    "draw": "What the network sees",
    "inspect": "Look inside the network",
}


@pytest.mark.parametrize("script", ["demo/serve.py", "demo/app.py"])
def test_students_arriving_together_on_a_fresh_server_see_no_error(browser, tmp_path, script):
    """Four tabs (Train, Draw, Inspect, Inspect) open at once on a server that just started."""
    with running_app({"LENET_CHECKPOINT_DIR": str(tmp_path)}, script) as (url, _):
        contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(4)]
        try:
            tabs = [context.new_page() for context in contexts]
            paths = ["", "draw", "inspect", "inspect"]
            for tab, path in zip(tabs, paths, strict=True):
                tab.goto(f"{url}/{path}", wait_until="commit")  # all four before any renders
            for tab, path in zip(tabs, paths, strict=True):
                tab.get_by_text(READY[path]).first.wait_for(timeout=90_000)
                tab.wait_for_timeout(1500)  # the rest of the script run
                shown = tab.locator('[data-testid="stException"], .stException')
                assert shown.count() == 0, f"/{path}: {shown.first.inner_text()[:300]}"
        finally:
            for context in contexts:
                context.close()
