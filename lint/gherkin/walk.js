// Every scenario, background and rule of a feature, those inside a Rule included: the rules
// shipped with gherkin-lint 4.2.4 look only at the feature's direct children.
function nodes(feature) {
  const found = [];
  const visit = (children) => {
    for (const child of children || []) {
      if (child.rule) {
        found.push({node: child.rule, kind: 'Rule'});
        visit(child.rule.children);
      } else if (child.background) {
        found.push({node: child.background, kind: 'Background'});
      } else if (child.scenario) {
        found.push({node: child.scenario, kind: 'Scenario'});
      }
    }
  };
  visit(feature.children);
  return found;
}

module.exports = {nodes};
