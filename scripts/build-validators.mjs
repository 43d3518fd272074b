#!/usr/bin/env node
// Compiles skiff's JSON Schemas (schemas/*.schema.json) into plain JavaScript validate functions with
// ajv's standalone code generation, so that no schema is compiled when skiff runs.
//
//   node scripts/build-validators.mjs          -> writes src/spec/generated/validators.{js,d.ts}
//   node scripts/build-validators.mjs --check  -> exits 1 if the generated files are missing or stale
//   node scripts/build-validators.mjs --readable -> same as the first, without minifying the code
//
// The generated module is CommonJS, exports `config`, `process`, `state` and `features`, and may
// require("ajv/dist/runtime/...") helpers (esbuild bundles them).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Ajv = require('ajv').default;
const standaloneCode = require('ajv/dist/standalone').default;
const esbuild = require('esbuild');

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemaDir = path.join(repoRoot, 'schemas');
const outDir = path.join(repoRoot, 'src', 'spec', 'generated');

/** export name -> schema file. Every schema file in schemas/ is added so cross-file $refs resolve. */
const exportsByName = {
  config: 'config.schema.json',
  process: 'process.schema.json',
  state: 'state.schema.json',
  features: 'features.schema.json',
};

function loadSchemas() {
  const files = fs
    .readdirSync(schemaDir)
    .filter((f) => f.endsWith('.schema.json'))
    .sort();
  const schemas = new Map();
  for (const f of files) {
    const text = fs.readFileSync(path.join(schemaDir, f), 'utf8');
    let schema;
    try {
      schema = JSON.parse(text);
    } catch (e) {
      throw new Error(`schemas/${f}: ${e.message}`);
    }
    if (typeof schema.$id !== 'string') throw new Error(`schemas/${f}: has no $id`);
    schemas.set(f, schema);
  }
  return schemas;
}

/** Index just past the JSON value that starts at `start` in `text` (strings and nesting respected). */
function endOfJsonValue(text, start) {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && (c === ';' || c === ',')) return i;
  }
  throw new Error('generated code: unterminated schema constant');
}

/**
 * ajv's standalone output declares every schema as a `const schemaN = {...}` object literal even
 * when no generated function reads it. Drop the ones that are never referenced: they are most of
 * the file's size and all of its descriptions.
 */
function pruneUnusedSchemaConstants(code) {
  const decl = /const (schema\d+) = /g;
  const spans = [];
  let m;
  while ((m = decl.exec(code)) !== null) {
    const valueStart = m.index + m[0].length;
    const end = endOfJsonValue(code, valueStart);
    if (code[end] !== ';') throw new Error(`generated code: unexpected text after ${m[1]}`);
    spans.push({ name: m[1], start: m.index, end: end + 1 });
  }
  const drop = spans.filter(({ name, start, end }) => {
    const uses = code.slice(0, start) + code.slice(end);
    return !new RegExp(`\\b${name}\\b`).test(uses);
  });
  let out = '';
  let at = 0;
  for (const s of drop) {
    out += code.slice(at, s.start);
    at = s.end;
  }
  return out + code.slice(at);
}

/**
 * Every failing keyword in ajv's output ends with the same 70-character idiom for appending to the
 * error list; route it through one small helper instead (same behaviour, about 15% less code).
 */
function compactErrorPushes(code) {
  const idiom = /if\(vErrors === null\)\{vErrors = \[(err\d+)\];\}else \{vErrors\.push\(\1\);\}/g;
  if (!idiom.test(code)) return code;
  const body = code.replace(idiom, 'vErrors = pushErr(vErrors, $1);');
  const helper = 'function pushErr(list, err) { if (list === null) return [err]; list.push(err); return list; }\n';
  return body.replace('"use strict";', '"use strict";' + helper);
}

function build({ minify }) {
  const schemas = loadSchemas();
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    code: { source: true, esm: false, lines: false, optimize: true },
    // Our own error translation (src/spec/validate.ts) reads keyword/params/instancePath; ajv's
    // English messages are not needed and leaving them out keeps the generated file smaller.
    messages: false,
    // Keep every $ref a separate function: large shared definitions are emitted once.
    inlineRefs: false,
  });
  for (const schema of schemas.values()) ajv.addSchema(schema);
  const refs = {};
  for (const [name, file] of Object.entries(exportsByName)) {
    const schema = schemas.get(file);
    if (!schema) throw new Error(`schemas/${file} is missing`);
    refs[name] = schema.$id;
  }
  let code = compactErrorPushes(pruneUnusedSchemaConstants(standaloneCode(ajv, refs)));
  if (minify) {
    // V8's parse time dominates the load time of this module: minified, it loads in about half.
    code = esbuild.transformSync(code, { minify: true, target: 'node20', legalComments: 'none' }).code;
  }
  const header = '// GENERATED by scripts/build-validators.mjs from schemas/*.schema.json -- do not edit.\n' + '/* eslint-disable */\n';
  code = header + code + '\n';

  const dts =
    '// GENERATED by scripts/build-validators.mjs -- do not edit.\n' +
    '/** One ajv error object (messages are disabled; see src/spec/validate.ts for the wording). */\n' +
    'export interface GeneratedValidationError {\n' +
    '  instancePath: string;\n' +
    '  schemaPath: string;\n' +
    '  keyword: string;\n' +
    '  params: Record<string, any>;\n' +
    '  propertyName?: string;\n' +
    '  message?: string;\n' +
    '}\n' +
    'export interface GeneratedValidateFunction {\n' +
    '  (data: unknown): boolean;\n' +
    '  errors?: GeneratedValidationError[] | null;\n' +
    '}\n' +
    Object.keys(exportsByName)
      .map((n) => `export declare const ${n}: GeneratedValidateFunction;\n`)
      .join('');
  return { code, dts };
}

function main() {
  const check = process.argv.includes('--check');
  // --readable: skip minification (to read or debug the generated code).
  const { code, dts } = build({ minify: !process.argv.includes('--readable') });
  const jsPath = path.join(outDir, 'validators.js');
  const dtsPath = path.join(outDir, 'validators.d.ts');
  if (check) {
    const same = (p, s) => fs.existsSync(p) && fs.readFileSync(p, 'utf8') === s;
    if (same(jsPath, code) && same(dtsPath, dts)) return;
    console.error('src/spec/generated/ is stale: run node scripts/build-validators.mjs');
    process.exit(1);
  }
  fs.mkdirSync(outDir, { recursive: true });
  // Write to temporary files and rename, so a concurrent reader never sees half a file.
  for (const [p, s] of [
    [jsPath, code],
    [dtsPath, dts],
  ]) {
    const tmp = `${p}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, s);
    fs.renameSync(tmp, p);
  }
  console.log(`wrote ${path.relative(repoRoot, jsPath)} (${code.length} bytes) and ${path.relative(repoRoot, dtsPath)}`);
}

try {
  main();
} catch (e) {
  console.error(`build-validators: ${e && e.message ? e.message : e}`);
  process.exit(1);
}
