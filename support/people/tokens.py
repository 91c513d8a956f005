"""JWTs as Supabase issues them, for the users each scenario makes, and forged ones the
engine must refuse (docs/contract.md section 1).

    user_token(user_id, secret)                       # a good one-hour sign-in
    SIGN_INS["an unsigned sign-in"](user_id, secret)  # a SignIn: where the token goes, and what
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field

import jwt

CLOCK_SKEW_S = 30  # the contract's allowance on exp, nbf and iat
MAX_TOKEN_CHARS = 16384  # the contract's longest token
# Time claims are tested this far inside and outside the allowance: a whole second of
# rounding plus the time a busy machine takes between minting and connecting.
EDGE_MARGIN_S = 5


def user_token(user_id: str, secret: str, lifetime_s: int = 3600,  # default one hour
               audience: str = "authenticated",  # default: what Supabase puts in
               role: str = "authenticated") -> str:
    """A signed HS256 access token for user_id; a negative lifetime makes it expired."""
    return signed(claims_for(user_id, lifetime_s, aud=audience, role=role), secret)


def claims_for(user_id: str, lifetime_s: int = 3600, **changes) -> dict:
    """Supabase's claims for user_id; a change to None leaves that claim out."""
    now = int(time.time())
    claims = {"sub": user_id, "role": "authenticated", "aud": "authenticated", "iat": now,
              "exp": now + lifetime_s, **changes}
    return {name: value for name, value in claims.items() if value is not None}


def signed(claims: dict, secret: str, header: dict | None = None) -> str:
    return jwt.encode(claims, secret, algorithm="HS256", headers=header)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: dict, claims: dict) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def unsigned(claims: dict) -> str:
    """alg "none": no signature at all."""
    return _segments({"alg": "none", "typ": "JWT"}, claims) + "."


def hs256_header_on_rs256_shape(claims: dict) -> str:
    """Says HS256, but carries a 2048-bit RSA-sized signature no secret made."""
    return _segments({"alg": "HS256", "typ": "JWT"}, claims) + "." + _b64(secrets.token_bytes(256))


def rs256_header_signed_with_secret(claims: dict, secret: str) -> str:
    """Says RS256, but is signed with the project's secret as an HMAC key (key confusion)."""
    signing_input = _segments({"alg": "RS256", "typ": "JWT"}, claims)
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def of_length(claims: dict, secret: str, length: int) -> str:
    """A validly signed token of exactly `length` characters, padded with a claim."""
    for kid in range(4):  # base64 cannot make every length: a header field shifts it
        header = {"kid": "k" * kid} if kid else None
        base = len(signed({**claims, "pad": ""}, secret, header))
        for extra in range(max(0, (length - base) * 3 // 4 - 4), (length - base) * 3 // 4 + 4):
            token = signed({**claims, "pad": "p" * extra}, secret, header)
            if len(token) == length:
                return token
    raise AssertionError(f"no token of exactly {length} characters")


@dataclass(frozen=True)
class SignIn:
    """What a client presents: the token of the address (None: no token there), and any
    headers or other query parameters."""
    token: str | None
    headers: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)


def _in_address(make):
    return lambda user_id, secret: SignIn(make(user_id, secret))


# Sign-ins the engine must refuse with 4401, by the words a spec uses for them.
UNTRUSTWORTHY_SIGN_INS = {
    "an empty sign-in": _in_address(lambda u, s: ""),
    "a malformed sign-in": _in_address(lambda u, s: "not.a.token"),
    "a sign-in from another project": _in_address(
        lambda u, s: user_token(u, s + "-of-another-project")),
    "an unsigned sign-in": _in_address(lambda u, s: unsigned(claims_for(u))),
    "a sign-in with a forged public-key signature": _in_address(
        lambda u, s: hs256_header_on_rs256_shape(claims_for(u))),
    "a sign-in claiming a public-key algorithm": _in_address(
        lambda u, s: rs256_header_signed_with_secret(claims_for(u), s)),
    "an expired sign-in": _in_address(
        lambda u, s: signed(claims_for(u, lifetime_s=-(CLOCK_SKEW_S + EDGE_MARGIN_S)), s)),
    "a sign-in that is not valid yet": _in_address(lambda u, s: signed(
        claims_for(u, nbf=int(time.time()) + CLOCK_SKEW_S + EDGE_MARGIN_S), s)),
    "a sign-in issued in the future": _in_address(lambda u, s: signed(
        claims_for(u, iat=int(time.time()) + CLOCK_SKEW_S + EDGE_MARGIN_S), s)),
    "a sign-in meant for another audience": _in_address(
        lambda u, s: user_token(u, s, audience="another-app")),
    "a sign-in without a user": _in_address(lambda u, s: signed(claims_for(u, sub=None), s)),
    "a sign-in whose user is not a UUID": _in_address(
        lambda u, s: signed(claims_for(u, sub="ada@example.com"), s)),
    "a sign-in that never expires": _in_address(
        lambda u, s: signed(claims_for(u, exp=None), s)),
    "an anonymous sign-in": _in_address(lambda u, s: signed(claims_for(u, role="anon"), s)),
    "a service sign-in": _in_address(lambda u, s: signed(claims_for(u, role="service_role"), s)),
    "a sign-in without a role": _in_address(lambda u, s: signed(claims_for(u, role=None), s)),
    "a sign-in one character too long": _in_address(
        lambda u, s: of_length(claims_for(u), s, MAX_TOKEN_CHARS + 1)),
    "a sign-in of 100 KB": _in_address(lambda u, s: of_length(claims_for(u), s, 100_000)),
    "a sign-in in the Authorization header": lambda u, s: SignIn(
        None, headers={"Authorization": f"Bearer {user_token(u, s)}"}),
    "a sign-in under another name in the address": lambda u, s: SignIn(
        None, query={"access_token": user_token(u, s)}),
}

# Sign-ins just inside a limit, which the engine must accept.
EDGE_SIGN_INS = {
    "a sign-in that expired moments ago, within the allowed clock skew": _in_address(
        lambda u, s: signed(claims_for(u, lifetime_s=-(CLOCK_SKEW_S - EDGE_MARGIN_S)), s)),
    "a sign-in valid in moments, within the allowed clock skew": _in_address(lambda u, s: signed(
        claims_for(u, nbf=int(time.time()) + CLOCK_SKEW_S - EDGE_MARGIN_S), s)),
    "a sign-in issued moments ahead, within the allowed clock skew": _in_address(
        lambda u, s: signed(claims_for(u, iat=int(time.time()) + CLOCK_SKEW_S - EDGE_MARGIN_S), s)),
    "a sign-in of the longest length allowed": _in_address(
        lambda u, s: of_length(claims_for(u), s, MAX_TOKEN_CHARS)),
}


def running_out_in(user_id: str, secret: str, seconds: int) -> tuple[str, float]:
    """A token the engine stops trusting in `seconds` (allowance included), and that moment."""
    now = int(time.time())
    token = signed(claims_for(user_id, lifetime_s=seconds - CLOCK_SKEW_S), secret)
    return token, now + seconds
