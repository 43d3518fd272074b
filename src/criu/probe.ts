// `check --checkpoint`: whether checkpoint and restore can work on this host, from CRIU itself
// (its version and its own `criu check`), as a finding beside the bundle's.
import { spawnSync } from 'node:child_process';

import { messageOf } from '../errors';
import { euid, inUserNamespace } from '../rootless';
import type { Finding } from '../spec/host-support';
import { criuLogErrors, findCriu } from './swrk';

export function criuFinding(explicit?: string): Finding {
  const at = (verdict: Finding['verdict'], message: string): Finding => ({
    path: 'host',
    verdict,
    message: `checkpoint/restore: ${message}`,
  });
  if (euid() !== 0 || inUserNamespace()) return at('warning', 'needs root in the host user namespace (CRIU does)');
  let criu: string;
  try {
    criu = findCriu(explicit);
  } catch (err) {
    return at('warning', messageOf(err));
  }
  const v = spawnSync(criu, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const version = /Version:\s*(\S+)/.exec(v.stdout ?? '')?.[1] ?? '?';
  const c = spawnSync(criu, ['check'], { encoding: 'utf8', timeout: 60_000 });
  const said = `${c.stdout ?? ''}\n${c.stderr ?? ''}`;
  if (c.status === 0) return at('ok', `CRIU ${version} (${criu}): criu check: ${said.trim().split('\n').pop()}`);
  const why = criuLogErrors(said)[0] ?? said.trim().split('\n').pop() ?? `exit status ${c.status}`;
  return at('warning', `CRIU ${version} (${criu}) does not work here: criu check: ${why} (checkpoint and restore will fail)`);
}
