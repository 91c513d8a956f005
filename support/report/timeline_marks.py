"""What a scenario recorded, as the marks and spans of its timeline (timeline.py): each
frame of each connection, the chunks of each reply attempt as one band, each model request
from first to last byte, what the suite did to the workers and servers, the dead letters;
the lanes in the order a reader looks for them; nothing a secret mask would hide.
"""

from __future__ import annotations

import time
from datetime import datetime

from support.report.secrets import mask_secrets
from support.report.timeline import Mark, Span, Step, Timeline

FRAME_KINDS = {"ack", "notice", "done", "error"}
ENGINE_LANES = ("model", "API", "workers")  # then each worker's lane
SERVER_LANES = ("redis", "postgres", "queue")
LABEL_CHARS = 60  # a longer label is cut short; the drawing shortens it further to fit


def frame_events(transcript, ms, marks: list, spans: list):
    """A mark for each frame, and a band for the chunks of each attempt of each reply."""
    bands: dict[tuple, list] = {}  # (lane, job_id, attempt) -> [first ms, last ms, pieces]
    for frame in list(transcript.frames):
        at = ms(transcript.started + frame.at_ms / 1000)
        lane = frame.connection if "#" in frame.connection else f"{frame.connection}#1"
        if frame.direction != "received":
            label = frame.text.replace("code ", "closed ") if frame.direction == "closed" else ""
            marks.append(Mark(lane, at, frame.direction, label))
            continue
        data = frame.data or {}
        kind = data.get("type")
        if kind == "chunk":
            band = bands.setdefault((lane, data.get("job_id"), data.get("attempt")), [at, at, 0])
            band[1], band[2] = at, band[2] + 1
        elif kind in ("error", "notice"):
            marks.append(Mark(lane, at, kind, f"{kind} {data.get('code')}"))
        else:
            marks.append(Mark(lane, at, kind if kind in FRAME_KINDS else "other",
                              "" if kind in FRAME_KINDS else str(kind or "not JSON")))
    spans.extend(Span(lane, first, last, "chunks",
                      f"attempt {attempt}: {pieces} piece{'' if pieces == 1 else 's'}")
                 for (lane, _job, attempt), (first, last, pieces) in bands.items())


def happening_events(happenings, ms, marks: list, spans: list):
    now = time.monotonic()
    for event in list(happenings):
        if event.ended is not None and event.ended == event.started:
            marks.append(Mark(event.lane, ms(event.started), event.kind, event.label))
        else:
            spans.append(Span(event.lane, ms(event.started), ms(event.ended or now), event.kind,
                              event.label))


def request_events(requests: list[dict], ms_of_wall, spans: list):
    """Each model request from its first to its last byte; a faulty or failed one as a fault,
    labelled with what went wrong."""
    now = time.time()
    for request in requests:
        start = _unix_s(request.get("received_at"), now)
        end = max(start, _unix_s(request.get("ended_at"), now))
        status, fault = request.get("status"), request.get("fault")
        failed = f"http {status}" if status not in (None, 200) else ""
        wrong = failed if fault in (None, "status") else fault
        question = _last_user_text(request.get("messages"))
        spans.append(Span("model", ms_of_wall(start), ms_of_wall(end),
                          "fault" if wrong else "request",
                          f"{wrong}: {question}" if wrong else question))


def dead_letter_marks(entries: list[dict], ms_of_wall) -> list[Mark]:
    return [Mark("queue", ms_of_wall(int(str(entry["dead_letter_id"]).split("-")[0]) / 1000),
                 "dead_letter", f"job {str(entry.get('job_id', '?'))[:8]}") for entry in entries]


def lane_order(marks: list, spans: list) -> list[str]:
    """People's connections first, in the order they were opened; then the model, the API,
    the workers, each worker, the servers and the queue."""
    first: dict[str, int] = {}
    for event in [*marks, *spans]:
        at = getattr(event, "at_ms", getattr(event, "start_ms", 0))
        first[event.lane] = min(at, first.get(event.lane, at))
    by_time = sorted(first, key=lambda lane: first[lane])
    people = [lane for lane in by_time if "#" in lane]
    workers = sorted(lane for lane in by_time if lane.startswith("worker "))
    engine = [lane for lane in ENGINE_LANES if lane in first]
    servers = [lane for lane in SERVER_LANES if lane in first]
    named = {*people, *engine, *workers, *servers}
    return people + engine + workers + servers + [lane for lane in by_time if lane not in named]


def masked(timeline: Timeline, secrets: list[str]) -> Timeline:
    """Nothing mask_secrets() would mask appears in the picture. Labels are masked first, then
    cut short (a secret cut first would no longer be recognised); the title and the steps are
    left whole, for the drawing to fit."""
    def clean(text: str, most: int = 10_000) -> str:
        text = mask_secrets(text, secrets)
        return text if len(text) <= most else text[:most - 1] + "…"
    timeline.title = clean(timeline.title)
    timeline.marks = [Mark(clean(m.lane, LABEL_CHARS), m.at_ms, m.kind, clean(m.label, LABEL_CHARS))
                      for m in timeline.marks]
    timeline.spans = [Span(clean(s.lane, LABEL_CHARS), s.start_ms, s.end_ms, s.kind,
                           clean(s.label, LABEL_CHARS)) for s in timeline.spans]
    timeline.steps = [Step(clean(s.keyword_and_text), s.start_ms, s.end_ms, s.status)
                      for s in timeline.steps]
    timeline.lane_order = [clean(lane, LABEL_CHARS) for lane in timeline.lane_order or []]
    return timeline


def _unix_s(iso: str | None, otherwise: float) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except (TypeError, ValueError):
        return otherwise


def _last_user_text(messages) -> str:
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else str(content)
    return ""
