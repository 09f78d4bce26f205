"""The Train page's settings: presets, bounds, and links that never raise."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from benchmarks.serving import ROOT, free_port, wait_healthy
from demo.session.link_values import KEY_CHARS, MAX_NOTICES, VALUE_CHARS
from demo.session.settings import (
    FIELDS,
    config_from_settings,
    describe,
    preset_settings,
    settings_from_query,
    settings_to_query,
)
from demo.training.slots import (
    capacity_line,
    default_capacity,
    environment_problems,
    max_jobs_problem,
    train_threads,
)
from demo.ui.text import shorten
from lenet.errors import ConfigError
from lenet.training.presets import PRESETS


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
            "optimizer": "sgd",
            "lock": "maybe",
        }
    )
    assert values["optimizer"] == "sgd"
    assert values["epochs"] == PRESETS["quick"].config.epochs
    assert not locked
    assert notices == [
        "Ignored `epochs=500` from the link: it must be a whole number from 1 to 50.",
        "Ignored `batch_size=7` from the link: it must be one of 16, 32, 64, 128, 256, 512, 1024.",
        "Ignored `lr=fast` from the link: it must be one of "
        + ", ".join(str(v) for v in FIELDS["lr"].choices)
        + ".",
        "Ignored `colour=red` from the link: there is no setting of that name.",
        "Ignored `lock=maybe` from the link: it must be 1 (locked) or 0.",
    ]


@pytest.mark.parametrize(
    "link",
    [
        {"preset": "Fast", "optimizer": "SGD", "activation": "ReLU", "lock": "true"},
        {"PRESET": "FAST", "Optimizer": "sgd", "activation": "RELU", "lock": "Yes"},
        {"preset": "fast", "optimizer": "sgd", "activation": "relu", "lock": "on"},
    ],
)
def test_a_teachers_link_is_read_whatever_the_case_of_its_names(link):
    """The page shows `SGD`, `ReLU` and `Fast`: a teacher copying them from the screen is right."""
    values, notices, locked = settings_from_query(link)
    assert notices == [] and locked
    assert values == {**preset_settings("fast"), "optimizer": "sgd", "activation": "relu"}


def test_a_preset_may_be_named_as_the_page_shows_it():
    values, notices, _ = settings_from_query({"preset": "Quick demo"})
    assert notices == [] and values == preset_settings("quick")
    _, notices, _ = settings_from_query({"preset": "ｆａｓｔ"})  # fullwidth letters are not
    assert notices and "so classic is used" in notices[0]


def test_a_link_full_of_bad_values_gets_a_few_notices_and_a_count():
    _, notices, _ = settings_from_query({f"x{i}": "1" for i in range(80)})
    assert len(notices) == MAX_NOTICES
    assert notices[-1] == f"{80 - MAX_NOTICES + 1} more parameters of the link were ignored too."


def test_an_unknown_preset_falls_back_to_classic():
    values, notices, _ = settings_from_query({"preset": "turbo", "epochs": "2"})
    assert values == {**preset_settings("classic"), "epochs": 2}
    assert notices == [
        "Ignored `preset=turbo` from the link: it must be one of classic, fast, quick, "
        "so classic is used."
    ]


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
    assert text == "AdamW, learning rate 0.01, 64 images a step, one pass over 10,000 images"
    assert describe(preset_settings("fast"), full=True) == (
        "AdamW, learning rate 0.005, 64 images a step, two passes over all 54,000 images; ReLU, "
        "max pooling, the rate warms up, then glides down, label smoothing 0.1, seed 0"
    )
    assert describe(preset_settings("classic"), full=True) == (
        "SGD, learning rate 0.1, 256 images a step, 15 passes over all 54,000 images; tanh, "
        "max pooling, seed 0"
    )
    fast = describe(preset_settings("fast"), full=True)
    assert "two passes over all 54,000 images" in fast and "warms up, then glides down" in fast


def test_a_number_written_another_way_gets_the_rule_not_pythons_words():
    _, notices, _ = settings_from_query({"seed": "1e3", "epochs": "three"})
    assert notices == [
        "Ignored `seed=1e3` from the link: it must be a whole number from 0 to 999999.",
        "Ignored `epochs=three` from the link: it must be a whole number from 1 to 50.",
    ]


HOSTILE = [
    "![p](http://127.0.0.1:9/pixel.png)",
    "[Session expired: log in here](http://127.0.0.1:9/phish)",
    "[x](javascript:alert(1))",
    "javascript:alert(document.cookie)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<a href='http://evil.example'>x</a>",
    "<iframe src=http://evil.example>",
    "http://evil.example/",
    "https://evil.example/a?b=c",
    "www.evil.example",
    "<http://evil.example>",
    "me@evil.example",
    "mailto:me@evil.example",
    "$x^2$",
    "$$\\int_0^1 x\\,dx$$",
    "\\(x\\)",
    ":smile:",
    ":+1:",
    ":material/warning:",
    ":red[boo]",
    ":blue-background[x]",
    "**bold**",
    "__bold__",
    "*it*",
    "~~gone~~",
    "`code`",
    "``a`b``",
    "```",
    "# heading",
    "> quote",
    "- item",
    "1. item",
    "| a | b |",
    "---",
    "===",
    "[ref]: http://evil.example",
    "[ref]",
    "![ref]",
    "&lt;b&gt;",
    "&#60;script&#62;",
    "&amp;",
    "a\nb",
    "a\n\n    indented code",
    "a\r\n# heading",
    "\x00",
    "nul\x00byte",
    "\x1b[31mred",
    "\x7f",
    "\t3",
    "\u202eevil\u202c",
    "\u200b3",
    "\u2060",
    "\ufeff3",
    "\u2028",
    "%3Cscript%3E",
    "%2541",
    "%00",
    "%E2%80%AE",
    "x" * 5000,
    "é" * 300,
    "😀" * 100,
    "[" * 500,
    "`" * 300,
    "\\" * 50,
    "\\`",
    "'; DROP TABLE runs; --",
    "{{7*7}}",
    "${7*7}",
    "<!-- comment -->",
    "<b>bold</b>",
    "<div style='position:fixed;inset:0'>",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    " ",
    "",
    "3 ",
    " 3",
    "+3",
    "0x1F",
    "1e999",
    "３０",
    "٣٠",
    "3_0",
    "nan",
    "inf",
    "-0",
]


def code_span_content(span: str) -> str:
    """The text a CommonMark code span shows (one space each side stripped, as the spec does)."""
    fence = span[: len(span) - len(span.lstrip("`"))]
    inner = span[len(fence) : -len(fence)]
    assert span.endswith(fence) and fence not in inner.replace(fence + "`", ""), span
    return inner[1:-1] if inner[:1] == inner[-1:] == " " and inner.strip(" ") else inner


def assert_safe_notice(notice: str, key: str, value: str) -> None:
    """One sentence of our own words around one code span that shows the link's text, cut short."""
    match = re.fullmatch(r"Ignored (`+ ?.*? ?`+) from the link: ([A-Za-z0-9 ,.;()']+)\.", notice)
    assert match, notice
    shown = code_span_content(match.group(1))
    assert shown == f"{shorten(key, KEY_CHARS)}={shorten(value, VALUE_CHARS)}"
    assert len(shown) <= KEY_CHARS + 1 + VALUE_CHARS and shown.isprintable()


