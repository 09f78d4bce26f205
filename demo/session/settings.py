"""The Train page's settings as plain values: presets, bounds, help text, and the share link.

A teacher's link carries the settings in its query string (`?preset=fast&epochs=3&lock=1`),
`class_digits=1` turns on "Also learn from the class's digits", and `hide=1` hides students'
names on the Class page for projection (no key needed: hiding only takes information away).
Reading a link never raises: each value that is unknown or out of range is dropped with a notice
the page shows, and the rest are used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from demo.session.link_values import (
    at_most_a_few,
    device_problem,
    notice,
    same_float,
    whole_number,
)
from lenet.config import ModelConfig, TrainConfig
from lenet.errors import ConfigError
from lenet.store.table import settings_in_words
from lenet.training.presets import PRESETS

LEARNING_RATES = (
    1e-4,
    2e-4,
    5e-4,
    1e-3,
    2e-3,
    3e-3,
    5e-3,
    1e-2,
    2e-2,
    5e-2,
    0.1,
    0.2,
    0.5,
    1.0,
    2.0,
    5.0,
    10.0,
)
BATCH_SIZES = (16, 32, 64, 128, 256, 512, 1024)
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 5e-4, 1e-3, 1e-2)
TRAIN_SIZES = (1000, 2000, 5000, 10_000, 20_000, 30_000, 54_000)
DEVICES = ("auto", "cpu", "cuda")


# a preset by its key or by the name the page shows it by (`quick`, `Quick demo`), in any case
PRESET_NAMES = {n.casefold(): key for key, p in PRESETS.items() for n in (key, p.name)}
# in a link beside the settings: read by init_from_link, demo.ui.screen (view) and Inspect (part)
PAGE_PARAMETERS = ("preset", "lock", "hide", "view", "part", "class_digits")
# what a teacher may write for `lock` and `hide`, in any case
LOCK_WORDS = dict.fromkeys(("1", "true", "yes", "on"), True) | dict.fromkeys(
    ("0", "false", "no", "off"), False
)


@dataclass(frozen=True)
class Field:
    """One setting: its choices (or integer bounds), label and help text."""

    label: str
    help: str
    choices: tuple = ()
    low: int | None = None
    high: int | None = None

    def parse(self, text: str):
        """The value `text` in a link stands for, or raise ValueError saying what it must be."""
        if self.choices:
            for choice in self.choices:  # names in any case: a teacher types what the page shows
                if str(choice).casefold() == text.casefold() and text.isascii():
                    return choice
                if isinstance(choice, float) and same_float(choice, text):
                    return choice
            raise ValueError(f"it must be one of {', '.join(str(c) for c in self.choices)}")
        value = whole_number(text)
        if value is None or not self.low <= value <= self.high:
            raise ValueError(f"it must be a whole number from {self.low} to {self.high}")
        return value


FIELDS: dict[str, Field] = {
    "preset": Field(
        "Preset",
        "A starting point; every setting below can still be changed. "
        "Classic = the lecture's LeNet-5 recipe. Fast = the quickest route to 99% "
        "test accuracy. Quick demo = 10,000 images, one epoch, done in seconds.",
        tuple(PRESETS),
    ),
    "epochs": Field(
        "Epochs", "How many times training goes through the whole training set.", low=1, high=50
    ),
    "batch_size": Field(
        "Batch size",
        "Images per learning step. Small batches: more, noisier "
        "steps; large batches: fewer, smoother steps.",
        BATCH_SIZES,
    ),
    "optimizer": Field(
        "Optimizer",
        "How the weights are moved downhill. SGD is the classic; "
        "Adam and AdamW adapt the step for each weight.",
        ("sgd", "adam", "adamw"),
    ),
    "lr": Field(
        "Learning rate",
        "The size of each step (log scale). Too small: slow learning. "
        "Too large: the loss explodes and training diverges.",
        LEARNING_RATES,
    ),
    "momentum": Field(
        "Momentum (SGD)",
        "SGD keeps this fraction of its previous step, so it "
        "rolls through small bumps. 0.9 is usual; ignored by Adam.",
        tuple(round(0.05 * i, 2) for i in range(19)) + (0.95, 0.99),
    ),
    "weight_decay": Field(
        "Weight decay",
        "Pulls every weight a little towards zero at each step, so the network does not learn "
        "the training images by heart.",
        WEIGHT_DECAYS,
    ),
    "scheduler": Field(
        "Learning-rate schedule",
        "How the learning rate changes during the run. none: it stays the same. step: it drops "
        "to a tenth at half and at three quarters of the run. cosine: it glides down to zero. "
        "onecycle: it warms up, then glides down. plateau: it halves when the validation loss "
        "stops getting better.",
        ("none", "step", "cosine", "onecycle", "plateau"),
    ),
    "activation": Field(
        "Activation",
        "The bend after each layer. tanh squeezes every number into -1 to 1, as in 1998. ReLU "
        "keeps positive numbers and turns negative ones to 0: today's usual choice.",
        ("tanh", "relu"),
    ),
    "pooling": Field(
        "Pooling",
        "How each 2x2 patch shrinks to one number: its maximum or its average.",
        ("max", "avg"),
    ),
    "train_size": Field(
        "Training images",
        "How many of the 54,000 training images to use. Fewer images: faster, but lower accuracy.",
        TRAIN_SIZES,
    ),
    "seed": Field(
        "Seed",
        "Fixes the random start and the shuffling order: the same seed and "
        "settings give the same run.",
        low=0,
        high=999_999,
    ),
    "evals_per_epoch": Field(
        "Evaluations per epoch",
        "How often the accuracy on the 6,000 validation images is measured. Each check reads all "
        "of them once.",
        low=1,
        high=20,
    ),
    "device": Field("Device", "Where to train: auto picks the GPU when there is one.", DEVICES),
}


def preset_settings(name: str) -> dict:
    """The settings of a preset, as the page's widgets hold them."""
    return settings_from_config(PRESETS[name].config, name)


