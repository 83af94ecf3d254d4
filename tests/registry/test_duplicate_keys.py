"""The probable-duplicate check's blocking keys and the typo index: what they
find (recall on generated near-duplicates), how many persons they compare,
and that the triggers and the backfill keep them in step with the persons."""

import datetime as dt
import random
import sqlite3

import pytest
from rapidfuzz.distance import OSA
from sqlite_utils import Database

from caremgmt.core.db import connect, write_transaction
from caremgmt.core.migrations import migrations
from caremgmt.core.text import fold
from caremgmt.registry import duplicates, persons, search
from caremgmt.registry.duplicates import MAX_CANDIDATES, candidates, probable_duplicates
from caremgmt.registry.keys import name_keys, near_terms
from caremgmt.registry.search import search_persons
from caremgmt.tools import demo
from tests.factories import CONSENT, TODAY, caregiver_data

STAMP = "2026-01-05T15:00:00+00:00"
INSERT = (
    "INSERT INTO persons (id, first_names, last_names, search_name, birth_date, phone, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def add_persons(db, people):
    """people: (id, first_names, last_names, birth_date, phone); written set-wise, as the demo does."""
    with write_transaction(db):
        db.conn.executemany(
            INSERT, [(i, f, last, fold(f"{f} {last}"), born, phone, STAMP, STAMP) for i, f, last, born, phone in people]
        )


def stored_keys(db):
    return set(db.execute("SELECT name_key, birth_date, person_id FROM name_keys"))


def expected_keys(db):
    return {
        (key, born, person_id)
        for person_id, name, born in db.execute("SELECT id, search_name, birth_date FROM persons")
        for key in name_keys(name)
    }


# --- keys and terms in step -------------------------------------------------------------------


def test_the_python_keys_are_the_sql_view(db):
    names = ["maria jose rojas pena", "ana ana", "solo", 'x "q\\ y', "  dos  espacios ", "de la cruz de la hoz"]
    add_persons(db, [(i + 1, n, "", "2000-01-01", None) for i, n in enumerate(names)])
    db.execute("UPDATE persons SET search_name = first_names")  # as written, not folded
    view = set(db.execute("SELECT name_key, birth_date, person_id FROM person_name_keys"))
    assert view == expected_keys(db)
    assert name_keys("maria jose rojas") == {"jose maria", "jose rojas", "maria rojas", "=jose maria rojas"}
    assert name_keys("ana ana") == {"ana", "=ana ana"}


def test_triggers_keep_keys_and_terms_in_step_with_every_write(db, frontdesk):
    person_id = persons.register_caregiver(db, frontdesk, caregiver_data(), [], CONSENT, today=TODAY)
    assert stored_keys(db) == expected_keys(db) != set()
    persons.update_person(db, frontdesk, person_id, {"last_names": "Gutiérrez Ávila"}, today=TODAY)
    persons.update_person(db, frontdesk, person_id, {"birth_date": "1985-05-14"}, today=TODAY)
    assert stored_keys(db) == expected_keys(db)
    assert {k for k, _b, _p in stored_keys(db)} == {"avila gutierrez", "avila jose", "avila maria"} | {
        "gutierrez jose",
        "gutierrez maria",
        "jose maria",
        "=avila gutierrez jose maria",
    }
    assert {"gutierrez", "avila"} <= {t for (t,) in db.execute("SELECT term FROM name_terms")}
    add_persons(db, [(500, "Zoë", "Ñúñez", "2001-02-03", None)])
    assert stored_keys(db) == expected_keys(db)
    db.execute("DELETE FROM persons WHERE id = 500")
    assert stored_keys(db) == expected_keys(db)
    # The deletion index holds every term under itself and its one-letter deletions.
    deletions = set(db.execute("SELECT variant, term FROM name_term_deletions WHERE term = 'nunez'"))
    assert {variant for variant, _term in deletions} == {"nunez", "unez", "nnez", "nuez", "nunz", "nune"}


def test_an_existing_database_gets_its_keys_and_terms_on_upgrade(tmp_path):
    path = str(tmp_path / "old.db")
    old = Database(sqlite3.connect(path))
    with write_transaction(old):
        migrations.apply(old, stop_before="0011_duplicate_keys")
    add_persons(old, [(1, "María José", "Rodríguez Peña", "1985-03-14", None), (2, "Ana", "Ruiz", "2022-02-02", None)])
    old.execute("INSERT INTO name_terms VALUES ('antes')")  # a word a former writer remembered
    old.conn.commit()
    old.close()
    db = connect(path)
    try:
        assert stored_keys(db) == expected_keys(db) and len(stored_keys(db)) == 6 + 1 + 1 + 1
        terms = {t for (t,) in db.execute("SELECT term FROM name_terms")}
        assert terms == {"antes", "maria", "jose", "rodriguez", "pena", "ana", "ruiz"}
        assert ("ntes", "antes") in set(db.execute("SELECT variant, term FROM name_term_deletions"))
        assert [m["id"] for m in probable_duplicates(db, "Maria Jose", "Rodrigez Pena", "1985-04-01")] == [1]
    finally:
        db.close()


def test_near_terms_are_the_known_words_within_one_edit(db):
    rng = random.Random(5)
    words = {"".join(rng.choice("aeilmnorst") for _ in range(rng.randint(1, 7))) for _ in range(3000)}
    with write_transaction(db):
        db.conn.executemany("INSERT OR IGNORE INTO name_terms (term) VALUES (?)", [(w,) for w in words])
    terms = sorted(t for (t,) in db.execute("SELECT term FROM name_terms"))
    queries = [*rng.sample(sorted(words), 150), "maria", "mraia", "xyz", "ab"]
    near = near_terms(db, [q for q in queries if len(q) >= 3])
    for query in (q for q in queries if len(q) >= 3):
        brute = sorted((OSA.distance(query, t), t) for t in terms if OSA.distance(query, t) <= 1)
        assert near[query] == [t for _d, t in brute], query


# --- recall on generated near-duplicates -------------------------------------------------------


def misspell(word: str, rng: random.Random) -> str:
    """One edit anywhere in the word: a wrong, missing, extra or swapped letter."""
    i = rng.randrange(len(word))
    kind = rng.choice(("wrong", "missing", "extra", "swapped"))
    letter = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != word[i]])
    if kind == "wrong":
        return word[:i] + letter + word[i + 1 :]
    if kind == "missing":
        return word[:i] + word[i + 1 :]
    if kind == "extra":
        return word[:i] + letter + word[i:]
    i = min(i, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :] if word[i] != word[i + 1] else word[:i] + letter + word[i:]


