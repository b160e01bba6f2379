"""Stable HTML names and ids of answer fields (kept here for importers; defined beside the
question types, in :mod:`assessment_engine.questionnaires.types.naming`)."""

from __future__ import annotations

from ..questionnaires.types.naming import (
    ITEM_MARKER,
    LIST_MARKER,
    decode_id,
    encode_name,
    field_id,
    pointer_tokens,
    unescape_token,
)

__all__ = [
    "ITEM_MARKER",
    "LIST_MARKER",
    "decode_id",
    "encode_name",
    "field_id",
    "pointer_tokens",
    "unescape_token",
]
