"""The timeline picture: what layout() decides to draw, what figure() and png() put in the pixels, the
size and time of the worst case, and odd input that must never raise."""

import io
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from support.report import timeline_drawing
from support.report.timeline import Mark, Span, Step, Timeline, draw, picture
from support.report.timeline_drawing import figure, png
from support.report.timeline_layout import DENSE_LANE, MAX_LANES, layout

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def small_failed_scenario() -> Timeline:
    """Three people; Bob's model request fails after 3 pieces and is retried; the worker
    streaming Cleo's reply is killed, her job is retried, fails and goes to the dead letters;
    the step waiting for every reply fails."""
    marks, spans = [], []
    for i, name in enumerate(("Ada", "Bob", "Cleo")):
        lane = f"{name}#1"
        marks += [Mark(lane, 900 + 200 * i, "opened"), Mark(lane, 1600 + 100 * i, "sent"),
                  Mark(lane, 1630 + 100 * i, "ack")]
    marks += [Mark("Ada#1", 4250, "done"), Mark("Bob#1", 2700, "notice", "retrying"),
              Mark("Bob#1", 5250, "done"), Mark("Cleo#1", 4350, "notice", "retrying"),
              Mark("Cleo#1", 9050, "error", "error job_failed"),
              Mark("Cleo#1", 9100, "closed", "closed 1011"),
              Mark("model", 2600, "fault", "http 500"),
              Mark("worker 4711", 300, "restarted", "pid 4711"),
              Mark("worker 4711", 3100, "killed", "SIGKILL"),
              Mark("worker 4790", 4300, "restarted", "pid 4790"),
              Mark("queue", 9000, "dead_letter", "job 7f3a after 3 attempts")]
    spans += [Span("Ada#1", 2000, 4200, "chunks", "attempt 1: 14 pieces"),
              Span("Bob#1", 1900, 2600, "chunks", "attempt 1: 3 pieces"),
              Span("Bob#1", 3100, 5200, "chunks", "attempt 2: 12 pieces"),
              Span("Cleo#1", 2100, 3100, "chunks", "attempt 1: 6 pieces"),
              Span("model", 1650, 4200, "request", "Ada"),
              Span("model", 1750, 2600, "request", "Bob: 500 after 3 pieces"),
              Span("model", 1850, 3100, "request", "Cleo"),
              Span("model", 3000, 5200, "request", "Bob, retry"),
              Span("model", 4400, 8900, "request", "Cleo, retry: hangs"),
              Span("model", 4400, 8900, "fault", "no byte for 4.5 s")]
    depth = [(t, 0) for t in range(0, 1600, 200)] + [(1600, 1), (1800, 3), (2000, 2),
                                                     (2200, 0), (4300, 1), (9000, 0)]
    steps = [Step("Given the engine runs with 2 workers", 0, 800, "passed"),
             Step("And Ada, Bob and Cleo are connected", 800, 1500, "passed"),
             Step("When each asks a question", 1500, 2500, "passed"),
             Step("Then each gets a complete reply within 10 s", 2500, 12500, "failed"),
             Step("And no job is left in the dead letters", 12500, 12500, "skipped")]
    return Timeline("A reply survives a worker killed mid-stream", marks, spans, steps, depth,
                    ["Ada#1", "Bob#1", "Cleo#1", "model", "worker 4711", "worker 4790",
                     "queue"])


def worst_case(seed: int = 7) -> Timeline:
    """150 lanes (140 connections), 50,000 marks, 2,000 spans, 3,000 depth samples."""
    rnd = random.Random(seed)
    people = [f"person{i:03d}#1" for i in range(140)]
    engine = ["model", *(f"worker {4700 + i}" for i in range(6)), "redis", "postgres", "queue"]
    kinds = ["sent", "ack", "done", "notice", "notice", "notice", "error", "closed"]
    marks = [Mark(rnd.choice(people), rnd.randrange(0, 600_000), rnd.choice(kinds),
                  f"label {i}") for i in range(49_000)]
    marks += [Mark(rnd.choice(engine), rnd.randrange(0, 600_000),
                   rnd.choice(["killed", "restarted", "dead_letter", "fault"]), "x")
              for _ in range(1000)]
    spans = []
    for i in range(2000):
        start = rnd.randrange(0, 590_000)
        lane, kind = ((rnd.choice(people), "chunks") if i % 2 else ("model", "request"))
        spans.append(Span(lane, start, start + rnd.randrange(100, 9000), kind, f"attempt {i}"))
    depth = [(200 * i, rnd.randrange(0, 400)) for i in range(3000)]
    steps = [Step(f"When step {i} of the capacity run happens", 20_000 * i,
                  20_000 * (i + 1), "failed" if i == 17 else "passed") for i in range(30)]
    return Timeline("100 people chat at once for ten minutes", marks, spans, steps, depth)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


