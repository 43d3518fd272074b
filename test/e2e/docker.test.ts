// docker end to end: Debian's dockerd, started privately against a private containerd, with skiff
// registered in daemon.json's "runtimes" and chosen by `docker run --runtime skiff`. The runc
// shim under dockerd calls skiff with --root <exec-root>/runtime-runc/<namespace>, and `docker
// update` reaches `skiff update --resources -` (JSON on stdin). Error exit codes are compared with
// Debian's runc through the same dockerd.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  SKIFF,
  cgroupDirs,
  cgroupsLeftUnder,
  ensureInstalled,
  inPty,
  killLeftovers,
  makeTempDir,
  mountsUnder,
  pidAlive,
  removeCgroupPrefix,
  skiffAt,
  umountUnder,
  waitFor,
} from './helpers/common';
import { Containerd } from './helpers/containerd';
import { Dockerd } from './helpers/docker';
import { buildBusyboxImage } from './helpers/image';

const NS = `skiff-e2e-dk-${process.pid}`;
const CG = `/skiff-e2e-dk-${process.pid}`;
const IMAGE = 'skiff-e2e/busybox:latest';
const RUN_DIRS = [
  '/run/docker/plugins',
  '/run/docker',
  '/run/containerd/runc',
  '/run/containerd/fifo',
  '/run/containerd/s',
  '/run/containerd',
];

const skip = ensureInstalled('docker');
const preexisting = new Set(RUN_DIRS.filter((d) => fs.existsSync(d)));
let dir = '';
let ctd: Containerd | undefined;
let dockerd: Dockerd | undefined;
const leftovers: string[] = [];

function docker(args: string[], timeout = 60_000) {
  return dockerd!.docker(args, { timeout });
}

