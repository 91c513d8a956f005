"""The Allure report and the console of a run: what a reader sees of it. Only the behave
hooks (environment.py) and behave.ini use this package; nothing else in support/ does.

    formatter.py         AllureFormatter, the formatter behave.ini names: reports scenarios
                         inside a Rule, skipped ones with their reason, and dynamic labels
    labels.py            each scenario's story, severity and Rule tags (before_scenario)
    run_facts.py         environment.properties and categories.json next to the results,
                         after an earlier run's results are cleared (before_all)
    categories.py        the failure categories: product defects, broken environment,
                         suite errors, as Allure 2 and Allure 3 both read them
    evidence.py          the WebSocket transcript (after_scenario) and, when a step fails,
                         the queue, the rows, the model's requests and the logs (after_step)
    secrets.py           what never appears in the report: secrets masked in every
                         attachment and in environment.properties
    timeline_events.py   the timeline of a scenario: steps' times and the queue's depth kept
                         while it runs (before_scenario, before_step, after_step), the rest
                         read and the picture attached when it ends (after_scenario)
    timeline_marks.py    what was recorded, as marks and spans in lanes; secrets masked
    timeline.py          what a timeline holds (marks, spans, steps, depth); draw(), picture()
    timeline_layout.py   what the picture shows: lanes, folded lanes, densities, labels
    timeline_drawing.py  the PNG, with matplotlib, under 1 MB
    skips.py             scenarios this run cannot carry out, skipped with the reason
                         (before_scenario), summed up (after_all), kept in the report
    parallel_console.py  what a parallel run prints: its start (before_all_workers), a line
                         per scenario (after_scenario, in a worker), its end (after_all_workers)
"""
