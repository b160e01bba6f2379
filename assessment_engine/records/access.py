"""Who may see which record: the single place the web pages and the API ask.

Every partner organisation may open the shared record of a person; what it may see inside is
governed by the person's recorded views on sharing. Until a person's sharing views are recorded
the record is shared with every partner (the lawful basis is public task and the provision of
health or social care; see the product brief).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from ..auth.actor import Actor
from .models import Client
from .services import RecordNotFound, open_client


def client_for(session: Session, actor: Actor, client_id: uuid.UUID | str) -> Client:
    """The client record as ``actor`` may see it, audited as a view; RecordNotFound otherwise."""
    return open_client(session, actor, client_id)


def may_see_answers(session: Session, actor: Actor, client: Client) -> bool:
    """Whether ``actor``'s organisation may see assessment answers about ``client``."""
    return True


__all__ = ["RecordNotFound", "client_for", "may_see_answers"]
