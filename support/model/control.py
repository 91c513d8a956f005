"""A synchronous client for the fake model's control API (see support/model/server.py).

    model = ModelControl("http://127.0.0.1:8100")
    model.behave_like(chunks=2, chunk_delay_ms=50)
    model.fail_next("status", status=429, retry_after_s=1, times=2)
    mark = model.last_seq()
    ...  # drive the engine
    sent = model.requests(since=mark)
    model.reset()

Standard library only, so any step can use it without extra dependencies.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

# A `since` no request can exceed: asks for the latest sequence number without the records.
_AFTER_EVERYTHING = 2**63 - 1


class FakeModelUnavailable(ConnectionError):
    """The fake model could not be reached."""


class FakeModelError(RuntimeError):
    """The fake model answered a control call with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ModelControl:
    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        # Accept the engine's OpenAI base URL too: the control API sits beside /v1.
        url = base_url.rstrip("/")
        self.base_url = url[: -len("/v1")] if url.endswith("/v1") else url
        self.timeout = timeout

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def behave_like(self, **settings: Any) -> dict[str, Any]:
        """Change some settings; the rest keep their current values. Returns all settings."""
        return self._call("PUT", "/control/behaviour", settings)

    def fail_next(self, kind: str, *, times: int | None = None, for_ms: int | None = None,
                  **details: Any) -> dict[str, Any]:
        """Give the next `times` requests (or every request for `for_ms`) a fault; see
        support/model/faults.py for the kinds and their details. Returns the fault."""
        return self._call("PUT", "/control/fault",
                          {"kind": kind, "times": times, "for_ms": for_ms, **details})

    def fault(self) -> dict[str, Any] | None:
        """The fault in force, or None."""
        return self._call("GET", "/control/fault")

    def clear_fault(self) -> None:
        self._call("DELETE", "/control/fault")

    def behaviour(self) -> dict[str, Any]:
        return self._call("GET", "/control/behaviour")

    def reset(self) -> None:
        """Restore every default setting and forget the recorded requests."""
        self._call("POST", "/control/reset")

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """The recorded completion requests with a sequence number above `since`, oldest first."""
        query = urllib.parse.urlencode({"since": since})
        return self._call("GET", f"/control/requests?{query}")["requests"]

    def last_seq(self) -> int:
        """The sequence number of the latest request so far; use it as a later `since` mark."""
        return self._call("GET", f"/control/requests?since={_AFTER_EVERYTHING}")["last_seq"]

    def clear_requests(self) -> None:
        self._call("DELETE", "/control/requests")

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = self.base_url + path
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise FakeModelError(error.code, f"{method} {url} -> {error.code}: {_detail(error)}") from error
        except TimeoutError as error:
            raise FakeModelUnavailable(
                f"The fake model at {self.base_url} did not answer {method} {path} within {self.timeout} s."
            ) from error
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise FakeModelUnavailable(f"The fake model is not running at {self.base_url} ({reason}).") from error


def _detail(error: urllib.error.HTTPError) -> str:
    text = error.read().decode(errors="replace")
    try:
        return str(json.loads(text).get("detail", text))
    except (ValueError, AttributeError):
        return text
