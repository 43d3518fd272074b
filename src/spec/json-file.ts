// Reading JSON documents (config.json, process.json, state.json, ...) with errors a person can act on.

import * as fs from 'node:fs';

import { errnoWords } from '../errno';
import { SkiffError } from '../errors';
import { unsafeIntegers } from './exact-integers';

const EXACT = Symbol('exact integers');

/** The integer literals of a parsed document that JSON.parse rounded (by JSON pointer). */
export function exactIntegersOf(doc: unknown): Map<string, bigint> {
  const m = doc && typeof doc === 'object' ? (doc as Record<symbol, Map<string, bigint> | undefined>)[EXACT] : undefined;
  return m ?? new Map();
}

/** Thrown for unreadable or invalid spec documents. `message` is `problems` joined by newlines. */
export class SpecError extends SkiffError {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.join('\n'), { step: 'config' });
    this.name = 'SpecError';
    this.problems = problems;
  }
}

/** Refuse files bigger than this before reading them (a config.json is a few KiB). */
export const MAX_JSON_FILE_BYTES = 16 * 1024 * 1024;

/** Refuse documents nested deeper than this (no spec document goes beyond ~8 levels). */
export const MAX_JSON_DEPTH = 200;

function describeErrno(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') return errnoWords(e.code);
  return String(err);
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${bytes} bytes`;
}

/** 1-based line and column (in UTF-16 code units) of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const at = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: at - lineStart + 1 };
}

function describeChar(text: string, pos: number): string {
  if (pos >= text.length) return 'end of file';
  const c = text[pos];
  if (c === '\n') return 'end of line';
  if (c === '\t') return 'tab';
  const code = c.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) return `control character U+${code.toString(16).padStart(4, '0').toUpperCase()}`;
  return JSON.stringify(c);
}

/**
 * Finds the first syntax error in `text`, iteratively (no recursion, so any nesting depth is safe).
 * Returns null when the text is valid JSON. Used to locate and explain what JSON.parse rejected.
 */
export function findJsonSyntaxError(text: string): { offset: number; reason: string } | null {
  const n = text.length;
  let i = 0;
  // Stack of open containers: '{' or '['.
  const stack: string[] = [];
  // What the grammar expects next.
  type Want = 'value' | 'key' | 'colon' | 'commaOrEnd' | 'keyOrEnd' | 'valueOrEnd' | 'eof';
  let want: Want = 'value';

  const skipWs = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const fail = (offset: number, reason: string) => ({ offset, reason });

  const scanString = (): { offset: number; reason: string } | null => {
    // text[i] === '"'
    const start = i;
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return null;
      }
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === undefined) return fail(i + 1, 'unterminated string (started at ' + where(start) + ')');
        if ('"\\/bfnrt'.includes(e)) {
          i += 2;
          continue;
        }
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) return fail(i, 'invalid \\u escape in string');
          i += 6;
          continue;
        }
        return fail(i, `invalid escape "\\${e}" in string`);
      }
      if (c < 0x20) {
        return fail(i, `${describeChar(text, i)} inside a string (started at ${where(start)}; strings cannot span lines)`);
      }
      i++;
    }
    return fail(n, `unterminated string (started at ${where(start)})`);
  };
  const where = (offset: number): string => {
    const { line, column } = lineAndColumn(text, offset);
    return `line ${line}, column ${column}`;
  };
  const numberRe = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
  const scanNumber = (): { offset: number; reason: string } | null => {
    numberRe.lastIndex = i;
    const m = numberRe.exec(text);
    if (!m) return fail(i, `invalid number`);
    const after = text[i + m[0].length];
    if (after !== undefined && /[0-9.eE+-]/.test(after)) return fail(i + m[0].length, `invalid number`);
    i += m[0].length;
    return null;
  };

  for (;;) {
    skipWs();
    if (want === 'eof') {
      if (i < n) return fail(i, `unexpected ${describeChar(text, i)} after the end of the JSON value`);
      return null;
    }
    if (i >= n) {
      if (stack.length === 0 && want === 'value') return fail(i, 'no JSON value (the document is empty)');
      const open = stack[stack.length - 1];
      return fail(i, `unexpected end of file (missing ${open === '{' ? '"}"' : open === '[' ? '"]"' : 'a value'})`);
    }
    const c = text[i];
    switch (want) {
      case 'value':
      case 'valueOrEnd': {
        if (want === 'valueOrEnd' && c === ']') {
          stack.pop();
          i++;
          want = stack.length ? 'commaOrEnd' : 'eof';
          break;
        }
        if (c === '{') {
          stack.push('{');
          i++;
          want = 'keyOrEnd';
        } else if (c === '[') {
          stack.push('[');
          i++;
          want = 'valueOrEnd';
        } else if (c === '"') {
          const err = scanString();
          if (err) return err;
          want = stack.length ? 'commaOrEnd' : 'eof';
        } else if (c === '-' || (c >= '0' && c <= '9')) {
          const err = scanNumber();
          if (err) return err;
          want = stack.length ? 'commaOrEnd' : 'eof';
        } else {
          const lit = /^(true|false|null)/.exec(text.slice(i, i + 5));
          if (lit && !/[A-Za-z0-9_]/.test(text[i + lit[0].length] ?? '')) {
            i += lit[0].length;
            want = stack.length ? 'commaOrEnd' : 'eof';
          } else if (c === ']' || c === '}') {
            return fail(i, `unexpected ${describeChar(text, i)} where a value was expected (trailing comma?)`);
          } else if (c === "'") {
            return fail(i, 'strings must use double quotes');
          } else {
            return fail(i, `unexpected ${describeChar(text, i)} where a value was expected`);
          }
        }
        break;
      }
      case 'key':
      case 'keyOrEnd': {
        if (want === 'keyOrEnd' && c === '}') {
          stack.pop();
          i++;
          want = stack.length ? 'commaOrEnd' : 'eof';
          break;
        }
        if (c !== '"') {
          if (c === '}') return fail(i, 'unexpected "}" where a property name was expected (trailing comma?)');
          return fail(i, `expected a double-quoted property name, found ${describeChar(text, i)}`);
        }
        const err = scanString();
        if (err) return err;
        want = 'colon';
        break;
      }
      case 'colon':
        if (c !== ':') return fail(i, `expected ":" after the property name, found ${describeChar(text, i)}`);
        i++;
        want = 'value';
        break;
      case 'commaOrEnd': {
        const open = stack[stack.length - 1];
        const close = open === '{' ? '}' : ']';
        if (c === ',') {
          i++;
          want = open === '{' ? 'key' : 'value';
        } else if (c === close) {
          stack.pop();
          i++;
          want = stack.length ? 'commaOrEnd' : 'eof';
        } else {
          return fail(i, `expected "," or "${close}", found ${describeChar(text, i)}`);
        }
        break;
      }
    }
  }
}

/**
 * Depth of the deepest nesting of [ and { outside strings, or the offset of the first bracket that
 * goes deeper than `limit`. Linear, no recursion.
 */
function checkDepth(text: string, limit: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return -1;
}

/** Reads the whole file through `fd`, refusing to go past `limit` bytes (for files whose size fstat cannot tell). */
function readAtMost(fd: number, limit: number): Buffer | null {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(Math.min(1024 * 1024, limit + 1 - total));
    const got = fs.readSync(fd, buf, 0, buf.length, null);
    if (got === 0) break;
    chunks.push(got === buf.length ? buf : buf.subarray(0, got));
    total += got;
    if (total > limit) return null;
  }
  return Buffer.concat(chunks, total);
}

/**
 * Reads and parses a JSON file. Every failure throws a SpecError whose single line starts with
 * `label`, e.g. `config.json: open /b/config.json: no such file or directory` or
 * `config.json: /b/config.json: invalid JSON at line 3, column 5: expected "," or "}", found "x"`.
 */
export function readJsonFile(path: string, label: string): unknown {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    throw new SpecError([`${label}: open ${path}: ${describeErrno(err)}`]);
  }
  let data: Buffer | null;
  try {
    let st: fs.Stats;
    try {
      st = fs.fstatSync(fd);
    } catch (err) {
      throw new SpecError([`${label}: stat ${path}: ${describeErrno(err)}`]);
    }
    if (st.isDirectory()) throw new SpecError([`${label}: read ${path}: is a directory`]);
    if (st.isFile() && st.size > MAX_JSON_FILE_BYTES) {
      throw new SpecError([`${label}: ${path} is too large (${formatSize(st.size)}; the limit is ${formatSize(MAX_JSON_FILE_BYTES)})`]);
    }
    try {
      data = readAtMost(fd, MAX_JSON_FILE_BYTES);
    } catch (err) {
      throw new SpecError([`${label}: read ${path}: ${describeErrno(err)}`]);
    }
  } finally {
    fs.closeSync(fd);
  }
  if (data === null) {
    throw new SpecError([`${label}: ${path} is too large (more than ${formatSize(MAX_JSON_FILE_BYTES)})`]);
  }
  return parseJsonText(data.toString('utf8'), `${label}: ${path}`);
}

/**
 * Parses JSON text, throwing a SpecError prefixed with `where` (e.g. `config.json: /b/config.json`)
 * for empty documents, over-deep nesting and syntax errors (with line and column).
 */
export function parseJsonText(input: string, where: string): unknown {
  // A UTF-8 byte order mark is not JSON, but some editors write one; it carries no meaning.
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  if (text.trim() === '') throw new SpecError([`${where}: file is empty (expected a JSON object)`]);
  const deep = checkDepth(text, MAX_JSON_DEPTH);
  if (deep >= 0) {
    const { line, column } = lineAndColumn(text, deep);
    throw new SpecError([`${where}: JSON nested more than ${MAX_JSON_DEPTH} levels deep at line ${line}, column ${column}`]);
  }
  try {
    const doc: unknown = JSON.parse(text);
    const exact = unsafeIntegers(text);
    if (exact.size && doc && typeof doc === 'object') Object.defineProperty(doc, EXACT, { value: exact });
    return doc;
  } catch (err) {
    const found = findJsonSyntaxError(text);
    let offset: number;
    let reason: string;
    if (found) {
      offset = found.offset;
      reason = found.reason;
    } else {
      // Our scanner and V8 disagree: fall back to V8's own words and position.
      const msg = err instanceof Error ? err.message : String(err);
      const m = /at position (\d+)/.exec(msg);
      offset = m ? Number(m[1]) : text.length;
      reason = msg.replace(/\s*in JSON at position \d+.*$/, '').replace(/,\s*".*" is not valid JSON$/, '');
    }
    const { line, column } = lineAndColumn(text, offset);
    throw new SpecError([`${where}: invalid JSON at line ${line}, column ${column}: ${reason}`]);
  }
}
