"""Where a caseless-script address starts and ends inside the prose around it (issue 15, round 18).

Why: :mod:`labkit.controls.pii_address_caseless` reads a *run* of caseless words and numbers joined by
blanks, commas and dots. In a letter or a chat the run does not stop where the address does: the
sentence before it ("… sent the parcel of <name> to"), the verb after it ("… has been delivered") and
the next sentence after a full stop are caseless words too. On the seen sets such a run either became
one long "address" from the sender's name to the verb (the span is wrong at both ends) or, with more
than 24 tokens, no address at all. No library reads Arabic, Persian, Hebrew, Devanagari, Bengali,
Tamil or Thai addresses out of prose; this module sets the ends from the **form of the address** in
these postal systems, not from the words of any sentence:

- a sentence ends at a full stop (or ``।``) followed by a blank after a number (a postcode) or after
  a word, unless that word is an abbreviation or house word before its number (``नं. 45``,
  ``ת.ד. 3391``): a run is cut there and each sentence is read on its own;
- an address is a *chain of comma parts* (``, ، ，``). Its inner parts are short (a street, a lane, a
  house number); its first and last parts may carry prose;
- the **start**: the first part with a number. The word "address" before the number in that part
  (``…ঠিকানা ৩৪/২``, also with a glued preposition: ``לכתובת``) starts it right after. When four words
  or more of prose stand before the number (three may be a street: ``<name> <name> ქ. 59``), it
  starts at the number, taking back the words before it that name what the number is (a house, plot
  or street word, a "number" word after one: ``मकान नं. 45``, ``বাড়ি ১৭``, ``רחוב הרצל 45``), and the
  parts before it are prose. Otherwise the parts before it that are short (under five tokens) or open
  with a street word are the address's (a town, a district: ``تهران، خیابان …``), and a long part
  before them gives only its last word (a town; Iran writes the city first) or its words from an
  address word near its end. Hebrew writes street, number, town: there nothing before a part that
  opens with a street word is taken (``<name>, רחוב …``);
- the **end**: a part after the numbered one whose numbers make a phone (two groups or more, eight
  digits or more: an Iranian postcode is one group of ten) ends the address before it; a last part
  that holds a number after a word (a town and its postcode, a unit and its number:
  ``नई दिल्ली 110024 पर भेज …``, ``واحد ۳ ارسال کنید``) ends at that number; a last part with no number
  and four tokens or more keeps its first two words (a town); a run with no comma ends early only at
  a postcode of five digits or more (a Thai address has no commas and may end in a province name);
- in a script written without blanks (Thai), a number glued right after a prose chunk (six letters or
  more, no street word) is where the address starts (``…ไปที่99/12 ถนน…``: "sent to" + the house
  number), and letters glued right after a postcode are where it ends (``10110แล้ว``);
- Han, kana and Hangul runs are only cut into sentences: their ends are the administrative-unit
  rules' (:mod:`labkit.controls.pii_address_admin`).

Guard: a window cut out of its run must read as an address by itself: an address word (in Thai a
token that opens with one), or the word "address" in its sentence, and no decimal, version or clock
time (``3.2``, ``10:30``); "Hello, order no. 55120" is no address. When no window of a run passes,
the whole run is judged by the caller's shapes as before round 18, so the cut never loses an address
the whole run had.

The address words are general knowledge of these countries' address forms (house, building, flat,
plot, shop, villa, street, lane, road, district, P.O. box in Arabic, Persian, Urdu, Hebrew, Hindi,
Bengali, Tamil, Thai and Georgian), written for this module; none is taken from an evaluation set.

What it does not do: find an address (the caller decides whether a window has an address's shape),
or split a Hebrew or Arabic one-letter preposition glued to the first word (``לת.ד.``).

Example:
    >>> run = "पत्र राजेश को मकान नं. 45, गली नं. 3, लाजपत नगर, नई दिल्ली 110024 पर भेज दिया"
    >>> [run[s:e] for s, e in address_windows(run, _tokens(run))]
    ['मकान नं. 45, गली नं. 3, लाजपत नगर, नई दिल्ली 110024']
"""

from __future__ import annotations

import re

Token = tuple[int, int, bool]  # start, end, is a number