@pytest.mark.parametrize("field", ["epochs", "lr", "optimizer", "device"])
def test_hostile_values_are_refused_and_shown_only_as_code(field):
    defaults = preset_settings("classic")
    for value in HOSTILE:
        values, notices, locked = settings_from_query({field: value, "lock": "1"})
        assert values == defaults and locked, value
        assert len(notices) == 1, value
        assert_safe_notice(notices[0], field, value)


def test_hostile_keys_are_refused_and_shown_only_as_code():
    for key in HOSTILE:
        values, notices, _ = settings_from_query({key: "1"})
        assert values == preset_settings("classic")
        assert len(notices) == 1, key
        assert_safe_notice(notices[0], key, "1")


@pytest.mark.parametrize("text", ["３０", "٣٠", "3_0", " 30", "30 ", "+30", "30.0", "3e1", "0x1e"])
def test_only_ascii_digits_make_a_whole_number(text):
    values, notices, _ = settings_from_query({"epochs": text, "seed": text})
    assert values["epochs"] == 15 and values["seed"] == 0
    assert len(notices) == 2 and all("must be a whole number" in n for n in notices)


@pytest.mark.parametrize("text", ["１e-3", "1_0e-4", "nan", "inf", "0.001 ", "1e-3j", "1e-0003"])
def test_only_plain_decimals_make_a_learning_rate(text):
    values, notices, _ = settings_from_query({"lr": text})
    assert values["lr"] == 0.1 and len(notices) == 1 and "must be one of" in notices[0]


