"""The table `make bench` prints at the end, from the figures it writes to bench.json."""

from __future__ import annotations

from support.load.stats import fmt_ms

WORKLOADS = (("steady", "steady chat, 200 people, model at 0 ms"),
             ("many", "1000 connections, 100 msgs/s offered"),
             ("paced", "realistic pace, 100 people"))
FRAMES_PER_REPLY = 12  # ack, 10 pieces, done: what the steady workload relays per reply


def _rate(value) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _three(figures: dict | None) -> str:
    if not figures:
        return "-"
    return "/".join(fmt_ms(figures.get(key)) for key in ("p50", "p95", "p99"))


def _share(engine, primitive) -> str:
    return f"{engine / primitive:.1%}" if engine and primitive else "-"


def table(results: dict) -> str:
    parts = results.get("primitives", {})
    flood = results.get("flood", {})
    lines = [f"\nBench of the engine in {results.get('engine_dir', '?')}", "",
             "Primitives, alone on this machine, this run"]
    lines += _primitive_lines(parts)
    lines += ["", "Engine (latency ms as p50/p95/p99)"]
    for key, what in WORKLOADS:
        lines += _workload_lines(what, results.get(key))
    lines += _flood_lines(flood)
    lines += ["", "Engine / primitive"] + _share_lines(results, parts, flood)
    lines += _driver_lines(results.get("drivers", {}))
    return "\n".join(lines)


def _primitive_lines(parts: dict) -> list[str]:
    lines = []
    for key, what, unit in (("redis_xadd_per_s", "redis-py XADD, one client", "/s"),
                            ("postgres_inserts_per_s", "asyncpg INSERT, pool of 8", "/s"),
                            ("websocket_echo_frames_per_s", "websockets echo, 1 connection",
                             " frames/s")):
        lines.append(f"  {what:<34}{_rate(parts.get(key)):>10}{unit}")
    return lines


def _workload_lines(what: str, figures: dict | None) -> list[str]:
    if not figures or "error" in figures:
        return [f"  {what}: {(figures or {}).get('error', 'not measured')}"]
    cpu = {name: ms for name, ms in figures["cpu_ms_per_reply"].items() if ms is not None}
    failed = figures["messages"] - figures["endings"]["done"]
    return [
        f"  {what}: {figures['replies_per_s']:.1f} replies/s, {failed} of "
        f"{figures['messages']} without a done, queue depth at most "
        f"{figures['peak_queue_depth']}",
        f"      ack {_three(figures['ack_ms'])}   first piece "
        f"{_three(figures['first_piece_ms'])}   reply {_three(figures['reply_ms'])}   "
        f"overhead p95 {fmt_ms(figures['overhead_p95_ms'])}",
        f"      CPU ms per reply {sum(cpu.values()):.1f}: "
        + ", ".join(f"{name} {ms:.1f}" for name, ms in cpu.items())]


def _flood_lines(flood: dict) -> list[str]:
    if "error" in flood or not flood:
        return [f"  admission flood: {flood.get('error', 'not measured')}"]
    return [f"  admission flood, {flood['sent']:,} messages from 200 connections, model "
            f"stalled: {flood['admission_msgs_per_s']:,.0f} msgs/s",
            f"      {flood['taken_or_refused']:,} taken or refused in time "
            f"({flood['refused']:,} refused), ack {_three(flood['ack_ms'])}, "
            f"{flood['connections_dropped']} connections dropped"]


def _share_lines(results: dict, parts: dict, flood: dict) -> list[str]:
    steady = results.get("steady", {})
    steady_rate = steady.get("replies_per_s") if "error" not in steady else None
    admitted = flood.get("admission_msgs_per_s")
    frames = steady_rate and steady_rate * FRAMES_PER_REPLY
    return [
        f"  {what:<42}{_share(engine, parts.get(primitive))}" for what, engine, primitive in (
            ("admission msgs/s / XADD/s", admitted, "redis_xadd_per_s"),
            ("admission msgs/s / INSERT/s", admitted, "postgres_inserts_per_s"),
            ("steady replies/s / INSERT/s", steady_rate, "postgres_inserts_per_s"),
            ("steady frames relayed/s / echo frames/s", frames,
             "websocket_echo_frames_per_s"))]


def _driver_lines(drivers: dict) -> list[str]:
    if drivers and "error" not in drivers:
        lines = ["", "Load drivers, same engine, same load (50 people, realistic pace)"]
        for key, what in (("suite", "suite driver (asyncio)"), ("locust", "Locust (gevent)")):
            one = drivers[key]
            lines.append(f"  {what:<26}{one['replies']:>6} replies, "
                         f"{one['cpu_s'] or 0:.2f} CPU-s, "
                         f"{_rate(one['msgs_per_cpu_s'])} msgs per CPU-s, "
                         f"reply p50 {fmt_ms(one['reply_p50_ms'])} ms")
        return lines
    if drivers:
        return [f"  load drivers: {drivers['error']}"]
    return []
