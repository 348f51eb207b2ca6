"""Chinese and Korean addresses by their administrative units (issue 15, round 14).

Why: a Chinese or Korean address is written from the largest unit down, each unit closed by its own
suffix: ``广东省深圳市南山区科技园南路15号`` (province 省, city 市, district 区, road 路, number 号),
``서울특별시 강남구 테헤란로 152, 12층`` (metropolitan city, district 구, road 로, number, floor 층). The
caseless shapes of :mod:`labkit.controls.pii_address_caseless` want a house number with words on both
sides, two numbers, or a postcode; an address with one number at its end, inside a sentence that goes on
without a space (seen fresh10: ``您的订单已发往北京市朝阳区建国路88号…``), fits none of them.

What it does: :func:`admin_address_spans` finds

- Chinese: ``[<province>省|自治区]<city>市[<district>区|县|市]<road>路|街|道|巷|大道<n>号`` and the
  building, floor and room parts after it (``SOHO现代城2号楼1503室``, ``汇智大厦12楼``). Han is written
  without spaces, so where the address starts is decided by the city: two characters before 市 (most
  city names), three or four when GeoNames knows that name (``石家庄``), and the province before it the
  same way;
- Korean road and lot addresses: ``[<city>특별시|광역시|특별자치시|도] <city>시|군|구 [<district>구]
  [<neighbourhood>동|읍|면] <road>로|길|거리 <n>`` or ``… <동|리> <n>[-<n>]``, then a building name,
  ``N동``, ``N층``, ``N호`` parts and a locality in parentheses.

A longer span of the shape rules that holds one of these and runs on into prose glued to it gives way
(:func:`glued_overrun`).

Vietnamese (``<n> <street>, Phường <ward>, Quận <district>, <city>``) and Turkish (``[<X> Mah.] <street>
Cad.|Sok.|Bulvarı No: <n>, <postcode> <town>``) addresses are found the same way, by their units, in the
Latin script (:func:`latin_admin_address_spans`).

The suffixes are general knowledge of the two countries' address systems (the same unit words as
libpostal's dictionaries); nothing is taken from a set.

Example:
    >>> t = "寄到广东省深圳市南山区科技园南路15号，谢谢"
    >>> [t[s:e] for s, e in admin_address_spans(t, lambda w: False)]
    ['广东省深圳市南山区科技园南路15号']
"""

from __future__ import annotations

import re
from collections.abc import Callable

_HAN = "\u4e00-\u9fff"
# from the city's 市 to the house number and the building, floor and room parts after it
_ZH_BODY = re.compile(
    rf"市(?:[{_HAN}]{{1,5}}?(?:区|县|市))?[{_HAN}]{{1,12}}?(?:大道|路|街|道|巷)[0-9]{{1,5}}号"
    rf"(?:[A-Za-z0-9{_HAN}]{{0,12}}?[0-9]{{1,5}}(?:号楼|楼|层|室|座|栋|单元))*")
_ZH_PROVINCE = re.compile(r"(?:省|自治区)$")
_KO = re.compile(
    r"(?<![가-힣])(?:[가-힣]{2,4}(?:특별시|광역시|특별자치시|특별자치도|도)[ ])?[가-힣]{1,4}(?:시|군|구)[ ]"
    r"(?:[가-힣]{1,4}(?:구|군)[ ])?(?:[가-힣]{1,5}(?:동|읍|면)[ ])?"
    r"(?:[가-힣0-9]{1,10}(?:로|길|거리)|[가-힣]{1,4}(?:동|리))[ ]?[0-9]{1,5}(?:-[0-9]{1,4})?"
    r"(?:,?[ ]?(?:[가-힣A-Za-z0-9]{1,10}[ ])?(?:[A-Za-z0-9]{1,4}동[ ]?)?[0-9]{1,4}(?:층|호))*"
    r"(?:[ ]\([가-힣0-9 ]{1,12}\))?")
