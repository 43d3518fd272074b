import type { Device } from '../spec/types';
import type { PlanDevice } from './launch-plan';

// The devices every container gets (runtime-linux.md "Default Devices").
const DEFAULTS: [string, number, number][] = [
  ['/dev/null', 1, 3],
  ['/dev/zero', 1, 5],
  ['/dev/full', 1, 7],
  ['/dev/random', 1, 8],
  ['/dev/urandom', 1, 9],
  ['/dev/tty', 5, 0],
];

export function planDevices(devices: readonly Device[] | undefined): PlanDevice[] {
  const out = new Map<string, PlanDevice>();
  for (const [path, major, minor] of DEFAULTS) out.set(path, { path, type: 'c', major, minor, mode: 0o666, uid: 0, gid: 0 });
  for (const d of devices ?? []) {
    out.set(d.path, {
      path: d.path,
      type: d.type === 'u' ? 'c' : d.type,
      major: d.major ?? 0,
      minor: d.minor ?? 0,
      mode: d.fileMode ?? 0o666,
      uid: d.uid ?? 0,
      gid: d.gid ?? 0,
    });
  }
  return [...out.values()];
}
