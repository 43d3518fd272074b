// Validation of OCI runtime-spec documents (config.json, process.json, state, features) against
// skiff's own JSON Schemas (compiled ahead of time into ./generated/validators.js by
// scripts/build-validators.mjs) plus the MUST rules in ./rules.ts, with messages a person can act on.

import * as path from 'node:path';
import * as generated from './generated/validators';
import type { GeneratedValidateFunction, GeneratedValidationError } from './generated/validators';
import { EXACT_CONFIG_FIELDS, EXACT_PROCESS_FIELDS, restoreExactIntegers } from './exact-integers';
import { exactIntegersOf, readJsonFile, SpecError } from './json-file';
import { checkFeaturesRules, checkProcessRules, checkRules, configWarnings as ruleWarnings, pointerToken } from './rules';
import type { RuleOptions } from './rules';

export { SpecError } from './json-file';
export type { RuleOptions } from './rules';

/** One thing wrong with a document. `path` is a JSON pointer ("" = the document itself). */
export interface Problem {
  path: string;
  message: string;
}

export type ConfigOptions = RuleOptions;

/** formatProblems prints at most this many problems, then "... and N more". */
export const MAX_REPORTED_PROBLEMS = 50;

// ---------------------------------------------------------------------------------------------
// turning ajv errors into Problems

/** Human descriptions of the schemas' patterns (keyed by the pattern source). */
const PATTERN_TEXT: Record<string, string> = {
  '^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(\\+[0-9a-zA-Z-]+(\\.[0-9a-zA-Z-]+)*)?$':
    'must be a SemVer 2.0.0 version such as "1.3.0"',
  '^RLIMIT_[A-Z]+$': 'must be a resource name such as "RLIMIT_NOFILE"',
  '^[1-9][0-9]*[KMG]B$': 'must be a page size such as "2MB" or "1GB" (a number, then KB, MB or GB)',
  '^[0-9, -]*$': 'must be a CPU list such as "0-3,7"',
  '^MB:[^\\n]*$': 'must start with "MB:" and must not contain a newline',
  '^[^\\n]*$': 'must not contain a newline',
  '^[abc]?$': 'must be "a" (all), "c" (char) or "b" (block)',
  '^[rwm]*$': 'must be made of the letters "r", "w" and "m"',
  '^CAP_[A-Z_]+$': 'must be a capability name such as "CAP_CHOWN"',
  '^/': 'must be an absolute path',
};

/** Exact text for the int64/uint64 bounds, which a double cannot print exactly. */
function boundText(n: number): string {
  if (n === 2 ** 63) return '9223372036854775807';
  if (n === -(2 ** 63)) return '-9223372036854775808';
  if (n === 2 ** 64) return '18446744073709551615';
  return String(n);
}

const TYPE_TEXT: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean (true or false)',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** Short rendering of a JSON value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v) && v.length === 0) return 'an empty array';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function valueAt(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function quoteList(values: unknown[], max = 15): string {
  const shown = values.slice(0, max).map((v) => JSON.stringify(v));
  if (values.length > max) shown.push(`... (${values.length - max} more)`);
  return shown.join(', ');
}

function translateOne(e: GeneratedValidationError, doc: unknown): Problem | null {
  const p = e.params ?? {};
  const got = () => describeValue(valueAt(doc, e.instancePath));
  switch (e.keyword) {
    case 'required':
      return { path: `${e.instancePath}/${pointerToken(String(p.missingProperty))}`, message: 'is required' };
    case 'type': {
      const types = String(p.type).split(',');
      const want = types.map((t) => TYPE_TEXT[t] ?? t).join(' or ');
      return { path: e.instancePath, message: `must be ${want} (got ${got()})` };
    }
    case 'enum':
      return { path: e.instancePath, message: `must be one of ${quoteList(p.allowedValues ?? [])} (got ${got()})` };
    case 'const':
      return { path: e.instancePath, message: `must be ${JSON.stringify(p.allowedValue)} (got ${got()})` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path: e.instancePath, message: `must be ${p.comparison} ${boundText(Number(p.limit))} (got ${got()})` };
    case 'pattern': {
      const text = PATTERN_TEXT[String(p.pattern)] ?? `must match the pattern /${p.pattern}/`;
      return { path: e.instancePath, message: `${text} (got ${got()})` };
    }
    case 'minItems':
      return {
        path: e.instancePath,
        message: `must have at least ${p.limit} ${p.limit === 1 ? 'entry' : 'entries'} (got ${got()})`,
      };
    case 'maxItems':
      return { path: e.instancePath, message: `must have at most ${p.limit} entries` };
    case 'minLength':
      return { path: e.instancePath, message: p.limit === 1 ? `must not be empty` : `must be at least ${p.limit} characters long` };
    case 'maxLength':
      return { path: e.instancePath, message: `must be at most ${p.limit} characters long` };
    case 'additionalProperties':
      return { path: e.instancePath, message: `unknown property ${JSON.stringify(p.additionalProperty)}` };
    case 'if':
      return null; // the failing then/else branch reports the actual problem
    default:
      return { path: e.instancePath, message: `is invalid (${e.keyword})` };
  }
}

