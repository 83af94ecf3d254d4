"""The right of access: everything held about her, hers only, readable and
machine-readable, audited with its reason; typed text comes out inert."""

import csv
import io
import zipfile

import pytest

from caremgmt.casework import cases, referrals
from caremgmt.core import audit
from caremgmt.core.errors import PermissionDenied, ValidationError
from caremgmt.registry import access, persons


def unzip(bundle: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as z:
        return {name: z.read(name).decode("utf-8") for name in z.namelist()}


def rows(files: dict, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(files[f"{name}.csv"])))


@pytest.fixture
def ana(db, admin, frontdesk, january):
    ana = january["ana"]
    case = cases.open_case(db, admin, ana)
    cases.add_note(db, admin, case, "Nota visible para el equipo.")
    cases.add_note(db, admin, case, "Nota confidencial.", confidential=True)
    institution = db.execute("SELECT id FROM institutions LIMIT 1").fetchone()[0]
    referrals.make_referral(db, admin, case, reason="Asesoría jurídica", institution_id=institution)
    referrals.make_referral(
        db, admin, case, reason="=cmd|' /C calc'!A0 <script>alert(1)</script>", institution_id=institution
    )
    persons.get_person(db, frontdesk, ana)  # the desk opens her file: an opening to report
    return ana


def test_the_bundle_holds_everything_about_her_and_nothing_of_anyone_else(db, admin, frontdesk, january, ana):
    files = unzip(access.access_bundle(db, admin, ana, reason="Lo pidió por escrito"))
    assert set(files) == {"sus_datos.html", *(f"{name}.csv" for name, _ in access.SECTIONS), "notes.csv"}
    assert rows(files, "person")[0]["doc_number"] == "1023456789" and len(rows(files, "person")) == 1
    assert [r["first_names"] for r in rows(files, "links")] == ["Santiago"]  # her son, and only him
    assert {r["purpose"] for r in rows(files, "consents")} == {"registration", "research"}
    assert len(rows(files, "bookings")) == 6  # four classes and two laundry loads: her own
    assert {r["status"] for r in rows(files, "attendance")} == {"present", "absent"}
    assert len(rows(files, "attendance")) == 6  # the four classes and the two loads
    assert [r["reason"][:9] for r in rows(files, "referrals")] == ["Asesoría ", "'=cmd|' /"]
    assert [r["body"] for r in rows(files, "notes")] == ["Nota visible para el equipo.", "Nota confidencial."]
    assert "recepcion" in {r["username"] for r in rows(files, "openings")}
    assert "Beatriz" not in "".join(files.values()) and "41555666" not in "".join(files.values())
    [entry] = [e for e in audit.person_history(db, ana) if e["action"] == "access_bundle"]
    assert (entry["username"], entry["new_values"]) == ("admin", {"reason": "Lo pidió por escrito"})


def test_typed_text_comes_out_inert(db, admin, ana):
    files = unzip(access.access_bundle(db, admin, ana, reason="Solicitud"))
    assert "<script>" not in files["sus_datos.html"] and "&lt;script&gt;" in files["sus_datos.html"]
    assert rows(files, "referrals")[1]["reason"].startswith("'=cmd")
    assert "Sus datos de registro" in files["sus_datos.html"]


def test_confidential_notes_follow_the_policy_and_only_admins_ask(db, admin, frontdesk, ana, clock_at):
    with pytest.raises(PermissionDenied):
        access.access_bundle(db, frontdesk, ana, reason="Solicitud")
    with pytest.raises(ValidationError):
        access.access_bundle(db, admin, ana, reason="  ")
    files = unzip(access.access_bundle(db, admin, ana, reason="Solicitud", language="en"))
    assert "your_data.html" in files and "Your registration details" in files["your_data.html"]
