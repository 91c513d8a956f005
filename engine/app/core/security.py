"""Verification of the Supabase access token a client presents."""

from __future__ import annotations

import uuid

import jwt

AUDIENCE = "authenticated"


class InvalidToken(Exception):
    """Missing, malformed, expired, wrongly signed, or for another audience (close 4401)."""


def user_id_from_token(token: str | None, secret: str) -> uuid.UUID:
    """Return the token's `sub` as a UUID, or raise InvalidToken. Never logs the token."""
    if not token:
        raise InvalidToken("missing token")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],  # pinned: never let the token choose its algorithm
            audience=AUDIENCE,
            options={"require": ["exp", "sub", "aud"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(type(error).__name__) from None
    try:
        return uuid.UUID(str(claims["sub"]))
    except ValueError:
        raise InvalidToken("sub is not a UUID") from None
