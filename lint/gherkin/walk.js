// Every scenario, background and rule of a feature, those inside a Rule included: the rules
// shipped with gherkin-lint 4.2.4 look only at the feature's direct children.
function nodes(feature) {
  const found = [];
  const visit = (children, rule) => {
    for (const child of children || []) {
      if (child.rule) {
        found.push({node: child.rule, kind: 'Rule', rule: null});
        visit(child.rule.children, child.rule);
      } else if (child.background) {
        found.push({node: child.background, kind: 'Background', rule});
      } else if (child.scenario) {
        found.push({node: child.scenario, kind: 'Scenario', rule});
      }
    }
  };
  visit(feature.children, null);
  return found;
}

module.exports = {nodes};
