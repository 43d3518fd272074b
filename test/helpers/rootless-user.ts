// The rootless tests' own unprivileged user, with a subordinate id range: made once per machine
// (useradd, usermod), used by test/integration/rootless.test.ts and test/e2e/podman-rootless.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export const ROOTLESS_USER = 'skiff-rootless';

export interface RootlessIds {
  uid: number;
  gid: number;
  /** The first id of the user's /etc/subuid and /etc/subgid ranges. */
  subuid: number;
  subgid: number;
}

function subRange(file: string): number | undefined {
  const line = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${ROOTLESS_USER}:`));
  return line ? Number(line.split(':')[1]) : undefined;
}

export function ensureRootlessUser(): RootlessIds {
  if (spawnSync('id', ['-u', ROOTLESS_USER]).status !== 0) {
    const r = spawnSync('useradd', ['--create-home', '--shell', '/bin/sh', ROOTLESS_USER], { encoding: 'utf8' });
    assert.equal(r.status, 0, `useradd: ${r.stderr}`);
  }
  if (subRange('/etc/subuid') === undefined || subRange('/etc/subgid') === undefined) {
    const r = spawnSync('usermod', ['--add-subuids', '300000-365535', '--add-subgids', '300000-365535', ROOTLESS_USER], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `usermod: ${r.stderr}`);
  }
  const num = (flag: string) => Number(spawnSync('id', [flag, ROOTLESS_USER], { encoding: 'utf8' }).stdout.trim());
  return { uid: num('-u'), gid: num('-g'), subuid: subRange('/etc/subuid')!, subgid: subRange('/etc/subgid')! };
}
