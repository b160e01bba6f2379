"""The second factor: time-based one-time codes (TOTP, RFC 6238) from an authenticator app, and
one-time recovery codes for a lost device.

Secrets are encrypted with Fernet keys from configuration (``TOTP_ENCRYPTION_KEYS``), never kept
in the database; the first key encrypts, every key decrypts, so keys can be rotated. A code is
accepted once: the time step it belongs to is remembered and no earlier or equal step is
accepted again. Recovery codes are random, shown once and stored as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..db import DbSession, utcnow
from ..kernel.actor import Role
from ..kernel.errors import DomainError
from .models import RecoveryCode, User

#: Codes from one step before or after now are accepted (clocks drift; people type slowly).
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class SecondFactorError(DomainError):
    """A code that was not accepted; ``message`` is for the person who typed it (on the form's
    ``code`` field)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, {"code": message})
        self.message = message


class SecretCipher:
    """Encrypts and decrypts TOTP secrets with the configured keys (the first one encrypts)."""

    def __init__(self, keys: Iterable[str]) -> None:
        fernets = [Fernet(key.strip().encode()) for key in keys if key.strip()]
        if not fernets:
            raise ValueError("at least one Fernet key is needed")
        self._fernet = MultiFernet(fernets)

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecondFactorError(
                "Your authenticator app's key cannot be read with this service's keys; "
                "ask an administrator to reset your second factor"
            ) from None


@dataclass(frozen=True)
class Enrolment:
    """A new secret offered to a user: shown as a QR code and as text, not yet saved."""

    secret: str
    uri: str

    @property
    def qr_data_uri(self) -> str:
        return str(segno.make(self.uri, error="m").svg_data_uri(scale=5, border=4))

    @property
    def key_groups(self) -> str:
        """The key in groups of four letters, as people type it into an app by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def required_for(role: Role, roles: Iterable[str]) -> bool:
    return role.value in set(roles)


def new_enrolment(user: User, issuer: str, secret: str | None = None) -> Enrolment:
    secret = secret or pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)
    return Enrolment(secret=secret, uri=uri)


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code if ch.isalnum()).lower()


def _matching_step(secret: str, code: str, now: float, after: int | None) -> int | None:
    """The time step (within the window) whose code is ``code`` and is later than ``after``."""
    totp = pyotp.TOTP(secret)
    code = _normalise_code(code)
    if len(code) != totp.digits or not code.isdigit():
        return None
    current = int(now) // totp.interval
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected, code) and (after is None or step > after):
            return step
    return None


def confirm_enrolment(
    session: DbSession, cipher: SecretCipher, user: User, secret: str, code: str, now: float | None
) -> list[str]:
    """Save ``secret`` as the user's second factor once they typed a code from it; returns new
    recovery codes (to be shown once)."""
    step = _matching_step(secret, code, time.time() if now is None else now, None)
    if step is None:
        raise SecondFactorError(
            "The code is not right: enter the 6 digits your authenticator app shows now"
        )
    user.totp_secret = cipher.encrypt(secret)
    user.totp_enrolled_at = utcnow()
    user.totp_last_step = step
    return new_recovery_codes(session, user)


def verify(
    session: DbSession, cipher: SecretCipher, user: User, code: str, now: float | None = None
) -> str:
    """Accept a TOTP code (once) or an unused recovery code; return which ("totp" or
    "recovery_code") or raise SecondFactorError."""
    if user.totp_secret is None:
        raise SecondFactorError("You have not set up a second factor")
    normalised = _normalise_code(code)
    if normalised.isdigit() and len(normalised) == 6:
        secret = cipher.decrypt(user.totp_secret)
        step = _matching_step(
            secret, normalised, time.time() if now is None else now, user.totp_last_step
        )
        refused = SecondFactorError(
            "The code is not right or was used already: enter the code your app shows now"
        )
        if step is None:
            raise refused
        # Conditional, so that two requests racing with one code cannot both be accepted.
        taken = session.execute(
            update(User)
            .where(
                User.id == user.id,
                or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(taken) != 1:
            raise refused
        set_committed_value(user, "totp_last_step", step)
        return "totp"
    used = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_recovery_code(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if _rowcount(used) != 1:
        raise SecondFactorError("The recovery code is not right or was used already")
    return "recovery_code"


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0))


def new_recovery_codes(session: DbSession, user: User) -> list[str]:
    """Replace the user's recovery codes with new ones; only their hashes are kept."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash_recovery_code(raw)))
    session.flush()
    return codes


def unused_recovery_codes(session: DbSession, user: User) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def remove(session: DbSession, user: User) -> None:
    """Forget the user's second factor and recovery codes (they set up a new one next time)."""
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()


def _hash_recovery_code(code: str) -> str:
    return hashlib.sha256(_normalise_code(code).encode()).hexdigest()
