"""`python -m app.api`: serve the API with uvicorn on HOST:PORT."""

from __future__ import annotations

import os

# The request line carries the token. websockets reads this when first imported, and by
# default stalls the handshake of a line over 8 KiB; a longer line must reach the endpoint,
# which refuses an oversized token with 4401.
MAX_REQUEST_LINE_BYTES = 256 * 1024
os.environ.setdefault("WEBSOCKETS_MAX_LINE_LENGTH", str(MAX_REQUEST_LINE_BYTES))

import uvicorn  # noqa: E402  (after the setting above)

from app.api.frames import MAX_FRAME_BYTES  # noqa: E402
from app.api.main import create_app  # noqa: E402
from app.core.config import settings_or_exit  # noqa: E402
from app.core.logs import setup_logging  # noqa: E402


# How uvicorn serves the API; the engine's tests start it with the same options.
SERVER_OPTIONS = dict(
    log_config=None,  # keep our handler, which redacts tokens from logged paths
    access_log=False,
    timeout_graceful_shutdown=10,
    # h11 refuses with HTTP 400 a request whose head is still incomplete past this size. A
    # long request line arrives in pieces, so without this a 100 KB token got a 400 or a
    # 4401 depending on how the bytes happened to arrive (docs/contract.md section 1).
    h11_max_incomplete_event_size=MAX_REQUEST_LINE_BYTES,
    # Chat frames are small: compressing each one costs more CPU than it saves.
    ws_per_message_deflate=False,
    ws_max_size=MAX_FRAME_BYTES,  # a larger frame closes the connection with 1009
)


def main() -> None:
    settings = settings_or_exit()
    setup_logging(settings.log_level, "api")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, **SERVER_OPTIONS)


if __name__ == "__main__":
    main()
