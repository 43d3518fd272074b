// The --root directory: one directory per container holding state.json and, until `start`, the
// exec fifo. state.json is replaced atomically (write + rename) so readers never see half a file,
// and a second copy (state.backup.json) lets `delete --force` find what skiff made even when
// state.json was damaged from outside. The directory itself carries an flock: `create` holds it
// from the claim to the end, `delete` while it removes, so neither ever removes the other's work.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SkiffError, fsErrorText } from '../errors';
import { mountsUnder, readMountInfo, undoHostMounts } from '../linux/host-mounts';
import { native } from '../native';
import { EXACT_STATE_FIELDS, parseExact, stringifyExact } from '../spec/exact-integers';
import type { ContainerState } from './container-state';

const ID_RE = /^[\w+\-.]+$/;
const STATE = 'state.json';
const BACKUP = 'state.backup.json';
/** Where restore binds the rootfs for CRIU (container/restore.ts), inside the container's directory. */
const CRIU_ROOT = 'criu-root';

export function checkId(id: string | undefined): string {
  if (!id) throw new SkiffError('container id cannot be empty');
  if (!ID_RE.test(id) || id === '.' || id === '..' || id.length > 1024)
    throw new SkiffError(`invalid container id "${id}": only letters, digits, "_", "+", "-" and "." are allowed`);
  return id;
}

/** A held lock on one container's directory. */
export class DirLock {
  constructor(
    private fd: number,
    readonly ino: number,
  ) {}

  release(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** A store error as one line naming the root, e.g. "--root /x: mkdir /x/id: read-only file system". */
function storeError(root: string, err: unknown): SkiffError {
  return new SkiffError(`state directory (--root ${root}): ${fsErrorText(err)}`);
}

export class Store {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return path.join(this.root, checkId(id));
  }

  fifo(id: string): string {
    return path.join(this.dir(id), 'exec.fifo');
  }

  criuRoot(id: string): string {
    return path.join(this.dir(id), CRIU_ROOT);
  }

  /**
   * Unmounts the rootfs a restore bound for CRIU, if a restore killed half-way left it: the
   * directory's removal must never descend into the container's rootfs.
   */
  releaseCriuRoot(id: string): void {
    const root = this.criuRoot(id);
    if (!fs.existsSync(root)) return;
    const problems = undoHostMounts(root, [], native().unmount);
    if (problems.length || mountsUnder(readMountInfo(), root).length)
      throw new SkiffError(`state directory of "${id}" not removed: the rootfs bound at ${root} stays mounted: ${problems.join('; ')}`);
    fs.rmdirSync(root);
  }

  /** Claims the id (the directory's creation is the atomic "does it exist" test) and locks it. */
  claim(id: string): { dir: string; lock: DirLock } {
    const dir = this.dir(id);
    try {
      fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
      fs.mkdirSync(dir, { mode: 0o711 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new SkiffError(`container with id exists: ${id}`);
      throw storeError(this.root, err);
    }
    let lock: DirLock | undefined;
    try {
      lock = this.lock(id, true);
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    // A `delete --force` that came between the mkdir and the lock removed the directory.
    if (!lock) throw new SkiffError(`container "${id}" was deleted while it was being created`);
    return { dir, lock };
  }

  /**
   * Locks the directory of id exclusively; undefined when there is none, or (wait false) when
   * another skiff holds it. The lock is on the directory's inode, so a directory that was removed
   * and claimed anew while we waited is locked again, as the one now at the path.
   */
  lock(id: string, wait: boolean): DirLock | undefined {
    const dir = this.dir(id);
    for (;;) {
      let fd: number;
      try {
        fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw storeError(this.root, err);
      }
      if (!native().flock(fd, wait)) {
        fs.closeSync(fd);
        return undefined;
      }
      const ino = fs.fstatSync(fd).ino;
      let now: number | undefined;
      try {
        now = fs.statSync(dir).ino;
      } catch {
        now = undefined;
      }
      if (now === ino) return new DirLock(fd, ino);
      fs.closeSync(fd);
      if (now === undefined) return undefined;
    }
  }

  exists(id: string): boolean {
    return fs.existsSync(path.join(this.dir(id), STATE));
  }

  /** True when the container's directory exists, with or without a readable state. */
  hasDir(id: string): boolean {
    return fs.existsSync(this.dir(id));
  }

  read(id: string): ContainerState {
    const file = path.join(this.dir(id), STATE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SkiffError(`container "${id}" does not exist`);
      throw storeError(this.root, err);
    }
    const s = parseState(text, id);
    if (!s) throw new SkiffError(`state of container "${id}" is corrupt (${file}); "skiff delete --force ${id}" removes it`);
    return s;
  }

  /** For `delete --force`: state.json, else its backup copy; undefined when neither is readable. */
  readForCleanup(id: string): ContainerState | undefined {
    for (const name of [STATE, BACKUP]) {
      try {
        const s = parseState(fs.readFileSync(path.join(this.dir(id), name), 'utf8'), id);
        if (s) return s;
      } catch {
        // missing or unreadable: try the other copy
      }
    }
    return undefined;
  }

  write(state: ContainerState): void {
    const dir = this.dir(state.id);
    const text = stringifyExact(state);
    try {
      // The backup first: state.json is never newer than a copy that delete could fall back to.
      for (const name of [BACKUP, STATE]) {
        const tmp = path.join(dir, `.${name}.${process.pid}`);
        fs.writeFileSync(tmp, text, { mode: 0o600 });
        fs.renameSync(tmp, path.join(dir, name));
      }
    } catch (err) {
      throw storeError(this.root, err);
    }
  }

  /** Removes the container's directory; with a lock, only if it is still the locked one. */
  remove(id: string, lock?: DirLock): void {
    const dir = this.dir(id);
    if (lock) {
      try {
        if (fs.statSync(dir).ino !== lock.ino) return;
      } catch {
        return;
      }
    }
    this.releaseCriuRoot(id);
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      throw storeError(this.root, err);
    }
  }

  ids(): string[] {
    try {
      return fs
        .readdirSync(this.root, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storeError(this.root, err);
    }
  }
}

/** A state document as skiff wrote it; undefined for anything else (truncated, garbage). */
function parseState(text: string, id: string): ContainerState | undefined {
  let s: unknown;
  try {
    s = parseExact(text, EXACT_STATE_FIELDS);
  } catch {
    return undefined;
  }
  const c = s as ContainerState;
  if (!c || typeof c !== 'object' || c.id !== id || typeof c.pid !== 'number' || !c.cgroup || typeof c.cgroup !== 'object')
    return undefined;
  return c;
}

/** Writes a file atomically (callers such as conmon read pid files with atoi at any moment). */
export function writeFileAtomic(file: string, data: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new SkiffError(fsErrorText(err));
  }
}
