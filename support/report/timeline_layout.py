"""What a timeline picture shows, decided before anything is drawn: layout(timeline) returns
plain values (Layout) that timeline_drawing.figure() turns into pixels, so tests check what is
drawn (lanes and their order, lanes folded, marks one by one or as a density, labels kept)
without reading pixels back.

The rules that keep a capacity run (100 people, 50,000 marks) readable:
- above MAX_LANES lanes, connections ("<name>#<n>") fold into one "+N more connections" lane;
  the engine's lanes stay, and connections that saw an error, a fault or a close stay first;
- in a lane of more than DENSE_LANE marks, each kind with DENSE_KIND marks or more is drawn
  as counts per time bin (BINS across the axis); rarer kinds, errors among them, stay marks;
- a lane with more than LABELLED_MARKS labelled marks shows none of their labels, and a label
  that would overlap the one before is joined to it; above TEXTS labels in the picture, the
  spans' labels go, then the marks';
- overlapping spans in a lane go on sub-rows (at most MAX_LEVELS), as in a network waterfall.
Odd input never raises: times are clamped to +-LIMIT_MS, a span or step ending before it
starts is drawn as an instant, unknown kinds and lanes with no events are drawn too.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace

from support.report.timeline import (KINDS, Density, DrawnSpan, Lane, Layout, Mark, Span,
                                     Step, StepBand, Timeline)

MAX_LANES = 40
DENSE_LANE = 200
DENSE_KIND = 25
LABELLED_MARKS = 8
LABELLED_SPANS = 12
MAX_LEVELS = 4
BINS = 240
CHARS_ACROSS = 190  # characters of 6.5 pt text across the time axis
STEP_CHARS_ACROSS = 165  # characters of 7.5 pt text across it
TEXTS = 120  # mark and span labels in the whole picture; beyond, span labels go, then all
LIMIT_MS = 10**12  # about 31 years
ALARMS = {"error", "fault", "closed", "killed", "dead_letter"}  # but a close with 1000 is not


def layout(timeline: Timeline) -> Layout:
    """What the picture of this timeline shows, by the rules above; never raises."""
    marks = sorted((_mark(m) for m in timeline.marks or ()), key=lambda m: m.at_ms)
    spans = sorted((_span(s) for s in timeline.spans or ()), key=lambda s: s.start_ms)
    steps = [_step(s) for s in timeline.steps or ()]
    depth = sorted((_ms(t), max(0, _ms(d))) for t, d in timeline.queue_depth or ())
    lo, hi = _x_range(marks, spans, steps, depth)
    edges = tuple(lo + (hi - lo) * i / BINS for i in range(BINS + 1))
    by_lane_marks, by_lane_spans = defaultdict(list), defaultdict(list)
    for m in marks:
        by_lane_marks[m.lane].append(m)
    for s in spans:
        by_lane_spans[s.lane].append(s)
    names = _lane_names(timeline.lane_order, marks, spans)
    shown, folded, fold_at = _fold(names, by_lane_marks, by_lane_spans)
    lanes = [_lane(_short(n, 24), [n], by_lane_marks, by_lane_spans, edges) for n in shown]
    if folded:
        what = "connections" if all(_is_connection(n) for n in folded) else "lanes"
        lanes.insert(fold_at, _lane(f"+{len(folded)} more {what}", folded, by_lane_marks,
                                    by_lane_spans, edges))
    return Layout(title=_short(timeline.title, 110), summary=_summary(marks, spans, steps, names),
                  lo_ms=lo, hi_ms=hi, lanes=_within_text_budget(lanes), folded=len(folded),
                  steps=tuple(_step_bands(steps, lo, hi)), queue_depth=tuple(depth),
                  bin_edges_ms=edges, legend=_legend(marks, spans))


def _ms(value) -> int:
    """A time (or a count) as an int within +-LIMIT_MS; NaN and what is not a number as 0."""
    if isinstance(value, int):
        return max(-LIMIT_MS, min(LIMIT_MS, int(value)))
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 0
    return 0 if math.isnan(value) else int(max(-LIMIT_MS, min(LIMIT_MS, value)))


def _mark(m: Mark) -> Mark:
    if type(m.at_ms) is int and -LIMIT_MS <= m.at_ms <= LIMIT_MS and type(m.lane) is str and (
            type(m.kind) is str and type(m.label) is str):
        return m  # as a collector makes them: kept, not copied
    return Mark(str(m.lane), _ms(m.at_ms), str(m.kind), str(m.label or ""))


def _span(s: Span) -> Span:
    start = _ms(s.start_ms)
    return Span(str(s.lane), start, max(start, _ms(s.end_ms)), str(s.kind), str(s.label or ""))


def _step(s: Step) -> Step:
    start = _ms(s.start_ms)
    return Step(str(s.keyword_and_text), start, max(start, _ms(s.end_ms)), str(s.status))


def _short(text: str, room: int) -> str:
    text = " ".join(str(text).split())
    if room <= 0:
        return ""
    return text if len(text) <= room else text[:room - 1] + "…"


def _x_range(marks, spans, steps, depth) -> tuple[int, int]:
    times = [m.at_ms for m in marks] + [t for s in spans for t in (s.start_ms, s.end_ms)]
    times += [t for s in steps for t in (s.start_ms, s.end_ms)] + [t for t, _ in depth]
    lo, hi = min(times + [0]), max(times + [0])
    hi = max(hi, lo + 100)
    pad = (hi - lo) // 60
    return lo - pad, hi + pad


def _lane_names(order, marks, spans) -> list[str]:
    """lane_order first (lanes with no events too), then lanes in the order of their first
    event."""
    firsts = sorted([(m.at_ms, m.lane) for m in marks] + [(s.start_ms, s.lane) for s in spans],
                    key=lambda pair: pair[0])
    return list(dict.fromkeys([str(n) for n in order or ()] + [lane for _, lane in firsts]))


def _is_connection(name: str) -> bool:
    return "#" in name


def _fold(names, by_lane_marks, by_lane_spans) -> tuple[list[str], list[str], int]:
    """The lanes shown, the lanes folded, and where the folded lane goes among those shown.
    Kept first: the engine's lanes, then connections that saw an alarm, then in order."""
    if len(names) <= MAX_LANES:
        return names, [], len(names)

    def keep_first(index_name):
        index, name = index_name
        alarmed = any(m.kind in ALARMS and not m.label.endswith(" 1000")
                      for m in by_lane_marks[name]) or any(
            s.kind in ALARMS for s in by_lane_spans[name])
        return (_is_connection(name), not alarmed, index)

    kept = {name for _, name in sorted(enumerate(names), key=keep_first)[:MAX_LANES - 1]}
    shown = [n for n in names if n in kept]
    connections = [i for i, n in enumerate(shown) if _is_connection(n)]
    return shown, [n for n in names if n not in kept], (connections[-1] + 1 if connections
                                                         else len(shown))


