// skiff-init's side of the launch plan contract (src/linux/launch-plan.ts): a plan with a key
// missing, misspelt or of the wrong type is refused, naming it, before the init does anything.
// The plan is handed over as the sync socket would: a length-prefixed frame on fd 3, here a file,
// where the init also writes its error frame.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { ROOT, assertGone, cleanupAll, makeBundle, skiff, tempDir } from '../helpers/skiff';

const INIT = path.join(ROOT, 'build/Release/skiff-init');

after(() => cleanupAll());

const EXEC_PLAN = {
  mode: 'exec',
  join: [],
  root: null,
  seccomp: null,
  fds: { fifo: -1, console: -1, preserve: 0 },
  process: {
    args: ['/bin/true'],
    env: [],
    cwd: '/',
    terminal: false,
    consoleSize: null,
    user: { uid: 0, gid: 0, additionalGids: [], umask: null },
    rlimits: [],
    oomScoreAdj: null,
    noNewPrivileges: true,
    apparmorProfile: null,
    scheduler: null,
    cpuAffinityInitial: null,
    cpuAffinityFinal: null,
    ioPriority: null,
    caps: { bounding: 0, effective: 0, inheritable: 0, permitted: 0, ambient: 0 },
  },
};

function frame(body: string): Buffer {
  const b = Buffer.from(body);
  const h = Buffer.alloc(4);
  h.writeUInt32LE(b.length);
  return Buffer.concat([h, b]);
}

/** Runs skiff-init on `plan` (its sync fd a file) and returns the error frame it wrote. */
function initError(plan: unknown): { code: number | null; error: any } {
  const file = path.join(tempDir('skiff-plan-'), 'sync');
  const sent = frame(typeof plan === 'string' ? plan : JSON.stringify(plan));
  fs.writeFileSync(file, sent);
  const fd = fs.openSync(file, 'r+');
  try {
    const r = spawnSync(INIT, ['3'], { stdio: ['ignore', 'pipe', 'pipe', fd], timeout: 10_000 });
    const out = fs.readFileSync(file).subarray(sent.length);
    const len = out.length >= 4 ? out.readUInt32LE(0) : 0;
    return { code: r.status, error: len ? JSON.parse(out.subarray(4, 4 + len).toString()) : undefined };
  } finally {
    fs.closeSync(fd);
  }
}

describe('skiff-init reads the launch plan strictly', () => {
  test('a misspelt key is an error naming the missing one', () => {
    const plan: any = structuredClone(EXEC_PLAN);
    plan.process.noNewPrivilegs = plan.process.noNewPrivileges;
    delete plan.process.noNewPrivileges;
    const r = initError(plan);
    assert.equal(r.code, 1);
    assert.equal(r.error?.type, 'error');
    assert.equal(r.error.step, 'plan');
    assert.equal(r.error.message, 'launch plan: process.noNewPrivileges is missing');
  });

  test('a value of the wrong type names its place in the plan', () => {
    const plan: any = structuredClone(EXEC_PLAN);
    plan.process.user.uid = '0';
    assert.equal(initError(plan).error?.message, 'launch plan: process.user.uid is a string, expected an unsigned integer');
    plan.process.user.uid = 0;
    plan.fds.preserve = 1.5;
    assert.equal(initError(plan).error?.message, 'launch plan: fds.preserve is a number, expected an integer');
  });

  test('malformed JSON and a missing mode', () => {
    assert.match(initError('{"mode": ').error?.message, /^malformed launch plan: /);
    assert.equal(initError({ join: [] }).error?.message, 'launch plan: mode is missing');
  });
});

describe("skiff-init's warnings", () => {
  test('a masked or read-only path that is a symlink in the container: a warning from the init, and the container runs', () => {
    const data = tempDir('skiff-warn-');
    fs.symlinkSync('/etc', path.join(data, 'link'));
    const b = makeBundle((c) => {
      c.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'ro'] });
      c.linux.maskedPaths = ['/data/link'];
      c.linux.readonlyPaths = ['/data/link'];
      c.process.args = ['/bin/true'];
    });
    const r = skiff(['run', '-b', b.dir, b.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning.*linux\.maskedPaths: \/data\/link is a symlink in the container: not masked/);
    assert.match(r.stderr, /warning.*linux\.readonlyPaths: \/data\/link is a symlink in the container: not made read-only/);
    assert.deepEqual(assertGone(b), []);
  });
});
