import * as fs from 'node:fs';
import * as path from 'node:path';

let root: string | undefined;

/** The checkout or install directory (where package.json is), found from this file's location. */
export function projectRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'binding.gyp'))) break;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find skiff's install directory from ${__dirname}`);
    dir = up;
  }
  root = dir;
  return dir;
}

export const addonPath = (): string => path.join(projectRoot(), 'build/Release/skiff.node');
export const initPath = (): string => path.join(projectRoot(), 'build/Release/skiff-init');
