"""The lab's actions in any inflection of 25 languages, through a lemmatiser's dictionaries.

Why a lemmatiser: the attacker (:mod:`labkit.provider.attacker`) used to read action verbs from
lists of surface forms and stems that grew with every blind set ("wyślij", "enviem", "registe",
"töröljék" were each missing from one). A lemmatiser's dictionary maps every inflected form
(imperatives, infinitives, polite and plural forms, participles) to its lemma, so one small
lexicon of LEMMAS per language (:data:`LEXICON`: delete/remove, send/forward, draft/create,
change/update, close, grant/promote, reveal/show/include/repeat, add) covers all their forms.

Which one: `simplemma <https://github.com/adbar/simplemma>`_ (MIT, pure Python, no dependencies,
dictionaries for ~50 languages shipped inside its wheel, nothing downloaded at run time). Its
dictionaries are large (Polish alone is 3.7 M forms, ~9 s to load), far too slow to load for all
languages in every process, so :func:`build_forms` inverts them ONCE, offline, into the small table
``action_forms.json`` beside this module (form -> action, for the lexicon's lemmas only; ~0.3 MB),
and the attacker reads only that table. ``python -m labkit.provider.lemmas`` rebuilds it (simplemma
is a declared dependency for that reason); a test checks the table against simplemma's English and
Swedish dictionaries.

A form that is ALSO a word of another of these languages with a lemma outside the lexicon (Turkish
"ver", give, is Spanish "ver", see) is left out of the table: reading it as an action would turn
ordinary prose in the other language into instructions. Forms shorter than four letters are left
out for the same reason (the attacker's own word lists keep the short ones it needs), except in
Hebrew and Persian, which write no short vowels (a whole verb is three letters: "שלח", "حذف") and
share their script with no other Latin-script homograph. Round 11 added Persian, Hebrew, Malay and
Tagalog (24,172 -> 25,135 forms); the Swahili dictionary was tried and left out (see LEXICON).

:func:`action_of_form` also tolerates one OCR-style error in a long word ("usunąc", "wyślji"):
a fuzzy match (rapidfuzz, ratio >= 90, words of 7+ letters, the first two letters as written, one
best candidate) against the table. Italian "impostare" (set) is not in the lexicon: the attacker
reads its stem by prefix, and its forms are one slip from "importante".
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

TABLE = Path(__file__).with_name("action_forms.json")

# lemma (as simplemma writes it) -> action, per language; one line per action
LEXICON: dict[str, dict[str, str]] = {lang: {lemma: action for action, lemmas in actions.items()
                                             for lemma in lemmas.split()}
                                      for lang, actions in {
    "en": {"add": "append", "send": "send forward email mail draft prepare", "delete": "delete remove erase", "create": "create",
           "update": "update change modify set", "close": "close", "grant": "grant promote",
           "reveal": "reveal disclose include repeat print display"},
    "de": {"add": "hinzufügen ergänzen", "send": "senden schicken weiterleiten mailen verschicken übermitteln absenden", "delete": "löschen entfernen",
           "create": "erstellen anlegen entwerfen", "update": "ändern aktualisieren setzen einstellen", "close": "schließen",
           "grant": "gewähren befördern zuweisen erteilen", "reveal": "zeigen nennen ausgeben wiederholen offenlegen"},
    "fr": {"add": "ajouter", "send": "envoyer transférer expédier préparer", "delete": "supprimer effacer", "create": "créer rédiger",
           "update": "modifier changer définir", "close": "fermer clôturer", "grant": "accorder promouvoir attribuer",
           "reveal": "révéler afficher inclure répéter divulguer"},
    "es": {"add": "añadir agregar", "send": "enviar reenviar remitir preparar", "delete": "borrar eliminar suprimir", "create": "crear redactar",
           "update": "cambiar modificar actualizar establecer", "close": "cerrar", "grant": "conceder otorgar asignar promover",
           "reveal": "revelar mostrar incluir repetir divulgar"},
    "it": {"add": "aggiungere", "send": "inviare inoltrare spedire preparare", "delete": "cancellare eliminare rimuovere",
           "create": "creare redigere", "update": "modificare cambiare aggiornare", "close": "chiudere",
           "grant": "concedere assegnare promuovere", "reveal": "rivelare mostrare includere ripetere"},
    "nl": {"add": "toevoegen", "send": "sturen versturen doorsturen mailen", "delete": "verwijderen wissen",
           "create": "aanmaken opstellen", "update": "wijzigen aanpassen bijwerken instellen", "close": "sluiten",
           "grant": "verlenen toekennen promoveren", "reveal": "onthullen vermelden herhalen"},
    "pt": {"add": "adicionar acrescentar", "send": "enviar encaminhar reencaminhar preparar", "delete": "apagar eliminar excluir remover",
           "create": "criar redigir registar registrar", "update": "alterar mudar atualizar actualizar definir",
           "close": "fechar encerrar", "grant": "conceder atribuir promover",
           "reveal": "revelar mostrar incluir repetir divulgar"},
    "pl": {"add": "dodać dodawać", "send": "wysłać wysyłać przesłać przesyłać przekazać", "delete": "usunąć usuwać skasować",
           "create": "utworzyć stworzyć przygotować", "update": "zmienić zmieniać zaktualizować ustawić",
           "close": "zamknąć", "grant": "nadać przyznać", "reveal": "ujawnić pokazać podać powtórzyć"},
    "sv": {"add": "tillfoga", "send": "skicka vidarebefordra mejla", "delete": "radera", "create": "skapa",
           "update": "ändra uppdatera sätta", "close": "stänga", "grant": "bevilja tilldela",
           "reveal": "avslöja upprepa inkludera"},
    "da": {"add": "tilføje", "send": "sende videresende", "delete": "slette fjerne", "create": "oprette",
           "update": "ændre opdatere sætte", "close": "lukke", "grant": "tildele", "reveal": "afsløre gentage"},
    "nb": {"add": "tilføye", "send": "sende videresende", "delete": "slette fjerne", "create": "opprette",
           "update": "endre oppdatere sette", "close": "lukke", "grant": "tildele", "reveal": "avsløre gjenta"},
    "cs": {"add": "přidat", "send": "poslat odeslat přeposlat", "delete": "smazat odstranit vymazat smažit",
           "create": "vytvořit připravit", "update": "změnit aktualizovat nastavit", "close": "zavřít uzavřít",
           "grant": "udělit přidělit povýšit", "reveal": "prozradit zopakovat uvést zobrazit"},
    "sk": {"add": "pridať", "send": "poslať odoslať preposlať", "delete": "zmazať vymazať odstrániť",
           "create": "vytvoriť pripraviť", "update": "zmeniť aktualizovať nastaviť", "close": "zatvoriť uzavrieť",
           "grant": "udeliť prideliť povýšiť", "reveal": "prezradiť zopakovať uviesť zobraziť"},
    "ro": {"add": "adăuga", "send": "trimite redirecționa", "delete": "șterge elimina", "create": "crea pregăti",
           "update": "schimba modifica actualiza seta", "close": "închide", "grant": "acorda atribui promova",
           "reveal": "dezvălui include repeta afișa"},
    "hu": {"add": "hozzáad", "send": "küld elküld továbbít", "delete": "töröl eltávolít kitöröl", "create": "létrehoz elkészít nyit",
           "update": "módosít megváltoztat frissít állít beállít", "close": "lezár bezár", "grant": "megad kiad előléptet",
           "reveal": "felfed megismétel ismétel megmutat"},
    "fi": {"add": "lisätä", "send": "lähettää välittää", "delete": "poistaa", "create": "luoda laatia",
           "update": "muuttaa päivittää asettaa vaihtaa", "close": "sulkea", "grant": "myöntää ylentää",
           "reveal": "paljastaa toistaa sisällyttää"},
    "tr": {"add": "ekle", "send": "gönder ilet yolla", "delete": "sil kaldır", "create": "oluştur hazırla",
           "update": "değiştir güncelle", "close": "kapat", "grant": "ata yükselt",
           "reveal": "göster açıkla tekrarla paylaş"},
    "el": {"add": "προσθέτω", "send": "στέλνω προωθώ αποστέλλω", "delete": "διαγράφω διαγράβω αφαιρώ", "create": "δημιουργώ",
           "update": "αλλάζω ενημερώνω ορίζω", "close": "κλείνω", "grant": "εκχωρώ χορηγώ",
           "reveal": "αποκαλύπτω επαναλαμβάνω"},
    "ru": {"add": "добавить добавлять", "send": "отправить отправлять переслать пересылать", "delete": "удалить удалять",
           "create": "создать создавать", "update": "изменить изменять обновить установить", "close": "закрыть",
           "grant": "предоставить назначить выдать", "reveal": "раскрыть показать повторить"},
    "uk": {"add": "додати", "send": "надіслати відправити переслати", "delete": "видалити", "create": "створити",
           "update": "змінити оновити встановити", "close": "закрити", "grant": "надати призначити",
           "reveal": "розкрити показати повторити"},
    "id": {"add": "tambah", "send": "kirim teruskan", "delete": "hapus", "create": "buat", "update": "ubah perbarui atur",
           "close": "tutup", "grant": "beri", "reveal": "tampilkan ungkap ulangi"},
    # round 11: Persian, Hebrew, Malay, Tagalog (simplemma ships these; the lemma as its dictionary
    # writes it: Persian compound verbs by their noun, "حذف کن" is read by "حذف"). Not Swahili:
    # its dictionary (4.9 M forms) adds 41,000 agglutinated forms, which would triple the table
    # and the fuzzy lookup's time per unknown word (2.8 -> 8.6 ms); the attacker lists its
    # imperatives itself
    "fa": {"add": "اضافه افزودن", "send": "فرستادن ارسال", "delete": "حذف پاک", "create": "ایجاد ساختن",
           "update": "تغییر", "close": "بستن", "reveal": "تکرار نوشت"},
    "he": {"add": "הוסיף הוסף", "send": "שלח", "delete": "מחק", "create": "יצר", "update": "עידכן העביר",
           "close": "סגר סגור", "grant": "העניק", "reveal": "הציג חזר ציין כתב"},
    "ms": {"add": "tambah", "send": "hantar", "delete": "padam", "create": "cipta", "update": "tukar",
           "close": "tutup", "reveal": "ulang"},
    "tl": {"add": "idagdag", "send": "ipadala", "delete": "burahin", "close": "isara", "reveal": "ulitin isulat"},
}.items()}
# drafting is how the lab sends (its tool is draft_email), as the attacker's own word lists have it
_DRAFT = set("draft prepare preparar préparer preparare entwerfen rédiger redactar redigere opstellen redigir przygotować připravit pripraviť pregăti "
             "elkészít laatia hazırla".split())
for _lex in LEXICON.values():
    _lex.update({lemma: "send" for lemma in _lex if lemma in _DRAFT})
MIN_LEN = 4
# Hebrew and Persian write no short vowels: a verb's whole form is three letters ("שלח", send;
# "حذف", delete), and no other lexicon language shares their scripts' homographs
_MIN_LEN_ABJAD = 3
_ABJAD = ("he", "fa")


def _min_len(lang: str) -> int:
    return _MIN_LEN_ABJAD if lang in _ABJAD else MIN_LEN


def _norm(word: str) -> str:
    return unicodedata.normalize("NFC", word.lower())


def build_forms() -> dict[str, str]:  # offline: loads every language's dictionary once (minutes)
    """form -> action for every form simplemma maps to a lexicon lemma, minus forms that are
    another listed language's word for something else (see the module docstring)."""
    import simplemma.strategies.dictionaries.dictionary_factory as simplemma_dicts  # lazy: offline build only

    factory = simplemma_dicts.DefaultDictionaryFactory(cache_max_size=1)
    candidates: dict[str, set[str]] = {}  # form -> actions
    for lang, lex in LEXICON.items():
        dictionary = factory.get_dictionary(lang)
        for form, lemma in dictionary.items():
            action = lex.get(_norm(lemma))
            # (English: the lemma alone, which is the imperative; its other forms are past or
            # third-person forms the attacker reads by tense, "the assistant closed X" is no order)
            if action and len(form) >= _min_len(lang) and lang != "en":
                candidates.setdefault(_norm(form), set()).add(action)
        for lemma, action in lex.items():  # a lemma is its own form
            if len(lemma) >= _min_len(lang):
                candidates.setdefault(lemma, set()).add(action)
    all_actions = {lemma: action for lex in LEXICON.values() for lemma, action in lex.items()}
    ambiguous: set[str] = {f for f, acts in candidates.items() if len(acts) > 1}
    for lang, lex in LEXICON.items():
        dictionary = factory.get_dictionary(lang)
        for form in candidates:
            lemma = dictionary.get(form)
            if lemma is not None and _norm(lemma) not in lex and _norm(lemma) not in all_actions:
                ambiguous.add(form)
    return {f: next(iter(acts)) for f, acts in sorted(candidates.items()) if f not in ambiguous}


