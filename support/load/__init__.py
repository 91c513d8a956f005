"""Load: many people chatting with the engine at once, measured with HDR histograms.

    driver.py      LoadRun: closed-loop people, open-loop arrival rates, a flood; progress
    caller.py      one person of a run on the suite's chat client; times every frame
    stats.py       per-message records and HDR histograms (ack, first piece, gap, reply)
    figures.py     the table, the raw figures as CSV, the plots, Allure attachments
    pace.py        how fast the scriptable model answers (realistic, instant)
    session.py     a load run inside a scenario, its ledger (support/probes/) taken before
                   it hangs up, and the queue emptied afterwards
    targets.py     the testing plan's targets as a spec's table names them
    sweep.py       the breaking point: baseline, throughput, constant rates; the safe range
    bench.py       `make bench` (with bench_table.py, primitives.py, engine_cpu.py)
    locust_run.py  load/locustfile.py run headless, and Locust's own stats read back
"""
