"""Two students save under the same name at the same moment: one is saved, the other is told."""

from __future__ import annotations

import time

from lenet.files.checkpoint import load_checkpoint
from tests.browser.conftest import save_screenshot

NAME = "race_model"
# clicks the form's Save button at an agreed wall-clock time (ms), so two tabs click together
CLICK_AT = """([label, at]) => {
    const button = [...document.querySelectorAll("button")].find(b => b.innerText.trim() === label);
    setTimeout(() => button.click(), Math.max(0, at - Date.now()));
}"""


def start_run(browser, app_url: str, seed: int):
    """A tab of its own (a session) running a Quick demo with this seed."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    tab.goto(f"{app_url}/?preset=quick&seed={seed}")
    tab.get_by_text("changed: seed").first.wait_for(timeout=60_000)
    tab.get_by_role("button", name="Start training").click()
    return context, tab


def test_two_saves_of_one_name_at_once_keep_one_model_and_tell_the_other(
    browser, app_url, tmp_path_factory
):
    opened = [start_run(browser, app_url, seed) for seed in (1, 2)]
    tabs = [tab for _, tab in opened]
    try:
        for tab in tabs:
            tab.get_by_text("Training time").wait_for(timeout=180_000)
            tab.get_by_role("textbox", name="Model name").first.fill(NAME)
        at = int(time.time() * 1000) + 800  # both tabs press Save at this moment
        for tab in tabs:
            tab.evaluate(CLICK_AT, ["Save model", at])
        saved = [tab.get_by_text(f"Saved as {NAME}.pt") for tab in tabs]
        taken = [tab.get_by_text(f"{NAME}.pt already exists") for tab in tabs]
        for yes, no in zip(saved, taken, strict=True):
            yes.or_(no).first.wait_for(timeout=30_000)
            yes.or_(no).first.scroll_into_view_if_needed()
        said_saved = [yes.count() > 0 for yes in saved]
        said_taken = [no.count() > 0 for no in taken]
        assert sorted(said_saved) == [False, True] and said_taken == [not s for s in said_saved]
        [path] = tmp_path_factory.getbasetemp().glob(f"checkpoints[0-9]*/{NAME}.pt")
        _, meta = load_checkpoint(path)
        assert meta["train_config"]["seed"] == 1 + said_saved.index(True)  # the saver's model
        path.unlink()  # other tests list the saved models
    finally:
        for number, (context, tab) in enumerate(opened, 1):
            save_screenshot(tab, f"save-race-{number}")
            context.close()
