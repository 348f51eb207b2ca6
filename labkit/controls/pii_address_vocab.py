"""Street, unit and particle words of many languages, from libpostal's dictionaries (shipped as data).

What it does: :func:`vocabulary` returns the words an address detector needs beyond English,
German and French: street types written before the name (``Calle``, ``Via``, ``Rua``, ``ulica``,
``Avenida``), street types glued to the end of the name in the languages that write compounds
(``…gade``, ``…vej``, ``…gatan``, ``…straat``, ``…laan``, ``…katu``), unit and floor words that
follow a house number (``Piso``, ``Piano``, ``Appartamento``, ``lgh``) and the small words that
stand inside street names (``de``, ``del``, ``della``, ``das``, ``na``). Staircase words
(``Scala``, ``Escalera``) count as units. They come from
``labkit/controls/pii_address_vocab.json``, a file this module writes from libpostal's
``resources/dictionaries`` (:func:`build_from_libpostal`).

Why libpostal's dictionaries: they are the most complete, maintained multilingual list of
thoroughfare words there is (60 languages, built from OpenStreetMap street names and checked per
language; MIT licence; used by Pelias and other geocoders). The ways to get them from a package
registry are heavy or opaque: the ``postal`` bindings need the libpostal C library and its 2 GB
model download, and ``address-finder-data`` ships the same dictionaries only compiled into
libpostal's binary trie. So the lab ships the words themselves (about 60 kB of JSON), with the
commit they came from, and the detector never downloads anything.

Not from Faker: the lab's public PII checks fill their templates with Faker's street names, and
a vocabulary read from Faker's own word lists would be graded on its answer key. libpostal's
lists were written from real streets, independently of Faker (they overlap with it the way any
two lists of Spanish street words do).

What it does not do: detect anything (:mod:`labkit.controls.pii_address` does), or keep
non-Latin scripts (the lab's redactor works on Latin-script text).

Rebuild: ``python -m labkit.controls.pii_address_vocab /path/to/libpostal`` (a git checkout).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

from labkit.controls.pii_script import latin_view
from labkit.errors import RedactionFailed

VOCAB_PATH = Path(__file__).with_name("pii_address_vocab.json")

# Latin-script languages of libpostal's dictionaries, and (round 8) the ones in Cyrillic and Greek
# letters and Azerbaijani, whose words are kept as the detector reads them: in the Latin view of
# :mod:`labkit.controls.pii_script` ("улица" -> "ulitsa", "вулиця" -> "vulitsya", "küçəsi" -> "küçesi").
LANGUAGES: tuple[str, ...] = (
    "af", "ast", "br", "bs", "ca", "cs", "cy", "da", "de", "en", "es", "et", "eu", "fi", "fil", "fr", "ga",
    "gd", "gl", "gsw", "hr", "hu", "id", "is", "it", "lb", "lt", "lv", "ms", "mt", "nb", "nl", "oc", "pap",
    "pl", "pt", "ro", "sk", "sl", "sv", "tr",
    "az", "be", "bg", "el", "ru", "sr", "uk",
)
_VIEWED = ("az", "be", "bg", "el", "ru", "sr", "uk")
_LATIN = re.compile(r"^[a-zà-ɏ' .-]+$")


def _as_viewed(form: str) -> str:
    """A dictionary form as the address rules read it: non-Latin letters transliterated letter by
    letter exactly as :func:`labkit.controls.pii_script.latin_view` writes them."""
    view = latin_view(form)
    return (view[0] if view is not None else form).lower()


def _entries(text: str) -> list[list[str]]:
    """A libpostal dictionary file: one line per concept, forms separated by ``|``."""
    rows = []
    for line in text.splitlines():
        forms = [_as_viewed(f.strip().lower()) for f in line.split("|") if f.strip()]
        forms = list(dict.fromkeys(f for f in forms if _LATIN.match(f)))
        if forms:
            rows.append(forms)
    return rows


def _split_forms(rows: list[list[str]], min_letters: int = 2) -> tuple[set[str], set[str]]:
    """(full words, abbreviations). The first form of a line is the word itself (``rua``, ``via``,
    ``vej``: full however short); another form is an abbreviation when it ends in a dot or is a
    short cut of four letters or fewer (``ul``, ``av``, ``str``, ``avda``), a spelling variant
    otherwise (``strasse``, ``alle``). The detector takes abbreviations only when a dot follows.
    Forms shorter than ``min_letters`` letters are left out (one-letter forms are kept only for the
    words around a house number: Russian "д." for дом, "к." for корпус)."""
    full, abbr = set(), set()
    for forms in rows:
        canonical = forms[0]
        for f in forms:
            letters = f.replace(".", "").replace(" ", "")
            if len(letters) < min_letters:
                continue
            if f is not canonical and (f.endswith(".") or (len(letters) <= 4 and len(f) < len(canonical))):
                abbr.add(f.rstrip("."))
            else:
                full.add(f.rstrip("."))
    return full, abbr


def build_from_libpostal(repo: Path) -> dict[str, Any]:
    """Read libpostal's dictionaries from a git checkout at ``repo`` (its HEAD commit)."""
    def show(path: str) -> str:
        r = subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{path}"], capture_output=True, text=True)
        return r.stdout if r.returncode == 0 else ""

    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    out: dict[str, Any] = {
        "source": "libpostal resources/dictionaries (github.com/openvenues/libpostal), MIT licence",
        "commit": commit,
        "languages": {},
    }
    for lang in LANGUAGES:
        base = f"resources/dictionaries/{lang}/"
        types_full, types_abbr = _split_forms(_entries(show(base + "street_types.txt")))
        suffixes = set()
        for name in ("concatenated_suffixes_separable.txt", "concatenated_suffixes_inseparable.txt"):
            suffixes |= _split_forms(_entries(show(base + name)))[0]
        unit_rows = (_entries(show(base + "unit_types_numbered.txt")) + _entries(show(base + "level_types_numbered.txt"))
                     + _entries(show(base + "staircases.txt")))
        units_full, units_abbr = _split_forms(unit_rows)
        # building words after a house number (round 8: "Edif. 3", "bloco 2", "корпус"/"к." -> "korpus"/"k.";
        # one-letter abbreviations only in the languages read through the Latin view)
        more = _split_forms(_entries(show(base + "building_types.txt")), min_letters=1 if lang in _VIEWED else 2)
        units_full, units_abbr = units_full | more[0], units_abbr | more[1]
        # the word before a house number ("дом"/"д." -> "dom"/"d.", "будинок"/"буд." -> "bud.")
        house_full, house_abbr = _split_forms(_entries(show(base + "house_numbers.txt")), min_letters=1)
        stop = {f for forms in _entries(show(base + "stopwords.txt")) for f in forms
                if len(f) <= 5 and "." not in f and " " not in f}
        entry = {"street_types": sorted(types_full), "street_type_abbreviations": sorted(types_abbr),
                 "suffixes": sorted(suffixes), "units": sorted(units_full), "unit_abbreviations": sorted(units_abbr),
                 "particles": sorted(stop), "house_markers": sorted(house_full),
                 "house_marker_abbreviations": sorted(house_abbr)}
        if any(entry.values()):
            out["languages"][lang] = entry
    return out


@cache
def vocabulary() -> dict[str, Any]:
    """The shipped vocabulary (``pii_address_vocab.json``): ``languages`` -> word lists."""
    try:
        data: dict[str, Any] = json.loads(VOCAB_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RedactionFailed(f"cannot read the address vocabulary {VOCAB_PATH}: {exc}") from exc
    if not data.get("languages"):
        raise RedactionFailed(f"{VOCAB_PATH} has no languages; rebuild it from libpostal")
    return data


def words(kind: str) -> frozenset[str]:
    """One word list over all languages (``street_types``, ``suffixes``, ``units`` ...)."""
    return frozenset(w for lang in vocabulary()["languages"].values() for w in lang.get(kind, ()))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m labkit.controls.pii_address_vocab /path/to/libpostal-checkout")
    built = build_from_libpostal(Path(sys.argv[1]))
    VOCAB_PATH.write_text(json.dumps(built, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {VOCAB_PATH}: {len(built['languages'])} languages from libpostal {built['commit'][:10]}")
