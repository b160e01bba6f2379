"""What a new password must be: 12 characters or more, not a common password, and hard to guess
as zxcvbn estimates it (which knows common passwords, names, words, keyboard patterns, dates
and the person's own details)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from functools import lru_cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
#: zxcvbn reads at most this much; longer passwords are allowed up to the form's limit.
_ZXCVBN_MAX = 100


class WeakPassword(ValueError):
    """A password that may not be used; ``message`` says why, for the person choosing it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    """The 30,000 most common passwords of the public breaches zxcvbn was built from."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def check(password: str, *, about: Iterable[str] = (), min_score: int = 3) -> None:
    """Raise WeakPassword unless ``password`` may be used; ``about`` holds the person's own
    details (email, name, organisation), which make a password easier to guess."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Password must be {MIN_LENGTH} characters or more")
    if password.lower() in _common() or password.lower().strip() in _common():
        raise WeakPassword("This is one of the most common passwords: choose another")
    about = [item for item in about if item]
    squashed = _squash(password)
    for item in about:
        own = _squash(item.split("@")[0])
        if len(own) >= 4 and own in squashed:
            raise WeakPassword("Do not use your name or email address in your password")
    words = [part for item in about for part in item.replace("@", " ").replace(".", " ").split()]
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=[w for w in words if len(w) > 2])
    if result["score"] < min_score:
        feedback = result["feedback"]
        hint = feedback.get("warning") or "It would be easy to guess."
        suggestion = " ".join(feedback.get("suggestions") or [])
        raise WeakPassword(
            f"Choose a password that is harder to guess. {hint} "
            f"{suggestion or 'A few unrelated words make a strong password.'}".strip()
        )


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def temporary() -> str:
    """A random temporary password (about 140 bits), to be changed at the next sign-in."""
    words = [secrets.token_urlsafe(6) for _ in range(3)]
    return "-".join(words)
