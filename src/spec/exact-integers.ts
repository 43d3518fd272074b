// JSON.parse rounds integers above 2^53. A seccomp argument compares 64-bit values (masks like
// 0xffffffffffffffff are common), and rlimits and time offsets are 64-bit too, so for those fields
// skiff keeps the value as written: the document is validated as parsed (numbers), then the few
// fields where it matters get the exact bigint back from the text.

/** JSON pointers of integer literals a double cannot hold exactly, with their exact values. */
export function unsafeIntegers(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  // Nearly every document has none: skip the scan unless a long run of digits is there at all.
  if (!/\d{16}/.test(text)) return out;
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
  const value = (ptr: string): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        const k = str();
        ws();
        i++; // ':'
        value(`${ptr}/${esc(k)}`);
        ws();
        if (text[i++] === '}') return;
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        value(`${ptr}/${n}`);
        ws();
        if (text[i++] === ']') return;
      }
    } else if (c === '"') {
      str();
    } else {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?|^(true|false|null)/.exec(text.slice(i, i + 400));
      if (!m) throw new Error(`unexpected character at offset ${i}`);
      i += m[0].length;
      if (m[1] === undefined && m[2] === undefined && m[3] === undefined) {
        const v = BigInt(m[0]);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) out.set(ptr, v);
      }
    }
  };
  value('');
  return out;
}

/** Where config.json and process.json keep 64-bit integers that skiff hands on. */
export const EXACT_CONFIG_FIELDS = [
  /^\/linux\/seccomp\/syscalls\/\d+\/args\/\d+\/(value|valueTwo)$/,
  /^\/process\/rlimits\/\d+\/(soft|hard)$/,
  /^\/linux\/timeOffsets\/[^/]+\/secs$/,
];
export const EXACT_PROCESS_FIELDS = [/^\/rlimits\/\d+\/(soft|hard)$/];

/** Puts the exact values back into `doc` at those of `exact`'s pointers that match `fields`. */
export function restoreExactIntegers(doc: unknown, exact: Map<string, bigint>, fields: readonly RegExp[]): void {
  for (const [ptr, v] of exact) {
    if (!fields.some((f) => f.test(ptr))) continue;
    const keys = ptr
      .split('/')
      .slice(1)
      .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    let o: any = doc;
    for (const k of keys.slice(0, -1)) o = o?.[k];
    const last = keys[keys.length - 1]!;
    if (o && typeof o === 'object' && typeof o[last] === 'number') o[last] = v;
  }
}

/** state.json keeps config.json's process and seccomp: the same fields, under its own keys. */
export const EXACT_STATE_FIELDS = [/^\/seccomp\/syscalls\/\d+\/args\/\d+\/(value|valueTwo)$/, /^\/process\/rlimits\/\d+\/(soft|hard)$/];

/**
 * JSON.stringify that writes bigints as plain digits (it throws on them otherwise). A bigint goes
 * through a marker string first; the marker holds a fresh random nonce, so no string of the
 * document (an annotation, say) can pass for one.
 */
export function stringifyExact(value: unknown): string {
  let nonce: string | undefined;
  const text = JSON.stringify(value, (_k, v) => {
    if (typeof v !== 'bigint') return v;
    nonce ??= Math.random().toString(36).slice(2, 10);
    return `\u0000${nonce}:${v.toString()}`;
  });
  return nonce === undefined ? text : text.replace(new RegExp(`"\\\\u0000${nonce}:(-?\\d+)"`, 'g'), '$1');
}

/** JSON.parse, with the exact values of `fields` restored. */
export function parseExact(text: string, fields: readonly RegExp[]): unknown {
  const doc = JSON.parse(text);
  const exact = unsafeIntegers(text);
  if (exact.size) restoreExactIntegers(doc, exact, fields);
  return doc;
}