def _lane(name, members, by_lane_marks, by_lane_spans, edges) -> Lane:
    marks = sorted((m for n in members for m in by_lane_marks[n]), key=lambda m: m.at_ms)
    spans = sorted((s for n in members for s in by_lane_spans[n]), key=lambda s: s.start_ms)
    times = defaultdict(list)
    for m in marks:
        times[m.kind].append(m.at_ms)
    crowded = len(marks) > DENSE_LANE
    dense = {k for k, ts in times.items() if crowded and len(ts) >= DENSE_KIND}
    single = tuple(m for m in marks if m.kind not in dense)
    densities = tuple(Density(k, _histogram(times[k], edges)) for k in _in_kinds_order(dense))
    drawn, levels = _pack(spans, edges[0], edges[-1])
    height = max(1 + 0.5 * (levels - 1), 2.0 if len(members) > 1 else 1.0)
    return Lane(name=name, stands_for=len(members), marks=single,
                texts=_mark_texts(single, edges[0], edges[-1]), densities=densities,
                spans=drawn, levels=levels, height=height)


def _within_text_budget(lanes: list[Lane]) -> tuple[Lane, ...]:
    if sum(len(lane.texts) + sum(bool(s.text) for s in lane.spans) for lane in lanes) > TEXTS:
        lanes = [replace(lane, spans=tuple(replace(s, text="") for s in lane.spans))
                 for lane in lanes]
    if sum(len(lane.texts) for lane in lanes) > TEXTS:
        lanes = [replace(lane, texts=()) for lane in lanes]
    return tuple(lanes)


