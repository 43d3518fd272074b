// Running skiff as an ordinary user (runc's and crun's rootless mode): where its state lives, and
// whether cgroup errors mean "run without a cgroup" (runc's --rootless true|false|auto).
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SkiffError } from './errors';
import type { Spec } from './spec/types';

export type RootlessSetting = 'true' | 'false' | 'auto';

export const ROOT_STATE_DIR = '/run/skiff';

export function euid(): number {
  return process.geteuid?.() ?? 0;
}

let userns: boolean | undefined;

/** In a user namespace that does not map the whole id range (a rootless podman's, say). Read once. */
export function inUserNamespace(): boolean {
  if (userns === undefined) {
    try {
      const map = fs.readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
      userns = !(map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295');
    } catch {
      userns = false;
    }
  }
  return userns;
}

/** --rootless: auto means an unprivileged user, or root of a user namespace (as runc). */
export function isRootless(setting: RootlessSetting): boolean {
  if (setting === 'true') return true;
  if (setting === 'false') return false;
  return euid() !== 0 || inUserNamespace();
}

/**
 * The default --root: /run/skiff for root; for anyone else, and for root of a user namespace (a
 * rootless podman runs its runtime so), $XDG_RUNTIME_DIR/skiff (runc: $XDG_RUNTIME_DIR/runc);
 * else /run/user/UID/skiff, where systemd-logind makes a user's runtime directory.
 */
export function defaultStateRoot(env: NodeJS.ProcessEnv = process.env, uid = euid(), userns = uid === 0 && inUserNamespace()): string {
  const xdg = env.XDG_RUNTIME_DIR;
  const usable = !!xdg && path.isAbsolute(xdg);
  if (uid === 0) return userns && usable ? path.join(xdg!, 'skiff') : ROOT_STATE_DIR;
  if (usable) return path.join(xdg!, 'skiff');
  return `/run/user/${uid}/skiff`;
}

/**
 * An unprivileged user's state directory must be their own: one that belongs to someone else
 * (another user's, or root's) is refused rather than trusted with a container's pid and paths.
 */
export function checkStateRootOwner(root: string, uid = euid()): void {
  if (uid === 0) return;
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    return; // made on first create, 0700 and the user's
  }
  if (st.uid !== uid)
    throw new SkiffError(
      `state directory (--root ${root}) belongs to uid ${st.uid}, not to you (uid ${uid}): use a directory of your own (--root, or XDG_RUNTIME_DIR)`,
    );
}

/**
 * What an unprivileged caller cannot do at all, said before anything is made: a container without
 * a user namespace of its own needs root. (--systemd-cgroup talks to the user's own instance.)
 */
export function checkUnprivileged(spec: Spec): void {
  const uid = euid();
  if (uid === 0) return;
  const userns = spec.linux?.namespaces?.some((ns) => ns.type === 'user');
  if (!userns)
    throw new SkiffError(
      `running as uid ${uid} (not root): config.json needs a user namespace (linux.namespaces with "user", and uidMappings/gidMappings), as \`skiff spec --rootless\` writes`,
    );
}
