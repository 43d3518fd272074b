// exec --cgroup (runc 1.2): the exec'd process goes into an existing sub-cgroup of the container's
// cgroup. "PATH" applies to every hierarchy; "CONTROLLER[,CONTROLLER]:PATH" to the v1 hierarchies
// of those controllers (the rest stay the container's own). Pure: the caller checks existence.
import * as path from 'node:path';

import type { CgroupPaths } from './manager';

export interface SubCgroupSpec {
  controllers?: string[];
  sub: string;
}

export function parseSubCgroup(spec: string): SubCgroupSpec {
  const colon = spec.indexOf(':');
  const controllers = colon >= 0 ? spec.slice(0, colon).split(',').filter(Boolean) : undefined;
  const raw = colon >= 0 ? spec.slice(colon + 1) : spec;
  const sub = path.posix.normalize(raw).replace(/^\/+|\/+$/g, '');
  // Below the container's cgroup only: no "..", not the cgroup itself.
  if (!sub || sub === '.' || sub.split('/').includes('..'))
    throw new Error(`--cgroup ${JSON.stringify(spec)}: expected [CONTROLLER[,CONTROLLER]:]PATH, a path below the container's cgroup`);
  if (colon >= 0 && !controllers?.length) throw new Error(`--cgroup ${JSON.stringify(spec)}: no controller before ":"`);
  return { controllers, sub };
}

/** The container's cgroup paths with the sub-cgroups of `specs` in place of its own. */
export function subCgroupPaths(paths: CgroupPaths, specs: readonly string[]): CgroupPaths {
  const parsed = specs.map(parseSubCgroup);
  const plain = parsed.filter((p) => !p.controllers);
  if (plain.length > 1) throw new Error('--cgroup: one PATH without controllers at most');
  const out: CgroupPaths = { ...paths, v1: { ...paths.v1 } };
  if (paths.mode === 'unified') {
    const named = parsed.find((p) => p.controllers);
    if (named)
      throw new Error(
        `--cgroup ${named.controllers!.join(',')}:${named.sub}: cgroup v2 has one hierarchy: give a PATH without controllers`,
      );
    out.unified = path.join(paths.unified!, plain[0]!.sub);
    return out;
  }
  const known = new Set(Object.keys(paths.v1).flatMap((k) => k.split(',')));
  for (const p of parsed)
    for (const c of p.controllers ?? []) if (!known.has(c)) throw new Error(`--cgroup: no cgroup v1 hierarchy has the controller "${c}"`);
  for (const [key, dir] of Object.entries(paths.v1)) {
    const ctrls = key.split(',');
    const named = parsed.find((p) => p.controllers?.some((c) => ctrls.includes(c)));
    const chosen = named ?? plain[0];
    if (chosen) out.v1[key] = path.join(dir, chosen.sub);
  }
  // Hybrid: the cgroup2 directory follows a plain PATH.
  if (paths.unified && plain.length) out.unified = path.join(paths.unified, plain[0]!.sub);
  return out;
}
