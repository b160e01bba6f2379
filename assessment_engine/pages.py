"""The edge of the pages, as ``api/http.py`` is the API's: the acting user, one commit per request,
and what a refusal does.

- :func:`actor` is the one place a page's actor is built (the signed-in user, from this
  request's address).
- :func:`page` wraps a view: when it returns, the request's work (and the audit of what it
  showed) is committed once; when anything escapes it (``abort`` included), all of it is rolled
  back, and then the refused attempts on a person's record that it noted are audited in a short
  transaction of their own (:func:`audit_refusals`).
- :func:`attempt` runs one service call. A :class:`~kernel.errors.DomainError` rolls the
  request's work back and puts the message on the form's field (or the page's error summary);
  the view then loads what it shows again (audited again, since the first audit was rolled back)
  and renders, and :func:`page` commits that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Generic, ParamSpec, TypeVar

from flask import request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .extensions import db
from .kernel.actor import Actor
from .kernel.audit import has_refusals
from .kernel.errors import DomainError

P = ParamSpec("P")
T = TypeVar("T")


def actor() -> Actor:
    """The signed-in user, acting from this request's address."""
    return Actor.for_user(current_user, request.remote_addr or "")


def audit_refusals() -> None:
    """After a rollback: the refused attempts the request noted (``kernel.audit.note_refusal``),
    written in a short transaction of their own, since the request's rolled back."""
    if has_refusals(db.session):
        db.session.commit()


def page(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Commit the request's work once when ``view`` returns; roll it back if anything escapes."""

    @wraps(view)
    def handle(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        try:
            response = view(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            audit_refusals()
            raise
        db.session.commit()
        return response

    return handle


@dataclass(frozen=True)
class Attempt(Generic[T]):
    """What :func:`attempt` did: the service's result, or the refusal (already rolled back)."""

    result: T | None = None
    refusal: DomainError | None = None

    @property
    def done(self) -> bool:
        return self.refusal is None


def show_refusal(form: Any, error: DomainError, *, field: str | None = None) -> None:
    """Put the refusal's messages on ``form``: each on its field where the error names fields
    the form has, otherwise on ``field`` (or the form as a whole)."""
    placed = False
    for name, message in error.errors.items():
        target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors.append(message)
            placed = True
    if placed:
        return
    target = getattr(form, field, None) if field else None
    if target is not None:
        target.errors.append(str(error))
    else:
        form.form_errors.append(str(error))


def attempt(
    action: Callable[[], T],
    form: Any = None,
    *,
    field: str | None = None,
    refuse: tuple[type[DomainError], ...] = (DomainError,),
) -> Attempt[T]:
    """Run ``action``; on a refusal (``refuse``), roll the request back and show it on ``form``."""
    try:
        return Attempt(result=action())
    except refuse as error:
        db.session.rollback()
        if form is not None:
            show_refusal(form, error, field=field)
        return Attempt(refusal=error)
