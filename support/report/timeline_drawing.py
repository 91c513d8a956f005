"""A timeline's Layout (timeline_layout.py) as a Figure, with matplotlib's Figure API: no
pyplot, so no global registry of figures to leak into and no state shared between threads.

From top to bottom: the title and a summary, a strip of the steps (the failed one red, its
text whole even when its band is narrow), the lanes (spans as bars on sub-rows, marks as
markers, crowded kinds as counts per bin), the queue depth as a step line, the time axis in
seconds since the scenario started, and a legend of the kinds present. The steps' bands
shade the lanes and the queue panel too, so each event is seen in the step it fell in.
"""

from __future__ import annotations

import io
from itertools import accumulate

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from support.report.timeline import Layout, style

MAX_PNG_BYTES = 1_000_000
DPIS = (100, 72, 50, 35)  # tried in turn; at 35 dpi, 420 x 560 px at most: 1 MB even raw
WIDTH_IN, LEFT_IN, RIGHT_IN = 12.0, 1.75, 0.55
TITLE_IN, STEPS_IN, LANE_IN, DEPTH_IN, BOTTOM_IN, GAP_IN = 0.6, 0.3, 0.3, 0.8, 1.0, 0.08
MAX_LANES_IN = 13.0
SMALL = 6.5  # points: mark and span labels
STEP_FILL = {"passed": ("#f3f3f3", "#e4ede4"), "failed": ("#fde0e0", "#f4a3a3"),
             "skipped": ("#ffffff", "#f0f0f0"), "untested": ("#ffffff", "#f7f7f7")}
