// Prints one closing line over jest's JSON report and pytest's JUnit XML:
// "all tests: N passed, N failed[, N skipped]". A missing report counts as a failure.
"use strict";
const fs = require("fs");

function jest(file) {
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    return { passed: r.numPassedTests, failed: r.numFailedTests + (r.numRuntimeErrorTestSuites || 0), skipped: r.numPendingTests + r.numTodoTests };
  } catch {
    return { passed: 0, failed: 1, skipped: 0 };
  }
}

function pytest(file) {
  try {
    const xml = fs.readFileSync(file, "utf8");
    const m = /<testsuite [^>]*>/.exec(xml)[0];
    const n = (k) => Number((new RegExp(`\\b${k}="(\\d+)"`).exec(m) || [0, 0])[1]);
    const total = n("tests"), failed = n("failures") + n("errors"), skipped = n("skipped");
    return { passed: total - failed - skipped, failed, skipped };
  } catch {
    return { passed: 0, failed: 1, skipped: 0 };
  }
}

const [jestFile, pytestFile] = process.argv.slice(2);
const a = jest(jestFile), b = pytest(pytestFile);
const passed = a.passed + b.passed, failed = a.failed + b.failed, skipped = a.skipped + b.skipped;
console.log(`jest: ${a.passed} passed, ${a.failed} failed`);
console.log(`pytest: ${b.passed} passed, ${b.failed} failed`);
console.log(`all tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
