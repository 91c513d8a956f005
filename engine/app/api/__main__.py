"""`python -m app.api`: serve the API with uvicorn on HOST:PORT."""

from __future__ import annotations

import uvicorn

from app.api.main import create_app
from app.core.config import settings_or_exit
from app.core.logs import setup_logging


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
    )


if __name__ == "__main__":
    main()
