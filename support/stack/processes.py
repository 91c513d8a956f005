"""Starting and stopping the real server binaries of the embedded stack."""

from __future__ import annotations

import fcntl
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psutil


class StackError(Exception):
    """The stack could not start; the message is one sentence that says what to do."""


def require_binary(name: str, install_hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise StackError(f"{name} is not installed: {install_hint}")
    return path


def postgres_bindir() -> Path:
    """The newest installed PostgreSQL's bin directory, found by version, not hard-coded."""
    candidates = glob.glob("/usr/lib/postgresql/*/bin/postgres")
    candidates.sort(key=lambda p: int(re.search(r"/(\d+)/bin/", p).group(1)))
    if candidates:
        return Path(candidates[-1]).parent
    on_path = shutil.which("postgres") or shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout
        if (Path(bindir.strip()) / "postgres").exists():
            return Path(bindir.strip())
    raise StackError("the PostgreSQL server is not installed: run `make setup` "
                     "(or apt-get install postgresql) and try again")


def scratch_root() -> str:
    """Where the servers' data goes: TMPDIR, else /tmp. Not Python's default, which follows
    TEMP, and BehaveX points TEMP into the reports folder, where the postgres user may not be
    allowed to go (a repository under /root, say)."""
    return os.environ.get("TMPDIR") or ("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir())


# A port is found free some time before its server binds it (after initdb, or the engine's
# imports). Meanwhile another stack booting at the same moment (a parallel run's workers,
# the mutants' jobs, another checkout's run) could be handed the same port by the kernel,
# and one of the two servers would fail to start. So every port handed out is written down
# on this machine, and none written down in the last PORT_HOLD_S seconds is handed out again.
PORT_HOLD_S = 60.0
PORTS_HANDED_OUT = "grizz-ports-handed-out"


def free_port() -> int:
    """A free loopback port that no stack of this machine was handed in the last minute."""
    with open(Path(scratch_root()) / PORTS_HANDED_OUT, "a+") as ledger:
        fcntl.flock(ledger, fcntl.LOCK_EX)  # released when the file closes
        ledger.seek(0)
        now = time.time()
        recent = {port: at for port, at in _handed_out(ledger.read()) if now - at < PORT_HOLD_S}
        for _ in range(100):
            port = _kernel_free_port()
            if port not in recent:
                break
        recent[port] = now
        ledger.seek(0)
        ledger.truncate()
        ledger.write("".join(f"{port} {at:.3f}\n" for port, at in recent.items()))
        return port


def _handed_out(text: str) -> list[tuple[int, float]]:
    entries = []
    for line in text.splitlines():
        port, _, at = line.partition(" ")
        try:
            entries.append((int(port), float(at)))
        except ValueError:
            continue  # a line cut short by a crash: that port is simply free again
    return entries


def _kernel_free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def claim_port(port: int | None, what: str, variable: str) -> int:
    """The configured port if it is free, a free one if none is configured."""
    if port is None:
        return free_port()
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise StackError(f"port {port} for {what} is in use: stop whatever listens there "
                             f"or unset {variable} to let the suite pick a free port") from None
    return port


class Service:
    """One child process with its log file; stops it gently, then firmly."""

    def __init__(self, name: str, argv: list[str], log_path: Path, *, cwd=None, env=None,
                 user: str | None = None, stop_signal=signal.SIGTERM):
        self.name, self.argv, self.log_path = name, argv, log_path
        self.cwd, self.env, self.user, self.stop_signal = cwd, env, user, stop_signal
        self.process: subprocess.Popen | None = None

    def start(self) -> "Service":
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, user=self.user, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as error:
            raise StackError(f"could not start {self.name} ({error.strerror}): "
                             f"check that {self.argv[0]} is installed and runnable") from None
        finally:
            log.close()
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, within_s: float = 10.0):
        if not self.running():
            return
        try:
            os.killpg(self.process.pid, self.stop_signal)
            self.process.wait(within_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(within_s)
        except ProcessLookupError:
            pass


def child_listening(parent: int, port: int) -> int | None:
    """The pid of a running direct child of `parent` that listens on this TCP port: how the
    suite finds the engine's front end (docs/contract.md, section 7), whatever its name."""
    try:
        children = psutil.Process(parent).children()
    except psutil.Error:
        return None
    for child in children:
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                continue
            if any(conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port
                   for conn in child.net_connections(kind="tcp")):
                return child.pid
        except psutil.Error:
            continue
    return None


def run_as(user: str | None) -> str | None:
    """PostgreSQL refuses to run as root: when we are root, run it as this user."""
    if os.geteuid() != 0:
        return None
    try:
        import pwd
        pwd.getpwnam(user)
    except KeyError:
        raise StackError(f"PostgreSQL cannot run as root and there is no {user!r} user: "
                         f"run `make setup` or create one with `useradd {user}`") from None
    return user
