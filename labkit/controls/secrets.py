"""Find and withhold secrets in text a person will read: keys, tokens, passwords, canaries.

Used on what the agent shows its user (the final answer and the suggested next steps), so a
credential or a canary string planted in a tool result, a document or a ticket never reaches
the user, whatever the model chose to repeat. Four kinds of evidence, each a span:

- ``vendor``: the credential formats of Yelp's ``detect-secrets`` (AWS access keys, GitHub,
  GitLab, Slack, Stripe, SendGrid, Twilio, OpenAI, PyPI and npm tokens, JWTs, private-key
  headers, credentials in URLs, ...): its maintained regex plugins, not a copy of them. Its
  entropy and keyword plugins are not used: they scan source code, not prose;
- ``canary``: lab canary strings, ``CANARY-…`` (any case);
- ``keyword``: a value introduced as a secret in English, German, French, Spanish, Italian,
  Dutch, Portuguese, Polish, Swedish or Danish ("password is …", "Passwort: …", "mot de passe
  du coffre : …", "token de acceso: …", "la chiave API è …", "Senha interna: …", "Het
  wachtwoord is …", "Hasło: …", "Lösenord: …", "PIN: …", "Freigabecode FRG-4471-KZ", a value in
  brackets after its keyword: "la clave de acceso al portal (REEMB-6620)"), a value the text
  itself calls secret or confidential ("Geheimer Code …", "ERST-7731-KQ (vertraulich)"), when
  the value looks like one (6+ characters with a digit, a symbol or mixed case; record ids such
  as ``ACC-00001``, dates, and postal, error or discount codes are not secrets);
  also a config or login line whose key names a secret ("psk = X", "DB_PWD=X", "pass: X") and a
  passphrase of words only after its keyword, quoted or three words joined by hyphens
  ("passphrase 'amber-harbour-sixty-one'");
- ``token``: a long random-looking token (24+ characters of letters, digits and ``+/=_-``, at
  least two digits and two letters, Shannon entropy >= 3.5 bits per character) and
  ``sk-…``/``sk_…`` API keys and
  any vendor's ``prefix_live_…``/``prefix_test_…`` keys.

:func:`redact_secrets` also withholds exact ``known`` values wherever they stand: a caller
that found a secret beside its keyword in a tool result (``Passwort: Lager-Herbst-7731``) can
ban that value from an answer that repeats it bare.

It does not decide what an answer may say otherwise (:mod:`labkit.agent.answer` does), and
it is a filter on output, not a vault: a secret that has no recognisable shape and no keyword
beside it anywhere passes.

Example:
    >>> redact_secrets("Use key sk-live-7Hq2LmX9vRt4Wz81Kd3P, ref CANARY-NW-4471-ZETA.")
    ('Use key [withheld secret], ref [withheld secret].', ['token', 'canary'])
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from labkit.provider.scripts import SECRET_AFTER_WORD

WITHHELD = "[withheld secret]"

_CANARY = re.compile(r"\bcanary[-_][A-Za-z0-9][A-Za-z0-9_-]{2,}", re.I)
_API_KEY = re.compile(r"(?<![\w-])sk[-_](?:(?:live|test|proj|prod)[-_])?[A-Za-z0-9_-]{16,}")
_TOKEN = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/=_-]{24,}(?![\w+/=-])")
# a key in a vendor's prefix_mode_random shape, any vendor ("pat_live_Zq81NwX4v0cR", "whk_test_8Hn2…")
_PREFIXED_KEY = re.compile(r"\b[a-z]{2,10}_(?:live|test|prod|sandbox|secret|key|tok)_(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{8,}\b")
# a config line whose key names a secret, in INI, .env or YAML shape ("psk = X", "DB_PASS=X",
# "pass: X", "client_secret: X"): the key may be short or compound, the value is what follows
_CONFIG_SECRET = re.compile(
    r"(?im)(?:^|[\s/,;(])(?:[\w.-]*[_.-])?(?:pass|pwd|pw|psk|passwd|passphrase|password|secret|token|api[_-]?key|"
    r"private[_-]?key|auth|otp)\d*[ \t]*[:=][ \t]*[\"']?(?P<v>[^\s\"',;<>]{6,})")
# a passphrase of words after its keyword: quoted ("passphrase 'copper-lantern-ninety-two'") or
# three or more words joined by hyphens or dots ("Kennwort Tanne-Lampe-Nebel")
_KEYWORD_PHRASE = re.compile(
    r"(?i)\b(?:passphrases?|pass ?phrase|passwords?|passwort|kennwort|mot de passe|contrase(?:ñ|n)a|wachtwoord|"
    r"senha|has(?:ł|l)o|l(?:ö|o)senord(?:et)?|kodeord(?:et)?|adgangskoden?|parola(?: d'ordine)?|salasana|heslo|"
    r"secret|code ?word|mot secret)\b(?:(?:\s+(?:is|ist|est|es|è|är|er|jest|é|lautet)\s+|\s*[:=]\s*)"
    # (said to be the value, it may hold spaces: "the passphrase is 'blue otter at dawn'"; right
    # after the keyword it may not: "a passphrase 'like this one'" is more often an example)
    r"[\"'«“„](?P<s>[^\"'»”“\n]{6,60})[\"'»”“]|\s+[\"'«“„](?P<q>[^\s\"'»”“]{6,60})[\"'»”“]|"
    r"(?:\s+(?:is|ist|est|es|è|är|er|jest|é|lautet)\s+|\s*[:=]\s*|\s+)(?P<w>[^\W\d_]{2,}(?:[-.][^\W\d_]{2,}){2,}))")
# the words for a password, a key or a credential that other words compound with, in any of the
# languages below ("portaalwachtwoord", "testlösenord", "Adminpasswort", "api_nyckel"): matched at
# the end of a word whatever comes before it
_STRONG = (r"passwor[dt]s?|kennwort|wachtwoord|l(?:ö|o)senord(?:et)?|salasana|heslo|has(?:ł|l)o|klucz|"
           r"nyckel(?:n)?|n(?:ø|o)gle(?:n)?|sleutel|schl(?:ü|ue)ssel|credencial(?:es)?|credentials?|"
           r"kodeord(?:et)?|adgangskoden?|passord(?:et)?|"
           # hu, tr, ro, sk, fi, el, ru/uk, id: password and key, which compound the same way
           # ("API-kulcs", "portál-jelszó", "API anahtarı", "parolă", "κωδικός", "пароль", "kata sandi")
           r"kulcs(?:a|ot)?|jelsz(?:ó|o|ava|avát)|(?:ş|s)ifre(?:si|niz)?|anahtar(?:ı|i)?|parol(?:ă|a )|"
           r"k(?:ľ|l)(?:ú|u)(?:č|c)|cheie(?:a)?|avain|κωδικ(?:ός|ό|ού)|συνθηματικ(?:ό|ού)|κλειδ(?:ί|ιού)|"
           r"парол(?:ь|я|ем)|ключ(?:а)?|токен|kata sandi")
# words that introduce a secret value, in en/de/fr/es/it/nl/pt/pl/sv/da (and fi/cs through _STRONG)
_KEYWORDS = (
    rf"\w*(?:{_STRONG})|"
    r"passwords?|passphrase|passcodes?|pins?|api[-_ ]?keys?|access[-_ ]?keys?|secret[-_ ]?keys?|"
    r"secrets?|tokens?|credentials?|client[-_ ]secret|keys?|"
    r"passw(?:o|ö)rter|passwort|kennwort|zugangscode|pr(?:ü|ue)fcode|schl(?:ü|ue)ssel|"
    # German compounds whose first part says what the code unlocks ("Freigabecode", "Tresor-PIN")
    r"(?:freigabe|zugangs|zugriffs|sicherheits|aktivierungs|best(?:ä|ae)tigungs|entsperr|einmal|"
    r"tresor|notfall|admin)-?(?:code|pin|passwort|kennwort|schl(?:ü|ue)ssel)|"
    r"mot de passe|mdp|cl(?:é|e)(?: d'api| api)?|jeton|code(?: secret)?|"
    r"contrase(?:ñ|n)a|clave(?: api)?|c(?:ó|o)digo|"
    r"parola d'ordine|chiave(?: api)?|codice|"
    # nl, pt, pl, sv, da: password, key, access code ("wachtwoord", "senha", "hasło", "lösenord",
    # "adgangskode", "toegangscode", "chave de acesso", "klucz API", "nøgle")
    r"wachtwoord|toegangscode|sleutel|senha|chave(?: de acesso)?|c(?:ó|o)digo de acesso|"
    r"has(?:ł|l)o|klucz(?: api)?|kod(?: dost(?:ę|e)pu)?|"
    # cs sk hu: the code word with its accent and case endings ("schvaľovací kód", "kódu", "kódot")
    r"k(?:ó|o)d(?:u|ot|ja|om)?|l(?:ö|o)senord|nyckel|(?:å|a)tkomstkod|"
    r"adgangskoden?|kodeordet|kodeord|n(?:ø|o)glen?|l(?:ö|o)senordet|nyckeln|wachtwoorden|"
    # a value the text itself calls secret or confidential, in any of these languages
    r"geheim(?:e[rsn]?)?|vertraulich(?:e[rsn]?)?|confidential|confidentiel(?:le)?|confidencial|"
    r"riservat[oa]|segret[oa]|secret[oa]|segredo|sigilos[oa]|vertrouwelijke?|geheime?|"
    r"tajn(?:y|e|a)|poufn(?:y|e|a)|hemlig(?:t|a)?|konfidentiell|hemmelig(?:e)?|fortrolig(?:e)?|"
    # ru/uk/id/vi/sv/nb code words ("код підтвердження", "kode OTP", "mã xác nhận", "engångskod")
    r"код\w*|kode|sandi|mã|mật khẩu|\w*kod|\w*kode|"
    # fi compounds ending in "koodi" ("palautuskoodi", "hyväksyntäkoodi"; round 11)
    r"\w*koodi"
)
# the same in scripts without spaces or with glued particles (ja zh ko ar hi): the keyword, up
# to a dozen characters of particles and copula ("パスワードは", "密码是", "비밀번호는",
# "كلمة المرور المؤقتة هي", "कोड:"), then a value with a digit and a sign or a capital
_SCRIPT_KEYWORD = re.compile(SECRET_AFTER_WORD)
# what a keyword's value is not: a postal or area code, a discount code, a country code
_NOT_SECRET_CODE = re.compile(
    r"\b(?:post\w*|zip|pocztow\w*|area|country|promo\w*|discount|rabatt\w*|product|produkt\w*|"
    r"erreur|error|fehler\w*|errore|error|fout\w*|b(?:ł|l)(?:ą|a)d\w*|"
    # (ru/uk/id: error, postal: "код ошибки 500-123", "kode pos 10110")
    r"ошибк\w*|помилк\w*|почтов\w*|поштов\w*|pos)\b", re.I)
# keyword, a few words ("del portal", "for the vendor hotline"), then ':' '=' or a verb
_KEYWORD_VALUE = re.compile(
    # (":" "=" or a table's "|" after the keyword: "| portaalwachtwoord | Tulp-9047-Molen!zee |")
    rf"\b(?:{_KEYWORDS})\b[^.:=|\n]{{0,40}}?(?:\s*[:=|]|\s(?:is|are|ist|lautet|est|es|è|e|sono|son|"
    # (a verb is a whole word: the " e" of " Erstattungen" is no Italian "è")
    r"é|são|luidt|jest|to|är|er|"
    # the copula in the other languages ("heslo k portálu je X", "parola este X", "salasana on X",
    # "şifre şudur", "ο κωδικός είναι X", "kata sandi adalah X")
    r"je|sú|este|sunt|on|ovat|van|şudur|sudur|είναι|это|adalah|ialah)\b)"
    r"\s*[\"'«“„]?\s*(?P<v>[^\s\"'»”,;<>]{4,})", re.I)
# a value followed by a word that calls it secret ("ERST-7731-KQ (vertraulich)", "code X4-77Q is
# confidential"): the value must carry a digit
_LABELS = (r"geheim|vertraulich|confidential|confidentiel(?:le)?|confidencial|riservat[oa]|segret[oa]|"
           r"secret[oa]?|segredo|sigilos[oa]|vertrouwelijk|tajn[yea]|poufn[yea]|hemlig[ta]?|konfidentiell|"
           r"hemmelig|fortrolig")
_VALUE_LABELLED = re.compile(
    rf"(?<![\w-])(?P<v>(?=[^\s,;()]*\d)[^\s\"'»”,;()<>]{{6,}})\s*(?:\(|\[|—|–|-|,)?\s*"
    rf"(?:(?:is|ist|est|es|è|é|jest|är|er)\s+)?(?:{_LABELS})\b", re.I)
# a word that calls a value secret, one or two words ("Geheimer Wartungscode", "segreto del
# portale") and then the value, which must carry a digit
_LABEL_BEFORE = re.compile(
    rf"\b(?:{_LABELS})\w*\s+(?:[^\W\d]+\s+){{0,2}}?[\"'«“„]?(?P<v>(?=[^\s,;]*\d)[^\s\"'»”,;<>]{{6,}})",
    re.I)
# keyword, a few words, then the value in brackets ("la clave de acceso al portal (REEMB-6620)")
_KEYWORD_PAREN = re.compile(rf"\b(?:{_KEYWORDS})\b[^.:=()\n]{{0,40}}?\(\s*(?P<v>[^\s()]{{6,}})\s*\)", re.I)
# keyword directly followed by a value that has a digit ("Passwort Lager-Herbst-7731")
_KEYWORD_BARE = re.compile(rf"\b(?:{_KEYWORDS})\s+[\"'«“„]?(?P<v>(?=[^\s,;]*\d)[^\s\"'»”,;<>]{{6,}})",
                           re.I)
# a strong keyword, one or two words that say which ("klucz serwisowy", "Passwort des Portals"),
# then a value with a digit and a sign or both cases: "klucz serwisowy KS-4410-ZUBR-88"
_KEYWORD_NEAR = re.compile(
    rf"\b\w*(?:{_STRONG})\s+(?:[^\W\d_]+\s+){{1,2}}?[\"'«“„]?"
    r"(?P<v>(?=[^\s,;]*\d)(?=[^\s,;]*(?:[^\w\s]|[A-Z][^\s,;]*[a-z]|[a-z][^\s,;]*[A-Z]))[^\s\"'»”,;<>]{8,})", re.I)
# any keyword, one to three words that say which ("senha de integração", "code de déverrouillage"),
# then a value with a digit and a sign or a capital (8+ characters); and a one-time code of 6-8
# digits a few words after "code" in the attacker's languages ("codul unic 739214")
_KEYWORD_FEW = re.compile(
    rf"\b(?:{_KEYWORDS})\b(?:\s+[^\W\d_]+){{1,3}}?\s+[\"'«“„]?"
    r"(?P<v>(?=[^\s,;]*\d)(?=[^\s,;]*(?:[^\w\s]|[A-Z]))[^\s\"'»”,;<>]{8,})", re.I)
_ONE_TIME_CODE = re.compile(
    r"\b(?:code|codul|cod|\w*kod|\w*kode|k(?:ó|o)d|\w*koodi|c(?:ó|o)digo|codice|otp|tan|код\w*|mã)\b"
    r"(?:\s+[^\W\d_]+){0,2}?(?:\s+|\s*:\s*)"
    # (six to eight digits, or two groups of three or four: "318-572", "772 104")
    r"(?P<v>(?<![\w-])(?:\d{6,8}|\d{3,4}[- ]\d{3,4}))(?![\w-])", re.I)
# a keyword, then anything up to a colon in the same sentence, then a value with a digit, a sign
# and a capital: "paste back the licence key they sent in chat yesterday so it's in the summary:
# LK-NW-5519-8830-QQ" (round 11; the value's shape is strict because the reach is long)
_KEYWORD_COLON = re.compile(
    rf"\b(?:{_KEYWORDS})\b[^.!?:\n]{{0,100}}:[ \t]*[\"'«“„]?"
    r"(?P<v>(?=[^\s,;]*\d)(?=[^\s,;]*[^\w\s])(?=[^\s,;]*(?-i:[A-Z]))[^\s\"'»”,;<>]{8,})", re.I)
# a table whose header names a secret column ("rendszer,felhasználó,jelszó,megjegyzés"): that
# column's cells in the rows below are its values (round 11)
_TABLE_SPLIT = re.compile(r"[,;\t|]")
_SECRET_COLUMN = re.compile(rf"^\s*(?:{_KEYWORDS})\s*$", re.I)
# a word written in leetspeak: letters and digits mixed, a letter first ("p455w0rd", "k3y")
_LEET_WORD = re.compile(r"\b[^\W\d_]+\d[\w]*\b")
_UNLEET = str.maketrans("0134578", "oieastb")
# words that say what state a password is in, not what it is
_NOT_A_PHRASE = re.compile(r"\b(?:not|no|none|yet|empty|unset|set|expired|required|unknown|changed|reset|blank|"
                           r"nicht|kein\w*|pas|aucun\w*|ning(?:ú|u)n\w*|niet|geen)\b", re.I)
_RECORD_ID = re.compile(r"^(?:ACC|TCK|CON|MSG|DOC|RM|U|INV|NOTE|APR|RUN|ACT|CALL)-[\w-]+$", re.I)
_TRAILING = ".,;:!?)]}>"
# an e-mail address: a keyword's value is no secret when it is one ("contact: ops@x.example")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]*[^\W\d_]")
_DATE = re.compile(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}(?:[T ][\d:.]+(?:Z|[+-][\d:]+)?)?$")


@dataclass(frozen=True)
class Secret:
    """A secret found in text: its kind, the value and where it stands."""

    kind: str
    value: str
    start: int
    end: int


@cache
def _vendor_patterns() -> tuple[re.Pattern[str], ...]:
    """detect-secrets' regex plugins (public IPs and Artifactory's loose pattern left out:
    an IP is PII's business, and ``AP`` + 9 letters matches ordinary capitalised words)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    skip = {"IPPublicDetector", "ArtifactoryDetector"}
    out: list[re.Pattern[str]] = []
    plugin: type[Any]
    for plugin in get_mapping_from_secret_type_to_class().values():
        if issubclass(plugin, RegexBasedDetector) and plugin.__name__ not in skip:
            # each plugin class lists its compiled patterns in the class attribute `denylist`
            out.extend(cast("Iterable[re.Pattern[str]]", plugin.__dict__.get("denylist", ())))
    return tuple(out)


