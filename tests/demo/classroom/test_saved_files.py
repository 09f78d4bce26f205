"""Issue 28: saved models limited per nickname and for the folder, listed with who saved them,
removable by the teacher on the Class page."""

from __future__ import annotations

import json

from demo.classroom import saved as saved_files
from tests.demo.views.test_class_page import button, page, store, unlock  # noqa: F401 (fixtures)


def save(folder, name: str, who: str) -> None:
    (folder / name).write_bytes(b"weights")
    saved_files.record(name, who, folder)


def test_a_nickname_keeps_a_few_and_the_folder_a_few_more(tmp_path, monkeypatch):
    for k in range(3):
        assert saved_files.refusal("Maya", tmp_path) is None
        save(tmp_path, f"maya{k}.pt", "Maya")
    assert saved_files.refusal("M\u0430ya", tmp_path) == (  # a look-alike is the same nickname
        "M\u0430ya has saved 3 models, the most one nickname may keep here: use Download "
        "instead, or ask your teacher to remove one."
    )
    assert saved_files.refusal("Ben", tmp_path) is None
    monkeypatch.setenv("LENET_SAVES_KEPT", "4")
    (tmp_path / "by-hand.pt").write_bytes(b"w")  # placed in the folder: counts to the whole
    assert saved_files.refusal("Ben", tmp_path).startswith("The class has saved 4 models, the most")
    assert saved_files.saved_by(tmp_path) == {f"maya{k}.pt": "Maya" for k in range(3)}
    assert saved_files.remove("maya0.pt", tmp_path) and not (tmp_path / "maya0.pt").exists()
    assert not saved_files.remove("maya0.pt", tmp_path)
    assert not saved_files.remove("../outside.pt", tmp_path)
    assert "maya0.pt" not in json.loads((tmp_path / saved_files.INDEX).read_text())
    assert saved_files.refusal("Maya", tmp_path) is None  # a place freed
    (tmp_path / saved_files.INDEX).write_text("{not json")
    assert saved_files.saved_by(tmp_path) == {}  # a damaged index: nobody's, nothing raised


def test_the_teacher_sees_who_saved_each_and_removes_one(store, page, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("LENET_CHECKPOINT_DIR", str(tmp_path))
    save(tmp_path, "sevens.pt", "Maya")
    (tmp_path / "by-hand.pt").write_bytes(b"w")
    at = unlock(page.run())
    chooser = at.selectbox(key="class_saved_choice")
    assert chooser.options == [
        "by-hand.pt · placed in the folder",
        "sevens.pt · saved by Maya",
    ]
    chooser.set_value("sevens.pt").run()
    button(at, "Remove this model").click().run()
    assert not (tmp_path / "sevens.pt").exists() and (tmp_path / "by-hand.pt").exists()
    assert "Removed sevens.pt." in [s.value for s in at.success]
