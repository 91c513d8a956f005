"""AllureFormatter, allure-behave 2.16.2's formatter with three gaps filled (use it in
behave.ini as `support.report.formatter:AllureFormatter`):

- Scenarios inside a `Rule:` are reported. The stock formatter wraps only
  `feature.scenarios`, which leaves out a Rule's scenarios: they were missing from the report,
  and allure.attach() in their hooks raised KeyError (allure-python issue #886).
- A scenario skipped for a reason (support/report/skips.py) is reported as skipped, with it.
- `allure.dynamic.label/story/severity/tag` work. Its listener implements no `add_label`
  hook, so these calls did nothing. labels.py gives each scenario its labels through them.

It also writes under GRIZZ_REPORTS_DIR when a run is given one (run_facts.in_reports_dir).
"""

from __future__ import annotations

from pathlib import Path

import allure_commons
from allure_behave.formatter import AllureFormatter as _StockFormatter
from allure_commons.model2 import Label
from allure_commons.types import ALLURE_UNIQUE_LABELS

from support.report import run_facts, skips


class _DynamicLabels:
    """The add_label hook allure-behave's listener lacks: adds to its current test."""

    def __init__(self, listener):
        self.listener = listener

    @allure_commons.hookimpl
    def add_label(self, label_type, labels):
        try:
            test = self.listener.logger.get_test(None)
        except Exception:  # noqa: BLE001 - no test running
            return
        if test is None:
            return
        name = str(getattr(label_type, "value", label_type))
        for value in labels:
            value = str(getattr(value, "value", value))
            if name in ALLURE_UNIQUE_LABELS:
                test.labels = [label for label in test.labels if label.name != name]
            if not any(label.name == name and label.value == value for label in test.labels):
                test.labels.append(Label(name=name, value=value))


class AllureFormatter(_StockFormatter):
    """allure_behave.formatter:AllureFormatter that also reports scenarios inside a Rule and
    makes allure.dynamic labels work. Same options, same output."""

    def __init__(self, stream_opener, config):
        stream_opener.name = str(run_facts.in_reports_dir(Path(stream_opener.name)))
        super().__init__(stream_opener, config)
        self.dynamic_labels = _DynamicLabels(self.listener)
        skips.keep_in_report(self.listener)
        allure_commons.plugin_manager.register(self.dynamic_labels)

    def feature(self, feature):
        self._wrap_scenario(feature.walk_scenarios())

    def close(self):
        try:
            super().close()
        finally:
            name = allure_commons.plugin_manager.get_name(self.dynamic_labels)
            if name and allure_commons.plugin_manager.has_plugin(name):
                allure_commons.plugin_manager.unregister(name=name)
