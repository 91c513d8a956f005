"""CPU time of each engine process (the launcher and its children), read with psutil.

    before = cpu_by_process(launcher_pid)
    ... load ...
    used = cpu_used(before, cpu_by_process(launcher_pid))   # {"api": 1.2, "worker-0": ...}
"""

from __future__ import annotations

import psutil


def _name(process: psutil.Process) -> str:
    """A name an operator knows the process by: launcher, api, worker-N, or its pid."""
    try:
        command = process.cmdline()
    except psutil.Error:
        return str(process.pid)
    if "launcher.py" in " ".join(command):
        return "launcher"
    if "app.api" in command:
        return "api"
    if "app.workers" in command and "--index" in command:
        return f"worker-{command[command.index('--index') + 1]}"
    return f"{command[-1] if command else 'process'}-{process.pid}"


def cpu_by_process(launcher_pid: int) -> dict[str, float]:
    """CPU seconds (user + system) so far of the launcher and every process under it."""
    try:
        launcher = psutil.Process(launcher_pid)
        processes = [launcher, *launcher.children(recursive=True)]
    except psutil.Error:
        return {}
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
            seconds[_name(process)] = times.user + times.system
        except psutil.Error:  # it exited meanwhile: its share is simply not counted
            pass
    return seconds


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds each process used between two readings (a restarted one from zero)."""
    return {name: after[name] - before.get(name, 0.0) if after[name] >= before.get(name, 0.0)
            else after[name] for name in after}
