"""The suite's drivers, one room per concern. The hooks (environment.py) and the steps use
them; the steps stay a few lines each because the logic lives here.

The run as a whole, which every room may use:

    config.py      where the engine is: the embedded stack, or an engine someone else runs
    eventually.py  bounded waits for a condition, whose failure says what they last saw
    loop.py        the one asyncio event loop of a run, on a background thread
    console.py     what a console reader sees, pass or fail
    parallel.py    scenarios in several processes, each on a stack of its own
    happenings.py  what the suite did to the engine's processes and servers, and when

The rooms, each with its map in its __init__.py; each uses only those above it here:

    stack/         the embedded servers (PostgreSQL, Redis, the model, the engine) and how
                   to operate them: stop, restart, pause workers, slow the network
    model/         the scriptable OpenAI-compatible model: its server, what a scenario
                   scripts, its faults and window, its control client, what it was sent
    chat/          the contract's WebSocket as a client speaks it: a connection, a reply
                   as it arrives, the transcript of every frame
    probes/        what the suite reads behind the socket: the queue in Redis, the rows in
                   PostgreSQL, and the ledger that judges what became of every message
    suite.py       the engine the run talks to, with its probes and controls put together
    people/        who talks to the engine: each person and the cast, their tokens, the
                   frames that are not valid, crowds and tabs, and checks of what they saw
    load/          many people at once: the load driver, the bench, Locust's runner
    report/        what goes into the Allure report; only the hooks use it

tests/suite/test_layout.py holds the arrows, and keeps each module to 250 lines and each
function to 50.
"""
