"""The labels of each scenario in the Allure report: story, severity and the Rule's tags.

    label_scenario(scenario)         # before_scenario: story, severity, Rule tags

What allure-behave does by itself with tags (not repeated here): `feature` = the feature's
name; `@blocker @critical @normal @minor @trivial` on the feature or scenario set the severity
(default normal); `@allure.label.NAME:VALUE`, `@allure.story:...`, `@allure.issue:...` and the
like become those labels and links; every other tag becomes a `tag` label. It ignores the tags
of a Rule and knows nothing of Rules.
"""

from __future__ import annotations

import sys

import allure
from allure_commons.mapping import parse_tag
from allure_commons.model2 import Label
from allure_commons.types import LabelType, Severity

SEVERITIES = [severity.value for severity in Severity]  # blocker critical normal minor trivial
SMOKE_SEVERITY = Severity.CRITICAL


def rule_of(scenario):
    """The Rule a scenario (or an outline's example) sits in, or None."""
    from behave.model import Rule
    parent = getattr(scenario, "parent", None)
    while parent is not None:
        if isinstance(parent, Rule):
            return parent
        parent = getattr(parent, "parent", None)
    return None


def scenario_labels(scenario) -> list[tuple[str, str]]:
    """The labels to add to what allure-behave gives a scenario by itself: story = the
    Rule's name; the Rule's tags; severity from @blocker/@critical/@normal/@minor/@trivial
    on the feature, Rule or scenario (the innermost wins), else critical for @smoke."""
    rule = rule_of(scenario)
    labels: list[tuple[str, str]] = []
    if rule is not None:
        labels.append((LabelType.STORY, rule.name))
    feature_tags = list(getattr(scenario.feature, "tags", []))
    rule_tags = list(rule.tags) if rule is not None else []
    scenario_tags = list(scenario.tags)
    for tag in rule_tags:
        parsed = parse_tag(tag)
        if isinstance(parsed, Label) and parsed.name != LabelType.SEVERITY:
            labels.append((str(parsed.name), str(parsed.value)))
    explicit = [tag for tag in feature_tags + rule_tags + scenario_tags if tag in SEVERITIES]
    if explicit:
        severity = explicit[-1]
    elif "smoke" in feature_tags + rule_tags + scenario_tags:
        severity = SMOKE_SEVERITY.value
    else:
        severity = Severity.NORMAL.value
    labels.append((LabelType.SEVERITY, severity))
    return labels


def label_scenario(scenario) -> None:
    """Give the running scenario its labels through allure.dynamic (call it in
    before_scenario). Needs AllureFormatter (formatter.py) for the labels to reach the report."""
    try:
        for name, value in scenario_labels(scenario):
            allure.dynamic.label(name, value)
    except Exception as error:  # noqa: BLE001 - labels are cosmetic; never fail a scenario
        print(f"Could not label {scenario.name!r} for Allure: {type(error).__name__}: {error}",
              file=sys.stderr)
