"""Scenarios in several processes: BehaveX's workers, each on its own embedded stack.

BehaveX runs behave once per scenario inside a pool of worker processes, and behave calls
before_all and after_all on every run. Booting a stack for each scenario would cost 3 to 8 s
a time, so a worker attaches its suite on its first scenario and keeps it until the process
ends:

    begin_run("4")                       # before_all_workers, in BehaveX's main process
    in_parallel_run()                    # inside a BehaveX run, in any of its processes?
    in_worker()                          # inside one of BehaveX's pool processes?
    process_name()                       # "worker-1": its stack logs in reports/stack/worker-1/
    suite = kept_suite() or keep(attach())   # before_all: attach on the first run only
    processes_wanted("auto")             # how many processes a run uses: auto or a number
    processes_for("auto", config)        # the same, one against an external engine
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.util
import os
import signal

# The name BehaveX gives each process of its pool, followed by the worker's number.
WORKER_PREFIX = "behave_worker-"
# The number of processes, set in the environment of a parallel run's processes (BehaveX
# forks its pool after before_all_workers sets it).
RUN_MARK = "GRIZZ_PARALLEL_RUN"

_suite = None  # this worker's suite, kept across its behave runs

# A stack (PostgreSQL, Redis, the model, the engine and its 2 workers) holds about 0.6 GiB;
# the scenarios mostly wait on time-outs, outages and silent models. Measured on 2 cores, the
# quick suite took 90 s in 4 processes, 69 s in 5, 66 s in 6 and 70 s in 8 (8 stacks
# booting at once take 17 s): three a core, six at most.
GIB_PER_PROCESS = 1
PROCESSES_PER_CORE = 3
MOST_PROCESSES = 6


def memory_gib() -> float:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        return pages * size / 2**30
    except (ValueError, OSError):
        return 2.0


def auto_processes() -> int:
    """Three processes a core, as many as the memory holds, at most MOST_PROCESSES."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MOST_PROCESSES, PROCESSES_PER_CORE * (cores or 1),
                      int(memory_gib() // GIB_PER_PROCESS)))


def processes_wanted(value: str) -> int:
    """The number of processes PROCESSES asks for: auto, or a whole number from 1."""
    if value == "auto":
        return auto_processes()
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise ValueError(f"PROCESSES={value!r} is not a number of processes: give auto or 1, 2, ...")


def begin_run(processes: str):
    """Mark this process and the workers it will start as parts of one parallel run of
    that many processes."""
    os.environ[RUN_MARK] = processes


def in_parallel_run() -> bool:
    return bool(os.environ.get(RUN_MARK))


def processes_of_run() -> str:
    return os.environ.get(RUN_MARK) or "1"


def processes_for(value: str, config) -> int:
    """How many processes a run of the scenarios against this configuration takes: one
    against an external engine, whose queue every scenario shares; ValueError when a
    fixed engine port would be given to several."""
    processes = processes_wanted(value)
    if config.external:
        return 1
    if config.engine_port is not None and processes > 1:
        raise ValueError(f"GRIZZ_ENGINE_PORT={config.engine_port} gives every one of the "
                         f"{processes} processes the same engine port: unset it, or run "
                         "PROCESSES=1")
    return processes


def in_worker() -> bool:
    return multiprocessing.current_process().name.startswith(WORKER_PREFIX)


def process_name() -> str | None:
    """worker-N in BehaveX's pool; "serial" for the @SERIAL scenarios BehaveX runs in its
    main process first; None outside a parallel run."""
    name = multiprocessing.current_process().name
    if in_worker():
        return f"worker-{name.removeprefix(WORKER_PREFIX)}"
    return "serial" if in_parallel_run() else None


def kept_suite():
    """The suite this worker kept from its first scenario, None before it."""
    return _suite


def keep(suite):
    """Keep the suite for the worker's next scenarios and stop it when the worker ends."""
    global _suite
    _suite = suite
    # A pool process ends through multiprocessing, which runs its finalizers but never
    # atexit: this is what stops the stack when the run is over.
    multiprocessing.util.Finalize(None, suite.detach, exitpriority=10)
    return suite


def stop_stack_on_sigterm():
    """In a worker, before its stack starts: BehaveX (or concurrent.futures, when another
    worker died) stops the workers with SIGTERM, maybe while a stack is still starting.
    What has started goes with the worker instead of outliving the run: the stack and the
    suite register their stop with atexit, which a pool process never runs by itself."""
    signal.signal(signal.SIGTERM, _stop_and_exit)


def _stop_and_exit(number, frame):
    try:
        atexit._run_exitfuncs()
    finally:
        os._exit(128 + number)
