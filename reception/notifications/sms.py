"""SMS text rules: which alphabet a text needs, how many segments it takes, and fitting it into two.

Pure functions, no database. A segment (one SMS on the air) holds 160 GSM-7 septets or 70 UCS-2 units;
a text longer than one segment is sent as a concatenated SMS whose header leaves 153 septets or 67 units
per part. A GSM-7 text may use the extension table (``{ } [ ] ~ \\ | ^ €`` and form feed), each of those
taking two septets; one character outside GSM-7 (any Cyrillic letter) makes the whole text UCS-2.

Every SMS the system sends stays within :data:`MAX_SEGMENTS` (see :func:`fit`): SMS templates mark the
free-text parts of a message (a person's or a body's name, a reason, an answer) with the ``sms_free``
filter, and a text too long has those parts shortened, longest first, with an ellipsis; the rest (the
talon number, the time, the link) is kept whole.
"""
from __future__ import annotations

import re

MAX_SEGMENTS = 2

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# The marks the ``sms_free`` filter puts around a free-text part; removed before a text is sent.
FREE_START, FREE_END = "\x02", "\x03"
_FREE = re.compile(f"{FREE_START}(.*?){FREE_END}", re.S)
_LINK = re.compile(r"\s*\bhttps?://\S+\s*$")


def is_gsm7(text: str) -> bool:
    """Whether ``text`` can be sent in the GSM 7-bit alphabet (the basic set and its extension table)."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _units(text: str) -> tuple[list[int], int, int]:
    """The size of each character in the text's alphabet, and the single-segment and per-part limits."""
    if is_gsm7(text):
        return [2 if c in GSM7_EXTENSION else 1 for c in text], 160, 153
    return [2 if ord(c) > 0xFFFF else 1 for c in text], 70, 67  # outside the BMP: a UTF-16 surrogate pair


def count_segments(text: str) -> int:
    """How many SMS ``text`` takes: GSM-7 160 septets (153 a part when longer), else UCS-2 70 units (67 a
    part). A character never straddles two parts (an escaped GSM-7 character, a surrogate pair)."""
    sizes, single, per_part = _units(text)
    if sum(sizes) <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return parts


def encoding(text: str) -> str:
    """``"gsm7"`` or ``"ucs2"``: what the text is sent in."""
    return "gsm7" if is_gsm7(text) else "ucs2"


def mark_free(value) -> str:
    """``value`` marked as a free-text part that :func:`fit` may shorten (the ``sms_free`` template filter)."""
    text = " ".join(str(value if value is not None else "").split())
    return f"{FREE_START}{text}{FREE_END}" if text else ""


def initials(full_name) -> str:
    """"Surname Name Patronymic" as "Surname N.P." (names in the directory are written surname first)."""
    words = str(full_name or "").split()
    if len(words) < 2:
        return " ".join(words)
    return words[0] + " " + "".join(w[0] + "." for w in words[1:3] if w[0].isalpha())


def strip_marks(text: str) -> str:
    return text.replace(FREE_START, "").replace(FREE_END, "")


def _ellipsis(text: str) -> str:
    return "..." if is_gsm7(strip_marks(text)) else "…"


def _shorten(part: str, length: int, ellipsis: str) -> str:
    """``part`` cut to ``length`` characters with the ellipsis, at a word's end when one is near."""
    if len(part) <= length:
        return part
    part = part.removesuffix(ellipsis)
    keep = max(length - len(ellipsis), 1)
    cut = part[:keep]
    space = cut.rfind(" ")
    if space >= keep * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-—–") + ellipsis


def fit(marked: str, max_segments: int = MAX_SEGMENTS) -> tuple[str, bool]:
    """The text to send (marks removed) within ``max_segments``, and whether it had to be shortened.

    1. Free-text parts (marked by ``sms_free``) are shortened, the longest first, each never below a few
       characters plus an ellipsis; the fixed text (talon number, time, link) is kept whole.
    2. If that is not enough (the fixed text alone is too long), the text before the trailing link is cut
       with an ellipsis, keeping the link; 3. as a last resort the whole text is cut.
    """
    text = strip_marks(marked)
    if count_segments(text) <= max_segments:
        return text, False
    ellipsis = _ellipsis(marked)
    minimum = 3 + len(ellipsis)
    pieces = _FREE.split(marked)  # fixed, free, fixed, free, …, fixed
    while True:
        text = "".join(pieces).replace(ellipsis + ".", ellipsis)
        if count_segments(text) <= max_segments:
            return text, True
        free = [(len(pieces[i]), i) for i in range(1, len(pieces), 2) if len(pieces[i]) > minimum]
        if not free:
            break
        free.sort(reverse=True)
        length, index = free[0]
        runner_up = free[1][0] if len(free) > 1 else minimum
        # Shorten the longest part by what is too much (at least one character), not below the runner-up.
        over = max(1, len(text) - _capacity(text, max_segments))
        pieces[index] = _shorten(pieces[index], max(length - over, runner_up, minimum), ellipsis)
        if len(pieces[index]) >= length:  # could not shorten (a word's end moved nothing): cut hard
            pieces[index] = pieces[index][:max(length - over - len(ellipsis), 1)] + ellipsis
    text = "".join(pieces)
    link = _LINK.search(text)
    head, tail = (text[:link.start()].rstrip(), " " + text[link.start():].strip()) if link else (text, "")
    while head and count_segments(head + ellipsis + tail) > max_segments:
        head = head[:-1].rstrip()
    if head:
        return head + ellipsis + tail, True
    text = tail.strip() or text
    while count_segments(text + ellipsis) > max_segments:
        text = text[:-1]
    return text + ellipsis, True


def _capacity(text: str, max_segments: int) -> int:
    """About how many characters of ``text``'s alphabet fit in ``max_segments`` (for the next cut)."""
    _, single, per_part = _units(text)
    return single if max_segments == 1 else per_part * max_segments