# words that name what a number is, or a kind of street, in the address forms of caseless scripts
ADDRESS_WORDS: frozenset[str] = frozenset({
    # Arabic
    "شارع", "حي", "طريق", "مبنى", "فيلا", "شقة", "عمارة", "منزل", "بناية", "جادة", "زقاق", "نهج", "درب",
    "ص.ب", "صندوق", "بريد", "الطابق", "طابق", "مجمع", "قطعة", "قرية",
    # Persian and Urdu
    "خیابان", "کوچه", "پلاک", "واحد", "بلوار", "میدان", "ساختمان", "طبقه", "مکان", "گلی", "سڑک", "بلاک",
    "فلیٹ", "محلہ", "روستای", "روستا", "شهرستان", "استان", "بن‌بست", "کوی", "محله",
    # Hebrew
    "רחוב", "רח", "שדרות", "שד", "דירה", "בית", "ת.ד", "קומה", "שכונת", "כיכר", "דרך", "סמטת", "מעבר", "קיבוץ", "מושב",
    # Hindi, Marathi, Nepali (Devanagari)
    "मकान", "घर", "गली", "फ्लैट", "प्लॉट", "दुकान", "शॉप", "भवन", "सेक्टर", "ब्लॉक", "मार्ग", "रोड", "नगर",
    "वार्ड", "पोस्ट",
    # Bengali
    "বাড়ি", "বাড়ী", "বাসা", "রোড", "ফ্ল্যাট", "প্লট", "হোল্ডিং", "ব্লক", "সড়ক", "লেন", "বিল্ডিং",
    # Tamil
    "வீதி", "சாலை", "தெரு", "வீடு", "கதவு", "மனை",
    # Thai
    "ถนน", "ซอย", "หมู่", "บ้านเลขที่", "เลขที่", "ถ", "ซ", "ม",
    # Georgian
    "ქ", "ქუჩა", "გამზირი", "ბინა", "სახლი",
})
# "number" after a house or room word ("मकान नं. 45"): part of the address when an address word is
# before it, but no evidence of one alone ("room no. 204", "order no. 55120")
NUMBER_WORDS: frozenset[str] = frozenset({"नं", "क्रमांक", "নং", "எண்", "رقم", "מס", "מספר"})
# the word "address" itself (also with a glued preposition or case ending: "לכתובת", "ঠিকানায়"): a
# sentence that says it is giving an address
ADDRESS_LABELS: tuple[str, ...] = ("عنوان", "نشانی", "آدرس", "پتہ", "כתובת", "पता", "पत्ता", "ঠিকানা", "முகவரி",
                                   "ที่อยู่", "მისამართ")

_COMMAS = ",،，"
_SENTENCE_END = re.compile(r"[.।][ \t\n]")
# scripts written without blanks between words (Thai, Lao, Myanmar, Khmer)
_UNSPACED = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
_WIDE = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_PROSE_TOKENS = 4   # this many words before a number in its part are prose, not a street
_PROSE_PART = 5     # a comma part before the numbered one with this many tokens or more is prose
_PHONE_DIGITS = 8   # a comma part whose numbers have this many digits is a phone, after the address
_HEBREW = re.compile(r"[\u0590-\u05ff]")
_DECIMAL = re.compile(r"\d[.:]\d")
_BACK_WORDS = 3     # how far before a number a street or house word is looked for


def _tokens(run: str) -> list[Token]:
    """Words and numbers of ``run`` (for the doctest; the caller passes its own tokens)."""
    return [(m.start(), m.end(), m.group(0)[0].isdigit()) for m in re.finditer(r"\d+(?:[/-]\d+)*|[^\s\d,.،，]+", run)]


def _is_address_word(word: str) -> bool:
    return word.rstrip(".") in ADDRESS_WORDS


def _is_house_word(word: str) -> bool:
    """An address word or a "number" word (walking back from a house number)."""
    return _is_address_word(word) or word.rstrip(".") in NUMBER_WORDS


