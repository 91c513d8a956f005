"""The failure categories of the Allure report: which failures count as product defects,
which as a broken environment, which as the suite's own errors. run_facts.py writes them as
categories.json; scripts/report hands them to Allure 3.
"""

from __future__ import annotations

# Allure 2's categories.json. Allure 3 (the npm `allure` package) does not read this file
# from the results; scripts/report hands the same rules to it through its config, which
# accepts these keys. The regexes must hold in both: Java matches() the whole message, while
# JavaScript test() searches it, hence the [\s\S]* on each side and no inline flags.
CATEGORIES = [
    {
        "name": "Product defects",
        "description": "The engine did not do what the contract says: an assertion or a "
                       "bounded wait failed.",
        "matchedStatuses": ["failed"],
        "messageRegex": r"[\s\S]*\b(AssertionError|WaitTimeout|ConnectionRefused)\b[\s\S]*",
    },
    {
        "name": "Broken environment",
        "description": "The suite could not reach or start what it tests; the engine was "
                       "not necessarily wrong.",
        "matchedStatuses": ["broken"],
        "messageRegex": r"[\s\S]*(did not become ready|is not installed|is in use|"
                        r"cannot reach|[Cc]onnection refused|Connect call failed|"
                        r"ConnectionRefusedError|StackError)[\s\S]*",
    },
    {
        "name": "Suite errors",
        "description": "The suite itself raised an unexpected error: a bug in a step or "
                       "in support/.",
        "matchedStatuses": ["broken"],
    },
]
