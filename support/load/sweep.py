"""The breaking point, found as LLM-serving benchmarks sweep for a safe operating range:

1. one person alone, closed-loop: the baseline;
2. as many people as the engine takes, closed-loop without pauses: the throughput;
3. a few constant arrival rates between the two, open-loop, and the plan's human pace (100
   people each sending a message every 10 s), wherever it falls.

The safe range runs up to the highest rate at which reply time p95 is under 5 s and the
ledger (support/probes/ledger.py) finds under 1 % of messages failed or refused and none lost or
duplicated, at that rate and at every lower one. Each step's ledger is taken while its
connections are still open, so an untold end counts as lost.

    sweep = Sweep(suite, folder)
    steps = sweep.run()          # prints and writes each step's figures as it goes
    sweep.show()                 # the table, and a plot of reply time against rate
    sweep.safe_rate()            # messages/s, or 0.0 when no step was safe
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from support.console import say
from support.eventually import equal_to, eventually_async
from support.probes.ledger import account
from support.probes.ledger_judge import NEVER, TOLD_OF_FAILURE
from support.load import figures
from support.load.driver import LoadRun
from support.load.pace import HUMAN_PACE_EVERY_S, HUMAN_PACE_PEOPLE

BASELINE_TURNS = 5
THROUGHPUT_PEOPLE, THROUGHPUT_S = 200, 15
RATE_STEPS, RATE_S, RATE_PEOPLE = 4, 15, 100
DRAIN_S = 30  # how long each step's last replies are waited for
LEDGER_S = 30  # how long each step's ledger waits for what is still queued or untold
SETTLE_S = 60  # how long the queue is given to empty between steps
SAFE_P95_S, SAFE_FAILED = 5.0, 0.01


@dataclass
class SweepStep:
    label: str
    loop: str  # "closed" or "open"
    rate_per_s: float  # offered (open-loop) or achieved (closed-loop) messages a second
    run: LoadRun

    @property
    def p95_s(self) -> float | None:
        p95 = self.run.stats.percentile_ms("reply", 95)
        return None if p95 is None else p95 / 1000

    def share(self, outcomes) -> float:
        """The share of the step's messages the ledger classed as one of these outcomes
        (1.0 when no ledger was taken: nothing is known to be safe)."""
        ledger = self.run.ledger
        if ledger is None or not ledger.entries:
            return 1.0
        return sum(len(ledger.of(outcome)) for outcome in outcomes) / len(ledger.entries)

    @property
    def failed_share(self) -> float:
        return self.share(TOLD_OF_FAILURE)

    @property
    def safe(self) -> bool:
        return (self.p95_s is not None and self.p95_s < SAFE_P95_S
                and self.failed_share < SAFE_FAILED and self.share(NEVER) == 0)


class Sweep:
    def __init__(self, suite, folder: Path):
        self.suite, self.folder = suite, folder
        self.steps: list[SweepStep] = []
        self.throughput_label = f"2. {THROUGHPUT_PEOPLE} people without pauses"

    def run(self) -> list[SweepStep]:
        baseline = self._step("1. one person alone", "closed", lambda run, people:
                              run.chat(people, turns=BASELINE_TURNS), 1)
        alone_ms = baseline.run.stats.percentile_ms("reply", 50)
        assert alone_ms, f"one person alone got no reply: {figures.figures_table(baseline.run)}"
        baseline.rate_per_s = 1000 / alone_ms
        most = self._step(self.throughput_label, "closed",
                          lambda run, people: run.chat(people, duration_s=THROUGHPUT_S),
                          THROUGHPUT_PEOPLE)
        most.rate_per_s = most.run.replies_per_s()
        low, high = baseline.rate_per_s, max(most.rate_per_s, baseline.rate_per_s)
        rates = [low + (high - low) * index / (RATE_STEPS + 1)
                 for index in range(1, RATE_STEPS + 1)]
        # The plan's human pace is always one of the rates, so the range is known there.
        for index, rate in enumerate(sorted({*rates, HUMAN_PACE_PEOPLE / HUMAN_PACE_EVERY_S}),
                                     start=1):
            self._step(f"3.{index} {rate:.1f} messages/s", "open",
                       lambda run, people, rate=rate: run.arrivals(people, rate, RATE_S),
                       RATE_PEOPLE, rate)
        return self.steps

    def safe_rate(self) -> float:
        """The top of the safe range: the highest rate below which every step was safe (the
        throughput step, at saturation by design, is not a rate of the range)."""
        safe = 0.0
        for step in sorted((s for s in self.steps if s.label != self.throughput_label),
                           key=lambda s: s.rate_per_s):
            if not step.safe:
                break
            safe = step.rate_per_s
        return safe

    def table(self) -> str:
        lines = [f"  {'step':<34}{'loop':>7}{'msgs/s':>9}{'reply p95 s':>13}{'failed':>9}"
                 f"{'lost/dup':>10}{'safe':>6}"]
        for step in self.steps:
            p95 = "-" if step.p95_s is None else f"{step.p95_s:.2f}"
            lines.append(f"  {step.label:<34}{step.loop:>7}{step.rate_per_s:>9.1f}{p95:>13}"
                         f"{step.failed_share:>9.1%}{step.share(NEVER):>10.1%}"
                         f"{'yes' if step.safe else 'no':>6}")
        lines.append(f"  safe up to {self.safe_rate():.1f} messages/s (reply p95 under "
                     f"{SAFE_P95_S:.0f} s, under {SAFE_FAILED:.0%} failed or refused, none "
                     "lost or duplicated)")
        return "\n".join(lines)

    def show(self):
        """Print the sweep's table and attach it with its plot."""
        table = self.table()
        say(table)
        plot = self.folder / "sweep.png"
        figures.plot_sweep(self.steps, SAFE_P95_S, plot)
        figures.attach(table, None, plot, "sweep")

    def _step(self, label: str, loop: str, load, people: int, rate: float = 0.0) -> SweepStep:
        run = LoadRun(f"sweep {label}", self.suite.endpoints.engine_url,
                      self.suite.endpoints.jwt_secret, queue=self.suite.queue)
        self.suite.happenings.overhear(run.transcript)  # drawn on the timeline too

        async def go():
            try:
                await load(run, await run.connect(people))
                await run.finish(DRAIN_S)
                run.ledger = await account(self.suite, run.sent(), [], LEDGER_S)
            finally:
                await run.close()
        step = SweepStep(label, loop, rate, run)
        try:
            self.suite.run(go(), THROUGHPUT_S + RATE_S + DRAIN_S + LEDGER_S + 120, run.label)
        finally:
            self.steps.append(step)
            if run.ledger is not None:
                run.ledger.report()
            table = figures.figures_table(run)
            say(table)
            figures.attach(table, *figures.write_files(run, self.folder, run.label), run.label)
        self.suite.run(eventually_async(self.suite.queue.depth, equal_to(0), SETTLE_S,
                                        "queue depth after a sweep step"),
                       SETTLE_S + 5, "the queue emptying")
        return step
