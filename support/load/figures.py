"""What a load run shows a reader: a table of figures, the raw figures as CSV, and a plot of
the percentiles over time and of the whole distributions (matplotlib, no display needed).

    print(figures_table(run))
    csv_path, png_path = write_files(run, reports_dir / "load", "100-people")
    attach(run, csv_path, png_path)   # to the current Allure step; no-op without Allure
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import allure
import matplotlib

matplotlib.use("Agg")  # draw to files only: no display on a CI runner
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend

from support.load.stats import LATENCIES, fmt_ms  # noqa: E402

CSV_FIELDS = ("caller", "client_message_id", "job_id", "due_s", "sent_ms", "ack_ms",
              "first_piece_ms", "reply_ms", "error_ms", "pieces", "dones", "error_code",
              "socket_ending", "ledger")
WINDOWS = 30  # time windows in the percentiles-over-time plot


def figures_table(run) -> str:
    """Latency percentiles, the ledger's counts and throughput of one run, as aligned text
    (before the ledger is taken, what the socket showed instead)."""
    lines = [f"{run.label}: {len(run.messages)} messages from {len(run.callers)} people "
             f"in {run.elapsed_s:.1f} s",
             f"  {'latency (ms)':<28}{'count':>8}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}"]
    for name, what in LATENCIES.items():
        figures = run.stats.percentiles(name)
        lines.append(f"  {what:<28}{figures['count']:>8}" + "".join(
            f"{fmt_ms(figures[key]):>9}" for key in ("p50", "p95", "p99", "max")))
    if run.ledger is not None:
        lines.append(f"  {run.ledger.summary()}")
    else:
        lines.append("  on the socket (no ledger taken): " + ", ".join(
            f"{n} {name.replace('_', ' ')}" for name, n in run.endings().items()))
    lines.append(f"  {run.replies_per_s():.1f} replies/s; "
                 f"queue depth at most {run.peak_depth()}; "
                 f"connections refused {sum(c.refused is not None for c in run.callers)}, "
                 f"dropped {sum(c.dropped for c in run.callers)}")
    if run.schedule_lag_s:
        lines.append(f"  open-loop: the driver sent at most {run.schedule_lag_s * 1000:,.0f} ms "
                     "late (latencies count from when each message was due)")
    return "\n".join(lines)


def rows(run) -> list[dict]:
    judged = {entry.sent.client_message_id: entry.outcome
              for entry in (run.ledger.entries if run.ledger else [])}
    out = []
    for m in run.messages:
        out.append({
            "caller": m.caller, "client_message_id": m.client_message_id, "job_id": m.job_id,
            "due_s": round(m.due_at - run.started, 4), "sent_ms": m.ms(m.sent_at),
            "ack_ms": m.ms(m.ack_at), "first_piece_ms": m.ms(m.first_piece_at),
            "reply_ms": m.ms(m.done_at), "error_ms": m.ms(m.error_at), "pieces": m.pieces,
            "dones": m.dones, "error_code": m.error_code, "socket_ending": m.ending,
            "ledger": judged.get(m.client_message_id, "")})
    return out


def write_files(run, folder: Path, name: str) -> tuple[Path, Path]:
    """The run's raw figures (one row per message) as CSV and its plot as PNG."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    csv_path, png_path = folder / f"{stem}.csv", folder / f"{stem}.png"
    with csv_path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows(run))
    plot(run, png_path)
    return csv_path, png_path


def plot(run, path: Path):
    figure, (over_time, distribution) = plt.subplots(1, 2, figsize=(13, 4.8))
    figure.suptitle(run.label)
    _percentiles_over_time(run, over_time)
    _distributions(run, distribution)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def _percentiles_over_time(run, axes):
    """Reply time p50/p95/p99 of the messages due in each time window, queue depth beside."""
    done = sorted((m.due_at - run.started, (m.done_at - m.due_at) * 1000)
                  for m in run.messages if m.done_at is not None)
    if done:
        width = max(run.elapsed_s / WINDOWS, 0.5)
        windows: dict[int, list[float]] = {}
        for due, reply_ms in done:
            windows.setdefault(int(due // width), []).append(reply_ms)
        starts = [index * width for index in sorted(windows)]
        for share, style in ((50, "-"), (95, "--"), (99, ":")):
            values = [_percentile(windows[index], share) for index in sorted(windows)]
            axes.plot(starts, values, style, label=f"reply p{share}")
    axes.set_xlabel("s since the run started (by when each message was due)")
    axes.set_ylabel("ms")
    axes.set_title("Whole reply over time")
    if run.depths:
        depth_axes = axes.twinx()
        depth_axes.plot(*zip(*run.depths), color="grey", alpha=0.5, label="queue depth")
        depth_axes.set_ylabel("queue depth")
        depth_axes.legend(loc="upper right")
    axes.legend(loc="upper left", framealpha=0.6)


def _distributions(run, axes):
    """Each latency's whole distribution: ms against percentile, the tail spread out."""
    for name, what in LATENCIES.items():
        points = [(p, ms) for p, ms in run.stats.distribution(name) if p < 100]
        if points:
            axes.plot([1 / (1 - p / 100) for p, _ in points], [ms for _, ms in points],
                      label=what)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xticks([1, 2, 10, 100, 1000])
    axes.set_xticklabels(["0", "50", "90", "99", "99.9"])
    axes.set_xlabel("percentile")
    axes.set_ylabel("ms")
    axes.set_ylim(bottom=0.1)  # pieces read together are 0 ms apart; the tail matters here
    axes.set_title("Distribution (HDR histograms)")
    axes.legend(loc="lower right")


def plot_sweep(steps, limit_s: float, path: Path):
    """Reply time percentiles against the rate of each open-loop step of a sweep."""
    figure, axes = plt.subplots(figsize=(7, 4.5))
    points = sorted((step.rate_per_s, step.run) for step in steps if step.loop == "open")
    for share, style in ((50, "o-"), (95, "s--"), (99, "^:")):
        axes.plot([rate for rate, _ in points],
                  [(run.stats.percentile_ms("reply", share) or 0) / 1000 for _, run in points],
                  style, label=f"reply p{share}")
    axes.axhline(limit_s, color="red", alpha=0.5, label=f"{limit_s:.0f} s")
    axes.set_xlabel("messages/s offered (open-loop)")
    axes.set_ylabel("s")
    axes.set_title("Sweep: whole reply against arrival rate")
    axes.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share / 100))]


def attach(table: str, csv_path: Path | None, png_path: Path, name: str):
    """Attach the figures, the plot and the CSV to the current Allure step, if there is one."""
    try:
        allure.attach(table, name=f"{name}: figures", attachment_type=allure.attachment_type.TEXT)
        allure.attach.file(str(png_path), name=f"{name}: plot",
                           attachment_type=allure.attachment_type.PNG)
        if csv_path is not None:
            allure.attach.file(str(csv_path), name=f"{name}: raw figures",
                               attachment_type=allure.attachment_type.CSV)
    except Exception:  # noqa: BLE001 - outside an Allure test the report is simply absent
        pass
