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


def main() -> None:
    settings = settings_or_exit()
    setup_logging(settings.log_level, "api")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep our handler, which redacts tokens from logged paths
        access_log=False,
        timeout_graceful_shutdown=10,
        # Chat frames are small: compressing each one costs more CPU than it saves.
        ws_per_message_deflate=False,
        ws_max_size=MAX_FRAME_BYTES,  # a larger frame closes the connection with 1009
    )


if __name__ == "__main__":
    main()
