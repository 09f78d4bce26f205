"""The link a teacher shares is one students can open: never localhost (demo/session/share.py)."""

from __future__ import annotations

import pytest

from demo.session.share import is_loopback, student_link

QUERY = {"preset": "quick", "lock": "1"}


@pytest.mark.parametrize("page", ["http://localhost:8501/", "http://127.0.0.1:8501"])
def test_a_teacher_on_localhost_hands_out_the_network_address(page):
    link = student_link(page, "http://10.1.2.3:8501", QUERY)
    assert link.url == "http://10.1.2.3:8501?preset=quick&lock=1"
    assert "localhost" in link.note


def test_without_a_page_address_the_network_address_is_used_quietly():
    link = student_link("", "http://10.1.2.3:8501", QUERY)
    assert link.url == "http://10.1.2.3:8501?preset=quick&lock=1" and link.note is None


def test_the_teachers_own_address_is_kept_when_students_can_use_it():
    link = student_link("https://lab.school.org/lenet/train", "http://10.1.2.3:8501", QUERY)
    assert link.url == "https://lab.school.org/lenet/train?preset=quick&lock=1"
    assert link.note is None


def test_a_base_path_is_kept_on_the_network_address():
    link = student_link("http://127.0.0.1:8501/lab/", "http://10.1.2.3:8501", QUERY)
    assert link.url == "http://10.1.2.3:8501/lab?preset=quick&lock=1"


def test_a_server_on_this_computer_only_says_so_instead_of_a_link_nobody_can_open():
    link = student_link("http://localhost:8501/", None, QUERY)
    assert link.url is None
    assert "make classroom" in link.note and "no network address" in link.note


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("localhost", True), ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True),
     ("[::1]", True), ("0.0.0.0", True), ("::ffff:7f00:1", True), ("[::ffff:127.0.0.1]", True),
     ("lab.localhost", True), ("10.0.0.5", False), ("lab.school.org", False), ("", False),
     (None, False)],
)  # fmt: skip
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) == loopback
