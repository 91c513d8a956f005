// Feature files speak the product's language: no Redis key or command, SQL or table name, environment
// variable, file name or sleep in a name, description, step, doc string or example cell.
// "patterns" are regular expressions, matched case-sensitively.
const {nodes} = require('./walk.js');

const rule = 'grizz-no-technical-names';

function texts(feature) {
  const found = [{text: feature.name, line: feature.location.line},
                 {text: feature.description, line: feature.location.line}];
  for (const {node} of nodes(feature)) {
    found.push({text: node.name, line: node.location.line},
               {text: node.description, line: node.location.line});
    for (const step of node.steps || []) {
      found.push({text: step.text, line: step.location.line});
      if (step.docString) {
        found.push({text: step.docString.content, line: step.location.line});
      }
      for (const row of (step.dataTable && step.dataTable.rows) || []) {
        row.cells.forEach(cell => found.push({text: cell.value, line: row.location.line}));
      }
    }
    for (const examples of node.examples || []) {
      for (const row of [examples.tableHeader, ...(examples.tableBody || [])].filter(Boolean)) {
        row.cells.forEach(cell => found.push({text: cell.value, line: row.location.line}));
      }
    }
  }
  return found.filter(item => item.text);
}

function run(feature, unused, configuration) {
  if (!feature) {
    return [];
  }
  const patterns = (configuration.patterns || []).map(pattern => new RegExp(pattern));
  const errors = [];
  for (const {text, line} of texts(feature)) {
    for (const pattern of patterns) {
      const match = text.match(pattern);
      if (match) {
        errors.push({message: `"${match[0]}" is a technical name (${pattern}); say what it means`, rule, line});
      }
    }
  }
  return errors;
}

module.exports = {name: rule, run, availableConfigs: {patterns: []}};