FAILED_TEXT = "#a50000"


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes under MAX_PNG_BYTES: at 100 dpi, or fewer dots per inch if it
    would not fit. A Figure without pyplot is garbage once dropped: nothing to close."""
    for dpi in DPIS:
        fig.savefig(buffer := io.BytesIO(), format="png", dpi=dpi)
        if buffer.tell() <= MAX_PNG_BYTES:
            break
    return buffer.getvalue()


def figure(layout: Layout) -> Figure:
    """The picture as a Figure with an Agg canvas; its axes are labelled "steps", "lanes" and
    "queue" (Axes.get_label), and lane_rows(layout) says where each lane is in "lanes"."""
    rows = lane_rows(layout)
    lanes_in = min(max(sum(h for _, h in rows) * LANE_IN, 1.0), MAX_LANES_IN)
    height = TITLE_IN + STEPS_IN + lanes_in + DEPTH_IN + BOTTOM_IN + 2 * GAP_IN
    fig = Figure(figsize=(WIDTH_IN, height if not layout.nothing else 2.0), dpi=DPIS[0])
    FigureCanvasAgg(fig)
    fig.text(0.01, 1 - 0.12 / fig.get_figheight(), layout.title, fontsize=11, va="top",
             weight="bold", parse_math=False)
    fig.text(0.01, 1 - 0.36 / fig.get_figheight(), layout.summary, fontsize=8, va="top",
             color="#555555", parse_math=False)
    if layout.nothing:
        fig.text(0.5, 0.4, "nothing was recorded", ha="center", fontsize=12, color="#777777")
        return fig

    def rect(bottom_in, height_in):
        return [LEFT_IN / WIDTH_IN, bottom_in / height, (WIDTH_IN - LEFT_IN - RIGHT_IN) / WIDTH_IN,
                height_in / height]

    queue = fig.add_axes(rect(BOTTOM_IN, DEPTH_IN), label="queue")
    lanes = fig.add_axes(rect(BOTTOM_IN + DEPTH_IN + GAP_IN, lanes_in), sharex=queue,
                         label="lanes")
    steps = fig.add_axes(rect(BOTTOM_IN + DEPTH_IN + lanes_in + 2 * GAP_IN, STEPS_IN),
                         sharex=queue, label="steps")
    queue.set_xlim(layout.lo_ms / 1000, layout.hi_ms / 1000)
    for ax in (lanes, steps):  # the time axis is read on the queue panel only
        ax.xaxis.get_offset_text().set_visible(False)
    _draw_steps(layout, steps, (lanes, queue))
    _draw_lanes(layout, rows, lanes)
    _draw_queue(layout, queue)
    _draw_legend(layout, fig)
    return fig


def _draw_steps(layout: Layout, strip, shaded) -> None:
    """Each step as a box in the strip and a shaded band over the lanes and the queue; the
    failed one red, its text drawn last and never cut, dashed red lines at its edges."""
    strip.set_ylim(0, 1)
    strip.set_yticks([0.5], labels=["steps"], fontsize=8)
    strip.tick_params(axis="y", length=0)
    strip.xaxis.set_visible(False)  # time is read on the queue panel: no ticks to make here
    for band in layout.steps:
        start, end = band.start_ms / 1000, band.end_ms / 1000
        shade, box = STEP_FILL.get(band.status, STEP_FILL["untested"])
        shade = "#fbfbfb" if band.status == "passed" and band.number % 2 == 0 else shade
        for ax in shaded:
            ax.axvspan(start, max(end, start + 1e-9), color=shade, zorder=0, lw=0)
            ax.axvline(start, color="#c8c8c8", lw=0.6, zorder=0.5)
        strip.broken_barh([(start, end - start)], (0.08, 0.84), facecolor=box,
                          edgecolor="#9a9a9a", lw=0.5)
        if band.text and band.status != "failed":
            strip.text(start, 0.5, " " + band.text, fontsize=7.5, va="center", clip_on=True,
                       color="#333333" if band.status == "passed" else "#999999",
                       parse_math=False)
    for band in (band for band in layout.steps if band.status == "failed"):
        start, end = band.start_ms / 1000, band.end_ms / 1000
        late = band.start_ms - layout.lo_ms > 0.55 * (layout.hi_ms - layout.lo_ms)
        strip.text(end if late else start, 0.5, (band.text + " ") if late else (" " + band.text),
                   ha="right" if late else "left", fontsize=7.5, va="center", weight="bold",
                   color=FAILED_TEXT, parse_math=False, zorder=5, clip_on=False,
                   bbox={"facecolor": STEP_FILL["failed"][0], "edgecolor": "none", "pad": 1})
        for ax, x in ((ax, x) for ax in shaded for x in (start, end)):
            ax.axvline(x, color=FAILED_TEXT, lw=0.9, ls="--", zorder=0.6)


def lane_rows(layout: Layout) -> list[tuple[float, float]]:
    """(top, height) of each lane in the "lanes" axes, in lane units from the top."""
    tops = accumulate((lane.height for lane in layout.lanes), initial=0.0)
    return list(zip(tops, (lane.height for lane in layout.lanes)))


def _band(top: float, height: float) -> tuple[float, float]:
    """Where a lane's spans, marks and densities go: below a strip for the marks' labels."""
    return top + 0.32, top + height - 0.1


def _draw_lanes(layout: Layout, rows, ax) -> None:
    ax.set_ylim(sum(rows[-1]) if rows else 1, 0)  # the first lane on top
    ax.set_yticks([sum(_band(*row)) / 2 for row in rows],
                  labels=[lane.name for lane in layout.lanes], fontsize=7.5)
    for label in ax.get_yticklabels():
        label.set_parse_math(False)
    ax.tick_params(labelbottom=False, length=0)
    ax.hlines([top for top, _ in rows[1:]], layout.lo_ms / 1000, layout.hi_ms / 1000,
              color="#d0d0d0", lw=0.5, zorder=0.7)
    ax.grid(axis="x", color="#e0e0e0", lw=0.5)
    if layout.lo_ms < 0:
        ax.axvline(0, color="#333333", lw=0.8, ls=":", zorder=0.8)
    if not layout.lanes:
        ax.text(0.5, 0.5, "no events were recorded", transform=ax.transAxes, ha="center",
                va="center", color="#777777")
    _draw_spans(layout, rows, ax)
    _draw_densities(layout, rows, ax)
    _draw_marks(layout, rows, ax)


def _draw_spans(layout: Layout, rows, ax) -> None:
    """One broken_barh per kind and sub-row of a lane; a span too short to see gets a sliver."""
    groups, sliver = {}, (layout.hi_ms - layout.lo_ms) / 1500 / 1000
    for (top, height), lane in zip(rows, layout.lanes):
        first, last = _band(top, height)
        level_height = (last - first) / lane.levels
        for span in lane.spans:
            y = first + span.level * level_height
            width = max((span.end_ms - span.start_ms) / 1000, sliver)
            groups.setdefault((span.kind, y, level_height), []).append(
                (span.start_ms / 1000, width))
            if span.text:
                ax.text(span.start_ms / 1000, y + level_height / 2, " " + span.text, va="center",
                        fontsize=SMALL, clip_on=True, zorder=4, parse_math=False)
    for (kind, y, level_height), ranges in groups.items():
        look = style(kind)
        ax.broken_barh(ranges, (y + 0.03, level_height - 0.06), facecolor=look.colour,
                       alpha=0.75, edgecolor=look.colour, lw=0.4, hatch=look.hatch, zorder=2)


def _draw_densities(layout: Layout, rows, ax) -> None:
    """Crowded kinds as counts per bin, stacked, scaled to the lane's busiest bin: one
    PolyCollection of step-shaped areas for the whole picture."""
    edges = np.asarray(layout.bin_edges_ms, dtype=float) / 1000
    xs = np.repeat(edges, 2)[1:-1]
    areas, colours = [], []
    for (top, height), lane in zip(rows, layout.lanes):
        if not lane.densities:
            continue
        first, last = _band(top, height)
        counts = np.array([d.counts for d in lane.densities], dtype=float)
        peak = max(counts.sum(axis=0).max(), 1.0)
        below = np.zeros(counts.shape[1])
        for density, row in zip(lane.densities, counts):
            above = below + row
            upper = np.repeat(last - (last - first) * above / peak, 2)
            lower = np.repeat(last - (last - first) * below / peak, 2)
            areas.append(np.column_stack([np.concatenate([xs, xs[::-1]]),
                                          np.concatenate([upper, lower[::-1]])]))
            colours.append(style(density.kind).colour)
            below = above
        ax.text(1.0, (first + last) / 2, f" ≤{peak:.0f}/bin", transform=ax.get_yaxis_transform(),
                fontsize=5.5, va="center", color="#777777", clip_on=False)
    ax.add_collection(PolyCollection(areas, facecolors=colours, linewidths=0, alpha=0.9,
                                     zorder=2.5), autolim=False)


def _draw_marks(layout: Layout, rows, ax) -> None:
    """One Line2D of markers per kind over all lanes, then the labels kept, above them."""
    points = {}
    for (top, height), lane in zip(rows, layout.lanes):
        y = sum(_band(top, height)) / 2
        for mark in lane.marks:
            xs, ys = points.setdefault(mark.kind, ([], []))
            xs.append(mark.at_ms / 1000)
            ys.append(y)
        for at_ms, text in lane.texts:
            ax.text(at_ms / 1000, top + 0.17, " " + text, fontsize=SMALL, va="center",
                    clip_on=True, zorder=4, parse_math=False, color="#222222")
    for kind, (xs, ys) in points.items():
        look = style(kind)
        ax.plot(xs, ys, ls="none", marker=look.marker, markersize=look.size, color=look.colour,
                markeredgecolor="white" if look.size >= 9 else look.colour, markeredgewidth=0.6,
                zorder=3)


def _draw_queue(layout: Layout, ax) -> None:
    ax.set_xlabel("seconds since the scenario started", fontsize=8)
    ax.tick_params(labelsize=7.5)
    ax.set_ylabel("jobs\nwaiting", fontsize=8, rotation=0, ha="right", va="center")
    ax.grid(axis="x", color="#e0e0e0", lw=0.5)
    if not layout.queue_depth:
        ax.set_yticks([])
        ax.text(0.5, 0.5, "queue depth not sampled", transform=ax.transAxes, ha="center",
                va="center", fontsize=8, color="#777777")
        return
    xs = [t / 1000 for t, _ in layout.queue_depth] + [layout.hi_ms / 1000]
    ys = [d for _, d in layout.queue_depth] + [layout.queue_depth[-1][1]]
    peak = max(max(ys), 1)
    ax.fill_between(xs, ys, step="post", color="#6a51a3", alpha=0.25, lw=0, zorder=1)
    ax.step(xs, ys, where="post", color="#6a51a3", lw=1.0, zorder=2)
    ax.set_ylim(0, peak * 1.15)
    ax.set_yticks([0, peak], labels=["0", f"{peak:,}"])


def _draw_legend(layout: Layout, fig) -> None:
    if any(lane.densities for lane in layout.lanes):
        width_s = (layout.bin_edges_ms[1] - layout.bin_edges_ms[0]) / 1000
        fig.text(0.99, 1 - 0.36 / fig.get_figheight(), f"crowded kinds: marks per {width_s:.3g} s "
                 "bin, stacked, each lane scaled to its busiest bin (≤N/bin at its right)",
                 ha="right", va="top", fontsize=7, color="#555555")
    handles = []
    for kind, as_span in layout.legend:
        look, name = style(kind), kind.replace("_", " ")[:24]
        handles.append(Patch(facecolor=look.colour, alpha=0.75, hatch=look.hatch, label=name)
                       if as_span else
                       Line2D([], [], ls="none", marker=look.marker, color=look.colour,
                              markersize=min(look.size, 8), label=name))
    if any(band.status == "failed" for band in layout.steps):
        handles.append(Patch(facecolor=STEP_FILL["failed"][1], label="failed step"))
    if handles:
        legend = fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 10),
                            fontsize=7.5, frameon=False, bbox_to_anchor=(0.5, 0.0),
                            handletextpad=0.3, columnspacing=1.0)
        for text in legend.get_texts():
            text.set_parse_math(False)
