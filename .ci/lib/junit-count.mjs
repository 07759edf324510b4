// Prints "PASSED FAILED SKIPPED" for a JUnit XML report, or exits 1 with a one-line reason.
//
// Counts <testcase> elements, not the summary attributes: a test case is failed when it holds a
// <failure> or <error>, skipped when it holds <skipped>, passed otherwise. That reads the same for
// Vitest (which also reports failed hooks and unloadable files as test cases) and for other JUnit
// writers such as Playwright, whose attribute conventions differ.
import { readFileSync } from 'node:fs';

function fail(reason) {
  console.log(reason);
  process.exit(1);
}

const file = process.argv[2];
if (!file) fail('usage: junit-count.mjs REPORT.xml');

let xml;
try {
  xml = readFileSync(file, 'utf8');
} catch (error) {
  fail(error.code === 'ENOENT' ? 'report not written' : `cannot read report (${error.code})`);
}

// A report cut short by a crash must not pass for a complete one.
if (!/<testsuites?\b/.test(xml) || !/<\/testsuites>\s*$|<\/testsuite>\s*$|<testsuites?\b[^>]*\/>\s*$/.test(xml)) {
  fail('report incomplete');
}

const counts = { passed: 0, failed: 0, skipped: 0 };
// Text inside the elements is XML-escaped, so a literal "<failure" can only be a real element.
for (const [, , body = ''] of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
  if (/<(failure|error)\b/.test(body)) counts.failed += 1;
  else if (/<skipped\b/.test(body)) counts.skipped += 1;
  else counts.passed += 1;
}

console.log(`${counts.passed} ${counts.failed} ${counts.skipped}`);