def near_duplicate(first: str, last: str, born: dt.date, rng: random.Random) -> tuple[str, str, str, str]:
    """Another registration of the same person: misspelt, reordered, a word
    more or less, a close or day-month-swapped birth date. At least one word
    stays as it was (the recall the check keeps)."""
    firsts, lasts = fold(first).split(), fold(last).split()
    words = firsts + lasts
    kind = rng.choice(("one_typo", "typos_but_one", "swapped_names", "word_missing", "word_more"))
    if kind in ("one_typo", "typos_but_one"):
        kept = rng.randrange(len(words))
        misspelt = [i for i in range(len(words)) if i != kept and len(words[i]) >= 3]
        for i in misspelt if kind == "typos_but_one" else misspelt[:1]:
            words[i] = misspell(words[i], rng)
        firsts, lasts = words[: len(firsts)], words[len(firsts) :]
    elif kind == "swapped_names":
        firsts, lasts = lasts, firsts
    elif kind == "word_missing" and len(words) >= 3:
        gone = rng.randrange(len(words))
        words = [w for i, w in enumerate(words) if i != gone]
        firsts, lasts = words[:1], words[1:]
    else:
        firsts = [*firsts, rng.choice(("carmen", "andrea", "patricia", "isabel"))]
    date_kind = rng.choice(("same", "close", "close", "swapped"))
    if date_kind == "close":
        born = born + dt.timedelta(days=rng.choice((-1, 1)) * rng.randint(1, duplicates.CLOSE_BIRTH_DAYS))
    elif date_kind == "swapped" and born.day <= 12 and born.day != born.month:
        born = born.replace(month=born.day, day=born.month)
    return " ".join(firsts), " ".join(lasts), born.isoformat(), kind


