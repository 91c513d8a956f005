"""Token validation with pyjwt: what closes a connection with 4401 and what passes."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from app.core.security import (CLOCK_SKEW_S, MAX_TOKEN_CHARS, Identity, InvalidToken,
                               user_id_from_token, verify_token)

SECRET = "test-secret-that-is-long-enough-for-hs256-hs384-and-hs512-too-0123456789"


def mint(secret: str = SECRET, algorithm: str = "HS256", **overrides) -> str:
    claims = {"sub": str(uuid.uuid4()), "role": "authenticated", "aud": "authenticated",
              "exp": int(time.time()) + 3600}
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm=algorithm)


def test_valid_token_gives_the_user_id():
    """A Supabase-style token yields its `sub` as a UUID."""
    user = uuid.uuid4()
    assert user_id_from_token(mint(sub=str(user)), SECRET) == user


# Factories, not tokens: a time claim must be minted when its test runs, not when collected.
@pytest.mark.parametrize(
    "make_token",
    [
        lambda: None,
        lambda: "",
        lambda: "not-a-jwt",
        lambda: mint(secret="another-secret-that-is-long-enough-for-hs256-hs384-and-hs512-x"),
        lambda: mint(exp=int(time.time()) - CLOCK_SKEW_S - 10),
        lambda: mint(nbf=int(time.time()) + CLOCK_SKEW_S + 10),
        lambda: mint(iat=int(time.time()) + CLOCK_SKEW_S + 10),
        lambda: mint(role="anon"),
        lambda: mint(role="service_role"),
        lambda: mint(role=None),
        lambda: mint(pad="x" * MAX_TOKEN_CHARS),
        lambda: mint(aud="anon"),
        lambda: mint(aud=None),
        lambda: mint(exp=None),
        lambda: mint(sub=None),
        lambda: mint(sub="not-a-uuid"),
    ],
    ids=["none", "empty", "malformed", "other-secret", "expired", "nbf-future", "iat-future",
         "role-anon", "role-service", "no-role", "oversized", "wrong-aud", "no-aud",
         "no-exp", "no-sub", "sub-not-uuid"],
)
def test_invalid_tokens_are_refused(make_token):
    """Missing, malformed, foreign, expired, premature, wrong-audience, wrong-role or
    oversized tokens raise InvalidToken."""
    with pytest.raises(InvalidToken):
        user_id_from_token(make_token(), SECRET)


def test_unsigned_token_is_refused():
    """A token with alg "none" never passes, whatever its claims."""
    unsigned = jwt.encode(
        {"sub": str(uuid.uuid4()), "aud": "authenticated", "exp": int(time.time()) + 60},
        None, algorithm="none",
    )
    with pytest.raises(InvalidToken):
        user_id_from_token(unsigned, SECRET)


def test_clock_skew_is_allowed_on_every_time_claim():
    """exp just past, nbf and iat just ahead, all within the allowance, still pass."""
    now = int(time.time())
    within = CLOCK_SKEW_S - 5
    verify_token(mint(exp=now - within, nbf=now + within, iat=now + within), SECRET)


def test_the_identity_knows_when_the_token_runs_out():
    """A connection's token is expired only once past exp and the clock skew allowance."""
    identity = Identity(uuid.uuid4(), expires_at=1000.0)
    assert not identity.expired(now=1000.0 + CLOCK_SKEW_S)
    assert identity.expired(now=1000.0 + CLOCK_SKEW_S + 0.5)


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_hmac_algorithms_are_refused(algorithm):
    """Only HS256 is accepted, even with the right secret."""
    with pytest.raises(InvalidToken, match="algorithm"):
        verify_token(mint(algorithm=algorithm), SECRET)