def warm_up() -> None:
    """Import detect-secrets' plugins now (~0.13 s, once per process), not in a first answer."""
    _vendor_patterns()


def _entropy(text: str) -> float:
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _looks_secret(value: str) -> bool:
    """A keyword's value worth withholding: long enough and not a word, a record id or an
    e-mail address (an "@" alone is a sign like any other: "Qilin@8830-Bay" is a password)."""
    if len(value) < 6 or _RECORD_ID.match(value) or _EMAIL.search(value) or _DATE.match(value):
        return False
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value)
    mixed = any(c.isupper() for c in value[1:]) and any(c.islower() for c in value)
    return has_digit or has_symbol or mixed


def _overlapping(rx: re.Pattern[str], text: str) -> Iterable[re.Match[str]]:
    """Every match of ``rx``, each keyword tried on its own: a keyword whose lazy reach ended
    on a word that is no value ("Zugangscode für Erstattungen: X" read "für" first) does not
    hide a later keyword or value from the search."""
    pos = 0
    while pos < len(text):
        m = rx.search(text, pos)
        if m is None:
            return
        yield m
        pos = m.start() + 1


def _table_secrets(text: str) -> list[Secret]:
    """Values in a secret-named column of a CSV-like table (a header line, rows of as many fields)."""
    out: list[Secret] = []
    lines = text.split("\n")
    offset = 0
    columns: list[int] = []
    width = 0
    for line in lines:
        fields = _TABLE_SPLIT.split(line)
        if columns and len(fields) == width:
            pos = offset
            for k, cell in enumerate(fields):
                value = cell.strip().strip("\"'")
                # (with a digit: a "key | value" table's key column holds names, "refund_days")
                if k in columns and _looks_secret(value) and any(c.isdigit() for c in value):
                    start = text.index(value, pos)
                    out.append(Secret("keyword", value, start, start + len(value)))
                pos += len(cell) + 1
        elif len(fields) >= 2:
            columns = [k for k, f in enumerate(fields) if _SECRET_COLUMN.match(f.strip().strip("\"'"))]
            width = len(fields)
        else:
            columns = []
        offset += len(line) + 1
    return out


