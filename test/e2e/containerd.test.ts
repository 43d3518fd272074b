// containerd end to end: a private containerd from Debian's package (its own root, state, socket
// and config.toml under a temp dir), a busybox image built here and imported with ctr, and
// `ctr run --runtime io.containerd.runc.v2 --runc-binary bin/skiff`: the runc shim drives skiff
// exactly as it drives runc (global --root /run/containerd/runc/<ns> --log <bundle>/log.json
// --log-format json; create/start/exec --detach/ps --format json/pause/resume/kill/delete).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  SKIFF, cgroupDirs, cgroupsLeftUnder, ensureInstalled, inPty, killLeftovers, makeTempDir, mountsUnder, pidAlive,
  removeCgroupPrefix, skiffAt, sleep, umountUnder, waitFor,
} from './helpers/common';
import { Containerd } from './helpers/containerd';
import { buildBusyboxImage, IMAGE_REF } from './helpers/image';

const NS = `skiff-e2e-${process.pid}`;
const CG = `/skiff-e2e-${process.pid}`;
/** The runc shim's --root for runc: /run/containerd/runc/<namespace>. */
const RUNC_ROOT = `/run/containerd/runc/${NS}`;
const CONTAINERD_RUN_DIRS = ['/run/containerd/runc', '/run/containerd/fifo', '/run/containerd/s', '/run/containerd'];

const skip = ensureInstalled('containerd');
const preexisting = new Set(CONTAINERD_RUN_DIRS.filter((d) => fs.existsSync(d)));
let dir = '';
let ctd: Containerd;
const leftovers: string[] = [];

function ctr(args: string[], timeout = 60_000) {
  return ctd.ctr(args, NS, { timeout });
}

/** `ctr run` with skiff as the runc binary, in a cgroup this suite owns. */
function runArgs(id: string, flags: string[], cmd: string[]): string[] {
  return ['run', '--runtime', 'io.containerd.runc.v2', '--runc-binary', SKIFF, '--cgroup', `${CG}/${id}`, '--fifo-dir', path.join(dir, 'fifo'), ...flags, IMAGE_REF, id, ...cmd];
}

/** `ctr task exec` (its FIFOs under our temp dir, not /run/containerd/fifo). */
function execArgs(id: string, execId: string, flags: string[], cmd: string[]): string[] {
  return ['task', 'exec', '--fifo-dir', path.join(dir, 'fifo'), '--exec-id', execId, ...flags, id, ...cmd];
}

