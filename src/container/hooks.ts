// Hooks (config.md "POSIX-platform Hooks"): run with the container's state on stdin.

import type { Hook, Hooks } from '../spec/types';

export type HookKind = keyof Hooks;

/** Runs the hooks of one kind in order; returns the first failure's description. */
export function runHooks(kind: HookKind, hooks: Hook[] | undefined, state: object): string | undefined {
  for (const h of hooks ?? []) {
    const failed = runHook(kind, h, state);
    if (failed) return failed;
  }
  return undefined;
}

/** Runs every hook of one kind, even after one failed (poststop: config.md says warn and go on); returns each failure. */
export function runAllHooks(kind: HookKind, hooks: Hook[] | undefined, state: object): string[] {
  return (hooks ?? []).map((h) => runHook(kind, h, state)).filter((f): f is string => !!f);
}

function runHook(kind: HookKind, h: Hook, state: object): string | undefined {
  // child_process pulls in net, dgram and more: load it only when there is a hook to run.
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const [argv0, ...rest] = h.args && h.args.length ? h.args : [h.path];
  const r = spawnSync(h.path, rest, {
    argv0,
    input: JSON.stringify(state),
    // Without env of its own a hook gets the runtime's environment, as with runc and crun.
    env: h.env ? Object.fromEntries(h.env.map((kv) => [kv.slice(0, kv.indexOf('=') < 0 ? kv.length : kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) : process.env,
    timeout: h.timeout ? h.timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const stderr = r.stderr ? r.stderr.toString().trim().split('\n').slice(-1)[0] : '';
  // A hook that exits without reading the state (many CDI and GPU hooks) is not a failure.
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'EPIPE') {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ETIMEDOUT') return `${kind} hook ${h.path} timed out after ${h.timeout} s`;
    return `${kind} hook ${h.path}: ${code === 'ENOENT' ? 'no such file or directory' : r.error.message}`;
  }
  if (r.status !== 0) return `${kind} hook ${h.path} failed: ${r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`}${stderr ? `: ${stderr}` : ''}`;
  return undefined;
}