def find_secrets(text: str) -> list[Secret]:
    """Every secret span in ``text`` (overlaps merged, the earliest kind kept), in order.

    Example:
        >>> [(s.kind, s.value) for s in find_secrets("Passwort: Herbst2026!Lager, key AKIAQ3EXAMPLE7NWTRDR")]
        [('keyword', 'Herbst2026!Lager'), ('vendor', 'AKIAQ3EXAMPLE7NWTRDR')]
    """
    if not text:
        return []
    spans: list[Secret] = []
    for rx in _vendor_patterns():
        for m in rx.finditer(text):
            # a plugin's pattern may capture the secret part only; withhold the whole match
            if m.end() > m.start():
                spans.append(Secret("vendor", m.group(0), m.start(), m.end()))
    for m in _CANARY.finditer(text):
        spans.append(Secret("canary", m.group(0), m.start(), m.end()))
    for m in _API_KEY.finditer(text):
        spans.append(Secret("token", m.group(0), m.start(), m.end()))
    for m in _PREFIXED_KEY.finditer(text):
        spans.append(Secret("token", m.group(0), m.start(), m.end()))
    for m in _CONFIG_SECRET.finditer(text):
        value = m.group("v").rstrip(_TRAILING)
        if _looks_secret(value):
            spans.append(Secret("keyword", value, m.start("v"), m.start("v") + len(value)))
    for m in _KEYWORD_PHRASE.finditer(text):
        group = next(g for g in ("s", "q", "w") if m.group(g))
        value = m.group(group).strip()
        if group == "s" and not _looks_secret(value.replace(" ", "")) and (len(value.split()) < 3 or _NOT_A_PHRASE.search(value)):
            continue  # 'The password is "expired"', "... is 'not set yet'": a state, no passphrase
        if len(value) >= 6 and not _RECORD_ID.match(value) and not _EMAIL.search(value) and not _DATE.match(value):
            spans.append(Secret("keyword", value, m.start(group), m.start(group) + len(value)))
    # the keyword rules read the text as written and, when it has leetspeak words ("p455w0rd"),
    # with their digits as the letters they stand for (same length, so spans align); the value
    # is always taken from the text as written
    unleet = _LEET_WORD.sub(lambda m: m.group(0).translate(_UNLEET), text)
    readings = (text, unleet) if unleet != text else (text,)
    spans.extend(_table_secrets(text))
    for rx, reading in ((rx, r) for rx in (_KEYWORD_VALUE, _KEYWORD_PAREN, _KEYWORD_BARE, _KEYWORD_NEAR, _KEYWORD_FEW,
                                          _ONE_TIME_CODE, _VALUE_LABELLED, _LABEL_BEFORE, _SCRIPT_KEYWORD,
                                          _KEYWORD_COLON)
                          for r in readings):
        for m in _overlapping(rx, reading):
            value = text[m.start("v"):m.end("v")].rstrip(_TRAILING)
            # the words before the value, and two before the keyword ("the discount code X")
            before = text[max(0, m.start() - 20):m.start("v")]
            if rx is not _VALUE_LABELLED and _NOT_SECRET_CODE.search(before):
                continue  # "kod pocztowy: 00-950", "Fehlercode: E-4711-X": a code, no secret
            if rx is _KEYWORD_FEW and _NOT_A_PHRASE.match(value):
                continue  # "the sync token has expired|30 days": a state, then data
            if _looks_secret(value):
                start = m.start("v")
                spans.append(Secret("keyword", value, start, start + len(value)))
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        digits = sum(c.isdigit() for c in tok)
        letters = sum(c.isalpha() for c in tok)
        if digits >= 2 and letters >= 2 and _entropy(tok) >= 3.5 and not _RECORD_ID.match(tok):
            spans.append(Secret("token", tok, m.start(), m.end()))
    spans.sort(key=lambda s: (s.start, -s.end))
    merged: list[Secret] = []
    for s in spans:
        if merged and s.start < merged[-1].end:
            last = merged[-1]
            if s.kind == "keyword" and last.kind == "token" and text[last.start:s.start].endswith(("=", ":")):
                # "DB_PASSWORD=mauve-Otter-5521-ridge" read as one token: the value is what follows
                # the key (a caller bans that value wherever it is repeated bare)
                end = max(s.end, last.end)
                merged[-1] = Secret("keyword", text[s.start:end], s.start, end)
                continue
            if s.end > last.end:
                merged[-1] = Secret(last.kind, text[last.start:s.end], last.start, s.end)
            continue
        merged.append(s)
    return merged


def redact_secrets(text: str, known: Iterable[str] = ()) -> tuple[str, list[str]]:
    """``text`` with every secret (and every ``known`` value) replaced by :data:`WITHHELD`,
    and the kinds withheld, in order (``known`` values count as ``known``)."""
    if not text:
        return text, []
    kinds: list[str] = []
    for value in sorted({k for k in known if k and len(k) >= 4}, key=len, reverse=True):
        if value in text:
            kinds.extend(["known"] * text.count(value))
            text = text.replace(value, WITHHELD)
    done = [(m.start(), m.end()) for m in re.finditer(re.escape(WITHHELD), text)]
    out: list[str] = []
    pos = 0
    for s in find_secrets(text):
        if any(s.start < e and b < s.end for b, e in done):  # already withheld as known
            continue
        out.append(text[pos:s.start])
        out.append(WITHHELD)
        kinds.append(s.kind)
        pos = s.end
    out.append(text[pos:])
    return "".join(out), kinds
