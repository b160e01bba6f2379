"""Demo data for local use: the three partners, their services and staff, and a few people.

Everything is created only if missing, so ``flask --app wsgi demo`` can run on every start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import select

from .admin.accounts import set_team_email
from .auth.models import Role, User
from .auth.second_factor import SecretCipher, new_recovery_codes
from .auth.services import create_user
from .db import DbSession, utcnow
from .kernel.actor import Actor
from .partners.models import OrganisationKind
from .partners.services import ensure_organisation, ensure_service, get_organisation
from .questionnaires.runtime import VersionCache
from .records import services as records
from .records.identity import mod10_check_digit, mod11_check_digit

DEMO_PASSWORD = "shared-assessment-demo"  # noqa: S105 - printed for local demo sign-in only

ORGANISATIONS = [
    (
        "perth-kinross-council",
        "Perth and Kinross Council",
        OrganisationKind.SOCIAL_CARE,
        "Adult social work, 01738 476768",
    ),
    (
        "nhs-tayside",
        "NHS Tayside",
        OrganisationKind.HEALTH,
        "Community health partnership, 01738 473473",
    ),
    (
        "community-link",
        "Community Link",
        OrganisationKind.COMMUNITY,
        "Link workers and befriending, 01738 000000",
    ),
]

USERS = [
    # email, name, organisation, role, job title
    ("sam.reid@pkc.example", "Sam Reid", "perth-kinross-council", Role.ASSESSOR, "Social worker"),
    (
        "morag.stewart@pkc.example",
        "Morag Stewart",
        "perth-kinross-council",
        Role.TEAM_MANAGER,
        "Team manager, adult social work",
    ),
    ("priya.shah@tayside.example", "Priya Shah", "nhs-tayside", Role.ASSESSOR, "Community nurse"),
    (
        "david.hughes@tayside.example",
        "David Hughes",
        "nhs-tayside",
        Role.TEAM_MANAGER,
        "District nursing team lead",
    ),
    ("jo.bell@communitylink.example", "Jo Bell", "community-link", Role.ASSESSOR, "Link worker"),
    (
        "ewan.grant@communitylink.example",
        "Ewan Grant",
        "community-link",
        Role.TEAM_MANAGER,
        "Befriending co-ordinator",
    ),
    (
        "kirsty.lennox@pkc.example",
        "Kirsty Lennox",
        "perth-kinross-council",
        Role.PARTNERSHIP_LEAD,
        "Partnership lead, Perth and Kinross Health and Social Care Partnership",
    ),
    (
        "alex.morgan@pkc.example",
        "Alex Morgan",
        "perth-kinross-council",
        Role.ADMINISTRATOR,
        "Systems administrator",
    ),
    (
        "kirsty.lamb@pkc.example",
        "Kirsty Lamb",
        "perth-kinross-council",
        Role.PERFORMANCE_ANALYST,
        "Performance analyst, health and social care partnership",
    ),
]

PEOPLE = [
    # given, family, date of birth, postcode, recorded by
    ("Jean", "MacDonald", date(1938, 3, 14), "PH1 5PH", "perth-kinross-council"),
    ("Morag", "McDonald", date(1941, 11, 2), "PH2 8AA", "nhs-tayside"),
    ("Seán", "O'Brien", date(1952, 7, 21), "PH7 3BT", "nhs-tayside"),
    ("Anne-Marie", "Henderson", date(1947, 1, 30), "PH10 6AE", "perth-kinross-council"),
    ("Iain", "Robertson", date(1935, 9, 9), "PH16 5AF", "perth-kinross-council"),
    ("Zofia", "Kowalczyk", date(1960, 5, 17), "PH1 1DE", "community-link"),
    ("Ruaridh", "Fraser", date(1944, 12, 24), "PH3 1BZ", "nhs-tayside"),
    ("Agnes", "Mackenzie", date(1929, 4, 6), "PH8 0AP", "perth-kinross-council"),
    ("Peter", "Wilson", date(1958, 8, 12), "PH15 2BE", "community-link"),
    ("Fiona", "Campbell-Lamont", date(1950, 2, 28), "PH11 8AX", "nhs-tayside"),
]


#: Submitted assessments for some demo people (person index -> example answers, assessor), so
#: that every partner's referral queue and the outcome pages have something to show.
ASSESSMENTS = {
    0: ("frail-older-person-living-alone", "sam.reid@pkc.example"),
    1: ("frail-older-person-living-alone", "sam.reid@pkc.example"),
    3: ("frail-older-person-living-alone", "sam.reid@pkc.example"),
    2: ("depression-with-self-harm-thoughts", "priya.shah@tayside.example"),
    4: ("carer-under-strain", "sam.reid@pkc.example"),
    6: ("falls-and-nursing-tasks", "priya.shah@tayside.example"),
    8: ("loneliness-and-daily-living-only", "jo.bell@communitylink.example"),
    9: ("frail-older-person-living-alone", "sam.reid@pkc.example"),
}

#: Where each demo person's home-care referral is in the cycle from referral to support and
#: back (person index -> stage), so that the referral queue and the reviews show every stage:
#: Jean waits; the others' support has started, with a review to come, due this week,
#: overdue, or already reduced with the person's agreement (and the next review scheduled).
SUPPORT_STAGES = {1: "started", 3: "review_due", 4: "review_overdue", 9: "reduced"}


@dataclass
class DemoReport:
    lines: list[str] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    #: Each demo user's authenticator key (development only), to print beside the logins.
    second_factor_keys: dict[str, str] = field(default_factory=dict)


def demo_chi(date_of_birth: date, serial: int, female: bool) -> str:
    """A valid CHI number for a date of birth: serial digits, sex digit, then a check digit."""
    for attempt in range(20):
        sex_digit = (2 * ((serial + attempt) % 5)) + (0 if female else 1)
        first_nine = f"{date_of_birth:%d%m%y}{(serial + attempt) % 100:02d}{sex_digit}"
        check = mod11_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)
    return first_nine + str(mod10_check_digit(first_nine))


def load_demo(
    session: DbSession,
    form_schemas: Path,
    cache: VersionCache,
    cipher: SecretCipher | None = None,
) -> DemoReport:
    """With ``cipher`` (local development only) every demo user gets an authenticator key,
    reported so that it can be typed into an app beside the demo password."""
    report = DemoReport()
    orgs = {}
    for slug, name, kind, contact in ORGANISATIONS:
        org, created = ensure_organisation(
            session, slug=slug, name=name, kind=kind, contact=contact
        )
        orgs[slug] = org
        if created:
            report.lines.append(f"Created organisation {slug}")

    services_file = form_schemas / "services.json"
    if services_file.exists():
        for entry in json.loads(services_file.read_text()):
            owner = get_organisation(session, entry["organisation"])
            if owner is None:
                continue
            service, created = ensure_service(
                session,
                slug=entry["slug"],
                name=entry["name"],
                organisation=owner,
                kind=OrganisationKind(entry["kind"]),
                personal_care=bool(entry.get("personal_care", False)),
            )
            if created:
                report.lines.append(f"Created service {entry['slug']}")
            if entry.get("team_email") and not service.team_email:
                # Checked and audited like an administrator's change.
                set_team_email(session, Actor.system("demo"), service, entry["team_email"])

    for email, name, org_slug, role, job_title in USERS:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(
                session,
                email=email,
                name=name,
                password=DEMO_PASSWORD,
                organisation=orgs[org_slug],
                role=role,
                job_title=job_title,
            )
            report.lines.append(f"Created user {email}")
        report.users.append(user)
        if cipher is not None:
            report.second_factor_keys[email] = _demo_second_factor(session, cipher, user)

    from .questionnaires.services import load_directory

    loader = Actor.system("demo")
    report.lines.extend(
        load_directory(
            session,
            form_schemas,
            cache.rule_registry,
            loader,
            question_types=cache.question_types,
        )
    )
    users = {user.email: user for user in report.users}

    for serial, (given, family, dob, postcode, org_slug) in enumerate(PEOPLE):
        chi = demo_chi(dob, serial * 7 + 11, female=serial % 2 == 0)
        if records.find_by_chi(session, chi) is not None:
            continue
        actor = Actor.command_line(orgs[org_slug].id)
        person = records.create_client(
            session,
            actor,
            records.ClientDetails(
                chi=chi,
                given_name=given,
                family_name=family,
                date_of_birth=dob,
                postcode=postcode,
                gp_practice="Perth City Medical Practice",
            ),
        )
        report.lines.append(f"Created demo person {given} {family} (CHI {chi})")
        if serial in ASSESSMENTS:
            example, email = ASSESSMENTS[serial]
            decision = _submit_example(session, cache, users[email], person, form_schemas, example)
            report.lines.append(
                f"  submitted a joint assessment: {decision.route.label}, "
                f"priority {decision.priority.label}"
            )
            if serial in SUPPORT_STAGES:
                manager = users["morag.stewart@pkc.example"]
                stage = SUPPORT_STAGES[serial]
                report.lines.append(
                    _support_stage(
                        session,
                        manager,
                        decision,
                        stage,
                        partial(
                            _submit_example,
                            session,
                            cache,
                            users[email],
                            person,
                            form_schemas,
                            example,
                        ),
                    )
                )
    return report


def _support_stage(
    session: DbSession, manager: User, decision: Any, stage: str, reassess: Callable[[], Any]
) -> str:
    """Accept the home-care referral of ``decision``, record its support and move its review
    to ``stage`` (the review days are moved as a demo's time would have moved them; the
    review's assessment, for ``reduced``, is ``reassess()``'s decision)."""
    from datetime import timedelta

    from .assessments import referrals
    from .support import services as support

    actor = Actor.for_user(manager)
    referral = next(
        r
        for r in referrals.referrals_of_assessment(session, decision.assessment_id)
        if r.service.slug == "home-care"
    )
    referrals.accept(session, actor, referral, expected_version=None, assign_to=manager)
    today = date.today()
    plan = support.record_support(
        session,
        actor,
        referral,
        start_date=today,
        summary="Home care twice a day: getting up, washing and dressing; evening meal",
        hours_per_week="10.5",
        sds_option="3",
        weekly_cost="233.10",
    )
    review = support.next_review(plan)
    assert review is not None
    if stage == "review_due":
        review.due_on = today + timedelta(days=3)
    elif stage in ("review_overdue", "reduced"):
        review.due_on = today - timedelta(days=5)
    if stage == "reduced":
        review_assessment = reassess().assessment_id
        support.record_outcome(
            session,
            actor,
            review,
            today,
            outcome="reduce",
            reason="Managing the evening meal herself again after reablement",
            person_agreed=True,
            agreed_by="person",
            assessment_id=str(review_assessment),
            terms={"hours_per_week": "7", "weekly_cost": "155.40"},
        )
    session.flush()
    return f"  home care: support {stage.replace('_', ' ')}"


def _demo_second_factor(session: DbSession, cipher: SecretCipher, user: User) -> str:
    """The user's authenticator key: set up now if they have none (without asking for a first
    code, as the demo's users have no phones), else read back."""
    if user.totp_secret is not None:
        return cipher.decrypt(user.totp_secret)
    secret = pyotp.random_base32()
    user.totp_secret = cipher.encrypt(secret)
    user.totp_enrolled_at = utcnow()
    new_recovery_codes(session, user)
    return secret


def _submit_example(
    session: DbSession, cache: VersionCache, user: User, person: Any, form_schemas: Path, name: str
) -> Any:
    from .assessments import services as assessments

    answers = json.loads(
        (form_schemas / "joint-assessment" / "examples" / f"{name}.json").read_text("utf-8")
    )
    version = assessments.latest_published(session, "joint-assessment")
    if version is None:
        raise RuntimeError("the joint assessment is not loaded")
    actor = Actor.for_user(user)
    assessment = assessments.start_assessment(session, actor, person, version, answers)
    prepared = assessments.prepare_version(session, cache, version)
    return assessments.submit(session, actor, assessment, prepared, expected_version=None)
