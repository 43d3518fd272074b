// The systemd cgroup driver suite: runs INSIDE a VM booted with systemd as PID 1, on pure cgroup v2
// (scripts/vm/run-in-vm.sh --systemd) and on a hybrid layout (--systemd --hybrid), started by
// test/vm/systemd.test.ts. Each container is a
// transient scope in a slice of the suite's own; systemctl is the witness of what systemd made.
// Code here runs 10-20x slower than on the host: few skiff calls per test, effects asserted.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';

import { LAYOUT, procCgroups, skiffBackground, within } from '../../helpers/cgroups';
import { defaultSpec, rootlessSpec } from '../../../src/commands/spec';
import { ROOTLESS_USER, ensureRootlessUser } from '../../helpers/rootless-user';
import {
  ROOTFS,
  RUN_ID,
  SKIFF,
  STATE_ROOT,
  cleanupAll,
  makeBundle,
  pidAlive,
  skiff,
  stateOf,
  uniqueId,
  waitFor,
  type Bundle,
} from '../../helpers/skiff';

const SLICE = `skifftest${RUN_ID}.slice`;
const MiB = 1024 * 1024;
const booted = fs.existsSync('/run/systemd/system') && LAYOUT.mode !== 'legacy' && !!LAYOUT.unified;
const V2 = LAYOUT.mode === 'unified';

