"""JWTs as Supabase issues them, for the users each scenario makes."""

from __future__ import annotations

import time

import jwt


def user_token(user_id: str, secret: str, lifetime_s: int = 3600,  # default one hour
               audience: str = "authenticated",  # default: what Supabase puts in
               role: str = "authenticated") -> str:
    """A signed HS256 access token for user_id; a negative lifetime makes it expired."""
    now = int(time.time())
    claims = {"sub": user_id, "role": role, "aud": audience, "iat": now,
              "exp": now + lifetime_s}
    return jwt.encode(claims, secret, algorithm="HS256")


# Sign-ins the engine must refuse, by the words a spec uses for them.
UNTRUSTWORTHY_SIGN_INS = {
    "an expired sign-in": lambda user_id, secret: user_token(user_id, secret, lifetime_s=-60),
    "a sign-in from another project":
        lambda user_id, secret: user_token(user_id, secret + "-of-another-project"),
    "a sign-in meant for another audience":
        lambda user_id, secret: user_token(user_id, secret, audience="another-app"),
    "a malformed sign-in": lambda user_id, secret: "not.a.token",
}
