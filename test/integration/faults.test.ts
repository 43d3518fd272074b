// Reliability under faults: a runtime call SIGKILLed at any moment (at random, and at each named
// point of create, start, delete and exec), racing calls on one id, and a damaged state store.
// After every case one check (test/helpers/leftovers.ts) looks for processes, cgroups in every
// hierarchy, mounts and state left behind. The named points come from the fault-injection build
// (build/fault/skiff.js, src/fault.ts): SKIFF_FAULT_STOP=<point> makes it SIGSTOP itself there.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';

import { leftovers } from '../helpers/leftovers';
import { ROOT, SKIFF, STATE_ROOT, cleanupAll, makeBundle, pidAlive, skiff, tempDir, waitFor, type Bundle } from '../helpers/skiff';

const FAULT_SKIFF = path.join(ROOT, 'build/fault/skiff.js');

after(() => cleanupAll());

/** A small seeded PRNG (mulberry32): the random cases print their seed and can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = Number(process.env.SKIFF_FAULT_SEED ?? Date.now() % 1_000_000);
console.log(`# faults: seed ${SEED} (SKIFF_FAULT_SEED=${SEED} replays it)`);
const random = prng(SEED);

function sleepBundle(edit?: (c: any) => void): Bundle {
  return makeBundle((c) => {
    c.process.args = ['/bin/sleep', '1000'];
    edit?.(c);
  });
}

interface Running {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: string | null }>;
  stderr: string;
}

/** Starts a skiff call in the background, stdio to files: the container inherits them. */
function start(args: string[], opts: { fault?: string; stop?: string; root?: string } = {}): Running {
  const errFile = path.join(os.tmpdir(), `skiff-fault-${process.pid}-${Math.floor(random() * 1e9)}.err`);
  const errFd = fs.openSync(errFile, 'w+');
  const env = { ...process.env };
  if (opts.stop) env.SKIFF_FAULT_STOP = opts.stop;
  const argv = ['--root', opts.root ?? STATE_ROOT, ...args];
  const child =
    opts.fault !== undefined || opts.stop
      ? spawn(process.execPath, [FAULT_SKIFF, ...argv], { env, stdio: ['ignore', 'ignore', errFd] })
      : spawn(SKIFF, argv, { env, stdio: ['ignore', 'ignore', errFd] });
  fs.closeSync(errFd);
  const r: Running = {
    child,
    stderr: '',
    exited: new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        r.stderr = fs.readFileSync(errFile, 'utf8');
        fs.rmSync(errFile, { force: true });
        resolve({ code, signal });
      }),
    ),
  };
  return r;
}

function procState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
}

/** Waits until the call stopped itself at its fault point; fails if it exited first. */
async function stoppedAt(r: Running, point: string): Promise<void> {
  let exited = false;
  void r.exited.then(() => (exited = true));
  await waitFor(`skiff to stop at ${point}`, () => exited || procState(r.child.pid!) === 'T', 20_000);
  if (exited) {
    await r.exited;
    assert.fail(`skiff exited before it reached ${point}: ${r.stderr}`);
  }
}

async function killAndWait(r: Running): Promise<void> {
  r.child.kill('SIGKILL');
  await r.exited;
}

/** Nothing of the container left, allowing a moment for killed processes to be gone. */
async function assertNothingLeft(b: Bundle): Promise<void> {
  let left: string[] = [];
  const until = Date.now() + 3000;
  do {
    left = leftovers({ id: b.id, cgroupsPath: b.config.linux.cgroupsPath, bundleDir: b.dir });
    if (left.length === 0) return;
    await new Promise((res) => setTimeout(res, 50));
  } while (Date.now() < until);
  assert.deepEqual(left, [], `left behind by ${b.id}`);
}

