"""The project's exceptions: one per failure family, each message one line a student can act on."""


class LenetError(Exception):
    """Base of every error the library raises on purpose; CLIs print it as one line."""


class DataError(LenetError):
    """MNIST could not be found, fetched, verified or read."""


class CheckpointError(LenetError):
    """A checkpoint file could not be written or safely loaded."""


class ConfigError(LenetError, ValueError):
    """A model or training setting is out of range or unknown."""
