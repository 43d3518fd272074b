// Hooks (config.md "POSIX-platform Hooks"): run with the container's state on stdin, by the one
// runner in the addon (addon/common/hook-runner.h) that skiff-init uses for the hooks it runs.

import { native } from '../native';
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

/** A hook without env of its own gets the runtime's environment, as with runc and crun. */
export function hookEnv(h: Hook, runtimeEnv: NodeJS.ProcessEnv = process.env): string[] {
  return h.env ?? Object.entries(runtimeEnv).map(([k, v]) => `${k}=${v ?? ''}`);
}

function runHook(kind: HookKind, h: Hook, state: object): string | undefined {
  const failed = native().runHook(
    kind,
    { path: h.path, args: h.args ?? [], env: hookEnv(h), timeout: h.timeout ?? null },
    JSON.stringify(state),
  );
  return failed || undefined;
}
