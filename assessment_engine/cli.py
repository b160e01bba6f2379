"""Command-line commands: ``flask --app wsgi demo``, ``create-user``, ``load-schemas`` and more."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .auth.models import Role
from .extensions import db


def register_commands(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(reset_second_factor_command)
    app.cli.add_command(load_schemas_command)
    app.cli.add_command(check_rules_command)
    from .records.commands import audit_checkpoint_command, audit_verify_command

    app.cli.add_command(audit_verify_command)
    app.cli.add_command(audit_checkpoint_command)
    from .backup import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from .api.commands import purge_idempotency_keys_command

    app.cli.add_command(purge_idempotency_keys_command)
    from .notifications.commands import run_scheduled_command

    app.cli.add_command(run_scheduled_command)


@click.command("demo")
@with_appcontext
@click.option("--force", is_flag=True, help="Allow demo data outside local development.")
def demo_command(force: bool) -> None:
    """Create (idempotently) the demo partners, services, users, people; load form_schemas/."""
    from .demo import DEMO_PASSWORD, load_demo

    if current_app.config["ENV"] not in ("development", "testing") and not force:
        raise click.ClickException(
            "Demo data is for local development; it has well-known passwords. "
            "Use --force if you really mean it."
        )
    # Authenticator keys are printed for local development only, never where --force was
    # needed: there the demo's users set up their own app at first sign-in.
    local = current_app.config["ENV"] in ("development", "testing")
    report = load_demo(
        db.session,
        Path(current_app.config["FORM_SCHEMAS_DIR"]),
        current_app.extensions["assessment_versions"],
        current_app.extensions["totp_cipher"] if local else None,
    )
    db.session.commit()
    for line in report.lines:
        click.echo(line)
    click.echo("")
    click.echo(f"Demo sign-in (password for all: {DEMO_PASSWORD}):")
    if report.second_factor_keys:
        click.echo("  then a code from an authenticator app given the key beside the login")
        click.echo("  (or: python -c \"import pyotp; print(pyotp.TOTP('KEY').now())\"):")
    for user in report.users:
        key = report.second_factor_keys.get(user.email, "")
        click.echo(f"  {user.email:<36} {user.role.label:<20} {user.organisation.name:<28} {key}")


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--org", "org_slug", required=True, help="The organisation's slug.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--job-title", default="")
@click.password_option(help="At least 12 characters; asked for if not given.")
def create_user_command(
    email: str, name: str, org_slug: str, role: str, job_title: str, password: str
) -> None:
    """Create a staff user in an organisation."""
    from .auth.services import UserError, create_user
    from .partners.services import get_organisation

    org = get_organisation(db.session, org_slug)
    if org is None:
        raise click.ClickException(f"There is no organisation with the slug {org_slug!r}.")
    try:
        user = create_user(
            db.session,
            email=email,
            name=name,
            password=password,
            organisation=org,
            role=Role(role),
            job_title=job_title,
        )
    except UserError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role.label}, {org.name}).")


@click.command("reset-second-factor")
@with_appcontext
@click.option("--email", required=True)
def reset_second_factor_command(email: str) -> None:
    """Forget a user's authenticator app (a lost phone, and no administrator to reset it): they
    are signed out and set it up again at their next sign-in. Audited."""
    from sqlalchemy import select

    from .admin.accounts import AccountError, reset_second_factor
    from .auth.models import User
    from .auth.services import normalise_email
    from .kernel.actor import Actor

    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException(f"There is no user with the email {email!r}.")
    try:
        reset_second_factor(db.session, Actor.command_line(user.organisation_id), user)
    except AccountError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"{user.email} sets up an authenticator app again at their next sign-in.")


@click.command("load-schemas")
@with_appcontext
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Defaults to the configured FORM_SCHEMAS_DIR (form_schemas/).",
)
def load_schemas_command(directory: Path | None) -> None:
    """Load every questionnaire in form_schemas/ (idempotent); refuse invalid documents."""
    from .kernel.actor import Actor
    from .questionnaires.services import SchemaLoadError, load_directory

    path = directory or Path(current_app.config["FORM_SCHEMAS_DIR"])
    rules = current_app.extensions["assessment_rules"]
    try:
        report = load_directory(
            db.session,
            path,
            rules,
            Actor.system("load-schemas"),
            question_types=current_app.extensions["question_types"],
        )
    except SchemaLoadError as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"Nothing was loaded: {len(exc.problems)} problem(s).", err=True)
        sys.exit(1)
    db.session.commit()
    for line in report:
        click.echo(line)


@click.command("check-rules")
@with_appcontext
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Defaults to the configured FORM_SCHEMAS_DIR (form_schemas/).",
)
def check_rules_command(directory: Path | None) -> None:
    """Run every questionnaire's rule test cases; exit 1 if any fails or anything is invalid."""
    from .questionnaires.services import check_directory

    path = directory or Path(current_app.config["FORM_SCHEMAS_DIR"])
    checked, problems = check_directory(
        db.session,
        path,
        current_app.extensions["assessment_rules"],
        current_app.extensions["question_types"],
    )
    passed = failed = 0
    for version in checked:
        click.echo(f"{version.key} version {version.version}")
        for result in version.case_results:
            click.echo(f"  {result}")
            passed += result.passed
            failed += not result.passed
    for problem in problems:
        if problem.check != "cases":
            click.echo(str(problem), err=True)
    click.echo(f"{passed} passed, {failed} failed")
    if failed or problems:
        sys.exit(1)
