"""Probes: what the engine keeps, read straight from its stores, and the ledger that judges
every message a scenario sent. They only observe; nothing here changes the engine's state.

    job_queue.py       QueueProbe: the job stream's depth, pending jobs, dead letters, live
                       workers (key names in stack/endpoints.py); one job watched while it
                       is written, entries seen while work runs
    database.py        DatabaseProbe: the engine's PostgreSQL rows (messages, owners)
    ledger.py          the ledger a scenario takes (take_ledger, sent_in, Ledger and its
                       asserts), and on_report, through which the behave hooks attach it
    ledger_judge.py    the rule: what was sent and seen of one message, judge(), the outcome
                       constants; its docstring defines each outcome
    ledger_reading.py  reads the socket, Redis and PostgreSQL for each message, round after
                       round, and judges it
"""
