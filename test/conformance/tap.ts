// A TAP 13 reader for the runtime-tools validation programs (github.com/mndrix/tap-go), and the
// comparison of one program's result with its entry in runtime-tools-expectations.json.
//
// What a plain TAP reader gets wrong with these programs: several print a `1..0` plan and report
// their failure only as a YAML diagnostic (a JSON object between `---` and `...`) holding
// "error", attached to no test point; some exit non-zero after printing a plan; some print nothing
// at all when they pass (process_rlimits_fail exits 0 silently).

export interface TapPoint {
  ok: boolean;
  num: number;
  name: string;
  skip: boolean;
  diagnostic?: Record<string, unknown>;
}

export interface TapDocument {
  plan?: number;
  points: number;
}

export interface TapResult {
  /** Some programs print two TAP documents (one per `TAP version` line), each with its plan. */
  documents: TapDocument[];
  points: TapPoint[];
  /** YAML blocks that follow no test point. */
  orphans: Record<string, unknown>[];
}

function parseBlock(lines: string[]): Record<string, unknown> {
  const text = lines.join('\n');
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : { raw: text };
  } catch {
    return { raw: text };
  }
}

export function parseTap(text: string): TapResult {
  const out: TapResult = { documents: [], points: [], orphans: [] };
  const lines = text.split('\n');
  let last: TapPoint | undefined; // the point a YAML block right after it belongs to
  let doc: TapDocument | undefined;
  const current = (): TapDocument => {
    if (!doc) out.documents.push((doc = { points: 0 }));
    return doc;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^TAP version/.test(line)) {
      out.documents.push((doc = { points: 0 }));
      last = undefined;
      continue;
    }
    const point = /^(not )?ok (\d+)(?: - ([^#]*?))?\s*(#\s*(SKIP|TODO)\b.*)?$/i.exec(line);
    if (point) {
      last = { ok: !point[1], num: Number(point[2]), name: (point[3] ?? '').trim(), skip: /skip/i.test(point[5] ?? '') };
      out.points.push(last);
      current().points++;
      continue;
    }
    const plan = /^1\.\.(\d+)/.exec(line);
    if (plan) {
      current().plan = Number(plan[1]);
      last = undefined;
      continue;
    }
    if (/^\s+---\s*$/.test(line)) {
      const body: string[] = [];
      for (i++; i < lines.length && !/^\s+\.\.\.\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
      const block = parseBlock(body);
      if (last && !last.diagnostic) last.diagnostic = block;
      else out.orphans.push(block);
      last = undefined;
      continue;
    }
    // Comments (`# expect: ...`) and the rest of a description that held a newline ("Refer to:
    // ...") keep the point its block follows.
  }
  return out;
}

export type Kind = 'host-limit' | 'test-bug' | 'deviation' | 'older-spec';

export interface ExpectedFailure {
  /** A not-ok test point's description, exactly. */
  name?: string;
  /** Or the first line of an orphan diagnostic's "error". */
  diagnostic?: string;
  /** How many times (the same description repeats in table-driven files). */
  count?: number;
  /** A race in the program: it fails nearly always, passes now and then. */
  mayPass?: boolean;
  kind: Kind;
  why: string;
}

export interface Expectation {
  /** Every failure allowed, with its reason; none means the file passes. */
  failures?: ExpectedFailure[];
  /** The program exits non-zero: with this code, its stderr holding `stderr`. */
  exit?: { code: number; stderr: string; kind: Kind; why: string };
  /** The program prints no TAP when it passes. */
  noTap?: boolean;
}

export interface Outcome {
  failed: string[];
  diagnostics: string[];
}

/** The failures in a program's TAP: not-ok points, and orphan diagnostics that hold an error. */
export function failuresOf(tap: TapResult): Outcome {
  const failed = tap.points.filter((p) => !p.ok && !p.skip).map((p) => p.name);
  const diagnostics = tap.orphans.map((o) => (typeof o.error === 'string' ? o.error.split('\n')[0]!.trim() : '')).filter((e) => e !== '');
  return { failed, diagnostics };
}

function countBy(xs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

/** What differs from the expectation; empty when the result is exactly the one listed. */
export function compare(tap: TapResult, exitCode: number, stderr: string, exp: Expectation): string[] {
  const problems: string[] = [];
  if (exp.exit) {
    if (exitCode !== exp.exit.code) problems.push(`exit status ${exitCode}, expected ${exp.exit.code} (${exp.exit.why})`);
    else if (!stderr.includes(exp.exit.stderr))
      problems.push(
        `exit status ${exitCode} but stderr lacks ${JSON.stringify(exp.exit.stderr)}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    return problems;
  }
  if (exitCode !== 0) problems.push(`exit status ${exitCode}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  if (exp.noTap) {
    if (tap.documents.length || tap.orphans.length) problems.push('TAP output where none is expected');
  } else if (tap.documents.length === 0) {
    problems.push('no TAP output');
  }
  for (const d of tap.documents) {
    if (d.plan === undefined) problems.push(`a TAP document without a plan (${d.points} test points)`);
    else if (d.plan !== d.points) problems.push(`plan 1..${d.plan} but ${d.points} test points`);
  }
  const got = failuresOf(tap);
  for (const [label, actual, key] of [
    ['not ok', got.failed, 'name'],
    ['error diagnostic', got.diagnostics, 'diagnostic'],
  ] as const) {
    const want = new Map<string, number>();
    const optional = new Set<string>();
    for (const f of exp.failures ?? []) {
      const k = f[key];
      if (k === undefined) continue;
      want.set(k, (want.get(k) ?? 0) + (f.count ?? 1));
      if (f.mayPass) optional.add(k);
    }
    const have = countBy(actual);
    for (const [k, n] of have) {
      const w = want.get(k) ?? 0;
      if (n > w) problems.push(`${label}: ${JSON.stringify(k)}${n > 1 ? ` ×${n}` : ''}${w ? ` (${w} listed)` : ' is not listed'}`);
    }
    for (const [k, w] of want) {
      const n = have.get(k) ?? 0;
      if (n < w && !optional.has(k))
        problems.push(
          `listed ${label} ${JSON.stringify(k)}${w > 1 ? ` ×${w}` : ''} ${n ? `happened ${n}×` : 'passes now'}: update the expectations`,
        );
    }
  }
  return problems;
}

const KIND_WORDS: Record<Kind, string> = {
  'host-limit': 'host limit',
  'test-bug': 'test bug',
  deviation: 'deviation',
  'older-spec': 'older spec',
};

/** The README's table: one row per program, its result and, where it is not a pass, why. */
export function expectationTable(programs: string[], expectations: Record<string, Expectation>): string {
  const rows = ['| Program | Result | Why |', '| --- | --- | --- |'];
  for (const name of programs) {
    const e = expectations[name];
    if (!e || (!e.exit && !e.failures?.length)) {
      rows.push(`| ${name} | pass | |`);
      continue;
    }
    if (e.exit) {
      rows.push(`| ${name} | exits ${e.exit.code} (${KIND_WORDS[e.exit.kind]}) | ${e.exit.why} |`);
      continue;
    }
    const parts = e.failures!.map((f) => {
      const what = f.name ?? f.diagnostic ?? '';
      const n = f.count && f.count > 1 ? ` ×${f.count}` : '';
      return `“${what.replace(/\|/g, '\\|')}”${n}${f.mayPass ? ' (racy)' : ''} — ${KIND_WORDS[f.kind]}: ${f.why.replace(/\|/g, '\\|')}`;
    });
    const count = e.failures!.reduce((s, f) => s + (f.count ?? 1), 0);
    rows.push(`| ${name} | ${count} listed failure${count > 1 ? 's' : ''} | ${parts.join('<br>')} |`);
  }
  return rows.join('\n');
}
