"""The engine logs each refusal with its reason, and never a token (engine/README.md)."""

from __future__ import annotations

import uuid

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from support.eventually import Condition, eventually
from support.people.tokens import UNTRUSTWORTHY_SIGN_INS, user_token

LOGGED_WITHIN_S = 10


def close_code(endpoints, conversation_id: str, token: str) -> int | None:
    """Connect with this token and return the close code the engine answers with."""
    url = f"{endpoints.engine_url}/ws/chat/{conversation_id}?token={token}"
    with connect(url, open_timeout=10) as socket:
        try:
            socket.recv(timeout=10)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
    return None


def logged(log, text: str) -> str:
    """Wait, bounded, until the engine's log holds the text; return the whole log."""
    return eventually(log.read_text, Condition(lambda content: text in content,
                                               f"a line with {text!r}"),
                      within_s=LOGGED_WITHIN_S, what="the engine's log")


def test_each_refusal_is_logged_with_its_reason_and_never_the_token(fuzz_engine):
    """4401 and 4403 refusals each leave one line naming the reason; no token is in the log."""
    sender, log = fuzz_engine
    endpoints, secret = sender.endpoints, sender.endpoints.jwt_secret
    user = str(uuid.uuid4())
    tokens = []
    for sign_in, reason in [("a sign-in from another project", "signature does not match"),
                            ("an expired sign-in", "expired"),
                            ("an anonymous sign-in", "role is not authenticated"),
                            ("a sign-in of 100 KB", "token longer than 16384 characters")]:
        token = UNTRUSTWORTHY_SIGN_INS[sign_in](user, secret).token
        tokens.append(token)
        conversation_id = str(uuid.uuid4())
        assert close_code(endpoints, conversation_id, token) == 4401, sign_in
        logged(log, f"refused conversation_id={conversation_id}: invalid token ({reason}")

    owner, intruder = user_token(user, secret), user_token(str(uuid.uuid4()), secret)
    tokens += [owner, intruder]
    conversation_id = str(uuid.uuid4())
    with connect(f"{endpoints.engine_url}/ws/chat/{conversation_id}?token={owner}"):
        pass  # the first connection creates the conversation for its user
    assert close_code(endpoints, conversation_id, intruder) == 4403
    logged(log, f"refused conversation_id={conversation_id} user_id=")
    content = log.read_text()
    leaked = [token[:20] for token in tokens
              if token in content or token.rsplit(".", 1)[-1] in content]
    assert not leaked, f"tokens in the engine's log: {leaked}"
    assert "[redacted]" in content, "uvicorn's request lines should show the token blanked"
