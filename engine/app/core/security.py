"""Verification of the Supabase access token a client presents (contract, section 1)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

AUDIENCE = "authenticated"
ROLE = "authenticated"
# The clock skew allowed between the token's issuer and the engine, on exp, nbf and iat.
CLOCK_SKEW_S = 30
# Supabase's access tokens are 1 to 2 KB; anything far larger is refused unread.
MAX_TOKEN_CHARS = 16384

# pyjwt's error classes, as the sentences the engine logs.
_REASONS = {
    jwt.ExpiredSignatureError: "expired",
    jwt.ImmatureSignatureError: "not yet valid (nbf or iat in the future)",
    jwt.InvalidAudienceError: "audience is not authenticated",
    jwt.InvalidSignatureError: "signature does not match the project's secret",
    jwt.InvalidAlgorithmError: "algorithm is not HS256",
    jwt.InvalidIssuedAtError: "iat is not a number",
    jwt.DecodeError: "not a well-formed JWT",
}


class InvalidToken(Exception):
    """The token cannot be trusted (close 4401); the message is the reason, never the token."""


@dataclass(frozen=True)
class Identity:
    user_id: uuid.UUID
    expires_at: float  # the token's exp, Unix seconds

    def expired(self, now: float | None = None) -> bool:
        """True once the token is past exp and the clock skew allowance."""
        return (time.time() if now is None else now) > self.expires_at + CLOCK_SKEW_S


def verify_token(token: str | None, secret: str) -> Identity:
    """Return who the token speaks for and until when, or raise InvalidToken with the reason."""
    if not token:
        raise InvalidToken("missing token")
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidToken(f"token longer than {MAX_TOKEN_CHARS} characters")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],  # pinned: never let the token choose its algorithm
            audience=AUDIENCE,
            leeway=CLOCK_SKEW_S,
            options={"require": ["exp", "sub", "aud", "role"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(_reason(error)) from None
    if claims["role"] != ROLE:
        raise InvalidToken("role is not authenticated")
    try:
        user_id = uuid.UUID(str(claims["sub"]))
    except ValueError:
        raise InvalidToken("sub is not a UUID") from None
    return Identity(user_id, float(claims["exp"]))


def user_id_from_token(token: str | None, secret: str) -> uuid.UUID:
    """Return the token's `sub` as a UUID, or raise InvalidToken. Never logs the token."""
    return verify_token(token, secret).user_id


def _reason(error: jwt.PyJWTError) -> str:
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"the {error.claim} claim is missing"
    for kind, reason in _REASONS.items():
        if isinstance(error, kind):
            return reason
    return type(error).__name__