def full_scan(db, first_names, last_names, birth_date, phone=None):
    """The rule applied to every person: what the check answered before the keys."""
    born = dt.date.fromisoformat(birth_date)
    swapped = duplicates._swapped(born)
    name = search.search_name(first_names, last_names)
    reasons_by_id = {}
    for person_id, other_birth, other_name, other_phone in db.execute(
        "SELECT id, birth_date, search_name, phone FROM persons"
    ):
        reasons = []
        if duplicates._folded_match(name, other_name):
            if other_birth == birth_date:
                reasons += ["name", "same_birth_date"]
            elif abs((dt.date.fromisoformat(other_birth) - born).days) <= 31 or other_birth == swapped:
                reasons += ["name", "close_birth_date"]
        if phone and other_phone == phone:
            reasons.append("phone")
        if reasons:
            reasons_by_id[person_id] = reasons
    best = sorted(reasons_by_id, key=lambda i: (-len(reasons_by_id[i]), i))[: duplicates.MAX_MATCHES]
    return [(i, reasons_by_id[i]) for i in best]


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    """3,000 caregivers and children with the demo's names, born within two
    years (a crowded birth window), and a near-duplicate of 400 of them."""
    path = str(tmp_path_factory.mktemp("dups") / "crowded.db")
    db = connect(path)
    rng = random.Random(2026)
    people, planted = [], []
    for person_id in range(1, 3001):
        female = rng.random() < 0.6
        first, last = demo.full_name(rng, female)
        if rng.random() < 0.5:
            first = demo.given_names(rng, female, last, "child")
        born = dt.date(2022, 12, 1) + dt.timedelta(days=rng.randint(0, 730))
        people.append((person_id, first, last, born.isoformat(), None))
    for original in rng.sample(people, 400):
        person_id, first, last, born, _phone = original
        v_first, v_last, v_born, kind = near_duplicate(first, last, dt.date.fromisoformat(born), rng)
        planted.append((original, (10_000 + person_id, v_first, v_last, v_born, None), kind))
    add_persons(db, people + [dup for _o, dup, _k in planted])
    yield db, planted
    db.close()


def test_every_generated_near_duplicate_is_found_either_way_comparing_at_most_the_cap(crowded):
    db, planted = crowded
    pairs = found = compared = 0
    kinds = set()
    for original, dup, kind in planted:
        if not duplicates.names_match(f"{dup[1]} {dup[2]}", f"{original[1]} {original[2]}"):
            continue  # too many typos for the rule itself (three in a short name)
        for new, registered in ((dup, original), (original, dup)):
            _id, first, last, born, _phone = new
            ids = [row[0] for row in candidates(db, first, last, born)]
            assert len(ids) <= MAX_CANDIDATES
            pairs += 1
            found += registered[0] in ids
            compared += len(ids)
        kinds.add(kind)
    assert found == pairs > 600  # 100 % of the pairs the rule accepts, looked up from either side
    assert kinds == {"one_typo", "typos_but_one", "swapped_names", "word_missing", "word_more"}
    assert compared / pairs < 20  # a few persons each, of ~260 born in each window


def test_the_check_answers_what_comparing_everyone_answers(crowded):
    db, planted = crowded
    for original, dup, _kind in planted[:150]:
        for _id, first, last, born, _phone in (dup, original):
            keyed = [(m["id"], m["reasons"]) for m in probable_duplicates(db, first, last, born)]
            assert keyed == full_scan(db, first, last, born)


def test_a_crowded_key_is_cut_at_the_cap_and_the_person_sharing_most_pairs_is_kept(db):
    # 400 namesakes born on one day, and the one person who is really the same.
    add_persons(db, [(i, "Valentina", "Rodríguez", "2023-05-05", None) for i in range(1, 401)])
    add_persons(db, [(900, "Valentina Isabel", "Rodrigues Peña", "2023-05-20", None)])
    ids = [row[0] for row in candidates(db, "Valentina Isabel", "Rodríguez Peña", "2023-05-06")]
    assert len(ids) == MAX_CANDIDATES and 900 in ids
    answer = [
        (m["id"], m["reasons"]) for m in probable_duplicates(db, "Valentina Isabel", "Rodríguez Peña", "2023-05-06")
    ]
    assert answer == full_scan(db, "Valentina Isabel", "Rodríguez Peña", "2023-05-06")  # ten namesakes, as before