/** skiff's view of the container, through the shim's root. */
function skiffState(id: string): any {
  const r = skiffAt(RUNC_ROOT, ['state', id]);
  assert.equal(r.code, 0, `skiff --root ${RUNC_ROOT} state ${id}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function taskStatus(id: string): string | undefined {
  const r = ctr(['task', 'ls']);
  const line = r.stdout.split('\n').find((l) => l.split(/\s+/)[0] === id);
  return line?.trim().split(/\s+/)[2];
}

/** Removes task and container (ignoring errors), then checks that nothing of it is left. */
function removeAndCheck(id: string): string[] {
  ctr(['task', 'rm', '-f', id]);
  ctr(['container', 'rm', id]);
  const left: string[] = [];
  if (fs.existsSync(path.join(RUNC_ROOT, id))) left.push(`skiff state ${path.join(RUNC_ROOT, id)}`);
  for (const d of cgroupDirs(`${CG}/${id}`)) if (fs.existsSync(d)) left.push(`cgroup ${d}`);
  for (const m of mountsUnder(path.join(ctd.state, 'io.containerd.runtime.v2.task', NS, id))) left.push(`mount ${m}`);
  return left;
}

function detached(id: string, cmd: string[], flags: string[] = []): { log: string } {
  const log = path.join(dir, `${id}.out`);
  const r = ctr(runArgs(id, ['-d', '--log-uri', `file://${log}`, ...flags], cmd));
  assert.equal(r.code, 0, `ctr run -d ${id}: ${r.stdout}${r.stderr}`);
  return { log };
}

const readLog = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');

describe('containerd (ctr + runc shim v2) with skiff as the runc binary', { skip, timeout: 240_000 }, () => {
  before(async () => {
    dir = makeTempDir('skiff-e2e-ctd-');
    ctd = new Containerd(dir);
    await ctd.start();
    const img = buildBusyboxImage(path.join(dir, 'image'));
    const r = ctr(['image', 'import', img.tarball]);
    assert.equal(r.code, 0, `ctr image import: ${r.stderr}`);
  });

  after(async () => {
    if (ctd) {
      for (const id of ctr(['container', 'ls', '-q']).stdout.split('\n').filter(Boolean)) {
        ctr(['task', 'kill', '-a', '-s', 'SIGKILL', id]);
        ctr(['task', 'rm', '-f', id]);
        ctr(['container', 'rm', id]);
      }
      ctr(['image', 'rm', IMAGE_REF]);
      await ctd.stop();
    }
    // What containerd and its shims could have left: processes naming our socket, mounts under our
    // temp dir, cgroups under our prefix, skiff's state under the shim's root.
    leftovers.push(...(await killLeftovers(dir)));
    leftovers.push(...umountUnder(dir).map((m) => `mount ${m}`));
    if (fs.existsSync(RUNC_ROOT)) {
      for (const id of fs.readdirSync(RUNC_ROOT)) {
        leftovers.push(`skiff state ${RUNC_ROOT}/${id}`);
        skiffAt(RUNC_ROOT, ['delete', '--force', id]);
      }
      fs.rmSync(RUNC_ROOT, { recursive: true, force: true });
    }
    for (const d of CONTAINERD_RUN_DIRS) {
      if (!preexisting.has(d)) try { fs.rmdirSync(d); } catch { /* not empty: someone else's */ }
    }
    leftovers.push(...removeCgroupPrefix(CG).map((d) => `busy cgroup ${d}`));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (leftovers.length) console.error(`containerd e2e: cleaned up leftovers:\n  ${leftovers.join('\n  ')}`);
  });

  test('run in the foreground: output and exit status reach ctr, the container lands in our cgroup', () => {
    const id = 'fg';
    const r = ctr(runArgs(id, ['--rm'], ['sh', '-c', 'echo hello-from-skiff; cat /proc/self/cgroup; echo oops >&2; exit 7']));
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stdout, /hello-from-skiff/);
    assert.match(r.stdout, new RegExp(`:pids:${CG}/${id}\\n`));
    assert.match(r.stderr, /oops/);
    assert.deepEqual(removeAndCheck(id), []);
  });

  test('run -t: a terminal, its window size, typing in, exit status out', () => {
    const id = 'tty';
    const line = `stty rows 33 cols 99; ${ctd.ctrLine(runArgs(id, ['-t', '--rm'], ['sh']), NS)}; echo "ctr-rc=$?"`;
    const r = inPty(line, 'tty; stty size; echo "typed-$((6*7))"; exit 6\r', dir);
    assert.match(r.out, /\/dev\/pts\/\d+/);
    assert.match(r.out, /33 99/);
    assert.match(r.out, /typed-42/);
    assert.match(r.out, /ctr-rc=6/);
    assert.deepEqual(removeAndCheck(id), []);
  });

  test('run -d, then skiff state through the shim root, exec, exec -t, exec -d, ps, pause/resume, metrics, kill', async () => {
    const id = 'bg';
    const { log } = detached(id, ['sh', '-c', 'trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 0.2; done']);
    await waitFor('the container to print', () => readLog(log).includes('started'));

    const st = skiffState(id);
    assert.equal(st.status, 'running');
    assert.equal(st.id, id);
    assert.equal(st.bundle, path.join(ctd.state, 'io.containerd.runtime.v2.task', NS, id));
    assert.ok(pidAlive(st.pid));
    assert.equal(taskStatus(id), 'RUNNING');

    // exec in the foreground: output and exit status
    let r = ctr(execArgs(id, 'e1', [], ['sh', '-c', 'echo in-exec; echo err-exec >&2; exit 3']));
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /in-exec/);
    assert.match(r.stderr, /err-exec/);

    // exec as another user, in another directory
    r = ctr(execArgs(id, 'e2', ['--user', '65534', '--cwd', '/tmp'], ['sh', '-c', 'id -u; pwd']));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '65534\n/tmp');

    // exec -t under a pty
    const e = inPty(`${ctd.ctrLine(execArgs(id, 'e3', ['-t'], ['sh']), NS)}; echo "ctr-rc=$?"`, 'tty; echo "in-$((2*21))"; exit 4\r', dir);
    assert.match(e.out, /\/dev\/pts\/\d+/);
    assert.match(e.out, /in-42/);
    assert.match(e.out, /ctr-rc=4/);

    // exec -d, then ps (skiff ps --format json) lists it with its exec id
    r = ctr(execArgs(id, 'sleeper', ['-d'], ['sleep', '1000']));
    assert.equal(r.code, 0, r.stderr);
    r = ctr(['task', 'ps', id]);
    assert.equal(r.code, 0, r.stderr);
    const pids = r.stdout.split('\n').slice(1).filter(Boolean).map((l) => Number(l.trim().split(/\s+/)[0]));
    assert.ok(pids.includes(st.pid), `ps lists the init ${st.pid}: ${r.stdout}`);
    assert.match(r.stdout, /ExecID:sleeper/);
    for (const p of pids) assert.ok(pidAlive(p), `pid ${p} from ps is alive`);

    // pause / resume: ctr, skiff state and the freezer agree
    r = ctr(['task', 'pause', id]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(taskStatus(id), 'PAUSED');
    assert.equal(skiffState(id).status, 'paused');
    r = ctr(['task', 'resume', id]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(taskStatus(id), 'RUNNING');
    assert.equal(skiffState(id).status, 'running');

    // metrics: containerd reads the cgroups skiff made
    r = ctr(['task', 'metrics', '--format', 'json', id]);
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout);
    assert.ok(m.pids?.current >= 3, `pids.current counts init, the loop's sleep and the exec: ${r.stdout.slice(0, 300)}`);
    assert.ok(m.memory?.usage?.usage > 0 || m.memory?.rss >= 0, 'memory metrics');

    // a signal the init traps: it exits 0 and says so
    r = ctr(['task', 'kill', '-s', 'SIGTERM', id]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('the task to stop', () => taskStatus(id) === 'STOPPED');
    assert.match(readLog(log), /got-term/);
    assert.equal(skiffState(id).status, 'stopped');
    assert.deepEqual(removeAndCheck(id), []);
  });

  test('kill --all: every process of the container, also those of execs, gets the signal', async () => {
    const id = 'killall';
    detached(id, ['sh', '-c', 'trap "" TERM; sleep 1000 & while :; do sleep 0.2; done']);
    let r = ctr(execArgs(id, 'x', ['-d'], ['sleep', '999']));
    assert.equal(r.code, 0, r.stderr);
    const procs = cgroupDirs(`${CG}/${id}`).find((d) => d.includes('/pids/'))!;
    await waitFor('4 processes in the cgroup', () => fs.readFileSync(path.join(procs, 'cgroup.procs'), 'utf8').trim().split('\n').length >= 4);
    const pids = fs.readFileSync(path.join(procs, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number);
    r = ctr(['task', 'kill', '--all', '-s', 'SIGKILL', id]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('the task to stop', () => taskStatus(id) === 'STOPPED');
    await waitFor('every process to be gone', () => pids.every((p) => !pidAlive(p)));
    assert.equal(fs.readFileSync(path.join(procs, 'cgroup.procs'), 'utf8').trim(), '');
    assert.deepEqual(removeAndCheck(id), []);
  });

  test('a process that does not exist: skiff\'s error reaches ctr, nothing is left', () => {
    const id = 'noexist';
    const r = ctr(runArgs(id, ['--rm'], ['/no/such/binary']));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /OCI runtime create failed/);
    assert.match(r.stderr, /\/no\/such\/binary/);
    assert.match(r.stderr, /no such file or directory/);
    assert.deepEqual(removeAndCheck(id), []);
  });

  test('exec of a missing or non-executable file: the error reaches ctr, the container keeps running', async () => {
    const id = 'execfail';
    detached(id, ['sleep', '1000']);
    let r = ctr(execArgs(id, 'bad1', [], ['/nope']));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /OCI runtime exec failed/);
    assert.match(r.stderr, /\/nope.*no such file or directory/);
    r = ctr(execArgs(id, 'bad2', [], ['/etc/passwd']));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /permission denied/);
    assert.equal(skiffState(id).status, 'running');
    assert.equal(taskStatus(id), 'RUNNING');
    r = ctr(['task', 'kill', '-s', 'SIGKILL', id]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('the task to stop', () => taskStatus(id) === 'STOPPED');
    assert.deepEqual(removeAndCheck(id), []);
  });

  test('update: ctr 1.6 has no `task update` (docker update covers `skiff update --resources -`)', { skip: 'ctr 1.6 has no task update command' }, () => {});

  test('nothing is left: no skiff state under the shim root, no container cgroups, no mounts', async () => {
    // shims exit once their container is deleted
    await waitFor('shims to exit', () => (ctr(['container', 'ls', '-q']).stdout.trim() === ''), 10_000);
    await sleep(200);
    const left = fs.existsSync(RUNC_ROOT) ? fs.readdirSync(RUNC_ROOT) : [];
    assert.deepEqual(left, [], 'skiff state dirs under the shim root');
    assert.deepEqual(cgroupsLeftUnder(CG), []);
    assert.deepEqual(mountsUnder(path.join(ctd.state, 'io.containerd.runtime.v2.task')), []);
  });
});
