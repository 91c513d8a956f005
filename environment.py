"""behave hooks: start or attach the stack, give every scenario its own people, clean up,
and put the evidence of each failure into the Allure report. BehaveX calls the two
*_all_workers hooks once around a parallel run, in its main process."""

from __future__ import annotations

import json
import os
import signal
import sys

from support import parallel
from support.report import evidence, labels, parallel_console, run_facts, skips, timeline_events
from support.config import ConfigError, load_config
from support.stack.processes import StackError
from support.suite import Suite
from support.people.cast import Cast
from support.probes import ledger


def before_all_workers(context):
    timeline_events.load_drawing()
    try:
        parallel_console.start_run(load_config())
    except ConfigError as problem:
        cannot_start(problem)


def before_all(context):
    # Each ledger's counts go into the report as a `ledger` attachment (probes/ cannot
    # import report/, so the ledger hands them here).
    ledger.on_report(lambda details: evidence.attach(json.dumps(details, indent=2), "ledger",
                                                     evidence.JSON))
    if parallel.in_worker():
        # BehaveX runs behave once per scenario: the worker's first run attaches.
        context.suite = parallel.kept_suite()
        if context.suite is None:
            parallel.stop_stack_on_sigterm()
            context.suite = parallel.keep(attach(context))
            report_stack(context.suite)
            run_facts.describe_run(context, context.suite, clear=False)
        return
    # A CI time-out or a `kill` sends SIGTERM: leave through SystemExit so that atexit
    # stops the embedded stack, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    context.suite = attach(context)
    report_stack(context.suite)
    # A parallel run's results were cleared once, at its start.
    run_facts.describe_run(context, context.suite, clear=not parallel.in_parallel_run())


def attach(context) -> Suite:
    try:
        return Suite.attach(load_config(context.config.userdata), parallel.process_name())
    except (ConfigError, StackError) as problem:
        cannot_start(problem)


def cannot_start(problem):
    # One sentence that says what to do is the whole report; a traceback and a list of
    # untested scenarios would only bury it. Nothing is left running.
    print(f"The suite cannot start: {problem}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(2)


def report_stack(suite: Suite):
    if suite.stack:
        print(f"Embedded stack ready in {suite.stack.boot_seconds:.2f} s "
              f"(engine {suite.endpoints.engine_url}, logs in {suite.stack.logs_dir})")
    else:
        print(f"Running against the external engine at {suite.endpoints.engine_url}")


# What a tagged scenario needs of the run, and what to tell the reader when it is missing.
NEEDS = {
    "scripted_model": (lambda suite: suite.model is not None,
                       "needs the scriptable model: set GRIZZ_MODEL_URL to its address"),
    "operates_workers": (lambda suite: suite.stack is not None,
                         "pauses, crashes or stops the engine's processes, which only the "
                         "embedded stack lets the suite do"),
    "operates_servers": (lambda suite: suite.stack is not None,
                         "stops and restarts Redis, PostgreSQL or the engine, which only the "
                         "embedded stack lets the suite do"),
}


def before_scenario(context, scenario):
    labels.label_scenario(scenario)
    context.evidence_attached = False
    for tag, (available, reason) in NEEDS.items():
        if tag in scenario.effective_tags and not available(context.suite):
            skips.skip(scenario, reason)
            return
    if context.suite.model:
        context.suite.model.reset()
    context.cast = Cast(context.suite)
    context.recording = timeline_events.Recording(context.suite, context.cast)


def before_step(context, step):
    recording = getattr(context, "recording", None)
    if recording is not None:
        recording.step_started(step)


def after_step(context, step):
    recording = getattr(context, "recording", None)
    if recording is not None:
        recording.step_ended(step)
    cast = getattr(context, "cast", None)
    if cast is not None and step.status.has_failed():
        # The failed step is still open in Allure here, so the evidence lands on it.
        evidence.attach_transcript(cast)
        evidence.attach_failure_evidence(cast, context.suite)
        context.evidence_attached = True


def after_scenario(context, scenario):
    cast = getattr(context, "cast", None)
    if cast is None:
        return
    try:
        if scenario.status.has_failed() and not context.evidence_attached:
            evidence.attach_failure_evidence(cast, context.suite)  # failed outside a step
        cast.leave()
    finally:
        evidence.attach_transcript(cast)
        timeline_events.attach_timeline(context.recording, scenario)
        context.cast = None
        if parallel.in_parallel_run():
            parallel_console.scenario_line(scenario)


def after_all(context):
    if parallel.in_worker():
        return  # the worker keeps its suite for its next scenario
    if not parallel.in_parallel_run():  # a parallel run sums up once, at its end
        skips.summarise()
    if getattr(context, "suite", None) is not None:
        context.suite.detach()


def after_all_workers(context):
    parallel_console.finish_run()