/** A file of the container's cgroup: the cgroup2 one, or on hybrid hosts the v1 controller's. */
function cgFile(cg: string, controller: string, file: string): string {
  const mnt = V2 || controller === '' ? LAYOUT.unified! : LAYOUT.v1.get(controller)!;
  return path.join(mnt, cg, file);
}
const read = (cg: string, controller: string, file: string): string => fs.readFileSync(cgFile(cg, controller, file), 'utf8').trim();
/** Every hierarchy's directory for the cgroup path (systemd's and skiff's own v1 ones). */
const allDirs = (cg: string): string[] => [LAYOUT.unified!, ...new Set(LAYOUT.v1.values())].map((m) => path.join(m, cg));
/** The processes of the scope, from cgroup2 (systemd tracks its units there on hybrid hosts too). */
function procsOf(cg: string): number[] {
  try {
    return read(cg, '', 'cgroup.procs').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
/** Every hierarchy of the process shows the scope. */
function inScope(pid: number, cg: string): void {
  const lines = [...procCgroups(pid)];
  assert.ok(lines.length > 0);
  for (const [k, v] of lines) assert.equal(v, cg, `${k}: ${v}`);
}

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

function scoped(edit: (c: any) => void, slice = SLICE): { b: Bundle; unit: string; cg: string } {
  const id = uniqueId('sd');
  const b = makeBundle((c) => {
    c.linux.cgroupsPath = `${slice}:skt:${id}`;
    edit(c);
  }, id);
  const unit = `skt-${id}.scope`;
  return { b, unit, cg: `/${slice}/${unit}` };
}

/** Everything a deleted container must have taken with it: state, unit, cgroup, process. */
function leftovers(b: Bundle, unit: string, cg: string, pid?: number): string[] {
  const left: string[] = [];
  if (fs.existsSync(path.join(STATE_ROOT, b.id))) left.push('state dir');
  const load = show(unit, 'LoadState').LoadState;
  if (load !== 'not-found') left.push(`unit ${unit} (LoadState=${load})`);
  for (const d of allDirs(cg)) if (fs.existsSync(d)) left.push(`cgroup ${d}`);
  if (pid && pidAlive(pid)) left.push(`process ${pid}`);
  return left;
}

describe(
  `systemd cgroup driver (VM, systemd as PID 1, ${LAYOUT.mode})`,
  { skip: !booted && 'needs systemd as init with cgroup2 (unified or hybrid): run through test/vm/systemd.test.ts' },
  () => {
    test('a transient scope with Delegate=yes holds the init before create returns; the limits are unit properties and files, and survive daemon-reload', () => {
      const { b, unit, cg } = scoped((c) => {
        c.process.args = ['/bin/sleep', '1000'];
        c.linux.resources = {
          memory: { limit: 64 * MiB },
          pids: { limit: 40 },
          cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '0' },
        };
      });
      sd(['create', '-b', b.dir, b.id]);
      const pid = stateOf(b.id).pid;
      inScope(pid, cg);
      const [mem, weight] = V2 ? ['MemoryMax', 'CPUWeight'] : ['MemoryLimit', 'CPUShares'];
      const p = show(
        unit,
        'ActiveState',
        'Slice',
        'Delegate',
        mem,
        'TasksMax',
        weight,
        'CPUQuotaPerSecUSec',
        'DevicePolicy',
        'Description',
      );
      assert.deepEqual(p, {
        ActiveState: 'active',
        Slice: SLICE,
        Delegate: 'yes',
        [mem]: String(64 * MiB),
        TasksMax: '40',
        [weight]: V2 ? '39' : '1024',
        CPUQuotaPerSecUSec: '500ms',
        DevicePolicy: 'strict',
        Description: `skiff container ${b.id}`,
      });
      const files = (): string[] =>
        V2
          ? ['memory.max', 'pids.max', 'cpu.max', 'cpu.weight', 'cpuset.cpus'].map((f) => read(cg, '', f))
          : [
              read(cg, 'memory', 'memory.limit_in_bytes'),
              read(cg, 'pids', 'pids.max'),
              read(cg, 'cpu', 'cpu.cfs_quota_us'),
              read(cg, 'cpu', 'cpu.shares'),
              read(cg, 'cpuset', 'cpuset.cpus'),
            ];
      const want = [String(64 * MiB), '40', V2 ? '50000 100000' : '50000', V2 ? '39' : '1024', '0'];
      assert.deepEqual(files(), want);
      // systemd rewrites the cgroup files of its units on daemon-reload: from the properties.
      assert.equal(spawnSync('systemctl', ['daemon-reload']).status, 0);
      assert.deepEqual(files(), want);
      sd(['delete', b.id]);
      assert.deepEqual(leftovers(b, unit, cg, pid), []);
    });

    test("an empty cgroupsPath is system.slice:skiff:<id>; exec joins the scope; devices: systemd's strict policy and skiff's filter", () => {
      const vda = fs.readFileSync('/sys/block/vda/dev', 'utf8').trim();
      const id = uniqueId('sd');
      const b = makeBundle((c) => {
        delete c.linux.cgroupsPath;
        c.root.readonly = false;
        c.process.capabilities = { bounding: ['CAP_MKNOD'], effective: ['CAP_MKNOD'], permitted: ['CAP_MKNOD'] };
        c.process.args = ['/bin/sleep', '1000'];
      }, id);
      const unit = `skiff-${id}.scope`;
      const cg = `/system.slice/${unit}`;
      sd(['run', '-d', '-b', b.dir, b.id]);
      const pid = stateOf(b.id).pid;
      inScope(pid, cg);
      assert.equal(show(unit, 'Slice').Slice, 'system.slice');
      // The allowed devices work under both filters; an mknod'ed disk is refused.
      const out = sd([
        'exec',
        b.id,
        '/bin/sh',
        '-c',
        `head -c1 /dev/zero >/dev/null && echo zero-ok; echo x > /dev/null && echo null-ok; mknod /dev/vda-node b ${vda.replace(':', ' ')} && echo mknod-ok; head -c1 /dev/vda-node >/dev/null 2>&1 && echo vda-READ || echo vda-denied`,
      ]);
      assert.match(out, /zero-ok/);
      assert.match(out, /null-ok/);
      assert.match(out, /mknod-ok/);
      assert.match(out, /vda-denied/);
      sd(['exec', '-d', b.id, '/bin/sleep', '1000']);
      const pids = JSON.parse(sd(['ps', '--format', 'json', b.id])) as number[];
      assert.equal(pids.length, 2, "the exec'd process is in the scope too");
      for (const p of pids) inScope(p, cg);
      sd(['delete', '--force', b.id]);
      assert.deepEqual(leftovers(b, unit, cg, pid), []);
    });

    test('update --resources - sets the unit property and the file; events --stats shows the new limit; pause, resume, kill --all', async () => {
      const { b, unit, cg } = scoped((c) => {
        c.process.args = ['/bin/sh', '-c', 'while :; do :; done'];
        c.linux.resources = { memory: { limit: 64 * MiB } };
      });
      sd(['run', '-d', '-b', b.dir, b.id]);
      sd(['update', '--resources', '-', b.id], { input: JSON.stringify({ memory: { limit: 96 * MiB }, pids: { limit: 20 } }) });
      const mem = V2 ? 'MemoryMax' : 'MemoryLimit';
      assert.deepEqual(show(unit, mem, 'TasksMax'), { [mem]: String(96 * MiB), TasksMax: '20' });
      assert.equal(V2 ? read(cg, '', 'memory.max') : read(cg, 'memory', 'memory.limit_in_bytes'), String(96 * MiB));
      const ev = JSON.parse(sd(['events', '--stats', b.id]));
      assert.equal(ev.data.memory.usage.limit, 96 * MiB);
      assert.ok(ev.data.memory.usage.usage > 0);
      assert.equal(ev.data.pids.limit, 20);
      const frozen = (): boolean =>
        V2 ? /^frozen 1$/m.test(read(cg, '', 'cgroup.events')) : read(cg, 'freezer', 'freezer.state') === 'FROZEN';
      sd(['pause', b.id]);
      assert.ok(frozen());
      assert.equal(stateOf(b.id).status, 'paused');
      sd(['resume', b.id]);
      assert.ok(!frozen());
      sd(['kill', '--all', b.id, 'KILL']);
      // An emptied scope is stopped and forgotten by systemd on its own; delete still succeeds.
      await waitFor('the scope to empty', () => procsOf(cg).length === 0, 30_000);
      await waitFor('the container to read as stopped', () => stateOf(b.id).status === 'stopped', 10_000);
      sd(['delete', b.id]);
      assert.deepEqual(leftovers(b, unit, cg), []);
    });

    test('an OOM kill shows in events and in state; delete frees the unit name', async () => {
      // The hog is a child of the init: the kill leaves the scope populated, so systemd sees it too
      // (systemd 252 then stops the whole scope with result "oom-kill"; later ones keep it running).
      const { b, unit, cg } = scoped((c) => {
        c.process.args = ['/bin/sh', '-c', '(x=0123456789; while :; do x=$x$x; done); sleep 1000'];
        c.linux.resources = { memory: { limit: 32 * MiB, swap: 32 * MiB } };
      });
      sd(['create', '-b', b.dir, b.id]);
      const pid = stateOf(b.id).pid;
      // events reports OOM kills after its first look at the counter: start once it is running (a
      // first stats line), or a kill could happen before.
      const events = skiffBackground(['events', '--interval', '1s', b.id]);
      try {
        await waitFor('events to run', () => events.lines().length > 0, 60_000);
        sd(['start', b.id]);
        await waitFor('the oom event', () => events.lines().some((l) => JSON.parse(l).type === 'oom'), 120_000);
      } finally {
        events.kill();
        await within('events to end', events.exited, 30_000);
      }
      assert.equal(stateOf(b.id).oomKilled, true, JSON.stringify(stateOf(b.id)));
      sd(['delete', '--force', b.id]);
      assert.deepEqual(leftovers(b, unit, cg, pid), []);
      // The same name can be used again at once, by a container that is not OOM-killed.
      const again = makeBundle((c) => {
        c.linux.cgroupsPath = b.config.linux.cgroupsPath;
        c.process.args = ['/bin/sleep', '1000'];
      });
      sd(['run', '-d', '-b', again.dir, again.id]);
      assert.equal(stateOf(again.id).oomKilled, undefined);
      sd(['delete', '--force', again.id]);
      assert.deepEqual(leftovers(again, unit, cg), []);
    });

    test('a unit name in use: a clear error, the running container untouched; a create failing after the scope started leaves no unit', () => {
      const { b, unit, cg } = scoped((c) => (c.process.args = ['/bin/sleep', '1000']));
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
      assert.deepEqual(leftovers(b, unit, cg, pid), []);

      const bad = scoped((c) => (c.process.args = ['/no/such/binary']));
      const f = skiff(['--systemd-cgroup', 'create', '-b', bad.b.dir, bad.b.id]);
      assert.equal(f.code, 1);
      assert.match(f.stderr, /no\/such\/binary/);
      assert.deepEqual(leftovers(bad.b, bad.unit, bad.cg), []);
    });
  },
);

/** A oneshot service running DIR/script.sh, its output in DIR/stdout and DIR/stderr. */
function oneshotUnit(dir: string, extra: string[]): string {
  const lines = ['[Service]', 'Type=oneshot', ...extra, `ExecStart=/bin/sh ${dir}/script.sh`];
  return [...lines, `StandardOutput=file:${dir}/stdout`, `StandardError=file:${dir}/stderr`, ''].join('\n');
}

function unitOutput(dir: string): { stdout: string; stderr: string } {
  const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
  return { stdout: read('stdout'), stderr: read('stderr') };
}

/**
 * Rootless with a cgroup systemd delegated (issue 16): a transient service as the rootless tests'
 * user with Delegate=yes, which systemd chowns to that user, as it does a user's session cgroup.
 * Inside it, the shell moves itself to a leaf (cgroup2 allows no processes where controllers are
 * enabled for children), enables memory and pids, and runs skiff as the user with a cgroupsPath
 * below the delegated cgroup.
 */
describe(`rootless with a delegated cgroup (VM, systemd as PID 1, ${LAYOUT.mode})`, { skip: !booted && 'needs systemd as init' }, () => {
  function delegated(limits: boolean): { code: number; stdout: string; stderr: string; cgroupsPath: string } {
    const ids = ensureRootlessUser();
    const dir = fs.mkdtempSync('/tmp/skiff-rl-vm-');
    fs.chmodSync(dir, 0o755);
    const xdg = path.join(dir, 'xdg');
    fs.mkdirSync(xdg, { mode: 0o700 });
    fs.chownSync(xdg, ids.uid, ids.gid);
    const config = rootlessSpec(defaultSpec(), ids) as any;
    config.root = { path: ROOTFS, readonly: true };
    config.process.terminal = false;
    config.process.args = ['sh', '-c', 'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max 2>&1; true'];
    if (limits) config.linux.resources = { memory: { limit: 64 * MiB }, pids: { limit: 20 } };
    config.linux.cgroupsPath = '@CG@/ctr';
    fs.writeFileSync(path.join(dir, 'config.tmpl'), JSON.stringify(config));
    const unit = `skiffrl${RUN_ID}-${limits ? 1 : 0}.service`;
    const script = [
      'set -e',
      'CG=$(sed -n "s/^0:://p" /proc/self/cgroup)',
      V2 ? 'mkdir /sys/fs/cgroup$CG/sup && echo $$ > /sys/fs/cgroup$CG/sup/cgroup.procs' : 'true',
      V2 ? 'echo "+memory +pids" > /sys/fs/cgroup$CG/cgroup.subtree_control' : 'true',
      `mkdir ${dir}/b && sed "s#@CG@#$CG#" ${dir}/config.tmpl > ${dir}/b/config.json && echo "cgroupsPath $CG/ctr"`,
      'set +e',
      `XDG_RUNTIME_DIR=${xdg} ${SKIFF} run -b ${dir}/b rl1`,
      'echo "rc=$?"',
      `test -e /sys/fs/cgroup$CG/ctr && echo "left: $CG/ctr"; ls ${xdg}/skiff`,
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'script.sh'), script + '\n');
    fs.chownSync(dir, ids.uid, ids.gid);
    // A unit file rather than systemd-run: the VM has no D-Bus daemon, and systemctl talks to
    // systemd's private socket. A oneshot service: `systemctl start` returns once it has exited.
    const unitFile = path.join('/run/systemd/system', unit);
    fs.writeFileSync(unitFile, oneshotUnit(dir, [`User=${ids.uid}`, `Group=${ids.gid}`, 'Delegate=yes']));
    spawnSync('systemctl', ['daemon-reload']);
    const start = spawnSync('systemctl', ['start', unit], { encoding: 'utf8', timeout: 120_000 });
    const out = unitOutput(dir);
    const r = { status: start.status, stdout: out.stdout, stderr: out.stderr + start.stderr };
    spawnSync('systemctl', ['reset-failed', unit]);
    fs.rmSync(unitFile);
    spawnSync('systemctl', ['daemon-reload']);
    fs.rmSync(dir, { recursive: true, force: true });
    const cgroupsPath = /^cgroupsPath (\S+)$/m.exec(r.stdout)?.[1] ?? '';
    return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr, cgroupsPath };
  }

  test(
    V2
      ? 'the container gets its cgroup below the delegated one, with its memory and pids limits'
      : 'hybrid: no cgroup v1 hierarchy is delegated, so limits are a clear error and a container without them runs',
    () => {
      const r = delegated(true);
      if (V2) {
        assert.match(r.stdout, /^rc=0$/m, r.stdout + r.stderr);
        assert.ok(r.cgroupsPath.startsWith('/system.slice/'), r.stdout);
        assert.match(r.stdout, new RegExp(`^0::${r.cgroupsPath.replace(/\./g, '\\.')}$`, 'm'), 'the container is in its own cgroup');
        assert.match(r.stdout, new RegExp(`^${64 * MiB}$`, 'm'), 'memory.max');
        assert.match(r.stdout, /^20$/m, 'pids.max');
        assert.doesNotMatch(r.stdout, /^left: /m, 'delete removed the cgroup');
      } else {
        assert.match(r.stdout, /^rc=1$/m, r.stdout + r.stderr);
        assert.match(r.stderr, /limits need a cgroup, and this rootless container has none/);
        const ok = delegated(false);
        assert.match(ok.stdout, /^rc=0$/m, ok.stdout + ok.stderr);
      }
    },
  );
});