/** After a kill, state is intact or gone: "does not exist", or a status that matches the process. */
function assertNotTorn(id: string): string | undefined {
  const r = skiff(['state', id]);
  if (r.code !== 0) {
    assert.match(r.stderr, /does not exist/, `state of a half-made container: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    return undefined;
  }
  const st = JSON.parse(r.stdout);
  assert.ok(['created', 'stopped', 'running'].includes(st.status), `status ${st.status}`);
  if (st.status === 'stopped') assert.equal(st.pid, 0);
  else assert.ok(pidAlive(st.pid), `status ${st.status} but pid ${st.pid} is gone`);
  return st.status;
}

function forceDelete(id: string): void {
  const r = skiff(['delete', '--force', id]);
  assert.equal(r.code, 0, `delete --force ${id}: ${r.stderr}`);
}

afterEach(() => {
  // A failed case must not spill into the next one.
  const left = leftovers();
  if (left.length) {
    cleanupAll();
    assert.deepEqual(left, [], 'left behind by the last case');
  }
});

const CREATE_POINTS = [
  'claimed',
  'state-recorded',
  'cgroups-created',
  'resources-applied',
  'cloned',
  'hooks',
  'ready',
  'state-written',
  'pid-file-written',
  'committed',
];

describe('faults: SIGKILL at each named point', () => {
  for (const point of CREATE_POINTS) {
    test(`create killed at "${point}"`, async () => {
      // A prestart hook makes the init stop for the runtime's hooks; a memory limit makes
      // "resources-applied" write something.
      const b = sleepBundle((c) => {
        c.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', 'cat >/dev/null'] }] };
        c.linux.resources = { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 } };
      });
      const pidFile = path.join(b.dir, 'pid');
      const r = start(['create', '--bundle', b.dir, '--pid-file', pidFile, b.id], { stop: point });
      await stoppedAt(r, point);
      await killAndWait(r);
      const status = assertNotTorn(b.id);
      // Only a create that handed its init over leaves a container that still runs.
      if (point === 'committed') assert.equal(status, 'created');
      else assert.notEqual(status, 'created', `a create killed at ${point} left a live container`);
      forceDelete(b.id);
      await assertNothingLeft(b);
    });
  }

  test('start killed before and after it released the init', async () => {
    for (const point of ['start-checked', 'start-released']) {
      const b = sleepBundle();
      assert.equal(skiff(['create', '--bundle', b.dir, b.id]).code, 0);
      const r = start(['start', b.id], { stop: point });
      await stoppedAt(r, point);
      await killAndWait(r);
      const status = assertNotTorn(b.id);
      assert.equal(status, point === 'start-checked' ? 'created' : 'running');
      if (point === 'start-checked') assert.equal(skiff(['start', b.id]).code, 0, 'a start killed early can be done again');
      forceDelete(b.id);
      await assertNothingLeft(b);
    }
  });

  test('delete killed at each of its points, then delete --force', async () => {
    for (const point of ['delete-locked', 'delete-killed', 'delete-cgroups-removed']) {
      const b = sleepBundle((c) => (c.linux.resources = { pids: { limit: 20 } }));
      assert.equal(skiff(['run', '-d', '--bundle', b.dir, b.id]).code, 0);
      const r = start(['delete', '--force', b.id], { stop: point });
      await stoppedAt(r, point);
      await killAndWait(r);
      forceDelete(b.id);
      await assertNothingLeft(b);
    }
  });

  test('exec killed before and after it handed its process over', async () => {
    const b = sleepBundle();
    assert.equal(skiff(['run', '-d', '--bundle', b.dir, b.id]).code, 0);
    const init = JSON.parse(skiff(['state', b.id]).stdout).pid;
    const inContainer = () => JSON.parse(skiff(['ps', '--format', 'json', b.id]).stdout) as number[];
    const r = start(['exec', b.id, '/bin/sleep', '999'], { stop: 'exec-ready' });
    await stoppedAt(r, 'exec-ready');
    await killAndWait(r);
    // The exec'd process was never handed over: it goes with its exec.
    await waitFor('the unhanded exec process to go', () => inContainer().every((p) => p === init));
    const r2 = start(['exec', '-d', b.id, '/bin/sleep', '999'], { stop: 'exec-committed' });
    await stoppedAt(r2, 'exec-committed');
    await killAndWait(r2);
    assert.equal(inContainer().length, 2, "a handed-over exec process is the container's");
    forceDelete(b.id);
    await assertNothingLeft(b);
  });
});

describe('faults: SIGKILL at random moments', () => {
  test('30 creates and 10 runs killed 0–250 ms after they started, then delete --force', async () => {
    for (let i = 0; i < 40; i++) {
      const b = sleepBundle((c) => (c.linux.resources = { pids: { limit: 20 } }));
      const cmd = i < 30 ? ['create', '--bundle', b.dir, b.id] : ['run', '-d', '--bundle', b.dir, b.id];
      const r = start(cmd);
      const delay = Math.floor(random() * 250);
      await new Promise((res) => setTimeout(res, delay));
      await killAndWait(r);
      assertNotTorn(b.id);
      forceDelete(b.id);
      await assertNothingLeft(b);
    }
  });
});

describe('faults: racing calls on one id', () => {
  test('five creates of one id: exactly one wins, the others take nothing of it', async () => {
    const b = sleepBundle();
    const runs = Array.from({ length: 5 }, () => start(['create', '--bundle', b.dir, b.id]));
    const codes = await Promise.all(runs.map((r) => r.exited));
    assert.equal(codes.filter((c) => c.code === 0).length, 1, runs.map((r) => r.stderr).join(''));
    for (const [i, c] of codes.entries()) if (c.code !== 0) assert.match(runs[i]!.stderr, /container with id exists/);
    assert.equal(JSON.parse(skiff(['state', b.id]).stdout).status, 'created');
    assert.equal(skiff(['start', b.id]).code, 0);
    forceDelete(b.id);
    await assertNothingLeft(b);
  });

  test('delete --force during create waits for the create, then removes what it made', async () => {
    const b = sleepBundle();
    const c = start(['create', '--bundle', b.dir, b.id], { stop: 'cloned' });
    await stoppedAt(c, 'cloned');
    const d = start(['delete', '--force', b.id]);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(d.child.exitCode, null, 'delete waits while the create holds the container');
    c.child.kill('SIGCONT');
    const [cr, dr] = await Promise.all([c.exited, d.exited]);
    assert.equal(cr.code, 0, c.stderr);
    assert.equal(dr.code, 0, d.stderr);
    assert.match(skiff(['state', b.id]).stderr, /does not exist/);
    await assertNothingLeft(b);
  });

  test('kill during start: start fails clearly, delete --force cleans up', async () => {
    const b = sleepBundle();
    assert.equal(skiff(['create', '--bundle', b.dir, b.id]).code, 0);
    const s = start(['start', b.id], { stop: 'start-checked' });
    await stoppedAt(s, 'start-checked');
    assert.equal(skiff(['kill', b.id, 'KILL']).code, 0);
    s.child.kill('SIGCONT');
    const sr = await s.exited;
    assert.equal(sr.code, 1);
    assert.match(s.stderr, /container not running/);
    assert.doesNotMatch(s.stderr, /\n\s+at /);
    forceDelete(b.id);
    await assertNothingLeft(b);
  });

  test('200 lifecycles, 20 at a time, each with its own cgroup', async () => {
    const bundles = Array.from({ length: 200 }, () =>
      makeBundle((c) => {
        c.process.args = ['/bin/true'];
        c.linux.resources = { pids: { limit: 10 } };
      }),
    );
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < bundles.length) {
        const b = bundles[next++]!;
        const r = start(['run', '--bundle', b.dir, b.id]);
        const st = await r.exited;
        if (st.code !== 0) failures.push(`${b.id}: exit ${st.code}: ${r.stderr}`);
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    assert.deepEqual(failures, []);
    for (const b of bundles) await assertNothingLeft(b);
  });
});

describe('faults: a damaged state store', () => {
  const oneLine = (r: { code: number; stderr: string }, pattern: RegExp) => {
    assert.equal(r.code, 1);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  };

  test('a truncated or garbage state.json: clear errors, delete --force removes everything', async () => {
    for (const damage of ['{"ociVersion":"1.', '\0\0garbage\xff']) {
      const b = sleepBundle((c) => (c.linux.resources = { pids: { limit: 20 } }));
      assert.equal(skiff(['run', '-d', '--bundle', b.dir, b.id]).code, 0);
      fs.writeFileSync(path.join(STATE_ROOT, b.id, 'state.json'), damage);
      for (const args of [
        ['state', b.id],
        ['kill', b.id, 'TERM'],
        ['start', b.id],
        ['exec', b.id, '/bin/true'],
        ['pause', b.id],
        ['ps', b.id],
      ]) {
        const r = skiff(args);
        assert.ok(r.code !== 0, `${args[0]} on a corrupt state`);
        assert.match(r.stderr, /state of container ".*" is corrupt/, `${args[0]}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
      }
      forceDelete(b.id);
      await assertNothingLeft(b);
    }
  });

  test('an init pid reused by an unrelated process is never signalled', async () => {
    const b = sleepBundle();
    assert.equal(skiff(['run', '-d', '--bundle', b.dir, b.id]).code, 0);
    const init = JSON.parse(skiff(['state', b.id]).stdout).pid;
    process.kill(init, 'SIGKILL');
    await waitFor('the init to die', () => !pidAlive(init));
    const other = spawn('/bin/sleep', ['1000'], { stdio: 'ignore' });
    try {
      // The state now names a live process that is not the container's (a reused pid).
      for (const name of ['state.json', 'state.backup.json']) {
        const file = path.join(STATE_ROOT, b.id, name);
        const s = JSON.parse(fs.readFileSync(file, 'utf8'));
        s.pid = other.pid;
        fs.writeFileSync(file, JSON.stringify(s));
      }
      assert.equal(JSON.parse(skiff(['state', b.id]).stdout).status, 'stopped');
      oneLine(skiff(['kill', b.id, 'KILL']), /container not running/);
      forceDelete(b.id);
      assert.ok(pidAlive(other.pid!), "skiff signalled a process that is not the container's");
    } finally {
      other.kill('SIGKILL');
    }
    await assertNothingLeft(b);
  });

  test('a missing exec fifo: start says so, delete --force cleans up', async () => {
    const b = sleepBundle();
    assert.equal(skiff(['create', '--bundle', b.dir, b.id]).code, 0);
    fs.rmSync(path.join(STATE_ROOT, b.id, 'exec.fifo'));
    const r = skiff(['start', b.id]);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    forceDelete(b.id);
    await assertNothingLeft(b);
  });

  /** A tmpfs of its own as --root, unmounted afterwards. */
  function withTmpfsRoot(size: string, fn: (root: string) => Promise<void>): Promise<void> {
    const root = tempDir('skiff-fault-root-');
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', root]).status, 0);
    return fn(root).finally(() => {
      spawnSync('mount', ['-o', 'remount,rw', root]);
      for (const id of fs.readdirSync(root)) if (id !== 'filler') skiff(['delete', '--force', id], { root });
      assert.equal(spawnSync('umount', [root]).status, 0, `umount ${root}`);
    });
  }

  test('a read-only --root: one-line errors; delete --force still removes the processes and cgroups', async () => {
    await withTmpfsRoot('1m', async (root) => {
      const made = sleepBundle();
      assert.equal(skiff(['run', '-d', '--bundle', made.dir, made.id], { root }).code, 0);
      const init = JSON.parse(skiff(['state', made.id], { root }).stdout).pid;
      assert.equal(spawnSync('mount', ['-o', 'remount,ro', root]).status, 0);
      const b = sleepBundle();
      oneLine(skiff(['create', '--bundle', b.dir, b.id], { root }), /state directory \(--root .*\): .*read-only file system/);
      await assertNothingLeft(b);
      const d = skiff(['delete', '--force', made.id], { root });
      assert.equal(d.code, 1);
      assert.match(d.stderr, /read-only file system/);
      assert.ok(!pidAlive(init), 'the container is stopped even though its state cannot go');
      assert.equal(spawnSync('mount', ['-o', 'remount,rw', root]).status, 0);
      assert.equal(skiff(['delete', '--force', made.id], { root }).code, 0);
      await assertNothingLeft({ ...made, id: made.id } as Bundle);
    });
  });

  test('a full --root (ENOSPC): create fails with one line and leaves nothing', async () => {
    await withTmpfsRoot('64k', async (root) => {
      const filler = path.join(root, 'filler');
      spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k', 'count=64']);
      const b = sleepBundle();
      oneLine(skiff(['create', '--bundle', b.dir, b.id], { root }), /no space left on device/);
      fs.rmSync(filler);
      await assertNothingLeft(b);
    });
  });
});
