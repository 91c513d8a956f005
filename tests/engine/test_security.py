"""Token validation with pyjwt: what closes a connection with 4401 and what passes."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from app.core.security import InvalidToken, user_id_from_token

SECRET = "test-secret-that-is-long-enough-for-hs256"


def mint(secret: str = SECRET, algorithm: str = "HS256", **overrides) -> str:
    claims = {"sub": str(uuid.uuid4()), "role": "authenticated", "aud": "authenticated",
              "exp": int(time.time()) + 3600}
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm=algorithm)


def test_valid_token_gives_the_user_id():
    """A Supabase-style token yields its `sub` as a UUID."""
    user = uuid.uuid4()
    assert user_id_from_token(mint(sub=str(user)), SECRET) == user


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "not-a-jwt",
        mint(secret="another-secret-that-is-long-enough-x"),
        mint(exp=int(time.time()) - 10),
        mint(aud="anon"),
        mint(aud=None),
        mint(exp=None),
        mint(sub=None),
        mint(sub="not-a-uuid"),
    ],
    ids=["none", "empty", "malformed", "other-secret", "expired", "wrong-aud", "no-aud",
         "no-exp", "no-sub", "sub-not-uuid"],
)
def test_invalid_tokens_are_refused(token):
    """Missing, malformed, foreign, expired or wrong-audience tokens raise InvalidToken."""
    with pytest.raises(InvalidToken):
        user_id_from_token(token, SECRET)


def test_unsigned_token_is_refused():
    """A token with alg "none" never passes, whatever its claims."""
    unsigned = jwt.encode(
        {"sub": str(uuid.uuid4()), "aud": "authenticated", "exp": int(time.time()) + 60},
        None, algorithm="none",
    )
    with pytest.raises(InvalidToken):
        user_id_from_token(unsigned, SECRET)