/**
 * Translates ajv's errors. anyOf/oneOf produce one error per failing branch plus a summary; they
 * collapse into one line ("must have at least one of ...") or the most specific branch's errors.
 * (This relies on the schemas keeping anyOf/oneOf branches inline, without $ref.)
 */
export function translateErrors(errors: readonly GeneratedValidationError[] | null | undefined, doc: unknown): Problem[] {
  if (!errors || errors.length === 0) return [];
  const consumed = new Set<number>();
  const replacement = new Map<number, Problem[]>();
  errors.forEach((e, i) => {
    if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf') return;
    const prefix = `${e.schemaPath}/`;
    const branches = new Map<string, number[]>();
    for (let j = 0; j < i; j++) {
      const s = errors[j];
      if (consumed.has(j) || !s.schemaPath.startsWith(prefix) || !s.instancePath.startsWith(e.instancePath)) continue;
      consumed.add(j);
      const branch = s.schemaPath.slice(prefix.length).split('/')[0];
      branches.set(branch, [...(branches.get(branch) ?? []), j]);
    }
    const subs = [...branches.values()].flat().map((j) => errors[j]);
    if (e.keyword === 'oneOf' && subs.length === 0) {
      replacement.set(i, [{ path: e.instancePath, message: 'matches more than one of the allowed forms' }]);
    } else if (subs.length > 0 && subs.every((s) => s.keyword === 'required' && s.instancePath === e.instancePath)) {
      const names = [...new Set(subs.map((s) => String(s.params.missingProperty)))];
      replacement.set(i, [{ path: e.instancePath, message: `must have at least one of ${quoteList(names)}` }]);
    } else if (branches.size > 0) {
      // Most specific branch: the one with the fewest errors (ties: the first).
      const best = [...branches.values()].sort((a, b) => a.length - b.length)[0];
      replacement.set(
        i,
        best.map((j) => translateOne(errors[j], doc)).filter((x): x is Problem => x !== null),
      );
    } else {
      replacement.set(i, [{ path: e.instancePath, message: 'does not match any of the allowed forms' }]);
    }
  });
  const out: Problem[] = [];
  errors.forEach((e, i) => {
    if (consumed.has(i)) return;
    const rep = replacement.get(i);
    if (rep) out.push(...rep);
    else {
      const p = translateOne(e, doc);
      if (p) out.push(p);
    }
  });
  return dedupe(out);
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Orders problems the way their locations appear in the document (stable; a missing property sorts
 * after its parent's existing ones), so schema and rule problems about one section stay together.
 */
function inDocumentOrder(doc: unknown, problems: Problem[]): Problem[] {
  const rank = (pointer: string): number[] => {
    const out: number[] = [];
    let cur: unknown = doc;
    if (pointer === '') return out;
    for (const raw of pointer.slice(1).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (Array.isArray(cur)) {
        const n = Number(key);
        out.push(Number.isInteger(n) ? n : Number.MAX_SAFE_INTEGER);
        cur = cur[n];
      } else if (cur !== null && typeof cur === 'object') {
        const idx = Object.keys(cur).indexOf(key);
        out.push(idx < 0 ? Number.MAX_SAFE_INTEGER : idx);
        cur = (cur as Record<string, unknown>)[key];
      } else {
        out.push(Number.MAX_SAFE_INTEGER);
        cur = undefined;
      }
    }
    return out;
  };
  const keyed = problems.map((p, i) => ({ p, i, r: rank(p.path) }));
  keyed.sort((a, b) => {
    for (let k = 0; k < Math.min(a.r.length, b.r.length); k++) {
      if (a.r[k] !== b.r[k]) return a.r[k] - b.r[k];
    }
    return a.r.length - b.r.length || a.i - b.i;
  });
  return keyed.map((k) => k.p);
}

function runSchema(fn: GeneratedValidateFunction, doc: unknown): Problem[] {
  return fn(doc) ? [] : translateErrors(fn.errors, doc);
}

// ---------------------------------------------------------------------------------------------
// public API

/** Schema problems and MUST-rule problems of a config.json document ([] = valid). */
export function validateConfig(doc: unknown, opts: { systemdCgroup?: boolean; requireProcess?: boolean } = {}): Problem[] {
  const problems = runSchema(generated.config, doc);
  // The rules are defensive (they only look at values of the right type), so they run even when
  // the schema failed: the user gets every problem in one go.
  return inDocumentOrder(doc, dedupe([...problems, ...checkRules(doc, opts)]));
}

/** Schema and rule problems of a process object (the JSON file given to `exec --process`). */
export function validateProcess(doc: unknown): Problem[] {
  return inDocumentOrder(doc, dedupe([...runSchema(generated.process, doc), ...checkProcessRules(doc, '')]));
}

/** Schema problems of a container state document (runtime.md, State). */
export function validateState(doc: unknown): Problem[] {
  return runSchema(generated.state, doc);
}

/** Schema and rule problems of a features document (features.md). */
export function validateFeatures(doc: unknown): Problem[] {
  return inDocumentOrder(doc, dedupe([...runSchema(generated.features, doc), ...checkFeaturesRules(doc)]));
}

/** Things in a config.json the spec says to warn about rather than fail on (relative mount destinations). Callers log them. */
export function configWarnings(doc: unknown): Problem[] {
  return ruleWarnings(doc);
}

/**
 * One line per problem, path first: `config.json: /linux/resources/memory/limit: must be an
 * integer (got "1G")`. At most MAX_REPORTED_PROBLEMS lines plus a "... and N more" line.
 */
/** Values from the config end up in messages: keep each part readable (a key or a path may be 1 MB). */
function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 40)}...${s.slice(-30)}`;
}

export function formatProblems(label: string, problems: Problem[]): string[] {
  const lines = problems
    .slice(0, MAX_REPORTED_PROBLEMS)
    .map((p) => (p.path === '' ? `${label}: ${clip(p.message, 300)}` : `${label}: ${clip(p.path, 200)}: ${clip(p.message, 300)}`));
  if (problems.length > MAX_REPORTED_PROBLEMS) {
    const more = problems.length - MAX_REPORTED_PROBLEMS;
    lines.push(`${label}: ... and ${more} more problem${more === 1 ? '' : 's'}`);
  }
  return lines;
}

/**
 * Reads <bundleDir>/config.json and validates it. Throws SpecError listing every problem, one per
 * line; returns the parsed document when it is valid.
 */
export function loadConfig(bundleDir: string, opts: { systemdCgroup?: boolean; requireProcess?: boolean } = {}): unknown {
  const label = 'config.json';
  const doc = readJsonFile(path.join(bundleDir, 'config.json'), label);
  const problems = validateConfig(doc, opts);
  if (problems.length > 0) throw new SpecError(formatProblems(label, problems));
  restoreExactIntegers(doc, exactIntegersOf(doc), EXACT_CONFIG_FIELDS);
  return doc;
}

/** Reads and validates a process JSON file (`exec --process FILE`). Throws SpecError. */
export function loadProcess(file: string): unknown {
  const label = path.basename(file) || file;
  const doc = readJsonFile(file, label);
  const problems = validateProcess(doc);
  if (problems.length > 0) throw new SpecError(formatProblems(label, problems));
  restoreExactIntegers(doc, exactIntegersOf(doc), EXACT_PROCESS_FIELDS);
  return doc;
}