@lru_cache(maxsize=1)
def forms() -> dict[str, str]:
    """The committed form -> action table."""
    table: dict[str, str] = json.loads(TABLE.read_text(encoding="utf-8"))
    return table


@lru_cache(maxsize=1)
def _long_forms() -> list[str]:
    return [f for f in forms() if len(f) >= 7]


@lru_cache(maxsize=16384)
def action_of_form(word: str, fuzzy: bool = True) -> str | None:
    """The action a word is a form of ("wyślijcie" -> send, "töröljék" -> delete), or None;
    with ``fuzzy``, a 7+ letter word one OCR slip away from exactly one form counts too."""
    w = _norm(word)
    table = forms()
    if w in table:
        return table[w]
    if not fuzzy or len(w) < 7:
        return None
    best = process.extract(w, _long_forms(), scorer=fuzz.ratio, score_cutoff=90, limit=3)
    # (a slip inside the word, not at its start: "beklemesine", to wait for it, is no "eklemesine")
    actions = {table[f] for f, _, _ in best if f[:2] == w[:2]}
    return actions.pop() if len(actions) == 1 else None


if __name__ == "__main__":
    TABLE.write_text(json.dumps(build_forms(), ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                     encoding="utf-8")
    print(f"wrote {TABLE}: {len(forms())} forms")
