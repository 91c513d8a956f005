"""Load: many people chatting with the engine at once, measured with HDR histograms.

    driver.py   LoadRun: closed-loop people and open-loop arrival rates, progress lines
    caller.py   one person of a run on the suite's chat client; times every frame
    stats.py    per-message records and HDR histograms (ack, first piece, gap, reply)
    report.py   the table, the raw figures as CSV, the plot, Allure attachments
"""