# Latin-script layouts by their units (round 14): Vietnamese "<n> <street>, Phường <ward>, Quận <district>
# [, <city>]" (read on the text as written: the Latin view transliterates Vietnamese tone marks) and Turkish "[<X> Mah.] <street> Cad.|Sok.|Bulvarı No: <n>[/<n>] [D: <n>], [<district>,]
# <postcode> <town>[/<province>]"
_W = r"[A-ZÀ-ÞĐ\u1ea0-\u1ef8İÇĞÖŞÜ][^\W\d_]*"
_WS = rf"{_W}(?:[ ]{_W}){{0,3}}"
_VI = re.compile(
    rf"(?:Số[ ])?\d{{1,5}}(?:/\d{{1,4}})?[A-Z]?[ ]{_WS},[ ](?:Phường|P\.)[ ]?(?:\d{{1,2}}|{_WS}),[ ]"
    rf"(?:Quận|Q\.|Huyện)[ ]?(?:\d{{1,2}}|{_WS})"
    rf"(?:,[ ](?:TP\.?[ ]?(?:HCM\b|{_WS})|Thành[ ]phố[ ]{_WS}|{_WS}))?")
_TR = re.compile(
    rf"(?:{_W}[ ](?:Mah\.|Mahallesi)[ ]{_W}(?:[ ]{_W})?|{_W})[ ](?:Cad\.|Caddesi|Sok\.|Sokak|Sokağı|Bulvarı|Blv\.)"
    rf"[ ]No[:.][ ]?\d{{1,5}}(?:/\d{{1,4}})?(?:[ ]D[:.][ ]?\d{{1,4}})?(?:,[ ]{_W})?,[ ]\d{{5}}[ ]{_W}(?:/{_W})?")
_LATIN_GATE = re.compile(r"Phường|Quận|P\.[ ]?\d|Q\.[ ]?\d|[ ]No[:.][ ]?\d")


def latin_admin_address_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of Vietnamese and Turkish addresses in ``text`` by their ward, district and
    street units (round 14).

    Example:
        >>> t = "Giao tới 12 Lê Lợi, Phường Bến Thành, Quận 1, TP.HCM nhé"
        >>> [t[s:e] for s, e in latin_admin_address_spans(t)]
        ['12 Lê Lợi, Phường Bến Thành, Quận 1, TP.HCM']
    """
    if _LATIN_GATE.search(text) is None:
        return []
    return [m.span() for rx in (_VI, _TR) for m in rx.finditer(text)]


_GATE = re.compile(r"[0-9](?:号|[ ]?[층호])|(?:로|길|동|리)[ ]?[0-9]")


def _han_name_start(text: str, end: int, known: Callable[[str], bool]) -> int:
    """Where the Han place name that ends at ``end`` (before its 市/省 suffix) starts: four or three
    characters back when ``known`` knows that name (with or without the suffix), else two."""
    for n in (4, 3):
        s = end - n
        if s >= 0 and all(_HAN[0] <= ch <= _HAN[-1] for ch in text[s:end]) and (
                known(text[s:end]) or known(text[s:end + 1])):
            return s
    return max(0, end - 2)


_GLUED = re.compile(rf"[{_HAN}가-힣\u3040-\u30ff]")


def glued_overrun(text: str, start: int, end: int, a_start: int, a_end: int) -> bool:
    """Whether the span ``[start, end)`` holds the administrative address ``[a_start, a_end)`` and runs
    past it into prose glued to it ("…汇智大厦12楼" + "前台", "快递请放到" + "上海市…"): the address's own
    ends are the exact ones there."""
    if start > a_start or end < a_end or (start, end) == (a_start, a_end):
        return False
    return bool((end > a_end and _GLUED.match(text, a_end)) or (start < a_start and _GLUED.match(text, a_start - 1)))


def admin_address_spans(text: str, known_place: Callable[[str], bool]) -> list[tuple[int, int]]:
    """``(start, end)`` of Chinese and Korean addresses in ``text`` by their administrative units;
    ``known_place`` says whether a Han name is a known town (GeoNames)."""
    if _GATE.search(text) is None:
        return []  # no "<n>号" nor a Korean road/lot number: the common case costs one search
    out: list[tuple[int, int]] = []
    for m in _ZH_BODY.finditer(text):
        start = _han_name_start(text, m.start(), known_place)
        p = start
        if p >= 1 and _ZH_PROVINCE.search(text, 0, p):  # the province before the city
            suffix = 3 if text[p - 3:p] == "自治区" else 1
            start = _han_name_start(text, p - suffix, known_place)
        out.append((start, m.end()))
    out.extend(m.span() for m in _KO.finditer(text))
    return out