function idOf(name: string): string {
  const r = docker(['inspect', '--format', '{{.Id}}', name]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

function skiffState(id: string): any {
  const r = skiffAt(dockerd!.runtimeRoot, ['state', id]);
  assert.equal(r.code, 0, `skiff --root ${dockerd!.runtimeRoot} state ${id}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const inspect = (name: string, fmt: string) => docker(['inspect', '--format', fmt, name]).stdout.trim();
const logs = (name: string) => {
  const r = docker(['logs', name]);
  return r.stdout + r.stderr;
};
const cg = (controller: string, id: string) => cgroupDirs(`${CG}/${id}`).find((d) => d.includes(`/${controller}/`))!;

function removeAndCheck(name: string, id: string): string[] {
  const r = docker(['rm', '--force', name]);
  const left: string[] = r.code === 0 ? [] : [`docker rm ${name}: ${r.stderr}`];
  if (fs.existsSync(path.join(dockerd!.runtimeRoot, id))) left.push(`skiff state ${path.join(dockerd!.runtimeRoot, id)}`);
  for (const d of cgroupDirs(`${CG}/${id}`)) if (fs.existsSync(d)) left.push(`cgroup ${d}`);
  for (const m of mountsUnder(dir)) if (m.includes(id)) left.push(`mount ${m}`);
  return left;
}

describe('docker (dockerd + containerd runc shim) with skiff from daemon.json', { skip, timeout: 300_000 }, () => {
  before(async () => {
    dir = makeTempDir('skiff-e2e-dk-');
    ctd = new Containerd(path.join(dir, 'containerd'));
    await ctd.start();
    dockerd = new Dockerd(path.join(dir, 'docker'), { containerd: ctd.address, namespace: NS, cgroupParent: CG });
    await dockerd.start();
    const img = buildBusyboxImage(path.join(dir, 'image'));
    const r = docker(['load', '--quiet', '--input', img.tarball]);
    assert.equal(r.code, 0, `docker load: ${r.stderr}`);
  });

  after(async () => {
    if (dockerd?.daemon?.running) {
      const all = docker(['ps', '--all', '--quiet']).stdout.split('\n').filter(Boolean);
      if (all.length) docker(['rm', '--force', ...all]);
      docker(['rmi', '--force', IMAGE]);
    }
    await dockerd?.stop();
    await ctd?.stop();
    leftovers.push(...(await killLeftovers(dir)));
    leftovers.push(...umountUnder(dir).map((m) => `mount ${m}`));
    leftovers.push(...removeCgroupPrefix(CG).map((d) => `busy cgroup ${d}`));
    for (const d of RUN_DIRS)
      if (!preexisting.has(d))
        try {
          fs.rmdirSync(d);
        } catch {
          /* not empty: not only ours */
        }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (leftovers.length) console.error(`docker e2e: cleaned up leftovers:\n  ${leftovers.join('\n  ')}`);
  });

  test('docker info lists skiff among the runtimes', () => {
    const r = docker(['info', '--format', '{{json .Runtimes}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).skiff?.path, SKIFF);
  });

  test("run: output and exit status, the container lands under the daemon's cgroup parent", () => {
    const r = docker([
      'run',
      '--name',
      'fg',
      '--runtime',
      'skiff',
      '--network',
      'none',
      IMAGE,
      'sh',
      '-c',
      'echo hello-from-skiff; cat /proc/self/cgroup; echo oops >&2; exit 7',
    ]);
    const id = idOf('fg');
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stdout, /hello-from-skiff/);
    assert.match(r.stdout, new RegExp(`:pids:${CG}/${id}\\n`));
    assert.match(r.stderr, /oops/);
    assert.deepEqual(removeAndCheck('fg', id), []);
  });

  test('run -it: a terminal, its window size, typing in, exit status out', () => {
    const line = `stty rows 33 cols 99; ${dockerd!.line(['run', '-it', '--name', 'tty', '--runtime', 'skiff', '--network', 'none', IMAGE, 'sh'])}; echo "docker-rc=$?"`;
    const r = inPty(line, 'tty; stty size; echo "typed-$((6*7))"; exit 6\r', dir, { delayMs: 2500 });
    const id = idOf('tty');
    assert.match(r.out, /\/dev\/pts\/\d+/);
    assert.match(r.out, /33 99/);
    assert.match(r.out, /typed-42/);
    assert.match(r.out, /docker-rc=6/);
    assert.deepEqual(removeAndCheck('tty', id), []);
  });

  test('run -d, skiff state through the shim root, exec, exec -it, update, pause/unpause, kill, stop', async () => {
    const name = 'bg';
    let r = docker([
      'run',
      '-d',
      '--name',
      name,
      '--runtime',
      'skiff',
      '--network',
      'none',
      IMAGE,
      'sh',
      '-c',
      'trap "echo got-usr1" USR1; trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 0.2; done',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const id = idOf(name);
    await waitFor('the container to print', () => logs(name).includes('started'));
    const st = skiffState(id);
    assert.equal(st.status, 'running');
    assert.ok(pidAlive(st.pid));
    assert.equal(st.pid, Number(inspect(name, '{{.State.Pid}}')));

    r = docker(['exec', name, 'sh', '-c', 'echo in-exec; echo err-exec >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /in-exec/);
    assert.match(r.stderr, /err-exec/);
    r = docker(['exec', '--user', '65534', '--workdir', '/tmp', '--env', 'FOO=bar', name, 'sh', '-c', 'echo $(id -u) $(pwd) $FOO']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '65534 /tmp bar');
    const e = inPty(`${dockerd!.line(['exec', '-it', name, 'sh'])}; echo "docker-rc=$?"`, 'tty; echo "in-$((2*21))"; exit 4\r', dir);
    assert.match(e.out, /\/dev\/pts\/\d+/);
    assert.match(e.out, /in-42/);
    assert.match(e.out, /docker-rc=4/);

    // update → skiff update --resources - (JSON on stdin)
    r = docker(['update', '--memory', '64m', '--memory-swap', '128m', '--cpu-shares', '512', '--pids-limit', '100', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(cg('memory', id), 'memory.limit_in_bytes'), 'utf8').trim(), String(64 << 20));
    assert.equal(fs.readFileSync(path.join(cg('cpu', id), 'cpu.shares'), 'utf8').trim(), '512');
    assert.equal(fs.readFileSync(path.join(cg('pids', id), 'pids.max'), 'utf8').trim(), '100');

    r = docker(['pause', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(inspect(name, '{{.State.Status}}'), 'paused');
    assert.equal(skiffState(id).status, 'paused');
    r = docker(['unpause', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(skiffState(id).status, 'running');

    r = docker(['kill', '--signal', 'USR1', name]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('the trap to run', () => logs(name).includes('got-usr1'));

    r = docker(['stop', '--time', '10', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(logs(name), /got-term/);
    assert.equal(inspect(name, '{{.State.ExitCode}}'), '0');
    assert.deepEqual(removeAndCheck(name, id), []);
  });

  test('stop of a process that ignores SIGTERM ends with SIGKILL', () => {
    let r = docker([
      'run',
      '-d',
      '--name',
      'stubborn',
      '--runtime',
      'skiff',
      '--network',
      'none',
      IMAGE,
      'sh',
      '-c',
      'trap "" TERM; while :; do sleep 0.2; done',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const id = idOf('stubborn');
    r = docker(['stop', '--time', '1', 'stubborn']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(inspect('stubborn', '{{.State.ExitCode}}'), '137');
    assert.deepEqual(removeAndCheck('stubborn', id), []);
  });

  test("failures: the error text reaches docker, and the exit codes are runc's", () => {
    const codes: Record<string, Record<string, number>> = {};
    for (const rt of ['runc', 'skiff']) {
      codes[rt] = {};
      let r = docker(['run', '--rm', '--runtime', rt, '--network', 'none', IMAGE, '/no/such/binary']);
      codes[rt]!.runMissing = r.code;
      if (rt === 'skiff') assert.match(r.stderr, /\/no\/such\/binary.*no such file or directory/);
      r = docker(['run', '--rm', '--runtime', rt, '--network', 'none', IMAGE, '/etc/passwd']);
      codes[rt]!.runNotExecutable = r.code;
      if (rt === 'skiff') assert.match(r.stderr, /permission denied/);
      r = docker(['run', '-d', '--name', `ex-${rt}`, '--runtime', rt, '--network', 'none', IMAGE, 'sleep', '1000']);
      assert.equal(r.code, 0, r.stderr);
      r = docker(['exec', `ex-${rt}`, '/nope']);
      codes[rt]!.execMissing = r.code;
      if (rt === 'skiff') assert.match(r.stdout + r.stderr, /OCI runtime exec failed.*\/nope.*no such file or directory/);
      r = docker(['exec', `ex-${rt}`, '/etc/passwd']);
      codes[rt]!.execNotExecutable = r.code;
      if (rt === 'skiff') assert.match(r.stdout + r.stderr, /permission denied/);
      assert.equal(inspect(`ex-${rt}`, '{{.State.Status}}'), 'running');
      const id = idOf(`ex-${rt}`);
      assert.deepEqual(removeAndCheck(`ex-${rt}`, id), []);
    }
    assert.deepEqual(codes.skiff, codes.runc);
    assert.equal(codes.skiff!.runMissing, 127);
  });

  test('run options docker turns into config.json: read-only rootfs with a tmpfs, devices, init, resources, caps for a user', () => {
    const cases: { flags: string[]; cmd: string; expect: RegExp }[] = [
      {
        flags: ['--read-only', '--tmpfs', '/scratch:size=1m'],
        cmd: 'touch /x 2>/dev/null || echo ro; grep " /scratch " /proc/mounts',
        expect: /^ro\ntmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k/,
      },
      { flags: ['--device', '/dev/fuse'], cmd: 'ls -l /dev/fuse', expect: /^c.* 10, +229 / },
      { flags: ['--init'], cmd: 'cat /proc/1/cmdline | tr "\\0" " "', expect: /^\/sbin\/docker-init -- sh -c/ },
      {
        flags: ['--cpuset-cpus', '0', '--memory', '50m', '--memory-reservation', '10m', '--oom-kill-disable'],
        cmd: 'cat /sys/fs/cgroup/cpuset/cpuset.cpus /sys/fs/cgroup/memory/memory.soft_limit_in_bytes; grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control',
        expect: /^0\n10485760\noom_kill_disable 1\n$/,
      },
      {
        flags: ['--user', '1000:1000', '--cap-add', 'NET_ADMIN'],
        cmd: 'id -u; grep -E "CapEff|CapBnd" /proc/self/status',
        expect: /^1000\nCapEff:\s+0000000000000000\nCapBnd:\s+00000000a80435fb\n$/,
      },
      { flags: ['--security-opt', 'seccomp=unconfined'], cmd: 'grep "^Seccomp:" /proc/self/status', expect: /Seccomp:\s+0/ },
      { flags: [], cmd: 'grep "^Seccomp:" /proc/self/status', expect: /Seccomp:\s+2/ },
    ];
    const failures: string[] = [];
    for (const c of cases) {
      const r = docker(['run', '--rm', '--runtime', 'skiff', '--network', 'none', ...c.flags, IMAGE, 'sh', '-c', c.cmd]);
      if (r.code !== 0 || !c.expect.test(r.stdout)) failures.push(`docker run ${c.flags.join(' ')}: rc=${r.code}\n${r.stdout}${r.stderr}`);
    }
    assert.deepEqual(failures, []);
  });

  test('restart, top (skiff ps through the shim), stats', () => {
    let r = docker(['run', '-d', '--name', 'rs', '--runtime', 'skiff', '--network', 'none', IMAGE, 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    const id = idOf('rs');
    const pid1 = skiffState(id).pid;
    r = docker(['top', 'rs']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`\\b${pid1}\\b.*sleep 1000`));
    r = docker(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'rs']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'rs 1');
    r = docker(['restart', '--time', '1', 'rs']);
    assert.equal(r.code, 0, r.stderr);
    const st = skiffState(id);
    assert.equal(st.status, 'running');
    assert.notEqual(st.pid, pid1);
    assert.deepEqual(removeAndCheck('rs', id), []);
  });

  test('nothing is left: no skiff state under the shim root, no container cgroups, no rootfs mounts', () => {
    assert.equal(docker(['ps', '--all', '--quiet']).stdout.trim(), '');
    const left = fs.existsSync(dockerd!.runtimeRoot) ? fs.readdirSync(dockerd!.runtimeRoot) : [];
    assert.deepEqual(left, []);
    assert.deepEqual(cgroupsLeftUnder(CG), []);
    assert.deepEqual(
      mountsUnder(path.join(dockerd!.dataRoot, 'overlay2')).filter((m) => m.endsWith('/merged')),
      [],
    );
  });
});
