"""Time targets as a spec writes them (the testing plan's reply time, the specs' own first
piece), checked against a load run.

    | figure                      | under  |
    | reply time p95              | 5 s    |
    | time to the first piece p95 | 1 s    |

    problems = missed_targets(run, [("reply time p95", "5 s"), ...])

The plan's other targets are not figures here: failures are the ledger's failure budget
(support/probes/ledger.py, every message judged across the socket, Redis and PostgreSQL), and the
queue's depth cannot reach the plan's 1000 in the runs that name figures, where each person
waits for her answer (one message each at most).
"""

from __future__ import annotations

import re

# Each figure a spec may name: how to read it from a run, and its unit.
FIGURES = {
    "reply time p95": (lambda run: _seconds(run.stats.percentile_ms("reply", 95)), "s"),
    "time to the first piece p95":
        (lambda run: _seconds(run.stats.percentile_ms("first_piece", 95)), "s"),
}


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


def parse_limit(figure: str, text: str) -> float:
    """'5 s' -> 5.0 for a figure in seconds; the unit must be the figure's own."""
    if figure not in FIGURES:
        raise ValueError(f"no figure called {figure!r}: use one of {', '.join(FIGURES)}")
    unit = FIGURES[figure][1]
    match = re.fullmatch(r"\s*([\d.,]+)\s*(\S*)\s*", text)
    if not match or match.group(2) != unit:
        raise ValueError(f"{figure}: write the limit as a number and {unit}, like 5 {unit}; "
                         f"got {text!r}")
    return float(match.group(1).replace(",", ""))


def missed_targets(run, targets: list[tuple[str, str]]) -> list[str]:
    """One sentence per figure that is not under its limit (or could not be measured)."""
    problems = []
    for figure, limit_text in targets:
        limit = parse_limit(figure, limit_text)
        value = FIGURES[figure][0](run)
        if value is None:
            problems.append(f"{figure}: not measured (nothing came back)")
        elif not value < limit:
            problems.append(f"{figure} was {value:,.2f}{FIGURES[figure][1]}, "
                            f"not under {limit_text}")
    return problems
