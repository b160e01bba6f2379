"""``flask --app wsgi create-api-client`` and ``revoke-api-client``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from .http import session


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_api_client_command)
    app.cli.add_command(revoke_api_client_command)


@click.command("create-api-client")
@click.option("--org", "org_slug", required=True, help="The partner organisation's slug.")
@click.option("--name", required=True, help="What the client is, e.g. 'Tayside GP system'.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="Repeat for each scope; default: every scope but questionnaires:write.",
)
@with_appcontext
def create_api_client_command(org_slug: str, name: str, scopes: tuple[str, ...]) -> None:
    """Create an API client; its token is printed once, on the last line. Only a hash is kept."""
    from ..partners.services import get_organisation
    from .tokens import ApiClientError, create_api_client

    org = get_organisation(session(), org_slug)
    if org is None:
        raise click.ClickException(f"There is no organisation with the slug {org_slug!r}.")
    try:
        issued = create_api_client(session(), org, name, list(scopes) or None)
    except ApiClientError as error:
        raise click.ClickException(str(error)) from None
    session().commit()
    click.echo(f"Created API client {issued.client.id} ({issued.client.name}) for {org.name}.")
    click.echo(f"Scopes: {' '.join(issued.client.scopes)}")
    click.echo("Its token follows; it is shown only now. Keep it secret.")
    click.echo(issued.token)


@click.command("revoke-api-client")
@click.argument("client_id", type=int)
@with_appcontext
def revoke_api_client_command(client_id: int) -> None:
    """Revoke an API client's token at once (the client is kept for the audit trail)."""
    from .models import ApiClient
    from .tokens import revoke_api_client

    client = session().get(ApiClient, client_id)
    if client is None:
        raise click.ClickException(f"There is no API client {client_id}.")
    revoke_api_client(session(), client)
    session().commit()
    click.echo(f"Revoked API client {client.id} ({client.name}).")