@pytest.mark.parametrize("text", ["0.001", ".001", "1e-3", "1E-3", "0.0010", "1.e-3"])
def test_a_plain_decimal_is_read_however_written(text):
    values, notices, _ = settings_from_query({"lr": text})
    assert notices == [] and values["lr"] == 0.001


def test_a_device_the_server_lacks_is_refused(monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    values, notices, locked = settings_from_query({"device": "cuda", "lock": "1"})
    assert values["device"] == "auto" and locked
    assert notices == [
        "Ignored `device=cuda` from the link: this server has no CUDA GPU, so it trains on its CPU."
    ]
    config_from_settings(values)  # and the locked session can train
    _, notices, _ = settings_from_query({"device": "mps"})
    assert notices == ["Ignored `device=mps` from the link: it must be one of auto, cpu."]
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    values, notices, _ = settings_from_query({"device": "cuda"})
    assert values["device"] == "cuda" and notices == []


@pytest.mark.parametrize("written", ["abc", "0", "-1", "2.5", "３", "1_0", " "])
def test_an_unusable_max_jobs_is_said_and_the_default_used(monkeypatch, written):
    monkeypatch.setenv("LENET_MAX_JOBS", written)
    monkeypatch.setattr("demo.training.slots.usable_cores", lambda: 2)
    monkeypatch.setattr("demo.training.slots.available_memory_mb", lambda: 8000.0)
    assert default_capacity() == 2
    problem = max_jobs_problem()
    if written.strip():
        assert problem == (
            f"LENET_MAX_JOBS={written} is not a whole number >= 1; "
            "using 2 (one run per core, fewer when memory is short)"
        )
    else:
        assert problem is None  # set but empty, as `LENET_MAX_JOBS= make classroom` does


def test_an_unusable_train_threads_is_said_and_adapting_kept(monkeypatch):
    monkeypatch.setenv("LENET_TRAIN_THREADS", "two")
    assert train_threads() == 0
    assert environment_problems() == [
        "LENET_TRAIN_THREADS=two is not a whole number >= 1; using each run's share of the "
        "free cores"
    ]
    monkeypatch.setenv("LENET_TRAIN_THREADS", "2")
    assert train_threads() == 2 and environment_problems() == []
    assert capacity_line().endswith(", 2 threads each.")
    monkeypatch.setenv("LENET_TRAIN_THREADS", "0")  # the default, written out: quiet
    assert train_threads() == 0 and environment_problems() == []
    assert capacity_line().endswith(", each on its share of the free cores.")
    monkeypatch.setattr("demo.training.slots.usable_cores", lambda: 2)
    monkeypatch.setenv("LENET_TRAIN_THREADS", "100000")  # 100,000 threads a run: refused
    assert train_threads() == 8
    assert environment_problems() == ["LENET_TRAIN_THREADS=100000 is more than 4 per core; using 8"]


def test_a_usable_max_jobs_is_used_quietly(monkeypatch):
    monkeypatch.setenv("LENET_MAX_JOBS", "3")
    assert default_capacity() == 3 and max_jobs_problem() is None
    monkeypatch.delenv("LENET_MAX_JOBS")
    assert max_jobs_problem() is None


def test_the_server_says_an_unusable_max_jobs_at_start_up(tmp_path):
    log = tmp_path / "stderr.txt"
    env = {**os.environ, "LENET_MAX_JOBS": "abc", "LENET_CHECKPOINT_DIR": str(tmp_path)}
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "demo/serve.py", "--server.port"]
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [*command, str(port), "--server.address", "127.0.0.1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        wait_healthy(f"http://127.0.0.1:{port}")  # and it serves
    finally:
        server.terminate()
        server.wait(10)
    said = log.read_text().splitlines()
    lines = [line for line in said if "LENET_MAX_JOBS" in line]
    assert len(lines) == 1 and lines[0].startswith("LENET_MAX_JOBS=abc is not a whole number >= 1")
    assert [line for line in said if line.startswith("Training: up to ")] == [capacity_line()]


def test_the_page_shows_hostile_links_as_safe_notices(small_mnist, monkeypatch, tmp_path):
    import demo.training.state
    import demo.views.train.controls
    from tests.demo.test_app import APP, button
    from tests.demo.training.test_jobs import FIXTURE

    monkeypatch.setattr(demo.training.state, "_verified_mnist", lambda: small_mnist)
    monkeypatch.setattr(demo.views.train.controls, "data_source", lambda: FIXTURE)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    monkeypatch.setenv("LENET_CHECKPOINT_DIR", str(tmp_path))
    link = {"epochs": HOSTILE[0], HOSTILE[1]: "1", "seed": "x" * 5000, "device": "cuda"}
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(link, lock="1")
    at.run()
    assert not at.exception
    for warning, (key, value) in zip(at.warning, link.items(), strict=True):
        assert_safe_notice(warning.value, key, value)
    assert not button(at, "Start training").disabled


def test_every_value_a_share_link_writes_is_read_back():
    for name, field in FIELDS.items():
        written = field.choices or (field.low, field.high)
        assert [field.parse(str(value)) for value in written] == list(written), name


def test_hide_is_a_known_link_word_like_lock():
    from demo.session.settings import hide_from_query

    for word in ("1", "true", "Yes", "ON"):
        assert hide_from_query({"Hide": word}) == (True, None)
        assert settings_from_query({"hide": word})[1] == []  # no "no setting of that name"
    assert hide_from_query({"hide": "off"}) == hide_from_query({}) == (False, None)
    hidden, note = hide_from_query({"hide": "maybe"})
    assert not hidden and note.startswith("Ignored `hide=maybe` from the link: it must be 1")
    assert note in settings_from_query({"hide": "maybe"})[1]
    values = settings_from_query({})[0]
    assert settings_to_query(values, hide=True) == {"preset": "classic", "hide": "1"}
    assert "hide" not in settings_to_query(values)


def test_class_digits_is_a_known_link_word_like_hide():
    from demo.session.settings import learn_from_query

    for word in ("1", "true", "Yes", "ON"):
        assert learn_from_query({"Class_Digits": word}) == (True, None)
        assert settings_from_query({"class_digits": word})[1] == []
    assert learn_from_query({"class_digits": "0"}) == learn_from_query({}) == (False, None)
    learn, note = learn_from_query({"class_digits": "lots"})
    assert not learn and note.startswith("Ignored `class_digits=lots` from the link: it must be 1")
    assert note in settings_from_query({"class_digits": "lots"})[1]
    values = settings_from_query({})[0]
    query = settings_to_query(values, locked=True, learn=True)
    assert query == {"preset": "classic", "class_digits": "1", "lock": "1"}
    assert "class_digits" not in settings_to_query(values)


def test_settings_in_words_never_fails_on_values_of_the_wrong_kind():
    from lenet.store.table import settings_in_words

    odd = {"optimizer": ["x"], "lr": "a", "batch_size": True, "epochs": "3", "model": "relu"}
    assert settings_in_words(odd, full=True) == (
        "?, learning rate ?, ? images a step, ? passes over all 54,000 images; ?, ?, seed 0"
    )
    assert settings_in_words({"optimizer": "sgd", "lr": 0.1, "batch_size": 256, "epochs": 2.0}) == (
        "SGD, learning rate 0.1, 256 images a step, two passes over all 54,000 images"
    )


@pytest.mark.parametrize("name", ["प्रिया", "सुनील", "สมศักดิ์", "José", "Zoë"])
def test_names_written_with_marks_are_nicknames(name):
    from lenet.store.rows import check_name

    assert check_name(name) == name


@pytest.mark.parametrize(
    "name", ["Maya\u034f", "Maya\ufe0f", "\u0301abc", "a\u0301\u0302\u0303\u0304\u0305", "a-\u0301"]
)
def test_marks_that_hide_or_stack_are_refused(name):
    from lenet.store.rows import check_name
    from lenet.store.runs import StoreError

    with pytest.raises(StoreError, match="A nickname is"):
        check_name(name)
