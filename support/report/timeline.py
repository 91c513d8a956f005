"""A scenario's timeline as a picture: on one time axis from the scenario's start, a lane per
connection, the model's requests, the engine's processes and servers, the queue depth, the dead
letters and the steps, so that a gap, an overlap or an event out of order is seen at once.

    png = draw(Timeline(title=scenario.name, marks=[...], spans=[...], steps=[...],
                        queue_depth=[(at_ms, jobs), ...], lane_order=[...]))
    allure.attach(png, name="timeline", attachment_type=allure.attachment_type.PNG)

This module is the data model, plain values: what a collector fills in (Mark, Span, Step,
Timeline), the kinds and how each looks (KINDS), and what the picture shows (Layout). It
imports neither numpy nor matplotlib, so the hooks that collect events at every scenario pay
for neither. The picture is made in two steps, each in its own module:

    timeline_layout.py   layout(timeline): what is drawn, as plain values (lanes shown and in
                         which order, lanes folded, marks drawn one by one or as a density,
                         overlapping spans on sub-rows, labels kept, step bands); pure
    timeline_drawing.py  figure(layout), png(figure): the picture, with matplotlib's Figure API (no
                         pyplot, no global state), always under MAX_PNG_BYTES

Lane names: a person's connection is "<name>#<n>" ("Ada#1"), and only those lanes fold into
"+N more connections" when there are too many to draw; every other lane ("model",
"worker 4711", "redis", "queue") is always shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Style:
    meaning: str
    colour: str
    marker: str | int = "o"  # a matplotlib marker, for a Mark of this kind
    size: float = 6.0  # points
    hatch: str | None = None  # for a Span of this kind


# The kinds a collector uses, what each stands for and how it looks. Errors and faults red,
# done green, the process's life black and teal. A kind not listed draws as OTHER (grey).
KINDS = {
    "sent": Style("a frame a person sent", "#1f77b4", ">", 5),
    "ack": Style("the engine's ack of a message", "#6baed6", "|", 8),
    "notice": Style("a notice frame (queued, retrying...)", "#9467bd", "d", 5),
    "chunks": Style("the pieces of one reply attempt (span)", "#9ecae1"),
    "done": Style("a reply's done frame", "#2ca02c", "o", 6),
    "error": Style("an error frame; label: its code", "#e31a1c", "X", 10),
    "opened": Style("a connection opened", "#525252", 9, 8),
    "closed": Style("a connection closed; label: its close code", "#525252", 8, 8),
    "request": Style("a model request, first to last byte (span)", "#fdae6b"),
    "fault": Style("a fault the scenario injected (span or instant)", "#e31a1c", "*", 13, "////"),
    "paused": Style("a process paused (span)", "#f2c500", "s", 6, "//"),
    "killed": Style("a process killed", "#000000", "X", 10),
    "restarted": Style("a process (re)started", "#00a087", "^", 8),
    "stopped": Style("a process or server stopped", "#7f7f7f", "s", 7),
    "down": Style("a server down (span)", "#fb9a99", "s", 7, "xx"),
    "delay": Style("a proxy's added delay (span)", "#cab2d6", "s", 6, ".."),
    "dead_letter": Style("a job moved to the dead letters", "#b2182b", "v", 10),
}
OTHER = Style("a kind not in KINDS", "#9e9e9e", "o", 5)
STEP_STATUSES = ("passed", "failed", "skipped", "untested")


@dataclass(frozen=True)
class Mark:
    """One instant: a frame sent, an ack, a done, an error, a connection opened or closed,
    a worker killed, a dead letter..."""
    lane: str  # "Ada#1", "model", "worker 4711", "redis", "queue"
    at_ms: int  # milliseconds since the scenario started
    kind: str  # one of KINDS: decides colour and marker
    label: str = ""  # short text, e.g. "error llm_failed", "closed 1013"


@dataclass(frozen=True)
class Span:
    """An interval: the chunks of one reply attempt, a model request from start to last byte,
    a worker paused, Redis down, the proxy's delay."""
    lane: str
    start_ms: int
    end_ms: int
    kind: str
    label: str = ""  # "attempt 2: 14 pieces", the fault of a request


@dataclass(frozen=True)
class Step:
    """A Given/When/Then and when it ran."""
    keyword_and_text: str  # "When Ada asks what her name is"
    start_ms: int
    end_ms: int
    status: str  # one of STEP_STATUSES


@dataclass
class Timeline:
    title: str  # the scenario's name
    marks: list[Mark] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    queue_depth: list[tuple[int, int]] = field(default_factory=list)  # (at_ms, jobs waiting)
    lane_order: list[str] | None = None  # None: lanes in the order their first event happened


# -- what is drawn: layout() makes it, figure() draws it -------------------------------------

@dataclass(frozen=True)
class DrawnSpan:
    start_ms: int
    end_ms: int
    kind: str
    level: int  # sub-row of its lane, 0 first
    text: str  # shown from its start up to the next span on its sub-row; "" = none


@dataclass(frozen=True)
class Density:
    kind: str
    counts: tuple[int, ...]  # marks per bin of Layout.bin_edges_ms


@dataclass(frozen=True)
class Lane:
    name: str  # as shown
    stands_for: int  # lanes recorded in it: more than 1 for the folded lane
    marks: tuple[Mark, ...]  # each drawn as a marker
    texts: tuple[tuple[int, str], ...]  # (at_ms, text) of the mark labels shown
    densities: tuple[Density, ...]
    spans: tuple[DrawnSpan, ...]
    levels: int  # sub-rows its spans take
    height: float  # 1 for a lane, more for one with sub-rows and for the folded lane


@dataclass(frozen=True)
class StepBand:
    number: int
    start_ms: int
    end_ms: int
    status: str
    text: str  # shown in the band; the failed step's may run past it


@dataclass(frozen=True)
class Layout:
    title: str
    summary: str
    lo_ms: int
    hi_ms: int
    lanes: tuple[Lane, ...]
    folded: int  # recorded lanes folded into the "+N more" lane; 0 = none
    steps: tuple[StepBand, ...]
    queue_depth: tuple[tuple[int, int], ...]
    bin_edges_ms: tuple[float, ...]
    legend: tuple[tuple[str, bool], ...]  # (kind, drawn as a span), in KINDS order

    @property
    def nothing(self) -> bool:
        return not (self.lanes or self.steps or self.queue_depth)


def style(kind: str) -> Style:
    return KINDS.get(kind, OTHER)


def draw(timeline: Timeline) -> bytes:
    """The timeline as PNG bytes (under 1 MB whatever it holds)."""
    from support.report.timeline_drawing import figure, png  # matplotlib only when drawing
    from support.report.timeline_layout import layout

    return png(figure(layout(timeline)))


def picture(timeline: Timeline) -> tuple[bytes, str]:
    """The timeline as SVG, its text kept as text, with "svg"; or, when that would be over
    1 MB (thousands of marks drawn one by one), as draw()'s PNG, with "png". An SVG takes
    half the time: no glyph is rasterised, and the browser scales it."""
    import io

    import matplotlib

    from support.report.timeline_drawing import MAX_PNG_BYTES, figure, png
    from support.report.timeline_layout import layout

    fig, buffer = figure(layout(timeline)), io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "timeline"}):
        fig.savefig(buffer, format="svg")
    if buffer.tell() <= MAX_PNG_BYTES:
        return buffer.getvalue(), "svg"
    return png(fig), "png"  # the same figure: drawn once, saved twice