def pixels_of(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[:, :, :3].astype(int)


def axes_named(fig, label):
    return next(ax for ax in fig.axes if ax.get_label() == label)


def at_pixel(fig, ax, x, y) -> tuple[int, int]:
    """(row, column) in the pixel array of a data point of ax."""
    px, py = ax.transData.transform((x, y))
    return int(round(fig.bbox.height - py)), int(round(px))


# -- what is drawn ----------------------------------------------------------------------

def test_a_small_timeline_renders_a_png_12_inches_wide():
    width, height = png_size(draw(small_failed_scenario()))
    assert width == 1200
    assert 400 < height < 1200


def test_lanes_follow_lane_order_then_the_order_of_first_events():
    timeline = Timeline("t", marks=[Mark("late", 900, "sent"), Mark("early", 100, "sent"),
                                    Mark("Ada#1", 500, "sent")],
                        spans=[Span("middle", 300, 400, "request")], steps=[], queue_depth=[],
                        lane_order=["Ada#1", "nobody#1", "Ada#1"])
    assert [lane.name for lane in layout(timeline).lanes] == [
        "Ada#1", "nobody#1", "early", "middle", "late"]


def test_many_connections_fold_into_one_lane_and_the_alarmed_ones_stay():
    marks = [Mark(f"p{i}#1", 10 * i, "sent") for i in range(100)]
    marks += [Mark("p77#1", 2000, "error", "llm_failed"), Mark("model", 5000, "request"),
              Mark("worker 1", 5001, "killed")]
    drawn = layout(Timeline("t", marks, [], [], []))
    names = [lane.name for lane in drawn.lanes]
    assert len(names) == MAX_LANES
    assert drawn.folded == 100 - (MAX_LANES - 3)
    assert f"+{drawn.folded} more connections" in names
    assert {"p77#1", "model", "worker 1", "p0#1"} <= set(names)
    assert sum(lane.stands_for for lane in drawn.lanes) == 102
    assert names.index(f"+{drawn.folded} more connections") == names.index("model") - 1


def test_a_crowded_lane_draws_its_common_kinds_as_a_density_and_keeps_rare_errors():
    marks = [Mark("Ada#1", i * 7, "notice", "piece") for i in range(1000)]
    marks += [Mark("Ada#1", 3000 + i, "error", "llm_failed") for i in range(3)]
    marks += [Mark("Bob#1", 10 * i, "notice") for i in range(DENSE_LANE)]
    ada, bob = layout(Timeline("t", marks, [], [], [])).lanes
    assert [d.kind for d in ada.densities] == ["notice"]
    assert sum(ada.densities[0].counts) == 1000
    assert [m.kind for m in ada.marks] == ["error"] * 3
    assert [text for _, text in ada.texts] == ["llm_failed"]  # the same label, once
    assert not bob.densities and len(bob.marks) == DENSE_LANE


def test_labels_that_would_overlap_are_joined():
    marks = [Mark("Cleo#1", 9050, "error", "error job_failed"),
             Mark("Cleo#1", 9100, "closed", "closed 1011"), Mark("Cleo#1", 0, "sent", "hi")]
    (cleo,) = layout(Timeline("t", marks, [], [], [])).lanes
    assert cleo.texts == ((0, "hi"), (9050, "error job_failed · closed 1011"))


def test_labels_show_when_a_lane_has_few_and_not_when_it_has_many():
    marks = [Mark("Ada#1", 1000 * i, "error", f"code {i}") for i in range(3)]
    marks += [Mark("Bob#1", 100 * i, "closed", "closed 1013") for i in range(50)]
    ada, bob = layout(Timeline("t", marks, [], [], [])).lanes
    assert [text for _, text in ada.texts] == ["code 0", "code 1", "code 2"]
    assert bob.texts == ()


def test_overlapping_spans_go_on_sub_rows_and_one_after_another_share_one():
    spans = [Span("model", 0, 1000, "request"), Span("model", 500, 1500, "request", "retry"),
             Span("redis", 0, 100, "down"), Span("redis", 200, 300, "down")]
    model, redis = layout(Timeline("t", [], spans, [], [])).lanes
    assert model.levels == 2 and [s.level for s in model.spans] == [0, 1]
    assert redis.levels == 1 and [s.level for s in redis.spans] == [0, 0]


def test_the_failed_steps_text_is_kept_even_when_its_band_is_narrow():
    steps = [Step("Given a long setup", 0, 100_000, "passed"),
             Step("Then Ada sees the answer", 100_000, 100_010, "failed")]
    setup, failed = layout(Timeline("t", [], [], steps, [])).steps
    assert setup.text.startswith("1 Given")
    assert failed.text == "✗ 2 FAILED: Then Ada sees the answer"


# -- what the pixels show ---------------------------------------------------------------

def test_the_failed_steps_band_is_red_and_a_passed_ones_is_not():
    steps = [Step("Given a", 0, 4000, "passed"), Step("When b", 4000, 8000, "passed"),
             Step("Then c", 8000, 12000, "failed")]
    fig = figure(layout(Timeline("t", [Mark("Ada#1", 100, "sent")], [], steps, [])))
    pixels, lanes = pixels_of(fig), axes_named(fig, "lanes")

    def mean_colour(x_s):
        top, column = at_pixel(fig, lanes, x_s, 0.05)  # the one lane is 0 to 1 high
        bottom, _ = at_pixel(fig, lanes, x_s, 0.95)
        return pixels[top:bottom, column - 5:column + 5].reshape(-1, 3).mean(axis=0)

    passed, failed = mean_colour(6), mean_colour(10)
    assert failed[0] - failed[1] > 15, failed  # red above green
    assert abs(passed[0] - passed[1]) < 5, passed  # grey


def test_an_error_mark_is_drawn_red_and_a_done_mark_green():
    marks = [Mark("Ada#1", 2000, "error", "llm_failed"), Mark("Ada#1", 6000, "done")]
    fig = figure(layout(Timeline("t", marks, [], [], [])))
    pixels, lanes = pixels_of(fig), axes_named(fig, "lanes")
    (ada_y,) = lanes.get_yticks()  # a lane's marks are drawn level with its name
    row, column = at_pixel(fig, lanes, 2, ada_y)
    red = pixels[row - 1:row + 2, column - 1:column + 2].reshape(-1, 3).mean(axis=0)
    row, column = at_pixel(fig, lanes, 6, ada_y)
    green = pixels[row - 1:row + 2, column - 1:column + 2].reshape(-1, 3).mean(axis=0)
    assert red[0] > 180 and red[1] < 80 and red[2] < 80, red
    assert green[1] > 120 and green[0] < 100 and green[2] < 100, green


def test_connections_that_saw_trouble_are_shown_before_those_that_closed_normally():
    marks = [Mark(f"P{n}#1", 10 * n, "closed", "closed 1000") for n in range(100)]
    marks += [Mark("P90#1", 5, "error", "error model_unavailable"),
              Mark("P95#1", 5, "closed", "closed 1011")]
    shown = [lane.name for lane in layout(Timeline("t", marks)).lanes]
    assert "P90#1" in shown and "P95#1" in shown and "P50#1" not in shown, shown


# -- size and time ----------------------------------------------------------------------

def test_the_worst_case_folds_its_lanes_and_stays_under_1_mb(capsys):
    timeline = worst_case()
    started, cpu_started = time.perf_counter(), time.process_time()
    drawn = layout(timeline)
    laid_out = time.perf_counter()
    picture = png(figure(drawn))
    ended, cpu = time.perf_counter(), time.process_time() - cpu_started
    with capsys.disabled():  # the time is printed, not asserted: other processes share the CPU
        print(f"\nworst case: {len(timeline.marks):,} marks, {len(timeline.spans):,} spans: "
              f"layout {laid_out - started:.2f} s, render {ended - laid_out:.2f} s "
              f"({cpu:.2f} s of CPU), {len(picture):,} bytes")
    assert len(picture) < 1_000_000
    assert png_size(picture)[0] == 1200  # fitted at the first dpi
    assert len(drawn.lanes) == MAX_LANES and drawn.folded == 150 - (MAX_LANES - 1)
    folded = next(lane for lane in drawn.lanes if lane.stands_for > 1)
    assert {d.kind for d in folded.densities} >= {"sent", "ack", "done", "notice", "error"}


def test_a_png_too_big_for_the_budget_is_drawn_again_with_fewer_dots(monkeypatch):
    full = draw(small_failed_scenario())
    monkeypatch.setattr(timeline_drawing, "MAX_PNG_BYTES", len(full) // 2)
    smaller = draw(small_failed_scenario())
    assert len(smaller) <= len(full) // 2
    assert png_size(smaller)[0] < 1200


def test_the_picture_is_an_svg_with_its_text_as_text_until_it_would_pass_1_mb():
    svg, kind = picture(small_failed_scenario())
    assert kind == "svg" and svg.startswith(b"<?xml") and b"<svg" in svg
    assert b"FAILED: Then each gets a complete reply" in svg  # text, not glyph outlines
    png, kind = picture(worst_case())
    assert kind == "png" and png.startswith(b"\x89PNG") and len(png) < 1_000_000


# -- odd input --------------------------------------------------------------------------

ODD = {
    "empty": Timeline("", [], [], [], []),
    "none_lists": Timeline("t", None, None, None, None),
    "a single mark": Timeline("t", [Mark("Ada#1", 0, "sent")], [], [], []),
    "span ending before it starts": Timeline("t", [], [Span("model", 900, 100, "request")],
                                             [], []),
    "negative times": Timeline("t", [Mark("engine", -5000, "restarted")],
                               [Span("redis", -300, -100, "down")],
                               [Step("Given x", -10, 50, "passed")], [(-400, 2)]),
    "beyond the last step": Timeline("t", [Mark("Ada#1", 99_000, "closed", "1006")], [],
                                     [Step("Given x", 0, 10, "passed")], []),
    "huge values": Timeline("t", [Mark("a#1", 10**400, "sent"), Mark("b", -10**30, "ack"),
                                  Mark("c", 1e300, "done"), Mark("d", float("inf"), "error")],
                            [Span("e", 0, 10**20, "delay")], [Step("s", 0, 10**15, "failed")],
                            [(10**18, 10**18)]),
    "long and odd labels": Timeline(
        "x" * 5000, [Mark("Ada#1" * 50, 10, "error", "e" * 10_000),
                     Mark("Zoë#1", 20, "closed", "fermé 1011 — ☃ 中文 🙂 שלום"),
                     Mark("$x$", 30, "notice", r"$\frac{$ unbalanced $ math"),
                     Mark("tabs", 40, "sent", "a\nb\tc")],
        [Span("model", 0, 50, "request", "r" * 3000)],
        [Step("When " + "very " * 500 + "long", 0, 100, "weird status")], []),
    "unknown kinds": Timeline("t", [Mark("x", 5, "teleported", "?"), Mark("x", 6, "")],
                              [Span("x", 0, 9, "$wormhole$")], [], []),
    "steps only": Timeline("t", [], [], [Step("Given x", 0, 0, "untested")], []),
    "queue only": Timeline("t", [], [], [], [(0, -3), (200, 5)]),
    "identical times": Timeline("t", [Mark("a#1", 7, "sent")] * 300, [], [], []),
}


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # drawn as a box
@pytest.mark.parametrize("name", list(ODD))
def test_odd_input_draws_a_png(name):
    width, height = png_size(draw(ODD[name]))
    assert width > 0 and height > 0


def test_an_empty_timeline_says_nothing_was_recorded():
    fig = figure(layout(ODD["empty"]))
    assert "nothing was recorded" in [text.get_text() for text in fig.texts]


def test_a_span_ending_before_it_starts_is_drawn_as_an_instant():
    (lane,) = layout(ODD["span ending before it starts"]).lanes
    assert [(s.start_ms, s.end_ms) for s in lane.spans] == [(900, 900)]


def test_the_data_model_imports_no_matplotlib_and_drawing_uses_no_pyplot():
    """The collector pays for no plotting library; drawing leaves no figure in pyplot's
    global registry (it never imports pyplot)."""
    script = ("import sys\n"
              "from support.report.timeline import Mark, Timeline, draw\n"
              "assert 'matplotlib' not in sys.modules and 'numpy' not in sys.modules\n"
              "draw(Timeline('t', [Mark('Ada#1', 5, 'sent')]))\n"
              "assert 'matplotlib.pyplot' not in sys.modules\n")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
