// A scenario belongs where its indent puts it. Gherkin puts every scenario written after a
// `Rule:` into that Rule, however it is indented: a scenario indented as the Rule itself (or
// less) reads as the Feature's own to a person, yet runs, is reported and is filtered as part
// of the Rule above it. Rules' scenarios are indented deeper than their `Rule:`.
const rule = 'grizz-scenario-placed-by-indent';

function run(feature) {
  if (!feature) {
    return [];
  }
  const errors = [];
  for (const child of feature.children || []) {
    if (!child.rule) {
      continue;
    }
    const ruleColumn = child.rule.location.column;
    for (const inner of child.rule.children || []) {
      const node = inner.scenario || inner.background;
      if (node && node.location.column <= ruleColumn) {
        errors.push({
          message: `"${node.name}" is indented as if it were the Feature's own, but Gherkin puts ` +
            `it in the Rule "${child.rule.name}" above it: move it before the first Rule, or ` +
            'into a Rule where it belongs, indented under it',
          rule, line: node.location.line,
        });
      }
    }
  }
  return errors;
}

module.exports = {name: rule, run, availableConfigs: {}};
