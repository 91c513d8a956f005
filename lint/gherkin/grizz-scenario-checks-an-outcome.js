// Every scenario checks an outcome: it has at least one Then step.
// A scenario with no Then, or with no steps at all, runs green and checks nothing.
const {nodes} = require('./walk.js');

const rule = 'grizz-scenario-checks-an-outcome';

function checksAnOutcome(steps) {
  return (steps || []).some(step => step.keyword.trim() === 'Then');
}

function run(feature) {
  if (!feature) {
    return [];
  }
  return nodes(feature)
    .filter(({node, kind}) => kind === 'Scenario' && !checksAnOutcome(node.steps))
    .map(({node}) => ({
      message: `Scenario "${node.name}" has no Then step, so it checks nothing`,
      rule, line: node.location.line,
    }));
}

module.exports = {name: rule, run, availableConfigs: {}};
