"""load/locustfile.py measures for real: run headless against the embedded stack, Locust's
own stats count every kind of request, no failure, and the same median full reply as the
suite's driver under the same load."""

import pytest

from support.config import load_config
from support.load.driver import LoadRun
from support.load.locust_run import run_locust
from support.load.pace import REALISTIC
from support.suite import Suite

PEOPLE, SECONDS, PAUSE_S = 10, 10, (0.5, 1.5)  # a light load: the time is the model's
MEDIANS_WITHIN = 0.20


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """The embedded stack, its logs away from reports/ so a behave run keeps its own."""
    reports = tmp_path_factory.mktemp("reports")
    suite = Suite.attach(load_config({"reports_dir": str(reports)}))
    suite.model.behave_like(**REALISTIC)
    yield suite
    suite.detach()


def suite_driver_median_ms(suite) -> float:
    run = LoadRun("suite driver", suite.endpoints.engine_url, suite.endpoints.jwt_secret)

    async def load():
        try:
            people = await run.connect(PEOPLE)
            await run.chat(people, duration_s=SECONDS, pause_s=PAUSE_S)
            await run.finish(drain_s=30)
        finally:
            await run.close()
    suite.run(load(), SECONDS + 90, "the suite driver's run")
    assert run.endings()["done"] == len(run.messages) > 0, run.endings()
    return run.stats.percentile_ms("reply", 50)


def test_locust_stats_match_the_suite_driver(suite, tmp_path):
    """Locust counts connects, first pieces and full replies, none failed, and its median
    full reply is within 20 % of the suite driver's under the same load."""
    ours = suite_driver_median_ms(suite)
    locust = run_locust(suite.endpoints.engine_url, suite.endpoints.jwt_secret, PEOPLE,
                        SECONDS, tmp_path, pause_s=PAUSE_S)
    for name in ("connect", "first piece", "full reply"):
        assert locust.requests(name) > 0, f"Locust counted no {name!r}: {locust.output[-1500:]}"
        assert locust.failures(name) == 0, f"Locust counted {locust.failures(name)} failed " \
                                           f"{name!r}: {locust.output[-1500:]}"
    theirs = locust.median_ms("full reply")
    print(f"median full reply: Locust {theirs:.0f} ms, the suite driver {ours:.0f} ms")
    assert abs(theirs - ours) <= MEDIANS_WITHIN * ours, (
        f"Locust's median full reply {theirs} ms, the suite driver's {ours:.0f} ms: "
        f"more than {MEDIANS_WITHIN:.0%} apart")