def test_a_name_with_every_word_misspelt_is_left_to_the_phone(db, frontdesk):
    """The recall the keys do not keep (see caremgmt.registry.duplicates): two
    names of two words, both misspelt, still pass the name rule."""
    person_id = persons.register_caregiver(
        db, frontdesk, caregiver_data(first_names="Ana", last_names="Rojas"), [], CONSENT, today=TODAY
    )
    assert duplicates.names_match("Anna Rojass", "Ana Rojas")
    assert probable_duplicates(db, "Anna", "Rojass", "1985-03-14") == []
    [match] = probable_duplicates(db, "Anna", "Rojass", "1985-03-14", phone="+573001234567")
    assert (match["id"], match["reasons"]) == (person_id, ["name", "same_birth_date", "phone"])


# --- name search -------------------------------------------------------------------------------


def test_a_name_query_lists_the_shortest_names_first_then_in_registration_order(db, admin):
    add_persons(db, [(1, "Luz Elena", "Vargas", "1980-01-01", None), (2, "Luz", "Vargas", "1980-01-01", None)])
    add_persons(db, [(3, "Luz", "Vargas Luz", "1980-01-01", None), (4, "Luz", "Vargas", "1990-01-01", None)])
    assert [r["id"] for r in search_persons(db, admin, "vargas luz").rows] == [2, 4, 1, 3]


def test_a_broad_name_query_lists_the_exact_name_first_then_the_rest_in_registration_order(db, admin, monkeypatch):
    monkeypatch.setattr(search, "RANK_LIMIT", 5)
    people = [(i, "Luz", "Vargas", "1980-01-01", None) for i in range(1, 10)]
    add_persons(db, [*people, *((i, "Luz Vargas", "Luz Vargas", "1980-01-01", None) for i in range(10, 13))])

    def ids(query, page=0):
        found = search_persons(db, admin, query, page=page, page_size=4)
        return [r["id"] for r in found.rows], found.has_more

    assert ids("vargas") == ([1, 2, 3, 4], True)  # no one is named only "vargas"
    assert ids("vargas", page=2) == ([9, 10, 11, 12], False)
    assert [ids("luz vargas luz vargas", page) for page in range(3)] == [
        ([10, 11, 12, 1], True),
        ([2, 3, 4, 5], True),
        ([6, 7, 8, 9], False),
    ]
    assert ids("vargas luz luz varga") == ([1, 2, 3, 4], True)  # a prefix names no one exactly
    monkeypatch.setattr(search, "RANK_LIMIT", 200)
    assert ids("luz vargas luz vargas", page=2) == ([6, 7, 8, 9], False)  # ordered the same way when narrow


def test_a_misspelt_word_is_widened_through_the_index_not_a_scan(db, admin, monkeypatch):
    add_persons(db, [(1, "Yolanda", "Quiñones", "1970-01-01", None)])
    statements = []
    db.conn.set_trace_callback(statements.append)
    try:
        page = search_persons(db, admin, "yolanda quinoens")
    finally:
        db.conn.set_trace_callback(None)
    assert page.mode == "fuzzy" and [r["id"] for r in page.rows] == [1]
    assert not any("FROM name_terms" in s and "term >=" not in s for s in statements)


def test_registering_does_not_read_the_birth_window(db, frontdesk):
    """The check reads keys, never every person born in the window."""
    statements = []
    db.conn.set_trace_callback(statements.append)
    try:
        persons.register_caregiver(db, frontdesk, caregiver_data(), [], CONSENT, today=TODAY)
    finally:
        db.conn.set_trace_callback(None)
    assert not any("birth_date BETWEEN" in s and "FROM persons" in s for s in statements)


def test_a_word_that_begins_too_many_names_stays_a_prefix_query(db, admin, monkeypatch):
    add_persons(db, [(1, "María José", "Rodríguez", "1980-01-01", None), (2, "Mario", "Rodas", "1980-01-01", None)])
    expanded = search_persons(db, admin, "mar rod")
    monkeypatch.setattr(search, "MAX_PREFIX_TERMS", 1)
    assert [r["id"] for r in search_persons(db, admin, "mar rod").rows] == [r["id"] for r in expanded.rows] == [2, 1]
    assert search_persons(db, admin, "mar rodx").rows == []


def test_the_generated_programme_files_every_persons_keys_and_words(city):
    assert stored_keys(city) == expected_keys(city) != set()
    words = {w for (name,) in city.execute("SELECT search_name FROM persons") for w in name.split()}
    assert words <= {t for (t,) in city.execute("SELECT term FROM name_terms")}
    assert city.execute("SELECT 1 FROM sqlite_master WHERE name = 'persons_name_keys_insert'").fetchone()
