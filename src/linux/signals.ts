import * as os from 'node:os';

const SIGNALS = os.constants.signals as Record<string, number>;

/**
 * runc accepts "KILL", "SIGKILL", "kill" and "9"; containerd sends numbers, CRI-O names.
 * Returns the number, or throws with the offending text.
 */
export function parseSignal(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    // 0 sends nothing and only asks whether the process exists (`kill ID 0`, as with runc).
    if (n >= 0 && n <= 64) return n;
    throw new Error(`invalid signal "${text}"`);
  }
  const upper = t.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) {
    const off = Number(rt[1] ?? 0);
    const n = name.startsWith('SIGRTMIN') ? 34 + off : 64 - off;
    if (n >= 34 && n <= 64) return n;
  }
  const n = SIGNALS[name];
  if (n !== undefined) return n;
  throw new Error(`unknown signal "${text}"`);
}

export function signalName(n: number): string {
  for (const [k, v] of Object.entries(SIGNALS)) if (v === n) return k;
  return `signal ${n}`;
}