def _histogram(times, edges) -> tuple[int, ...]:
    lo, width, bins = edges[0], (edges[-1] - edges[0]) / BINS, [0] * BINS
    for t in times:
        bins[min(BINS - 1, max(0, int((t - lo) / width)))] += 1
    return tuple(bins)


def _mark_texts(single, lo, hi) -> tuple[tuple[int, str], ...]:
    """The labels of a lane's marks, each from its mark on; one that would overlap the one
    before is joined to it ("error job_failed · closed 1011"), if it says something new."""
    labelled = [m for m in single if m.label.strip()]
    if len(labelled) > LABELLED_MARKS:
        return ()
    char_ms, free_from, texts = (hi - lo) / CHARS_ACROSS, -math.inf, []
    for m in labelled:
        label = _short(m.label, 28)
        if texts and m.at_ms < free_from:
            at_ms, text = texts[-1]
            texts[-1] = (at_ms, text if label in text else _short(f"{text} · {label}", 40))
        else:
            texts.append((m.at_ms, label))
        free_from = texts[-1][0] + (len(texts[-1][1]) + 3) * char_ms
    return tuple(texts)


def _pack(spans, lo, hi) -> tuple[tuple[DrawnSpan, ...], int]:
    """Each span on the first sub-row free at its start; when all MAX_LEVELS are taken, on the
    one that frees first (drawn overlapping)."""
    ends, levels = [], []
    for s in spans:
        free = [i for i, end in enumerate(ends) if end <= s.start_ms]
        if free:
            level = free[0]
        elif len(ends) < MAX_LEVELS:
            level = len(ends)
            ends.append(s.end_ms)
        else:
            level = min(range(len(ends)), key=ends.__getitem__)
        ends[level] = max(ends[level], s.end_ms) if not free else s.end_ms
        levels.append(level)
    char_ms, next_start, drawn = (hi - lo) / CHARS_ACROSS, {}, []
    for s, level in reversed(list(zip(spans, levels))):
        room = int((next_start.get(level, hi) - s.start_ms) / char_ms) - 1
        text = _short(s.label, min(room, 48)) if len(spans) <= LABELLED_SPANS and room >= 4 else ""
        drawn.append(DrawnSpan(s.start_ms, s.end_ms, s.kind, level, text))
        next_start[level] = s.start_ms
    return tuple(reversed(drawn)), max(1, len(ends))


def _step_bands(steps, lo, hi) -> list[StepBand]:
    char_ms, bands = (hi - lo) / STEP_CHARS_ACROSS, []
    for number, s in enumerate(steps, start=1):
        room = int((s.end_ms - s.start_ms) / char_ms) - 1
        if s.status == "failed":
            text = _short(f"✗ {number} FAILED: {s.keyword_and_text}", max(room, 70))
        elif room >= len(str(number)) + 4:
            text = _short(f"{number} {s.keyword_and_text}", room)
        else:
            text = str(number) if room >= len(str(number)) else ""
        bands.append(StepBand(number, s.start_ms, s.end_ms, s.status, text))
    return bands


def _in_kinds_order(kinds) -> list[str]:
    known = list(KINDS)
    return sorted(kinds, key=lambda k: (known.index(k) if k in known else len(known), k))


def _legend(marks, spans) -> tuple[tuple[str, bool], ...]:
    entries = {(m.kind, False) for m in marks} | {(s.kind, True) for s in spans}
    order = {kind: i for i, kind in enumerate(_in_kinds_order({k for k, _ in entries}))}
    return tuple(sorted(entries, key=lambda entry: (order[entry[0]], entry[1])))


def _summary(marks, spans, steps, names) -> str:
    failed = [str(i) for i, s in enumerate(steps, start=1) if s.status == "failed"]
    parts = [f"{len(names)} lanes", f"{len(marks):,} marks", f"{len(spans):,} spans",
             f"{len(steps)} steps"]
    return " · ".join(parts) + (f" · step {', '.join(failed)} failed" if failed else "")
