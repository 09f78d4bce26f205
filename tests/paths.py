"""Where things are, for tests at any depth: the repository, the tests' fixtures, apps and
artifacts."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"
APPS = TESTS / "apps"
ARTIFACTS = TESTS / "artifacts"
