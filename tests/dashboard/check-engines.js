// Checks the running Node.js against the `engines.node` range of every
// package in package-lock.json, so that a Node.js too old for playwright-core
// is reported by install.sh with the package and the range it needs, instead
// of failing inside the browser test. Exit 0 when all fit, 1 otherwise.
'use strict';
const fs = require('fs');
const path = require('path');

function parseVersion(text) {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/.exec(text.trim());
  if (!m) return null;
  const num = (s) => (s === undefined || s === 'x' || s === '*' ? 0 : Number(s));
  return [num(m[1]), num(m[2]), num(m[3])];
}

function compare(a, b) {
  for (let i = 0; i < 3; ++i) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

// One comparator such as ">=18", "<21.0.0", "^18.12" or "18.x".
function satisfiesComparator(version, comparator) {
  const m = /^(>=|<=|>|<|=|\^|~)?\s*(.+)$/.exec(comparator);
  if (!m) return null;
  const bound = parseVersion(m[2]);
  if (!bound) return null;
  const c = compare(version, bound);
  switch (m[1] || '=') {
    case '>=': return c >= 0;
    case '<=': return c <= 0;
    case '>': return c > 0;
    case '<': return c < 0;
    case '^': return c >= 0 && version[0] === bound[0];
    case '~': return c >= 0 && version[0] === bound[0] && version[1] === bound[1];
    default: return version[0] === bound[0] && (m[2].split('.').length < 2 || c === 0);
  }
}

// A range: alternatives separated by "||", each a space-separated conjunction.
// Returns true, false, or null when the range uses syntax this does not know.
function satisfies(version, range) {
  if (range.trim() === '' || range.trim() === '*') return true;
  let unknown = false;
  for (const alternative of range.split('||')) {
    let all = true;
    for (const comparator of alternative.trim().split(/\s+/)) {
      const ok = satisfiesComparator(version, comparator);
      if (ok === null) unknown = true;
      if (ok !== true) all = false;
    }
    if (all) return true;
  }
  return unknown ? null : false;
}

const lockFile = path.join(__dirname, 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
const version = parseVersion(process.version);
let failed = false;
for (const [where, pkg] of Object.entries(lock.packages || {})) {
  const range = pkg.engines && pkg.engines.node;
  if (!where || !range) continue;
  const name = where.replace(/^.*node_modules\//, '');
  const ok = satisfies(version, range);
  if (ok === false) {
    console.error(`dashboard: Node.js ${process.version} (${process.execPath}) ` +
                  `is too old for ${name} ${pkg.version}, which needs node ` +
                  `${range} (tests/dashboard/package-lock.json). Put a ` +
                  `Node.js that fits first on PATH, or pin a ${name} whose ` +
                  `engines allow ${process.version}.`);
    failed = true;
  } else if (ok === null) {
    console.error(`dashboard: cannot read ${name}'s engines.node range ` +
                  `'${range}'; not checked`);
  }
}
process.exit(failed ? 1 : 0);
