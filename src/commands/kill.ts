import { killContainer } from '../container/lifecycle';
import { SkiffError } from '../errors';
import type { Globals } from '../globals';
import { parseSignal } from '../linux/signals';

export function kill(g: Globals, id: string, signal: string | undefined, opts: { all?: boolean }): void {
  let sig: number;
  try {
    sig = parseSignal(signal ?? 'SIGTERM');
  } catch (err) {
    throw new SkiffError((err as Error).message);
  }
  killContainer(g.store(), id, sig, !!opts.all);
}