def settings_from_config(config: TrainConfig, preset: str) -> dict:
    model_fields = ("preset", "train_size", "activation", "pooling")
    values = {k: getattr(config, k) for k in FIELDS if k not in model_fields}
    values.update(
        preset=preset,
        train_size=config.train_size or 54_000,
        activation=config.model.activation,
        pooling=config.model.pooling,
    )
    return values


def config_from_settings(values: Mapping) -> TrainConfig:
    """A TrainConfig (raises ConfigError for a bad combination)."""
    if values["batch_size"] > values["train_size"]:
        raise ConfigError(
            f"The batch size ({values['batch_size']:,}) is larger than the number "
            f"of training images ({values['train_size']:,}): choose a smaller batch "
            "or more images."
        )
    base = PRESETS[values["preset"]].config
    fields = {k: values[k] for k in FIELDS if k not in ("preset", "activation", "pooling")}
    fields["train_size"] = None if values["train_size"] >= 54_000 else values["train_size"]
    model = ModelConfig(activation=values["activation"], pooling=values["pooling"])
    return dataclasses.replace(base, **fields, model=model)


def settings_from_query(params: Mapping[str, str]) -> tuple[dict, list[str], bool]:
    """(settings to apply, notices about ignored parameters, locked?) from a link's query."""
    named = {(k.lower() if k.isascii() else k): v for k, v in params.items()}  # `Epochs=3` too
    asked = named.get("preset", "classic")
    preset = PRESET_NAMES.get(asked.casefold()) if asked.isascii() else None
    notices = []
    if preset is None:
        reason = f"it must be one of {', '.join(PRESETS)}, so classic is used"
        notices.append(notice("preset", asked, reason))
        preset = "classic"
    values = preset_settings(preset)
    for written, text in params.items():
        key = written.lower() if written.isascii() else written
        if key in PAGE_PARAMETERS:
            continue
        if key not in FIELDS:
            notices.append(notice(written, text, "there is no setting of that name"))
            continue
        try:
            values[key] = link_value(key, text)
        except ValueError as error:
            notices.append(notice(written, text, str(error)))
    lock = named.get("lock", "0")
    if lock.lower() not in LOCK_WORDS:
        notices.append(notice("lock", lock, "it must be 1 (locked) or 0"))
    for read in (hide_from_query, learn_from_query):
        if said := read(params)[1]:
            notices.append(said)
    return values, at_most_a_few(notices), LOCK_WORDS.get(lock.lower(), False)


def hide_from_query(params: Mapping[str, str]) -> tuple[bool, str | None]:
    """(names hidden?, a notice when `hide` is not a yes/no word) from a link's query."""
    return yes_no(params, "hide", "names hidden on the Class page")


def learn_from_query(params: Mapping[str, str]) -> tuple[bool, str | None]:
    """(also learn from the class's digits?, a notice when `class_digits` is not a yes/no
    word) from a link's query."""
    return yes_no(params, "class_digits", "also learn from the class's digits")


def yes_no(params: Mapping[str, str], name: str, meaning: str) -> tuple[bool, str | None]:
    named = {(k.lower() if k.isascii() else k): v for k, v in params.items()}
    value = named.get(name, "0")
    if value.lower() in LOCK_WORDS:
        return LOCK_WORDS[value.lower()], None
    return False, notice(name, value, f"it must be 1 ({meaning}) or 0")


def link_value(key: str, text: str):
    """The value of setting `key` written `text` in a link, or raise ValueError saying why not."""
    if key == "device" and (reason := device_problem(text)):
        raise ValueError(reason)
    return FIELDS[key].parse(text)


def settings_to_query(
    values: Mapping, locked: bool = False, hide: bool = False, learn: bool = False
) -> dict[str, str]:
    """The query string for a link: the preset plus every setting that differs from it (and
    `class_digits=1`, `lock=1`, `hide=1` when asked)."""
    base = preset_settings(values["preset"])
    query = {"preset": values["preset"]}
    query.update({k: str(v) for k, v in values.items() if k in FIELDS and v != base.get(k)})
    if learn:
        query["class_digits"] = "1"
    if locked:
        query["lock"] = "1"
    if hide:
        query["hide"] = "1"
    return query


def describe(values: Mapping, full: bool = False) -> str:
    """The page's settings in plain words (`lenet.store.table.settings_in_words`): 'AdamW,
    learning rate 0.005, 64 images a step, one pass over 10,000 images'."""
    model = {"activation": values.get("activation"), "pooling": values.get("pooling")}
    preset = PRESETS.get(values.get("preset"))  # what no widget sets comes from the preset
    smoothing = preset.config.label_smoothing if preset is not None else 0.0
    return settings_in_words({**values, "model": model, "label_smoothing": smoothing}, full=full)
