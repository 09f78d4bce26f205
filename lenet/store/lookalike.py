"""Nicknames that look alike are the same nickname: "Mаya" with a Cyrillic "а" is "Maya".

`skeleton` follows Unicode's UTS #39 skeleton: every character replaced by the prototype of the
characters it can be confused with (Unicode's confusables data, as the `confusable-homoglyphs`
package ships it), before and after case folding, so "Mаya", "MAYA" and "maya" share one
skeleton while "Maia" does not. A prototype is an ASCII letter where the character has one among
its confusables: "0" is "O", and "1", "l" and "I" are one.

`shows` says whether a character is one the page can draw: in the Basic Multilingual Plane,
assigned and not private (a cuneiform sign or a private-use glyph shows as an empty box).
"""

from __future__ import annotations

import functools
import string
import unicodedata

_ASCII = set(string.ascii_letters + string.digits + string.punctuation)


@functools.cache
def _prototypes() -> dict[str, str]:
    """Each character to the first of it and its confusables: an ASCII letter, else an ASCII
    character, else the lowest code point."""
    from confusable_homoglyphs.confusables import confusables_data

    def rank(char: str) -> tuple:
        return (char not in _ASCII, not char.isalpha(), ord(char))

    prototypes = {}
    for char, entries in confusables_data.items():
        others = ("".join(c for c in e["c"] if unicodedata.category(c) != "Cf") for e in entries)
        if len(char) == 1:
            prototypes[char] = min([char, *(o for o in others if len(o) == 1)], key=rank)
    return prototypes


def _mapped(text: str) -> str:
    table = _prototypes()
    return "".join(table.get(c, c) for c in unicodedata.normalize("NFD", text))


def skeleton(name: str) -> str:
    """What look-alike nicknames share: "Mаya" (Cyrillic а), "MAYA" and "maya" give one."""
    return unicodedata.normalize("NFC", _mapped(_mapped(name).casefold()).casefold())


def shows(char: str) -> bool:
    """Whether the page's fonts draw `char`: assigned, not private, in the Basic Multilingual
    Plane (where the scripts of today's languages are)."""
    return ord(char) <= 0xFFFF and unicodedata.category(char) not in ("Co", "Cn", "Cs")


def unusual(name: str) -> str:
    """The characters of `name` that are not ASCII and look like another, named: for a mark
    beside a look-alike name ("а: Cyrillic")."""
    table = _prototypes()
    found = []
    for char in dict.fromkeys(name):
        if char not in _ASCII and table.get(char, char) in _ASCII:
            script = unicodedata.name(char, "?").split(" ")[0].title()
            found.append(f"{char}: {script}")
    return ", ".join(found)
