"""`make bench`: what the engine carries on this machine, beside what its parts can do alone.

    python -m support.load.bench      # starts the embedded stack (GRIZZ_ENGINE_DIR applies)

One run measures the primitives (Redis XADD, PostgreSQL inserts, WebSocket echo) and then
the engine under the issue's workloads, prints a progress line while it goes and a table at
the end, and writes reports/bench.json (with each workload's CSV and plot in reports/bench/).
It is a benchmark: it asserts nothing about speed. It exits 2 with one sentence when the
stack cannot start.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from support.config import ConfigError, load_config
from support.console import say
from support.eventually import equal_to, eventually_async
from support.load import engine_cpu
from support.load import primitives
from support.load import figures
from support.load.bench_table import table
from support.load.driver import LoadRun
from support.load.locust_run import run_locust
from support.load.pace import INSTANT, REALISTIC, model_ms
from support.stack.processes import StackError
from support.suite import Suite

# The workloads of the issue, each bounded; together they keep the bench near 4 minutes.
STEADY = dict(people=200, seconds=15)  # the model at zero latency, closed-loop
MANY = dict(people=1000, connect_over_s=10, rate_per_s=100, seconds=15)  # open-loop
PACED = dict(people=100, seconds=15)  # closed-loop at the realistic pace
DRIVERS = dict(people=50, seconds=10)  # the suite driver and Locust, the same load each
FLOOD = dict(people=200, each=50, within_s=60)  # stalled model: admission only
DRAIN_S = 20  # how long a workload's last replies are waited for
SETTLE_S = 45  # how long the queue is given to empty between workloads


class Bench:
    def __init__(self, suite: Suite):
        self.suite = suite
        self.endpoints = suite.endpoints
        self.folder = suite.config.reports_dir / "bench"
        self.results: dict = {"engine_dir": str(suite.config.engine_dir.resolve())}

    def run(self):
        steps = [("primitives", self.measure_primitives),
                 ("paced", self.measure_paced),
                 ("steady", self.measure_steady),
                 ("drivers", self.measure_drivers),
                 ("many", self.measure_many),
                 ("flood", self.measure_flood)]
        for number, (name, measure) in enumerate(steps, start=1):
            say(f"bench [{number}/{len(steps)}] {name}")
            started = time.perf_counter()
            try:
                measure()
            except Exception as error:  # noqa: BLE001 - one broken workload, not a lost bench
                self.results[name] = {"error": f"{type(error).__name__}: {error}"[:300]}
            say(f"bench [{number}/{len(steps)}] {name}: done in "
                f"{time.perf_counter() - started:.0f} s")

    # -- the parts alone ------------------------------------------------------------------

    def measure_primitives(self):
        self.results["primitives"] = {
            "redis_xadd_per_s": primitives.xadds_per_s(self.endpoints.redis_url),
            "postgres_inserts_per_s": self.suite.run(
                primitives.inserts_per_s(self.endpoints.database_url), 30, "inserts"),
            "websocket_echo_frames_per_s": self.suite.run(
                primitives.echo_frames_per_s(), 30, "echo frames")}

    # -- the engine -----------------------------------------------------------------------

    def measure_steady(self):
        self.suite.model.behave_like(**INSTANT)
        run, cpu = self._closed_loop("steady chat, 200 people", STEADY["people"],
                                     STEADY["seconds"])
        self.results["steady"] = self._figures(run, cpu, model_time_ms=0)

    def measure_paced(self):
        self.suite.model.behave_like(**REALISTIC)
        run, cpu = self._closed_loop("realistic pace, 100 people", PACED["people"],
                                     PACED["seconds"])
        self.results["paced"] = self._figures(run, cpu, model_time_ms=model_ms(REALISTIC))

    def measure_many(self):
        self.suite.model.behave_like(**INSTANT)
        run = self._new_run("1000 connections, 100 messages/s")

        async def load():
            try:
                people = await run.connect(MANY["people"], over_s=MANY["connect_over_s"])
                before = engine_cpu.cpu_by_process(self.engine_pid)
                await run.arrivals(people, MANY["rate_per_s"], MANY["seconds"])
                await run.finish(DRAIN_S)
                return engine_cpu.cpu_used(before, engine_cpu.cpu_by_process(self.engine_pid))
            finally:
                await run.close()
        cpu = self.suite.run(load(), 200, run.label)
        self.results["many"] = self._figures(run, cpu, model_time_ms=0)
        self._settle()

    def measure_flood(self):
        self.suite.model.behave_like(stalled=True)
        run = self._new_run("admission flood, 10,000 messages")

        async def load():
            try:
                people = await run.connect(FLOOD["people"])
                started = time.perf_counter()
                await run.flood(people, FLOOD["each"], FLOOD["within_s"])
                taken = [m for m in run.messages if m.ack_at or m.error_at]
                last = max((m.ack_at or m.error_at for m in taken), default=started)
                return len(taken), max(last - started, 1e-3)
            finally:
                await run.close()
        taken, seconds = self.suite.run(load(), FLOOD["within_s"] + 90, run.label)
        say(figures.figures_table(run))
        self.results["flood"] = {
            "sent": len(run.messages), "taken_or_refused": taken,
            "refused": sum(m.error_code is not None and m.ack_at is None
                           for m in run.messages),
            "admission_msgs_per_s": taken / seconds, "ack_ms": run.stats.percentiles("ack"),
            "connections_dropped": sum(c.dropped for c in run.callers)}
        self.suite.model.behave_like(stalled=False)

    def measure_drivers(self):
        """The same closed-loop load from the suite's driver and from Locust; messages per
        CPU-second of each (the suite's: its event loop's thread; Locust's: its process)."""
        self.suite.model.behave_like(**REALISTIC)
        run = self._new_run("suite driver, 50 people", sample_queue=False)

        async def load():
            try:
                people = await run.connect(DRIVERS["people"])
                cpu_started = time.thread_time()  # the loop's own thread: the driver's CPU
                await run.chat(people, duration_s=DRIVERS["seconds"])
                await run.finish(DRAIN_S)
                return time.thread_time() - cpu_started
            finally:
                await run.close()
        suite_cpu = self.suite.run(load(), 120, run.label)
        self._settle()
        locust = run_locust(self.endpoints.engine_url, self.endpoints.jwt_secret,
                            DRIVERS["people"], DRIVERS["seconds"], self.folder / "locust",
                            pause_s=(0, 0))
        answered = run.endings()["done"]
        self.results["drivers"] = {
            "suite": {"replies": answered, "cpu_s": suite_cpu,
                      "msgs_per_cpu_s": answered / suite_cpu if suite_cpu else None,
                      "reply_p50_ms": run.stats.percentile_ms("reply", 50)},
            "locust": {"replies": locust.requests("full reply"), "cpu_s": locust.cpu_s,
                       "msgs_per_cpu_s": locust.requests("full reply") / locust.cpu_s
                       if locust.cpu_s else None,
                       "reply_p50_ms": locust.median_ms("full reply"),
                       "failures": locust.failures("full reply")}}
        self._settle()

    # -- inside ---------------------------------------------------------------------------

    @property
    def engine_pid(self) -> int:
        return self.suite.stack.services["engine"].process.pid

    def _new_run(self, label: str, sample_queue: bool = True) -> LoadRun:
        return LoadRun(label, self.endpoints.engine_url, self.endpoints.jwt_secret,
                       queue=self.suite.queue if sample_queue else None)

    def _closed_loop(self, label: str, people: int, seconds: float):
        run = self._new_run(label)

        async def load():
            try:
                callers = await run.connect(people)
                before = engine_cpu.cpu_by_process(self.engine_pid)
                await run.chat(callers, duration_s=seconds)
                await run.finish(DRAIN_S)
                return engine_cpu.cpu_used(before, engine_cpu.cpu_by_process(self.engine_pid))
            finally:
                await run.close()
        cpu = self.suite.run(load(), seconds + DRAIN_S + 120, label)
        self._settle()
        return run, cpu

    def _figures(self, run: LoadRun, cpu: dict[str, float], model_time_ms: float) -> dict:
        say(figures.figures_table(run))
        figures.write_files(run, self.folder, run.label)
        counts = run.endings()
        answered = counts["done"]
        reply = run.stats.percentiles("reply")
        return {
            "people": len(run.callers), "messages": len(run.messages), "endings": counts,
            "seconds": run.elapsed_s, "replies_per_s": run.replies_per_s(),
            "ack_ms": run.stats.percentiles("ack"),
            "first_piece_ms": run.stats.percentiles("first_piece"),
            "gap_ms": run.stats.percentiles("gap"), "reply_ms": reply,
            "model_ms": model_time_ms,
            "overhead_p95_ms": reply["p95"] - model_time_ms if reply["p95"] is not None
            else None,
            "peak_queue_depth": run.peak_depth(),
            "cpu_ms_per_reply": {name: 1000 * seconds / answered if answered else None
                                 for name, seconds in sorted(cpu.items())},
            "connections_refused": sum(c.refused is not None for c in run.callers),
            "connections_dropped": sum(c.dropped for c in run.callers)}

    def _settle(self):
        """Let the queue empty before the next workload, so none measures another's tail."""
        try:
            self.suite.run(eventually_async(self.suite.queue.depth, equal_to(0), SETTLE_S,
                                            "queue depth between workloads"),
                           SETTLE_S + 5, "the queue emptying")
        except AssertionError as still_busy:
            say(f"bench: going on although {still_busy}")


def main() -> int:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 1000 sockets each side
    try:
        config = load_config({})
        if config.external:
            raise ConfigError("the bench starts and measures its own stack: unset "
                              "GRIZZ_ENGINE_URL and the other external settings")
        say("bench: starting the embedded stack")
        suite = Suite.attach(config)
    except (ConfigError, StackError) as problem:
        print(f"The bench cannot start: {problem}", file=sys.stderr, flush=True)
        return 2
    try:
        bench = Bench(suite)
        bench.run()
    finally:
        suite.detach()
    print(table(bench.results))
    path = config.reports_dir / "bench.json"
    path.write_text(json.dumps(bench.results, indent=2))
    print(f"\nWritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
