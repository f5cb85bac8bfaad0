"""People's names as documents write them: "Surname I. O." (surname, then the initials of the first name and
the patronymic), the form a talon must give of the person who accepted the booking.

Kazakh and Russian names are written surname first, then the first name, then the patronymic (optional:
many Kazakh names have none, and a Kazakh patronymic may be one word, "Серікұлы", or two, "Серік ұлы").
An initial is the first letter of the name in capitals, single letters only (Ә, Ұ, Ө, Ү, І, Ё are one
letter each); a hyphenated first name keeps both initials ("Анна-Мария" gives "А.-М.").
"""
from __future__ import annotations

import re

#: A name as people write it: letters of any alphabet, with spaces, hyphens, apostrophes or a dot between them
#: ("Анна-Мария", "O'Brien", "Серік ұлы"); no digits or other signs.
NAME_RE = re.compile(r"^[^\W\d_]+(?:[-'’. ]+[^\W\d_]+)*\.?$")


def is_valid_name(name: str | None) -> bool:
    return bool(name) and NAME_RE.match(name.strip()) is not None


def initial(name: str) -> str:
    """"Гүлжан" -> "Г.", "анна-мария" -> "А.-М.", "Г." -> "Г." (already an initial), "" -> ""."""
    parts = [p for p in name.strip().split("-") if p.strip(". ")]
    return "-".join(p.strip(". ")[0].upper() + "." for p in parts)


def short_name(surname: str | None, first_name: str | None, patronymic: str | None = None) -> str:
    """"Мұратова", "Гүлжан", "Ерланқызы" -> "Мұратова Г. Е."; without a patronymic "Мұратова Г."."""
    surname = " ".join((surname or "").split())
    patronymic_words = (patronymic or "").split()
    initials = [initial(first_name or ""), initial(patronymic_words[0]) if patronymic_words else ""]
    return " ".join([surname, *[i for i in initials if i]]).strip()


def short_full_name(full_name: str | None) -> str:
    """A full name written surname first ("Мұратова Гүлжан Ерланқызы") as "Мұратова Г. Е.".

    One word stays as it is; a name already shortened stays the same ("Мұратова Г. Е.").
    """
    words = (full_name or "").split()
    if len(words) < 2:
        return " ".join(words)
    return short_name(words[0], words[1], words[2] if len(words) > 2 else None)
