"""How many new jobs a worker reads: jobs waiting their turn do not take a model slot."""

from __future__ import annotations

from app.core.config import load_settings
from app.workers.worker import IN_HAND_PER_SLOT, Worker


def worker_holding(answering: int, waiting: int, concurrency: int = 2) -> Worker:
    settings = load_settings({"SUPABASE_JWT_SECRET": "x", "WORKER_CONCURRENCY": str(concurrency)})
    worker = Worker(settings, index=1)
    for n in range(answering + waiting):
        worker.in_hand[f"{n}-0"] = None  # the task itself does not matter here
    worker.waiting.update(f"{n}-0" for n in range(answering, answering + waiting))
    return worker


def test_an_idle_worker_reads_up_to_its_concurrency():
    assert worker_holding(0, 0).room() == 2


def test_jobs_waiting_their_turn_leave_room_for_others():
    assert worker_holding(answering=1, waiting=3).room() == 1


def test_jobs_in_hand_are_capped_even_when_all_wait():
    cap = IN_HAND_PER_SLOT * 2
    assert worker_holding(answering=0, waiting=cap).room() == 0
    assert worker_holding(answering=0, waiting=cap - 1).room() == 1


def test_a_busy_worker_reads_nothing():
    assert worker_holding(answering=2, waiting=0).room() == 0
