"""Round 9 (issue 15): an address as a run of short segments, anchored by a house number and a
postcode or a town the GeoNames gazetteer knows (``pii_address._segment_spans``).

Written from the classes of fresh6's misses (seen), in new words: no text of the fresh7 check was
read. Each positive fails on the code before round 9 (fd46aac); each look-alike passes on both.
"""

from __future__ import annotations

import pytest

from labkit.controls import pii, pii_address
from labkit.controls.pii_address import address_spans
from labkit.controls.pii_script import latin_view


def _addresses(text: str) -> list[str]:
    return [f.text for f in pii.detect(text) if f.type == "ADDRESS"]


@pytest.mark.parametrize(("text", "address"), [
    # a bare house number, a locality line, then the town joined to its PIN by a hyphen (India)
    ("Please deliver to 214, Moti Nagar\nKarnal-132001 by Friday.", "214, Moti Nagar\nKarnal-132001"),
    # a house word before the number, the locality on its own line, a known town and its postcode
    ("Billing: H.No. 52\nSaket Colony\nPanipat 132103", "H.No. 52\nSaket Colony\nPanipat 132103"),
    # a street with no type word, a unit, then "Town, Region, postcode" (Chile)
    ("Ship it to Errázuriz 1520 Dpto. 42\nTalca, Región del Maule, 3460000.",
     "Errázuriz 1520 Dpto. 42\nTalca, Región del Maule, 3460000"),
    # no postcode: the town is what the gazetteer knows, the region follows on its line
    ("Write to O'Higgins 1180\nLinares, Región del Maule please", "O'Higgins 1180\nLinares, Región del Maule"),
    # settlement first (a lower-case settlement word), a postcode, the street and a flat (Armenian order)
    ("Հասցե՝ ք. Վանաձոր, 2001, Տիգրան Մեծի 45, բն. 12", "ք. Վանաձոր, 2001, Տիգրան Մեծի 45, բն. 12"),
    # a street whose name has initials, "N°" before the house, "Town postcode, Province" (Argentina)
    ("Enviar a Calle J.B. Justo N° 1520\nMendoza 5500, Mendoza. Gracias",
     "Calle J.B. Justo N° 1520\nMendoza 5500, Mendoza"),
])
def test_address_runs_are_found_whole(text: str, address: str) -> None:
    assert _addresses(text) == [address]


@pytest.mark.parametrize("text", [
    "Order 12345, Item 3 was returned.",          # two "Word number" segments and no postcode or town
    "Gate 5, Berlin closes at noon.",            # a common word before the number is not a street
    "Terminal 2, Frankfurt is busy today.",
    "Chapter 3, Section 12, Table 4021 lists the fees.",
    "It's June 12, 1976 in the record.",          # a year is not a postcode
    "Invoice 4411, Batch 2000, Part 12",
])
def test_look_alikes_stay_unflagged(text: str) -> None:
    assert not [s for s in address_spans(text)], text
    assert not _addresses(text)


def test_a_person_before_the_street_is_not_taken_for_its_town() -> None:
    text = "Martinez, 3538 Rachel Mission, Judithtown"
    assert all(not text[s:e].startswith("Martinez") for s, e in address_spans(text))


def test_gazetteer_folds_scripts_and_skips_common_words() -> None:
    assert pii_address._is_town("Talca") and pii_address._is_town("Karnal")
    view = latin_view("Πάτρα")           # a town written in another script meets the same key
    assert view is not None and pii_address._is_town(view[0])
    assert not pii_address._is_town("Order") and not pii_address._is_town("Gate") and not pii_address._is_town("Reading")


def test_the_gateway_turn_stays_clean() -> None:
    assert pii.detect("Labels: billing, technical, account\nMy invoice shows a double charge. (gw00012)") == []


def test_a_country_line_with_its_postcode_ends_the_address() -> None:
    # house and street, a unit, the town, then "Country postcode" in the country's own spelling (CLDR)
    text = "Mail: 412 Calle Ituzaingó\\n Oficina 7\\n Tandil\\n Uruguay 11200304 thanks"
    assert _addresses(text) == ["412 Calle Ituzaingó\\n Oficina 7\\n Tandil\\n Uruguay 11200304"]


@pytest.mark.parametrize("text", [
    "Order 12345, Item 3\nGermany 2024",          # no town line before the country, no street name
    "Room 12\nBerlin\nGermany 2024",              # a common word before the number
])
def test_country_line_look_alikes(text: str) -> None:
    assert not _addresses(text)


@pytest.mark.parametrize(("text", "address"), [
    # a unit line with a lower-case unit word (libpostal's), a postcode line, then "Town, Department"
    ("Cambiar la dirección a Carrera 9 # 14-22 Norte\nBloque 3 apartamento 201\n170001\nManizales, Caldas por favor",
     "Carrera 9 # 14-22 Norte\nBloque 3 apartamento 201\n170001\nManizales, Caldas"),
    # a question mark after the last line is the sentence's, not the address's
    ("Can you send it to Errázuriz 1520\nTalca, Región del Maule?", "Errázuriz 1520\nTalca, Región del Maule"),
])
def test_unit_words_and_closing_marks(text: str, address: str) -> None:
    assert _addresses(text) == [address]
