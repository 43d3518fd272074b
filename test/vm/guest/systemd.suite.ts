// The systemd cgroup driver suite: runs INSIDE a VM booted with systemd as PID 1 on pure cgroup v2
// (scripts/vm/run-in-vm.sh --systemd), started by test/vm/systemd.test.ts. Each container is a
// transient scope in a slice of the suite's own; systemctl is the witness of what systemd made.
// Code here runs 10-20x slower than on the host: few skiff calls per test, effects asserted.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';

import { cgKeyValues, procCgroups, skiffBackground, within } from '../../helpers/cgroups';
import { RUN_ID, STATE_ROOT, cleanupAll, makeBundle, pidAlive, skiff, stateOf, uniqueId, waitFor, type Bundle } from '../../helpers/skiff';

const SLICE = `skifftest${RUN_ID}.slice`;
const MiB = 1024 * 1024;
const booted = fs.existsSync('/run/systemd/system') && fs.existsSync('/sys/fs/cgroup/cgroup.controllers');

after(() => {
  cleanupAll();
  spawnSync('systemctl', ['stop', SLICE]);
});

function sd(args: string[], opts: Parameters<typeof skiff>[1] = {}): string {
  const r = skiff(['--systemd-cgroup', ...args], opts);
  assert.equal(r.code, 0, `skiff --systemd-cgroup ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** `systemctl show` properties of a unit (LoadState=not-found once systemd forgot it). */
function show(unit: string, ...props: string[]): Record<string, string> {
  const r = spawnSync('systemctl', ['show', unit, ...props.map((p) => `-p${p}`)], { encoding: 'utf8' });
  const out: Record<string, string> = {};
  for (const l of r.stdout.split('\n')) {
    const i = l.indexOf('=');
    if (i > 0) out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

function scoped(edit: (c: any) => void, slice = SLICE): { b: Bundle; unit: string; dir: string } {
  const id = uniqueId('sd');
  const b = makeBundle((c) => {
    c.linux.cgroupsPath = `${slice}:skt:${id}`;
    edit(c);
  }, id);
  const unit = `skt-${id}.scope`;
  return { b, unit, dir: path.join('/sys/fs/cgroup', slice, unit) };
}

const read = (dir: string, file: string): string => fs.readFileSync(path.join(dir, file), 'utf8').trim();

/** Everything a deleted container must have taken with it: state, unit, cgroup, process. */
function leftovers(b: Bundle, unit: string, dir: string, pid?: number): string[] {
  const left: string[] = [];
  if (fs.existsSync(path.join(STATE_ROOT, b.id))) left.push('state dir');
  const load = show(unit, 'LoadState').LoadState;
  if (load !== 'not-found') left.push(`unit ${unit} (LoadState=${load})`);
  if (fs.existsSync(dir)) left.push(`cgroup ${dir}`);
  if (pid && pidAlive(pid)) left.push(`process ${pid}`);
  return left;
}

describe('systemd cgroup driver (VM, systemd as PID 1)', { skip: !booted && 'needs systemd as init on cgroup v2: run through test/vm/systemd.test.ts' }, () => {
  test('a transient scope with Delegate=yes holds the init before create returns; the limits are unit properties and files, and survive daemon-reload', () => {
    const { b, unit, dir } = scoped((c) => {
      c.process.args = ['/bin/sleep', '1000'];
      c.linux.resources = { memory: { limit: 64 * MiB }, pids: { limit: 40 }, cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '0' } };
    });
    sd(['create', '-b', b.dir, b.id]);
    const pid = stateOf(b.id).pid;
    assert.deepEqual([...procCgroups(pid)], [['', `/${SLICE}/${unit}`]]);
    const p = show(unit, 'ActiveState', 'Slice', 'Delegate', 'MemoryMax', 'TasksMax', 'CPUWeight', 'CPUQuotaPerSecUSec', 'DevicePolicy', 'Description');
    assert.deepEqual(p, {
      ActiveState: 'active', Slice: SLICE, Delegate: 'yes', MemoryMax: String(64 * MiB), TasksMax: '40', CPUWeight: '39',
      CPUQuotaPerSecUSec: '500ms', DevicePolicy: 'strict', Description: `skiff container ${b.id}`,
    });
    const files = (): string[] => ['memory.max', 'pids.max', 'cpu.max', 'cpu.weight', 'cpuset.cpus'].map((f) => read(dir, f));
    assert.deepEqual(files(), [String(64 * MiB), '40', '50000 100000', '39', '0']);
    // systemd rewrites the cgroup files of its units on daemon-reload: from the properties.
    assert.equal(spawnSync('systemctl', ['daemon-reload']).status, 0);
    assert.deepEqual(files(), [String(64 * MiB), '40', '50000 100000', '39', '0']);
    sd(['delete', b.id]);
    assert.deepEqual(leftovers(b, unit, dir, pid), []);
  });

  test('an empty cgroupsPath is system.slice:skiff:<id>; exec joins the scope; devices: systemd\'s strict policy and skiff\'s filter', () => {
    const vda = fs.readFileSync('/sys/block/vda/dev', 'utf8').trim();
    const id = uniqueId('sd');
    const b = makeBundle((c) => {
      delete c.linux.cgroupsPath;
      c.root.readonly = false;
      c.process.capabilities = { bounding: ['CAP_MKNOD'], effective: ['CAP_MKNOD'], permitted: ['CAP_MKNOD'] };
      c.process.args = ['/bin/sleep', '1000'];
    }, id);
    const unit = `skiff-${id}.scope`;
    const dir = path.join('/sys/fs/cgroup/system.slice', unit);
    sd(['run', '-d', '-b', b.dir, b.id]);
    const pid = stateOf(b.id).pid;
    assert.deepEqual([...procCgroups(pid)], [['', `/system.slice/${unit}`]]);
    assert.equal(show(unit, 'Slice').Slice, 'system.slice');
    // The allowed devices work under both filters; an mknod'ed disk is refused.
    const out = sd(['exec', b.id, '/bin/sh', '-c', `head -c1 /dev/zero >/dev/null && echo zero-ok; echo x > /dev/null && echo null-ok; mknod /dev/vda-node b ${vda.replace(':', ' ')} && echo mknod-ok; head -c1 /dev/vda-node >/dev/null 2>&1 && echo vda-READ || echo vda-denied`]);
    assert.match(out, /zero-ok/);
    assert.match(out, /null-ok/);
    assert.match(out, /mknod-ok/);
    assert.match(out, /vda-denied/);
    sd(['exec', '-d', b.id, '/bin/sleep', '1000']);
    const pids = JSON.parse(sd(['ps', '--format', 'json', b.id])) as number[];
    assert.equal(pids.length, 2, 'the exec\'d process is in the scope too');
    for (const p of pids) assert.equal(procCgroups(p).get(''), `/system.slice/${unit}`);
    sd(['delete', '--force', b.id]);
    assert.deepEqual(leftovers(b, unit, dir, pid), []);
  });

  test('update --resources - sets the unit property and the file; events --stats shows the new limit; pause, resume, kill --all', async () => {
    const { b, unit, dir } = scoped((c) => {
      c.process.args = ['/bin/sh', '-c', 'while :; do :; done'];
      c.linux.resources = { memory: { limit: 64 * MiB } };
    });
    sd(['run', '-d', '-b', b.dir, b.id]);
    sd(['update', '--resources', '-', b.id], { input: JSON.stringify({ memory: { limit: 96 * MiB }, pids: { limit: 20 } }) });
    assert.deepEqual(show(unit, 'MemoryMax', 'TasksMax'), { MemoryMax: String(96 * MiB), TasksMax: '20' });
    assert.equal(read(dir, 'memory.max'), String(96 * MiB));
    const ev = JSON.parse(sd(['events', '--stats', b.id]));
    assert.equal(ev.data.memory.usage.limit, 96 * MiB);
    assert.ok(ev.data.memory.usage.usage > 0);
    assert.equal(ev.data.pids.limit, 20);
    sd(['pause', b.id]);
    assert.match(read(dir, 'cgroup.events'), /^frozen 1$/m);
    assert.equal(stateOf(b.id).status, 'paused');
    sd(['resume', b.id]);
    assert.match(read(dir, 'cgroup.events'), /^frozen 0$/m);
    sd(['kill', '--all', b.id, 'KILL']);
    // An emptied scope is stopped and forgotten by systemd on its own; delete still succeeds.
    await waitFor('the scope to empty', () => !fs.existsSync(dir) || /^populated 0$/m.test(read(dir, 'cgroup.events')), 30_000);
    assert.equal(stateOf(b.id).status, 'stopped');
    sd(['delete', b.id]);
    assert.deepEqual(leftovers(b, unit, dir), []);
  });

  test('an OOM kill shows in events and in state; delete frees the unit name', async () => {
    // The hog is a child of the init: the kill leaves the scope populated, so systemd sees it too
    // (systemd 252 then stops the whole scope with result "oom-kill"; later ones keep it running).
    const { b, unit, dir } = scoped((c) => {
      c.process.args = ['/bin/sh', '-c', '(x=0123456789; while :; do x=$x$x; done); sleep 1000'];
      c.linux.resources = { memory: { limit: 32 * MiB, swap: 32 * MiB } };
    });
    sd(['create', '-b', b.dir, b.id]);
    const pid = stateOf(b.id).pid;
    const events = skiffBackground(['events', '--interval', '1h', b.id]);
    try {
      sd(['start', b.id]);
      await waitFor('the oom event', () => events.lines().some((l) => JSON.parse(l).type === 'oom'), 120_000);
    } finally {
      events.kill();
      await within('events to end', events.exited, 30_000);
    }
    assert.equal(stateOf(b.id).oomKilled, true, JSON.stringify(stateOf(b.id)));
    sd(['delete', '--force', b.id]);
    assert.deepEqual(leftovers(b, unit, dir, pid), []);
    // The same name can be used again at once, by a container that is not OOM-killed.
    const again = makeBundle((c) => {
      c.linux.cgroupsPath = b.config.linux.cgroupsPath;
      c.process.args = ['/bin/sleep', '1000'];
    });
    sd(['run', '-d', '-b', again.dir, again.id]);
    assert.equal(stateOf(again.id).oomKilled, undefined);
    sd(['delete', '--force', again.id]);
    assert.deepEqual(leftovers(again, unit, dir), []);
  });

  test('a unit name in use: a clear error, the running container untouched; a create failing after the scope started leaves no unit', () => {
    const { b, unit, dir } = scoped((c) => (c.process.args = ['/bin/sleep', '1000']));
    sd(['run', '-d', '-b', b.dir, b.id]);
    const pid = stateOf(b.id).pid;
    const twin = makeBundle((c) => {
      c.linux.cgroupsPath = b.config.linux.cgroupsPath;
      c.process.args = ['/bin/sleep', '1000'];
    });
    const r = skiff(['--systemd-cgroup', 'create', '-b', twin.dir, twin.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`systemd unit ${unit.replace(/\./g, '\\.')} already exists`));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.ok(!fs.existsSync(path.join(STATE_ROOT, twin.id)));
    assert.ok(pidAlive(pid));
    assert.equal(show(unit, 'ActiveState').ActiveState, 'active');
    assert.equal(stateOf(b.id).status, 'running');
    sd(['delete', '--force', b.id]);
    assert.deepEqual(leftovers(b, unit, dir, pid), []);

    const bad = scoped((c) => (c.process.args = ['/no/such/binary']));
    const f = skiff(['--systemd-cgroup', 'create', '-b', bad.b.dir, bad.b.id]);
    assert.equal(f.code, 1);
    assert.match(f.stderr, /no\/such\/binary/);
    assert.deepEqual(leftovers(bad.b, bad.unit, bad.dir), []);
  });
});
