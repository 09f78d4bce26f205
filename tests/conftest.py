"""Shared fixtures: the small real-MNIST fixture, the full set when present, trained models."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.store_speed import postgres_schema
from lenet.config import ModelConfig, TrainConfig
from lenet.data.mnist import MNIST, file_problems, load_mnist, load_raw_folder, raw_dir
from lenet.training.trainer import Trainer
from tests.paths import FIXTURES

FIXTURE_DIR = FIXTURES / "mnist-small"
IN_CI = os.environ.get("CI") == "true"
POSTGRES_ENV = "LENET_TEST_POSTGRES_URL"  # e.g. postgresql://lenet:lenet@localhost/lenet_test
# A call to Ray with no head fails, as in the app (demo/training/cluster/connection.py), before any
# test imports Ray: Ray's default starts a cluster of its own in the test process
os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")


BROWSER_RERUNS = 1  # see pytest_collection_modifyitems
RAY_FILES = ("test_ray_cluster.py", "test_ray_jobs.py", "test_ray_queue.py", "test_cluster.py")


def pytest_collection_modifyitems(config, items) -> None:
    """For `pytest -n N --dist loadgroup` (`make test`): a test file runs whole on one worker
    (its module fixtures are made once; a browser file shares its worker's server), and every
    test that starts a Ray head runs on the same worker, one head at a time.

    A browser test that fails is run once more (pytest-rerunfailures): on 2 cores with two
    workers, each of three CI runs lost a different one of the 60-odd browser tests to a 60-90 s
    wait while the other worker trained, and each passed here alone and beside two busy
    processes. A second failure fails the suite, and the summary
    names each rerun (`-raR` in pyproject.toml), so a flaky test stays in view."""
    for item in items:
        name = item.path.name
        group = "ray" if name in RAY_FILES else str(item.path.relative_to(config.rootpath))
        item.add_marker(pytest.mark.xdist_group(group))
        in_browser = item.path.parent.name == "browser"
        if in_browser and not item.get_closest_marker("flaky"):
            item.add_marker(pytest.mark.flaky(reruns=BROWSER_RERUNS, reruns_delay=5))


def pytest_configure(config) -> None:
    """Every run the tests train (CLI and app servers included) goes to a run store of the test
    session's own, never to runs/lenet.db of the checkout."""
    folder = Path(tempfile.mkdtemp(prefix="lenet-test-store-"))
    os.environ["LENET_DATABASE_URL"] = f"sqlite:///{folder / 'lenet.db'}"
    # The class's fair-share limits (demo/training/fair_share.py) are tested on their own
    # (tests/demo/training/test_fair_share.py); elsewhere every AppTest is one session id ("test
    # session id") and one test's runs may outlive it, so a start gap or a per-nickname limit shared
    # by the whole test session would make tests wait on each other.
    os.environ.setdefault("LENET_START_GAP_S", "0")
    os.environ.setdefault("LENET_RUNS_PER_NICKNAME", "50")


@pytest.fixture(scope="session")
def small_mnist() -> MNIST:
    """5,000 train / 1,000 validation / 1,000 test real MNIST images (tests/fixtures)."""
    return load_raw_folder(FIXTURE_DIR, val_size=1000)


@pytest.fixture(scope="session")
def full_mnist() -> MNIST:
    """The real MNIST set; `make test` fetches it. Outside CI a missing set skips the test."""
    if file_problems(raw_dir()):
        if IN_CI:
            pytest.fail("MNIST is missing under CI: `make test` should have fetched it")
        pytest.skip("MNIST is not in data/MNIST/raw (run `python -m lenet.data`)")
    return load_mnist(fetch=False)


FIXTURE_RECIPE = TrainConfig(
    epochs=3,
    batch_size=64,
    optimizer="adamw",
    lr=3e-3,
    scheduler="onecycle",
    device="cpu",
    model=ModelConfig(activation="relu"),
)


@pytest.fixture(scope="session")
def fixture_model(small_mnist):
    """A model trained briefly on the fixture (about 95% on its test images), in eval mode."""
    trainer = Trainer(FIXTURE_RECIPE, small_mnist)
    finished = trainer.run()
    assert finished.outcome == "done"
    return trainer.model.eval()


def postgres_url() -> str:
    """The test PostgreSQL server's URL. Unset: skipped outside CI, a failure under CI."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        if IN_CI:
            pytest.fail(f"{POSTGRES_ENV} is not set under CI: .ci/run starts PostgreSQL")
        pytest.skip(f"no PostgreSQL to test against ({POSTGRES_ENV} is not set)")
    return url


@pytest.fixture
def spawn(monkeypatch):
    """multiprocessing's spawn context, safe after AppTest: AppTest leaves `__main__` pointing
    at a temporary script of its own, which every spawned child would try to run first."""
    import multiprocessing
    import sys
    import types

    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    return multiprocessing.get_context("spawn")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> Iterator[str]:
    """An empty run store's URL: a SQLite file in a temporary folder, or PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lenet.db'}"
        return
    with postgres_schema(postgres_url()) as url:
        yield url


@pytest.fixture
def store(store_url):
    """An open, empty, migrated run store on each backend."""
    from lenet.store.runs import open_store

    opened = open_store(store_url)
    yield opened
    opened.close()