/**
 * Rootless --systemd-cgroup (issue 16): the user's own systemd instance makes the container's
 * scope. The VM has no logind, so the test starts that instance itself, as user@.service would
 * (`systemd --user` in a Delegate=yes service of the user, with its runtime directory), and runs
 * skiff from a user service of it (a process must be inside the instance's cgroup for it to move
 * the container's init into a scope).
 */
describe(
  `rootless with the user's systemd instance (VM, ${LAYOUT.mode})`,
  { skip: (!booted || !V2) && 'needs systemd as init on cgroup v2' },
  () => {
    test('--systemd-cgroup as the user: a scope of the user instance, with the memory and pids limits', () => {
      const ids = ensureRootlessUser();
      const xdg = `/run/user/${ids.uid}`;
      fs.mkdirSync('/run/user', { recursive: true, mode: 0o755 });
      fs.mkdirSync(xdg, { mode: 0o700 });
      fs.chownSync(xdg, ids.uid, ids.gid);
      const managerUnit = `skiffusermgr${RUN_ID}.service`;
      const managerFile = path.join('/run/systemd/system', managerUnit);
      fs.writeFileSync(
        managerFile,
        [
          '[Service]',
          `User=${ids.uid}`,
          'Type=notify',
          'ExecStart=/lib/systemd/systemd --user',
          `Environment=XDG_RUNTIME_DIR=${xdg}`,
          'Delegate=yes',
          `Slice=user-${ids.uid}.slice`,
          '',
        ].join('\n'),
      );
      const dir = fs.mkdtempSync('/tmp/skiff-rl-sd-');
      const asUser = (args: string[]) =>
        spawnSync('runuser', ['-u', ROOTLESS_USER, '--', 'env', `XDG_RUNTIME_DIR=${xdg}`, 'systemctl', '--user', ...args], {
          encoding: 'utf8',
          timeout: 120_000,
        });
      try {
        spawnSync('systemctl', ['daemon-reload']);
        const started = spawnSync('systemctl', ['start', managerUnit], { encoding: 'utf8', timeout: 120_000 });
        const status = () => spawnSync('systemctl', ['status', '--no-pager', '-l', managerUnit], { encoding: 'utf8' }).stdout;
        assert.equal(started.status, 0, `start the user instance: ${started.stderr}\n${started.status === 0 ? '' : status()}`);
        fs.chmodSync(dir, 0o755);
        const config = rootlessSpec(defaultSpec(), ids) as any;
        config.root = { path: ROOTFS, readonly: true };
        config.process.terminal = false;
        config.process.args = ['sh', '-c', 'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max'];
        config.linux.resources = { memory: { limit: 64 * MiB }, pids: { limit: 20 } };
        fs.mkdirSync(path.join(dir, 'b'));
        fs.writeFileSync(path.join(dir, 'b', 'config.json'), JSON.stringify(config));
        const id = `rlsd${RUN_ID}`;
        const script = [
          `XDG_RUNTIME_DIR=${xdg} ${SKIFF} --systemd-cgroup run -b ${dir}/b ${id}`,
          'echo "rc=$?"',
          `systemctl --user show -p LoadState skiff-${id}.scope`,
        ].join('\n');
        fs.writeFileSync(path.join(dir, 'script.sh'), script + '\n');
        fs.mkdirSync(path.join(xdg, 'systemd', 'user'), { recursive: true });
        fs.chownSync(path.join(xdg, 'systemd', 'user'), ids.uid, ids.gid);
        fs.writeFileSync(path.join(xdg, 'systemd', 'user', 'skiffrl.service'), oneshotUnit(dir, []));
        for (const f of ['', 'b', 'b/config.json', 'script.sh']) fs.chownSync(path.join(dir, f), ids.uid, ids.gid);
        asUser(['daemon-reload']);
        const run = asUser(['start', 'skiffrl.service']);
        const { stdout: out, stderr } = unitOutput(dir);
        const err = stderr + run.stderr;
        assert.match(out, /^rc=0$/m, out + err);
        assert.match(
          out,
          new RegExp(`^0::/.*/${managerUnit.replace(/\./g, '\\.')}/user\\.slice/skiff-${id}\\.scope$`, 'm'),
          'a scope of the user instance',
        );
        assert.match(out, new RegExp(`^${64 * MiB}$`, 'm'), 'memory.max');
        assert.match(out, /^20$/m, 'pids.max');
        assert.match(out, /^LoadState=not-found$/m, 'run removed the scope');
      } finally {
        spawnSync('systemctl', ['stop', managerUnit]);
        fs.rmSync(managerFile, { force: true });
        spawnSync('systemctl', ['daemon-reload']);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