def _evidence(run: str, toks: list[Token], piece: list[Token], unspaced: bool) -> bool:
    """Whether a window cut out of its run still reads as an address: it holds an address word (in an
    unspaced script, a token that opens with one: "ถนน…"), or its sentence says "address" ("…לכתובת"),
    and it holds no decimal or version number or clock time ("3.2", "10:30")."""
    if _DECIMAL.search(run, toks[0][0], toks[-1][1]):
        return False
    for s, e, num in toks:
        word = run[s:e]
        if not num and (_is_address_word(word) or (unspaced and any(
                word.startswith(w) for w in ADDRESS_WORDS if len(w) > 1))):
            return True
    sentence = run[piece[0][0]:piece[-1][1]]
    return _has_label(sentence)


def _pieces(run: str, toks: list[Token]) -> list[list[Token]]:
    """``toks`` cut where a sentence ends: a full stop and a blank after a number (a postcode) or after a
    word of four letters or more that is no address word."""
    pieces: list[list[Token]] = [[]]
    for i, tok in enumerate(toks):
        pieces[-1].append(tok)
        if i + 1 < len(toks):
            sep = run[tok[1]:toks[i + 1][0]]
            word = run[tok[0]:tok[1]]
            # not after an abbreviation or house word before its number: "मकान नं. 45", "ת.ד. 3391"
            abbreviation = (len(word) <= 3 or _is_house_word(word)) and toks[i + 1][2]
            if _SENTENCE_END.search(sep) and (tok[2] or not abbreviation):
                pieces.append([])
    return [p for p in pieces if p]


def _parts(run: str, toks: list[Token]) -> list[list[Token]]:
    """``toks`` cut at commas of any script."""
    parts: list[list[Token]] = [[]]
    for i, tok in enumerate(toks):
        if i and any(c in run[toks[i - 1][1]:tok[0]] for c in _COMMAS):
            parts.append([])
        parts[-1].append(tok)
    return parts


def _back_from_number(run: str, part: list[Token], k: int) -> int:
    """Index in ``part`` where an address whose number is ``part[k]`` starts: the number, or an address
    word up to :data:`_BACK_WORDS` words before it, or an abbreviation right before it and its noun."""
    for j in range(k - 1, max(-1, k - 1 - _BACK_WORDS), -1):
        if part[j][2]:
            break
        if _is_house_word(run[part[j][0]:part[j][1]]):
            # the address word may itself follow another ("मकान नं."): take that one too
            while j > 0 and not part[j - 1][2] and _is_house_word(run[part[j - 1][0]:part[j - 1][1]]):
                j -= 1
            return j
    if k > 0 and "." in run[part[k - 1][1]:part[k][0]] and len(run[part[k - 1][0]:part[k - 1][1]]) <= 3:
        return k - 2 if k > 1 else k - 1  # "<noun> <abbr>. 45"
    return k


def _has_label(word: str) -> bool:
    return any(label in word for label in ADDRESS_LABELS)


def _opens_with_address_word(run: str, part: list[Token]) -> bool:
    return not part[0][2] and _is_address_word(run[part[0][0]:part[0][1]])


