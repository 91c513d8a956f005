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
    skips.py             scenarios this run cannot carry out, skipped with the reason
                         (before_scenario), summed up (after_all), kept in the report
    parallel_console.py  what a parallel run prints: its start (before_all_workers), a line
                         per scenario (after_scenario, in a worker), its end (after_all_workers)
"""
