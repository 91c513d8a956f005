"""A throwaway PostgreSQL server with the Supabase schema, for the stack and for pgTAP."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
from pathlib import Path

import asyncpg

from support.config import REPO_ROOT
from support.stack.processes import Service, StackError, postgres_bindir, run_as

SUPABASE_DIR = REPO_ROOT / "supabase"


def schema_files() -> list[Path]:
    """The shim first, then the migrations in order, then the seed, as Supabase applies them."""
    return ([SUPABASE_DIR / "shim" / "supabase_auth_shim.sql"]
            + sorted((SUPABASE_DIR / "migrations").glob("*.sql"))
            + [SUPABASE_DIR / "seed.sql"])


class PostgresServer:
    def __init__(self, scratch: Path, port: int, logs_dir: Path):
        self.bindir = postgres_bindir()
        self.user = run_as("postgres")
        self.home = scratch / "postgres"
        self.port = port
        self.logs_dir = logs_dir
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        self.service: Service | None = None

    def start(self) -> Service:
        """initdb and start the server; returns at once, see ready()."""
        self.home.mkdir()
        if self.user:
            shutil.chown(self.home.parent, self.user)
            shutil.chown(self.home, self.user)
        initdb = subprocess.run(
            [str(self.bindir / "initdb"), "-D", str(self.home / "data"), "-U", "postgres",
             "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"],
            user=self.user, cwd=self.home, capture_output=True, text=True)
        if initdb.returncode != 0:
            log = self.logs_dir / "initdb.log"
            log.write_text(initdb.stdout + initdb.stderr)
            raise StackError(f"initdb failed: see {log}")
        # Durability is not what the tests are about; skipping fsync makes start-up quick.
        self.service = Service("postgres", [
            str(self.bindir / "postgres"), "-D", str(self.home / "data"), "-p", str(self.port),
            "-k", str(self.home), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
            "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=300"],
            self.logs_dir / "postgres.log", cwd=self.home, user=self.user,
            stop_signal=signal.SIGINT).start()
        return self.service

    def ready(self) -> bool:
        async def connect():
            connection = await asyncpg.connect(self.url, timeout=1)
            await connection.close()
        try:
            asyncio.run(connect())
            return True
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError):
            return False

    def apply_schema(self):
        async def apply():
            connection = await asyncpg.connect(self.url)
            try:
                for path in schema_files():
                    try:
                        await connection.execute(path.read_text())
                    except asyncpg.PostgresError as error:
                        raise StackError(f"{path.relative_to(REPO_ROOT)} does not apply: "
                                         f"{error}") from None
            finally:
                await connection.close()
        asyncio.run(apply())
