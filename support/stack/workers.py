"""Operating the engine's worker processes, in embedded mode where the suite runs them.

Pausing and resuming go through the launcher's operational signals (engine/README.md,
"Operating the engine"); crashes are real signals to the worker process that holds a job,
found through the consumer name, which ends with the worker's pid (docs/contract.md).

    workers = WorkerControl(launcher_pid, queue_probe)
    await workers.pause()              # every worker stops; messages are still queued
    await workers.resume()             # the workers come back
    await workers.signal_holder(job_id, signal.SIGKILL)
"""

from __future__ import annotations

import os
import signal
from typing import Protocol

from support.eventually import at_least, equal_to, eventually_async, present
from support.happenings import Happenings
from support.stack.engine import WORKERS

SETTLE_WITHIN_S = 30  # default bound for workers to stop or come back


class WorkerLookup(Protocol):
    """What WorkerControl looks up in the job queue (the suite's QueueProbe is one): the
    consumer names of the live workers, and the consumer holding a job."""

    async def live_workers(self) -> list[str]: ...

    async def consumer_holding(self, job_id: str) -> str | None: ...


class WorkerControl:
    def __init__(self, launcher_pid: int, queue: WorkerLookup, workers: int = WORKERS,
                 happenings: Happenings | None = None):
        self.launcher_pid = launcher_pid
        self.queue = queue
        self.workers = workers
        self.happenings = happenings or Happenings()

    async def live_consumers(self) -> list[str]:
        """Live workers of this engine: a killed worker's key outlives it by up to 5 s, so
        only keys whose pid is a running child of the launcher count."""
        return [consumer for consumer in await self.queue.live_workers()
                if _is_child_of(_pid_of(consumer), self.launcher_pid)]

    async def live(self) -> int:
        return len(await self.live_consumers())

    async def pause(self, within_s: float = SETTLE_WITHIN_S):
        os.kill(self.launcher_pid, signal.SIGUSR1)
        self.happenings.begin("workers", "paused", "all paused")
        await eventually_async(self.live, equal_to(0), within_s, "live workers after pausing")

    async def resume(self, within_s: float = SETTLE_WITHIN_S):
        os.kill(self.launcher_pid, signal.SIGUSR2)
        self.happenings.end("workers", "paused")
        await self.wait_all_live(within_s)

    async def wait_all_live(self, within_s: float = SETTLE_WITHIN_S):
        await eventually_async(self.live, at_least(self.workers), within_s, "live workers")
        self.happenings.mark("workers", "restarted", f"{self.workers} live")

    async def holder_of(self, job_id: str, within_s: float = 10) -> tuple[str, int]:
        """The consumer that has the job in hand, and its pid."""
        consumer = await eventually_async(lambda: self.queue.consumer_holding(job_id),
                                          present("a consumer holding it"), within_s,
                                          f"the worker holding job {job_id}")
        return consumer, _pid_of(consumer)

    async def signal_holder(self, job_id: str, signal_number: int) -> int:
        """Send a signal to the worker process writing this job's reply; return its pid."""
        consumer, pid = await self.holder_of(job_id)
        self._check_ours(consumer, pid)
        os.kill(pid, signal_number)
        self._record_signal(pid, signal_number)
        return pid

    async def crash_any(self) -> str:
        """Kill one live worker outright; return its consumer name."""
        live = await self.live_consumers()
        assert live, "no live worker to crash"
        os.kill(_pid_of(live[0]), signal.SIGKILL)
        self._record_signal(_pid_of(live[0]), signal.SIGKILL)
        return live[0]

    def _record_signal(self, pid: int, signal_number: int):
        lane, name = f"worker {pid}", signal.Signals(signal_number).name
        if signal_number == signal.SIGSTOP:
            self.happenings.begin(lane, "paused", name)
        elif signal_number == signal.SIGCONT:
            self.happenings.end(lane, "paused")
        else:
            self.happenings.mark(lane, "killed" if signal_number == signal.SIGKILL else "stopped",
                                 name)

    def _check_ours(self, consumer: str, pid: int):
        if not _is_child_of(pid, self.launcher_pid):
            raise AssertionError(f"consumer {consumer} is not a worker of this engine "
                                 f"(pid {pid} is not a child of launcher {self.launcher_pid})")


def _pid_of(consumer: str) -> int:
    return int(consumer.rsplit("-", 1)[1])


def _is_child_of(pid: int, parent: int) -> bool:
    """pid is a running (not yet reaped counts as gone) child process of parent."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state, parent_pid = stat.read().rsplit(") ", 1)[1].split()[:2]
    except (FileNotFoundError, IndexError, ValueError):
        return False
    return state != "Z" and int(parent_pid) == parent