def _window(run: str, toks: list[Token]) -> tuple[int, int]:
    """Index range ``[lo, hi)`` of ``toks`` that is the address, by the rules of the module doc."""
    parts = _parts(run, toks)
    first = next((p for p, part in enumerate(parts) if any(t[2] for t in part)), None)
    if first is None or (len(parts) == 1 and len(toks) < _PROSE_TOKENS * 2):
        return 0, len(toks)
    # a part after the first numbered one whose numbers make a phone number ("…, mobile 055 555 4123")
    # ends the address before it: a phone is no part of an address
    for p in range(first + 1, len(parts)):
        groups = [t for t in parts[p] if t[2]]  # a postcode is one group (Iran's has ten digits)
        if len(groups) >= 2 and sum(sum(c.isdigit() for c in run[t[0]:t[1]]) for t in groups) >= _PHONE_DIGITS:
            parts = parts[:p]
            break
    offsets = [0]
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    # the start
    part = parts[first]
    k = next(i for i, t in enumerate(part) if t[2])
    label = max((i for i in range(k) if _has_label(run[part[i][0]:part[i][1]])), default=None)
    if label is not None:
        # the word "address" before the number: the address starts after it ("… the new address 34/2 …")
        lo = offsets[first] + label + 1
    elif k >= _PROSE_TOKENS:
        # prose before the number inside its own part ("… the papers of <name> were sent to 12, …"); three
        # words may still be a street ("<name> <name> <street abbr.> 59")
        lo = offsets[first] + _back_from_number(run, part, k)
    else:
        p = first
        # the parts before: short ones (a town, a district) or a street ("<street word> <name …>")
        town_last = _HEBREW.search(run) is not None  # street, number, town: nothing before the street
        while p > 0 and (_opens_with_address_word(run, parts[p - 1])
                         or (len(parts[p - 1]) < _PROSE_PART and not (town_last and _opens_with_address_word(run, parts[p])))):
            p -= 1
        lo = offsets[p]
        if p > 0 and not (town_last and _opens_with_address_word(run, parts[p])):  # a long part of prose before: its last word (a town), or from an address word near its end
            prev = parts[p - 1]
            j = len(prev) - 1
            for i in range(len(prev) - 1, max(-1, len(prev) - 2 - _BACK_WORDS), -1):
                if _is_address_word(run[prev[i][0]:prev[i][1]]):
                    j = i
            lo = offsets[p - 1] + j
    # the end
    last = parts[-1]
    hi = offsets[len(parts)]
    nums = [i for i, t in enumerate(last) if t[2]]
    if len(parts) > 1:
        if nums and nums[-1] > 0 and nums[-1] < len(last) - 1:
            hi = offsets[-2] + nums[-1] + 1
        elif not nums and len(last) >= _PROSE_TOKENS:
            hi = offsets[-2] + 2
    elif nums and 0 < nums[-1] < len(last) - 1 and sum(c.isdigit() for c in run[last[nums[-1]][0]:last[nums[-1]][1]]) >= 5:
        hi = nums[-1] + 1  # one part with no comma: only a postcode (five digits or more) ends it early
    return lo, max(hi, lo + 1)


def _prose_chunk(word: str) -> bool:
    """An unspaced run of six letters or more that opens with no address word ("…ส่งไปที่"), not a
    street word glued to its number ("ซอย7")."""
    return len(word) >= 6 and not any(word.startswith(w) for w in ADDRESS_WORDS if len(w) > 1)


def _unspaced_glue(run: str, toks: list[Token], lo: int, hi: int) -> tuple[int, int]:
    """Thai and other unspaced scripts: a number glued after letters starts the address, letters glued
    after the last number end it."""
    glued = [i for i in range(max(lo, 1), hi) if toks[i][2] and toks[i][0] == toks[i - 1][1]
             and not toks[i - 1][2] and _prose_chunk(run[toks[i - 1][0]:toks[i - 1][1]])]
    if glued:
        lo = glued[0]
    for i in range(lo + 1, hi - 1):
        # a postcode (four digits or more) with letters glued after it: "10110แล้ว" ("… already")
        if toks[i][2] and toks[i + 1][0] == toks[i][1] and not toks[i + 1][2] \
                and sum(c.isdigit() for c in run[toks[i][0]:toks[i][1]]) >= 4:
            return lo, i + 1
    return lo, hi


def address_windows(run: str, toks: list[Token]) -> list[tuple[int, int]]:
    """``(start, end)`` offsets in ``run`` of each sentence's address window (see the module doc);
    ``toks`` are the run's words and numbers as ``(start, end, is_number)``."""
    out = []
    unspaced = _UNSPACED.search(run) is not None
    # Chinese, Japanese and Korean addresses run from the largest unit down with words before every
    # number; their ends are the administrative-unit rules' (pii_address_admin): only sentences are cut
    wide = _WIDE.search(run) is not None
    for piece in _pieces(run, toks):
        if not any(t[2] for t in piece):
            continue
        lo, hi = (0, len(piece)) if wide else _window(run, piece)
        if unspaced:
            lo, hi = _unspaced_glue(run, piece, lo, hi)
        window = piece[lo:hi]
        # a window cut out of its run must read as an address by itself (a sentence's last words and a
        # number were accepted by the whole run's shape: "Hello, order no. 55120")
        if len(window) < len(toks) and not _evidence(run, window, piece, unspaced):
            continue
        out.append((window[0][0], window[-1][1]))
    # no window reads as an address by itself: the whole run is judged by its shape, as before round 18
    return out or [(0, len(run))]
