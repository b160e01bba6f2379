"""Recording and finding people through the pages."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from assessment_engine.records.models import AuditEvent, Client


def _details(**overrides: str) -> dict[str, str]:
    data = {
        "chi": "1904851231",
        "given_name": "Isla",
        "family_name": "Brown",
        "date_of_birth": ["19", "4", "1985"],
        "postcode": "ph1 5ph",
    }
    data.update(overrides)
    return data


def _count(db_session, model=Client) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_record_a_new_person(client, login_as, db_session) -> None:
    login_as("assessor")
    response = client.post_form("/people/new", _details(), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Record created for Isla Brown" in html
    assert "190485 1231" in html and "PH1 5PH" in html
    record = db_session.scalar(select(Client).where(Client.chi == "1904851231"))
    assert record.postcode == "PH15PH" and record.family_name_key == "brown"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("chi", "1904851232", "check digit"),
        ("chi", "12345", "must be 10 digits"),
        ("date_of_birth", ["31", "2", "1985"], "Date of birth must be a real date"),
        ("date_of_birth", ["19", "", "1985"], "Date of birth must include a month"),
        ("date_of_birth", ["19", "4", "2999"], "must be today or in the past"),
        ("given_name", "x" * 101, "100 characters or fewer"),
        ("postcode", "nowhere", "real postcode"),
        ("nhs_number", "9434765918", "check digit"),
    ],
)
def test_bad_details_get_a_field_message_and_nothing_is_saved(
    client, login_as, db_session, field, value, message
) -> None:
    login_as("assessor")
    before = _count(db_session)
    response = client.post_form("/people/new", _details(**{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and message in html
    assert f'href="#{field}' in html  # the error summary links to the field
    assert _count(db_session) == before


def test_chi_must_agree_with_the_date_of_birth(client, login_as) -> None:
    login_as("assessor")
    html = client.post_form("/people/new", _details(date_of_birth=["20", "4", "1985"])).get_data(
        as_text=True
    )
    assert "should be the date of birth (200485)" in html


def test_a_duplicate_chi_says_so_and_links_to_the_existing_record(
    client, login_as, factories, db_session
) -> None:
    login_as("assessor")
    existing = factories.client("Isla", "Brown", date(1985, 4, 19), chi="1904851231")
    before = _count(db_session)
    html = client.post_form("/people/new", _details(given_name="Other")).get_data(as_text=True)
    assert "A record with this CHI number already exists" in html
    assert f'href="/people/{existing.id}"' in html
    assert _count(db_session) == before


def test_the_database_refuses_a_duplicate_chi(factories, db_session) -> None:
    from sqlalchemy.exc import IntegrityError

    first = factories.client(chi="1904851231", date_of_birth=date(1985, 4, 19))
    clone = Client(
        chi=first.chi,
        given_name="A",
        family_name="B",
        given_name_key="a",
        family_name_key="b",
        date_of_birth=first.date_of_birth,
        organisation_id=first.organisation_id,
    )
    db_session.add(clone)
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_a_likely_duplicate_is_shown_before_saving(client, login_as, factories, db_session) -> None:
    login_as("assessor")
    factories.client("Jean", "MacDonald", date(1938, 3, 14))
    data = _details(
        chi="1403381234",
        given_name="Jean",
        family_name="Mcdonald",
        date_of_birth=["14", "3", "1938"],
    )
    # A valid CHI for that date of birth:
    from assessment_engine.demo import demo_chi

    data["chi"] = demo_chi(date(1938, 3, 14), 77, female=True)
    before = _count(db_session)
    html = client.post_form("/people/new", data).get_data(as_text=True)
    assert "We found records with the same last name and date of birth" in html
    assert "Jean MacDonald" in html
    # A labelled choice, not a bare checkbox (axe: every control has a label).
    assert '<label class="govuk-label govuk-checkboxes__label" for="not_a_duplicate">' in html
    assert _count(db_session) == before
    data["not_a_duplicate"] = "y"
    response = client.post_form("/people/new", data)
    assert response.status_code == 302
    assert _count(db_session) == before + 1


def test_find_by_chi_and_by_forgiving_name(client, login_as, factories) -> None:
    login_as("assessor")
    jean = factories.client("Jean", "MacDonald", date(1938, 3, 14))
    factories.client("Seán", "O'Brien", date(1952, 7, 21))
    html = client.get(f"/people?q={jean.chi[:6]}+{jean.chi[6:]}").get_data(as_text=True)
    assert "1 person found" in html and "Jean MacDonald" in html
    for query in ("mcdonald", "JEAN MAC", "sean obrien", "O'Brien"):
        html = client.get("/people", query_string={"q": query}).get_data(as_text=True)
        assert "1 person found" in html, query


def test_opening_a_record_is_audited_with_who_and_where(client, login_as, factories, db_session):
    user = login_as("assessor", org="nhs-tayside")
    person = factories.client()
    response = client.get(f"/people/{person.id}", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 200
    event = db_session.scalar(
        select(AuditEvent).where(AuditEvent.action == "client.view").order_by(AuditEvent.id.desc())
    )
    assert event.user_id == user.id and event.organisation_id == user.organisation_id
    assert event.client_id == person.id and event.address == "10.1.2.3"


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_record_is_404(client, login_as, bad_id) -> None:
    login_as("assessor")
    assert client.get(f"/people/{bad_id}").status_code == 404


def test_names_are_escaped(client, login_as, factories) -> None:
    login_as("assessor")
    person = factories.client("<script>alert(1)</script>", "Smith")
    html = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
