"""Signing in and out. Sessions are rows in ``user_sessions``; the cookie only names one."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import bindparam, delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import DbSession, utcnow
from ..kernel.errors import DomainError
from ..partners.models import Organisation
from . import passwords
from .models import Role, User, UserSession

# Compared against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))
#: last_seen_at is written at most this often, not on every request.
_TOUCH_EVERY = timedelta(minutes=1)


class UserError(DomainError):
    """A problem with user details that the person who entered them can fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, {field: message})
        self.field = field
        self.message = message


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(session: DbSession, email: str, password: str) -> User | None:
    """The active user with this email and password, or None without saying which was wrong."""
    user: User | None = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def start_session(session: DbSession, user: User, address: str) -> str:
    """Record a new signed-in session and return the token the cookie will carry."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            token_hash=hash_token(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            address=address[:64],
        )
    )
    user.last_signed_in_at = now
    user._session_token = token
    return token


#: :func:`load_session_user`'s statement, built once (every page's request runs it).
_SESSION_BY_TOKEN = select(UserSession).where(
    UserSession.token_hash == bindparam("token_hash", type_=UserSession.token_hash.type)
)


def load_session_user(
    session: DbSession, token: str, *, idle: timedelta, absolute: timedelta
) -> User | None:
    """The user of a live session, or None if it was ended, has expired or the user is inactive."""
    row = session.scalar(_SESSION_BY_TOKEN, {"token_hash": hash_token(token)})
    if row is None:
        return None
    now = utcnow()
    if not row.user.active or now - row.last_seen_at > idle or now - row.created_at > absolute:
        session.delete(row)
        return None
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now  # flushed at the caller's commit
    row.user._session_token = token
    return row.user


def end_session(session: DbSession, token: str | None) -> None:
    if token:
        session.execute(delete(UserSession).where(UserSession.token_hash == hash_token(token)))


def end_all_sessions(session: DbSession, user: User) -> None:
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def create_user(
    session: DbSession,
    *,
    email: str,
    name: str,
    password: str,
    organisation: Organisation,
    role: Role,
    job_title: str = "",
) -> User:
    """A new active user; refuses a duplicate email and a password shorter than 12 characters."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise UserError(
            "email", "Enter an email address in the correct format, like name@example.org"
        )
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise UserError("email", "A user with this email address already exists")
    _check_new_password(password, email, name, organisation.name)
    user = User(
        email=email,
        name=name.strip(),
        organisation=organisation,
        role=role,
        job_title=job_title.strip(),
        active=True,
    )
    user.set_password(password)
    user.password_changed_at = utcnow()
    session.add(user)
    session.flush()
    return user


def _check_new_password(password: str, *about: str, field: str = "password") -> None:
    try:
        passwords.check(password, about=about)
    except passwords.WeakPassword as weak:
        raise UserError(field, weak.message) from None


def change_own_password(
    session: DbSession, user: User, *, current: str, new: str, keep_token: str | None
) -> None:
    """The user's own change: the current password is required, the new one must be strong and
    different, and every other signed-in session of theirs is ended (this one is kept)."""
    if not user.check_password(current):
        raise UserError("current_password", "Your current password is not right")
    if new == current:
        raise UserError("new_password", "Choose a password different from your current one")
    _check_new_password(new, user.email, user.name, user.organisation.name, field="new_password")
    user.set_password(new)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_token:
        query = query.where(UserSession.token_hash != hash_token(keep_token))
    session.execute(query)
    session.flush()


def issue_temporary_password(session: DbSession, user: User) -> str:
    """A random password for an administrator to pass on: it works for one sign-in, at which
    the user must choose their own. The user is signed out everywhere."""
    temporary = passwords.temporary()
    user.set_password(temporary)
    user.password_changed_at = utcnow()
    user.must_change_password = True
    end_all_sessions(session, user)
    session.flush()
    return temporary


def is_safe_next(target: str | None) -> bool:
    """Only local absolute paths: never another host, scheme, or a path a browser reads as one."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
