// Parses the AsyncAPI document with the AsyncAPI initiative's own parser (@asyncapi/parser:
// the specification's JSON Schema plus its Spectral ruleset) and fails on any error.
//
//   node clients/validate-asyncapi.mjs [document]   (default: realtime/asyncapi.yaml)
//
// Warnings are printed but do not fail: they are style advice, not contract breaks.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { DiagnosticSeverity, Parser } from "@asyncapi/parser";

const here = path.dirname(fileURLToPath(import.meta.url));
const source = path.resolve(process.argv[2] ?? path.join(here, "..", "realtime", "asyncapi.yaml"));
const shown = process.argv[2] ?? path.relative(process.cwd(), source);

const severityName = {
  [DiagnosticSeverity.Error]: "error",
  [DiagnosticSeverity.Warning]: "warning",
  [DiagnosticSeverity.Information]: "info",
  [DiagnosticSeverity.Hint]: "hint",
};

const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(source, "utf8"), { source });

// Information and hints (such as "a newer AsyncAPI version exists") are counted, not listed.
const advice = diagnostics.filter((d) => d.severity > DiagnosticSeverity.Warning);
for (const diagnostic of diagnostics.filter((d) => d.severity <= DiagnosticSeverity.Warning)) {
  const where = diagnostic.path.length ? diagnostic.path.join(".") : "(document)";
  const line = diagnostic.range ? `:${diagnostic.range.start.line + 1}` : "";
  const severity = severityName[diagnostic.severity] ?? String(diagnostic.severity);
  console.log(`${severity} ${diagnostic.code} at ${where}${line}: ${diagnostic.message}`);
}

const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
const warnings = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Warning);
if (errors.length > 0 || document === undefined) {
  console.error(`AsyncAPI: ${shown} is invalid (${errors.length} errors)`);
  process.exit(1);
}

const operations = document.operations().all();
const sends = operations.filter((operation) => operation.isSend());
const count = (ops) => ops.reduce((sum, operation) => sum + operation.messages().length, 0);
console.log(
  `AsyncAPI ${document.version()}: ${shown} is valid - ` +
    `${document.channels().length} channels, ${operations.length} operations, ` +
    `${count(sends)} server->client and ${count(operations) - count(sends)} client->server ` +
    `messages, ${warnings.length} warnings, ${advice.length} hints`,
);
