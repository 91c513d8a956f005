"""The FastAPI application: /health and the chat WebSocket."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import __version__
from app.api.chat_socket import chat_endpoint
from app.api.results_reader import ResultReader
from app.core.config import Settings, load_settings
from app.core.db import create_db_pool
from app.core.queue import JobAdmitter, ensure_worker_group
from app.core.redis_client import close_redis_pool, get_redis
from app.services.admissions import AdmissionBatcher

# Messages are stored in batches, one at a time (app/services/admissions.py); the rest is
# for opening conversations and replaying stored replies.
API_DB_POOL_SIZE = 20


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.settings = settings
        app.state.redis = get_redis(settings)
        await ensure_worker_group(app.state.redis)
        app.state.admitter = JobAdmitter(app.state.redis, settings.queue_hard_limit)
        app.state.db = await create_db_pool(settings.database_url, API_DB_POOL_SIZE)
        app.state.admissions = AdmissionBatcher(app.state.db, app.state.admitter)
        app.state.results = ResultReader(app.state.redis)
        app.state.results.start()
        try:
            yield
        finally:
            await app.state.results.stop()
            await app.state.db.close()
            await close_redis_pool()

    app = FastAPI(title="Grizz AI Engine", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict:
        # Reached only after the lifespan connected to Redis and PostgreSQL.
        return {"status": "ok", "version": __version__}

    app.add_api_websocket_route("/ws/chat/{conversation_id}", chat_endpoint)
    return app
