// A container without a mount namespace of its own (config-linux.md: an omitted type is inherited)
// makes its mounts — proc, /dev, masks, the rootfs bind — in skiff's mount namespace, under its
// rootfs. They outlive the init, so delete (and a failed create) unmounts them: every mount under
// the rootfs that was not there before the create began.

import fs from 'node:fs';

export interface MountInfoEntry {
  id: number;
  mountPoint: string;
}

/** /proc/self/mountinfo's mount point field: space, tab, newline and backslash are octal-escaped. */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountInfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    out.push({ id: Number(f[0]), mountPoint: unescapeMountField(f[4]) });
  }
  return out;
}

function isUnder(dir: string, p: string): boolean {
  return p === dir || p.startsWith(dir.endsWith('/') ? dir : dir + '/');
}

/** The mounts at or below `dir`, in mount order (a mount comes after the one it is stacked on). */
export function mountsUnder(entries: MountInfoEntry[], dir: string): MountInfoEntry[] {
  return entries.filter((e) => isUnder(dir, e.mountPoint));
}

export function readMountInfo(): MountInfoEntry[] {
  return parseMountInfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
}

/** What to unmount, last mounted first: the mounts under `dir` not in `before`. */
export function mountsToUndo(entries: MountInfoEntry[], dir: string, before: readonly number[]): MountInfoEntry[] {
  const old = new Set(before);
  return mountsUnder(entries, dir)
    .filter((e) => !old.has(e.id))
    .reverse();
}

/**
 * Unmounts what appeared under `dir` since `before` was taken; returns the problems (as warnings:
 * delete goes on). Lazy unmounts, so a mount still busy in some process goes once it is released.
 */
export function undoHostMounts(dir: string, before: readonly number[], unmount: (p: string, mountId: number) => boolean): string[] {
  const problems: string[] = [];
  for (let round = 0; round < 4; round++) {
    const left = mountsToUndo(readMountInfo(), dir, before);
    if (left.length === 0) return problems;
    for (const m of left) {
      try {
        unmount(m.mountPoint, m.id);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (problems.length) return problems;
  }
  const left = mountsToUndo(readMountInfo(), dir, before);
  if (left.length) problems.push(`unmount under ${dir}: ${left.length} mount(s) left: ${left.map((m) => m.mountPoint).join(', ')}`);
  return problems;
}
