// Scenario names are unique within a feature, across its Rules: a name is how a failure,
// a report and docs/coverage.md point at a scenario.
const {nodes} = require('./walk.js');

const rule = 'grizz-unique-scenario-names';

function run(feature) {
  if (!feature) {
    return [];
  }
  const seen = new Map();
  const errors = [];
  for (const {node, kind} of nodes(feature)) {
    if (kind !== 'Scenario') {
      continue;
    }
    if (seen.has(node.name)) {
      errors.push({
        message: `Scenario name "${node.name}" is already used on line ${seen.get(node.name)} of this feature`,
        rule, line: node.location.line,
      });
    } else {
      seen.set(node.name, node.location.line);
    }
  }
  return errors;
}

module.exports = {name: rule, run, availableConfigs: {}};
