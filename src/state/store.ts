// The --root directory: one directory per container holding state.json and, until `start`, the
// exec fifo. state.json is replaced atomically (write + rename) so readers never see half a file.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SkiffError } from '../errors';
import type { ContainerState } from './container-state';

export const DEFAULT_ROOT = '/run/skiff';
const ID_RE = /^[\w+\-.]+$/;

export function checkId(id: string | undefined): string {
  if (!id) throw new SkiffError('container id cannot be empty');
  if (!ID_RE.test(id) || id === '.' || id === '..' || id.length > 1024)
    throw new SkiffError(`invalid container id "${id}": only letters, digits, "_", "+", "-" and "." are allowed`);
  return id;
}

export class Store {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return path.join(this.root, checkId(id));
  }

  fifo(id: string): string {
    return path.join(this.dir(id), 'exec.fifo');
  }

  /** Claims the id: the directory's creation is the atomic "does it exist" test. */
  claim(id: string): string {
    const dir = this.dir(id);
    fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    try {
      fs.mkdirSync(dir, { mode: 0o711 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new SkiffError(`container with id exists: ${id}`);
      throw err;
    }
    return dir;
  }

  exists(id: string): boolean {
    return fs.existsSync(path.join(this.dir(id), 'state.json'));
  }

  read(id: string): ContainerState {
    const file = path.join(this.dir(id), 'state.json');
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SkiffError(`container "${id}" does not exist`);
      throw err;
    }
    try {
      return JSON.parse(text) as ContainerState;
    } catch {
      throw new SkiffError(`state of container "${id}" is corrupt (${file}); "skiff delete --force ${id}" removes it`);
    }
  }

  write(state: ContainerState): void {
    const dir = this.dir(state.id);
    const tmp = path.join(dir, `.state.json.${process.pid}`);
    fs.writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    fs.renameSync(tmp, path.join(dir, 'state.json'));
  }

  remove(id: string): void {
    fs.rmSync(this.dir(id), { recursive: true, force: true });
  }

  ids(): string[] {
    try {
      return fs.readdirSync(this.root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}

/** Writes a file atomically (callers such as conmon read pid files with atoi at any moment). */
export function writeFileAtomic(file: string, data: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
