"""behave hooks: start or attach the stack, give every scenario its own people, clean up."""

from __future__ import annotations

import sys

from support.config import ConfigError, load_config
from support.processes import StackError
from support.world import Cast, Suite


def before_all(context):
    try:
        context.suite = Suite.attach(load_config(context.config.userdata))
    except (ConfigError, StackError) as problem:
        context.suite = None
        print(f"The suite cannot start: {problem}", file=sys.stderr)
        context.abort(reason=str(problem))
        return
    report_stack(context.suite)


def report_stack(suite: Suite):
    if suite.stack:
        print(f"Embedded stack ready in {suite.stack.boot_seconds:.2f} s "
              f"(engine {suite.endpoints.engine_url}, logs in {suite.stack.logs_dir})")
    else:
        print(f"Running against the external engine at {suite.endpoints.engine_url}")


def before_scenario(context, scenario):
    if "scripted_model" in scenario.effective_tags and context.suite.model is None:
        scenario.skip("needs the scriptable model: set GRIZZ_MODEL_URL to its address")
        return
    if context.suite.model:
        context.suite.model.reset()
    context.cast = Cast(context.suite)


def after_scenario(context, scenario):
    cast = getattr(context, "cast", None)
    if cast is not None:
        cast.leave()
        context.cast = None


def after_all(context):
    if getattr(context, "suite", None) is not None:
        context.suite.detach()
