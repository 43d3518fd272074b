// Where skiff's own native files are: the N-API addon (skiff.node) and skiff-init. They are
// loaded as root into a runtime that starts containers, so they must come from a directory that
// nobody but root (or skiff's own user) can change: checked here, down from "/".
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SkiffError } from './errors';
import { inUserNamespace } from './rootless';

// Defined true by the build of the compiled executable (scripts/build-executable.sh).
declare const SKIFF_COMPILED: boolean;
const compiled = typeof SKIFF_COMPILED !== 'undefined' && SKIFF_COMPILED;

const FILES = ['skiff.node', 'skiff-init'];

let libDir: string | undefined;

/**
 * In a user namespace that does not map host root (a rootless podman's, which runs the runtime as
 * its root), root's files show as the overflow uid. No id of this namespace can change a file of
 * an unmapped owner, so that owner counts as root does. undefined outside a user namespace.
 */
function unmappedOwner(): number | undefined {
  if (!inUserNamespace()) return undefined;
  try {
    return Number(fs.readFileSync('/proc/sys/kernel/overflowuid', 'utf8').trim());
  } catch {
    return 65534;
  }
}

/**
 * Why `p` could be changed by someone other than root or us, or undefined when it cannot: it and
 * every directory above it are owned by root (or the caller) and writable by nobody else (a
 * sticky directory such as /tmp may be world-writable: others cannot rename what is ours in it).
 */
export function untrusted(
  p: string,
  uid = process.geteuid?.() ?? 0,
  outside: () => number | undefined = unmappedOwner,
): string | undefined {
  let cur = p;
  for (;;) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      return `${cur} does not exist`;
    }
    if (st.isSymbolicLink()) return `${cur} is a symbolic link`;
    // The overflow uid is looked up only for an owner that is neither: not on every start.
    if (st.uid !== 0 && st.uid !== uid && st.uid !== outside()) return `${cur} is owned by uid ${st.uid}`;
    const othersWrite = (st.mode & 0o022) !== 0;
    if (othersWrite && !(st.isDirectory() && (st.mode & 0o1000) !== 0 && cur !== p)) return `${cur} is writable by group or others`;
    const up = path.dirname(cur);
    if (up === cur) return undefined;
    cur = up;
  }
}

/** The directory with the checkout's build (bin/skiff on Node: found from this file's location). */
function checkoutLib(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'binding.gyp')))
      return path.join(dir, 'build/Release');
    const up = path.dirname(dir);
    if (up === dir) throw new SkiffError(`cannot find skiff's install directory from ${__dirname}`);
    dir = up;
  }
}

/**
 * The compiled executable's files: it runs as skiff-engine in the same directory as skiff.node
 * and skiff-init (PREFIX/lib/skiff once installed, build/Release in a checkout), started there by
 * the launcher that callers run (addon/launcher/main.cc). Never a temporary directory.
 */
function executableLib(): string {
  const dir = path.dirname(fs.realpathSync(process.execPath));
  if (!FILES.every((f) => fs.existsSync(path.join(dir, f))))
    throw new SkiffError(`skiff's native files (${FILES.join(', ')}) are not in ${dir}: reinstall skiff (scripts/install.sh)`);
  return dir;
}

function lib(): string {
  if (libDir) return libDir;
  const dir = compiled ? executableLib() : checkoutLib();
  for (const p of [dir, ...FILES.map((f) => path.join(dir, f))]) {
    const why = untrusted(p);
    if (why) throw new SkiffError(`refusing to load ${p}: ${why}`);
  }
  libDir = dir;
  return dir;
}

export const addonPath = (): string => path.join(lib(), 'skiff.node');
export const initPath = (): string => path.join(lib(), 'skiff-init');
