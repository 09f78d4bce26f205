"""The Train page's settings: presets, bounds, and links that never raise."""

from __future__ import annotations

import pytest

from demo.settings import (
    FIELDS,
    config_from_settings,
    describe,
    preset_settings,
    settings_from_query,
    settings_to_query,
)
from lenet.errors import ConfigError
from lenet.presets import PRESETS


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_survives_the_widgets(name):
    values = preset_settings(name)
    for field, value in values.items():
        spec = FIELDS[field]
        assert value in spec.choices if spec.choices else spec.low <= value <= spec.high
    assert config_from_settings(values) == PRESETS[name].config


def test_a_link_sets_values_and_round_trips():
    values, notices, locked = settings_from_query(
        {"preset": "fast", "epochs": "3", "lr": "0.01", "activation": "tanh", "lock": "1"}
    )
    assert notices == [] and locked
    assert (values["preset"], values["epochs"], values["lr"], values["activation"]) == (
        "fast",
        3,
        0.01,
        "tanh",
    )
    query = settings_to_query(values, locked=True)
    assert query == {
        "preset": "fast",
        "epochs": "3",
        "lr": "0.01",
        "activation": "tanh",
        "lock": "1",
    }
    assert settings_from_query(query) == (values, [], True)


def test_a_link_with_bad_values_keeps_the_good_ones_and_says_why():
    values, notices, locked = settings_from_query(
        {
            "preset": "quick",
            "epochs": "500",
            "batch_size": "7",
            "lr": "fast",
            "colour": "red",
            "seed": "-1",
            "optimizer": "sgd",
            "lock": "yes",
        }
    )
    assert values["optimizer"] == "sgd"
    assert values["epochs"] == PRESETS["quick"].config.epochs
    assert not locked
    assert notices == [
        "epochs=500 was ignored: it must be a whole number from 1 to 50",
        "batch_size=7 was ignored: it must be one of 16, 32, 64, 128, 256, 512, 1024",
        "lr=fast was ignored: it must be one of " + ", ".join(str(v) for v in FIELDS["lr"].choices),
        "colour is not a setting, so it was ignored",
        "seed=-1 was ignored: it must be a whole number from 0 to 999999",
        "lock=yes was ignored: it must be 0 or 1",
    ]


def test_an_unknown_preset_falls_back_to_classic():
    values, notices, _ = settings_from_query({"preset": "turbo", "epochs": "2"})
    assert values == {**preset_settings("classic"), "epochs": 2}
    assert notices == ["preset=turbo is not a preset (classic, fast, quick); used classic"]


def test_floats_in_links_match_choices_however_written():
    values, notices, _ = settings_from_query({"lr": "1e-3", "weight_decay": "0.0001"})
    assert notices == [] and values["lr"] == 0.001 and values["weight_decay"] == 1e-4


def test_a_batch_larger_than_the_images_is_refused():
    values = {**preset_settings("quick"), "train_size": 1000, "batch_size": 1024}
    with pytest.raises(ConfigError, match=r"batch size \(1,024\) is larger than the number"):
        config_from_settings(values)


def test_every_control_has_help_text():
    for field in FIELDS.values():
        assert field.label and len(field.help) > 30


def test_describe_names_the_settings():
    text = describe(preset_settings("quick"))
    assert text == "adamw lr 0.005, batch 64, 1 ep, relu/max, 10,000 imgs, onecycle, seed 0"


def test_a_number_written_another_way_gets_the_rule_not_pythons_words():
    _, notices, _ = settings_from_query({"seed": "1e3", "epochs": "three"})
    assert notices == [
        "seed=1e3 was ignored: it must be a whole number from 0 to 999999",
        "epochs=three was ignored: it must be a whole number from 1 to 50",
    ]
