import pytest

from caremgmt.core.errors import PermissionDenied
from caremgmt.registry import persons
from caremgmt.registry.duplicates import names_match, probable_duplicates
from caremgmt.registry.search import search_persons
from tests.factories import CONSENT, TODAY, caregiver_data, child_data


@pytest.fixture
def maria(db, frontdesk):
    return persons.register_caregiver(db, frontdesk, caregiver_data(), [child_data()], CONSENT, today=TODAY)


def names(page):
    return [f"{r['first_names']} {r['last_names']}" for r in page.rows]


@pytest.mark.parametrize(
    "query",
    [
        "maria jose rodriguez",
        "RODRIGUEZ maria",
        "rodríguez peña maría josé",
        "mar rod",
        "Rodrigez Maria",
        "maria jose rodriguex pena",
        "rodriguez marai",
    ],
)
def test_name_search_ignores_accents_case_order_and_one_typo(db, frontdesk, maria, query):
    assert names(search_persons(db, frontdesk, query)) == ["María José Rodríguez Peña"]


def test_name_search_needs_every_word(db, frontdesk, maria):
    assert search_persons(db, frontdesk, "maria gomez").rows == []


@pytest.mark.parametrize("query", ["1023456789", "1.023.456.789", "300 123 4567", "+57 3001234567"])
def test_document_or_phone_finds_the_holder(db, frontdesk, maria, query):
    page = search_persons(db, frontdesk, query)
    assert page.mode == "number" and [r["id"] for r in page.rows] == [maria]


def test_child_document_finds_the_child(db, frontdesk, maria):
    assert names(search_persons(db, frontdesk, "1029384756")) == ["Santiago Rodríguez Peña"]


def test_results_are_paged(db, frontdesk):
    for i in range(5):
        persons.register_caregiver(
            db,
            frontdesk,
            caregiver_data(
                doc_number=f"5200000{i}",
                first_names="Luz",
                last_names=f"Vargas {'ABCDE'[i]}",
                birth_date=f"19{70 + i * 5}-01-01",
                phone="",
            ),
            [],
            CONSENT,
            today=TODAY,
            confirmed_new=True,
        )
    first = search_persons(db, frontdesk, "luz vargas", page_size=2)
    second = search_persons(db, frontdesk, "luz vargas", page=1, page_size=2)
    third = search_persons(db, frontdesk, "luz vargas", page=2, page_size=2)
    assert (len(first.rows), first.has_more, len(second.rows), second.has_more, len(third.rows), third.has_more) == (
        2,
        True,
        2,
        True,
        1,
        False,
    )
    assert len({r["id"] for r in first.rows + second.rows + third.rows}) == 5


def test_search_needs_permission(db, evaluator):
    with pytest.raises(PermissionDenied):
        search_persons(db, evaluator, "maria")


def test_names_match_rules():
    assert names_match("María José Rodríguez Peña", "rodriguez pena maria jose")
    assert names_match("María José Rodríguez Peña", "Maria Jose Rodrigez Pena")
    assert names_match("María Rodríguez", "María José Rodríguez Peña")  # one name inside the other
    assert not names_match("María José Rodríguez Peña", "Ana Lucía Gómez Ruiz")


def test_probable_duplicates_by_close_birth_date_and_by_phone(db, frontdesk, maria):
    close = probable_duplicates(db, "Maria Jose", "Rodriguez Pena", "1985-04-02")
    assert [(m["id"], m["reasons"]) for m in close] == [(maria, ["name", "close_birth_date"])]
    same = probable_duplicates(db, "Maria Jose", "Rodriguez Pena", "1985-03-14")
    assert same[0]["reasons"] == ["name", "same_birth_date"]
    far = probable_duplicates(db, "Maria Jose", "Rodriguez Pena", "1990-03-14")
    assert far == []
    by_phone = probable_duplicates(db, "Ana", "Gómez", "1990-01-01", phone="+573001234567")
    assert [(m["id"], m["reasons"]) for m in by_phone] == [(maria, ["phone"])]


def test_day_and_month_swapped_counts_as_close(db, frontdesk):
    person_id = persons.register_caregiver(
        db, frontdesk, caregiver_data(birth_date="1985-03-04", phone=""), [], CONSENT, today=TODAY
    )
    [match] = probable_duplicates(db, "Maria Jose", "Rodriguez Pena", "1985-04-03")
    assert match["id"] == person_id and "close_birth_date" in match["reasons"]
