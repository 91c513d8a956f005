// Tags only from the documented list (README.md's tag table; scripts/lint passes it in as
// "tags"), on features, rules, scenarios and examples alike.
const {nodes} = require('./walk.js');

const rule = 'grizz-allowed-tags';

function run(feature, unused, configuration) {
  if (!feature) {
    return [];
  }
  const allowed = new Set(configuration.tags || []);
  const inside = nodes(feature);
  const tagged = [{node: feature, kind: 'Feature'}, ...inside];
  for (const {node} of inside) {
    for (const examples of node.examples || []) {
      tagged.push({node: examples, kind: 'Examples'});
    }
  }
  const errors = [];
  for (const {node, kind} of tagged) {
    for (const tag of node.tags || []) {
      if (!allowed.has(tag.name)) {
        errors.push({
          message: `Tag ${tag.name} on a ${kind} is not in README.md's tag table`,
          rule, line: tag.location.line,
        });
      }
    }
  }
  return errors;
}

module.exports = {name: rule, run, availableConfigs: {tags: []}};
