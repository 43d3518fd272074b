// podman end to end: Debian's podman with conmon, private storage/run/tmp dirs, the cgroupfs
// manager, no systemd, no network, skiff registered in a private containers.conf as the default
// runtime (one that supports JSON logs). conmon runs `skiff --log-format=json --log F create
// --bundle B --pid-file P [--console-socket S] ID` and `exec --pid-file P --process F --detach
// [--tty --console-socket S] ID`; podman itself runs start, kill <signum>, pause, resume,
// update --resources=F and delete --force, with no --root (skiff's default, /run/skiff).
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
import { buildBusyboxImage, IMAGE_REF, PAUSE_REF } from './helpers/image';
import { Podman } from './helpers/podman';

const CG = `/skiff-e2e-pm-${process.pid}`;
/** podman passes no --root: skiff's default. */
const SKIFF_ROOT = '/run/skiff';
const rootExisted = fs.existsSync(SKIFF_ROOT);

const skip = ensureInstalled('podman');
let dir = '';
let pm: Podman;
const ids = new Set<string>();
const leftovers: string[] = [];

function podman(args: string[], timeout = 60_000) {
  return pm.podman(args, { timeout });
}

function runFlags(name?: string): string[] {
  return [...(name ? ['--name', name] : []), '--network', 'none', '--cgroup-parent', CG];
}

function idOf(name: string): string {
  const r = podman(['inspect', '--format', '{{.Id}}', name]);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  ids.add(id);
  return id;
}

function skiffState(id: string): any {
  const r = skiffAt(undefined, ['state', id]);
  assert.equal(r.code, 0, `skiff state ${id}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function status(name: string): string {
  return podman(['inspect', '--format', '{{.State.Status}}', name]).stdout.trim();
}

function logs(name: string): string {
  return podman(['logs', name]).stdout;
}

/** The container's cgroup directory on one v1 hierarchy. */
function cg(controller: string, id: string): string {
  return cgroupDirs(`${CG}/libpod-${id}`).find((d) => d.includes(`/${controller}/`))!;
}

/** rm, then nothing of the container is left: skiff state, cgroup, rootfs mount. */
function removeAndCheck(name: string, id: string): string[] {
  const merged = podman(['inspect', '--format', '{{.GraphDriver.Data.MergedDir}}', name]).stdout.trim();
  const r = podman(['rm', '--force', '--time', '0', name]);
  const left: string[] = r.code === 0 ? [] : [`podman rm ${name}: ${r.stderr}`];
  if (fs.existsSync(path.join(SKIFF_ROOT, id))) left.push(`skiff state ${path.join(SKIFF_ROOT, id)}`);
  for (const d of cgroupDirs(`${CG}/libpod-${id}`)) if (fs.existsSync(d)) left.push(`cgroup ${d}`);
  if (merged) for (const m of mountsUnder(merged)) left.push(`mount ${m}`);
  return left;
}

describe('podman (conmon) with skiff as the runtime from containers.conf', { skip, timeout: 240_000 }, () => {
  before(() => {
    dir = makeTempDir('skiff-e2e-pm-');
    pm = new Podman(dir, CG);
    const img = buildBusyboxImage(path.join(dir, 'image'));
    const pause = buildBusyboxImage(path.join(dir, 'image'), PAUSE_REF, { entrypoint: ['sleep', 'inf'] });
    for (const t of [img.tarball, pause.tarball]) {
      const r = podman(['load', '--quiet', '--input', t]);
      assert.equal(r.code, 0, `podman load: ${r.stderr}`);
    }
  });

  after(async () => {
    if (pm) pm.cleanup();
    leftovers.push(...(await killLeftovers(dir)));
    leftovers.push(...umountUnder(dir).map((m) => `mount ${m}`));
    for (const id of ids) {
      if (fs.existsSync(path.join(SKIFF_ROOT, id))) {
        leftovers.push(`skiff state ${SKIFF_ROOT}/${id}`);
        skiffAt(undefined, ['delete', '--force', id]);
      }
    }
    leftovers.push(...removeCgroupPrefix(CG).map((d) => `busy cgroup ${d}`));
    // podman passes no --root: skiff's default root was made for this suite unless it existed.
    if (!rootExisted) {
      try {
        fs.rmdirSync(SKIFF_ROOT); // only when empty
      } catch {
        // state left there is reported above
      }
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (leftovers.length) console.error(`podman e2e: cleaned up leftovers:\n  ${leftovers.join('\n  ')}`);
  });

  test('podman info names skiff as the OCI runtime', () => {
    const r = podman(['info', '--format', '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `skiff ${SKIFF}`);
  });

  test('run: output and exit status, the container lands under our cgroup parent', () => {
    const r = podman([
      'run',
      ...runFlags('fg'),
      IMAGE_REF,
      'sh',
      '-c',
      'echo hello-from-skiff; cat /proc/self/cgroup; echo oops >&2; exit 7',
    ]);
    const id = idOf('fg');
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stdout, /hello-from-skiff/);
    assert.match(r.stdout, new RegExp(`:pids:${CG}/libpod-${id}\\n`));
    assert.match(r.stderr, /oops/);
    assert.deepEqual(removeAndCheck('fg', id), []);
  });

  test('run -it: a terminal, its window size, typing in, exit status out', () => {
    const line = `stty rows 33 cols 99; ${pm.line(['run', '-it', ...runFlags('tty'), IMAGE_REF, 'sh'])}; echo "podman-rc=$?"`;
    const r = inPty(line, 'tty; stty size; echo "typed-$((6*7))"; exit 6\r', dir);
    const id = idOf('tty');
    assert.match(r.out, /\/dev\/pts\/\d+/);
    assert.match(r.out, /33 99/);
    assert.match(r.out, /typed-42/);
    assert.match(r.out, /podman-rc=6/);
    assert.deepEqual(removeAndCheck('tty', id), []);
  });

  test('run -d, skiff state, exec, exec -it, exec -d, kill with a signal, pause/unpause, update, stop', async () => {
    const name = 'bg';
    let r = podman([
      'run',
      '-d',
      ...runFlags(name),
      IMAGE_REF,
      'sh',
      '-c',
      'trap "echo got-usr1" USR1; trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 0.2; done',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const id = idOf(name);
    await waitFor('the container to print', () => logs(name).includes('started'));

    const st = skiffState(id);
    assert.equal(st.status, 'running');
    assert.equal(st.bundle, path.join(pm.storage, 'overlay-containers', id, 'userdata'));
    assert.ok(pidAlive(st.pid));

    r = podman(['exec', name, 'sh', '-c', 'echo in-exec; echo err-exec >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /in-exec/);
    assert.match(r.stderr, /err-exec/);

    r = podman(['exec', '--user', '65534', '--workdir', '/tmp', '--env', 'FOO=bar', name, 'sh', '-c', 'echo $(id -u) $(pwd) $FOO']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '65534 /tmp bar');

    const e = inPty(`${pm.line(['exec', '-it', name, 'sh'])}; echo "podman-rc=$?"`, 'tty; echo "in-$((2*21))"; exit 4\r', dir);
    assert.match(e.out, /\/dev\/pts\/\d+/);
    assert.match(e.out, /in-42/);
    assert.match(e.out, /podman-rc=4/);

    r = podman(['exec', '-d', name, 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    const procs = path.join(cg('pids', id), 'cgroup.procs');
    await waitFor('the exec -d process in the cgroup', () => fs.readFileSync(procs, 'utf8').trim().split('\n').length >= 3);

    // kill <signum>: the init traps it
    r = podman(['kill', '--signal', 'USR1', name]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('the trap to run', () => logs(name).includes('got-usr1'));

    // pause/unpause: podman, skiff state and the freezer agree
    r = podman(['pause', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(status(name), 'paused');
    assert.equal(skiffState(id).status, 'paused');
    assert.equal(fs.readFileSync(path.join(cg('freezer', id), 'freezer.state'), 'utf8').trim(), 'FROZEN');
    r = podman(['unpause', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(status(name), 'running');
    assert.equal(skiffState(id).status, 'running');

    // update: podman writes the resources to a file, skiff update --resources=F applies them
    r = podman(['update', '--memory', '64m', '--cpu-shares', '512', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(cg('memory', id), 'memory.limit_in_bytes'), 'utf8').trim(), String(64 << 20));
    assert.equal(fs.readFileSync(path.join(cg('cpu', id), 'cpu.shares'), 'utf8').trim(), '512');

    // stop: SIGTERM, trapped, exit 0
    r = podman(['stop', '--time', '10', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(logs(name), /got-term/);
    assert.equal(podman(['inspect', '--format', '{{.State.ExitCode}}', name]).stdout.trim(), '0');
    assert.deepEqual(removeAndCheck(name, id), []);
  });

  test('stop of a process that ignores SIGTERM ends with SIGKILL; kill sends SIGKILL by default', async () => {
    let r = podman(['run', '-d', ...runFlags('stubborn'), IMAGE_REF, 'sh', '-c', 'trap "" TERM; while :; do sleep 0.2; done']);
    assert.equal(r.code, 0, r.stderr);
    const id1 = idOf('stubborn');
    r = podman(['stop', '--time', '1', 'stubborn']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(podman(['inspect', '--format', '{{.State.ExitCode}}', 'stubborn']).stdout.trim(), '137');
    assert.deepEqual(removeAndCheck('stubborn', id1), []);

    r = podman(['run', '-d', ...runFlags('killed'), IMAGE_REF, 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    const id2 = idOf('killed');
    r = podman(['kill', 'killed']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('the container to exit', () => status('killed') === 'exited');
    assert.equal(podman(['inspect', '--format', '{{.State.ExitCode}}', 'killed']).stdout.trim(), '137');
    assert.deepEqual(removeAndCheck('killed', id2), []);
  });

  test("errors keep runc's words: missing → 127, not executable → 126, for run and exec", () => {
    let r = podman(['run', '--rm', ...runFlags(), IMAGE_REF, '/no/such/binary']);
    assert.equal(r.code, 127, r.stderr);
    assert.match(r.stderr, /\/no\/such\/binary/);
    assert.match(r.stderr, /no such file or directory|executable file not found/);
    r = podman(['run', '--rm', ...runFlags(), IMAGE_REF, '/etc/passwd']);
    assert.equal(r.code, 126, r.stderr);
    assert.match(r.stderr, /permission denied/);

    r = podman(['run', '-d', ...runFlags('execerr'), IMAGE_REF, 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    const id = idOf('execerr');
    r = podman(['exec', 'execerr', '/nope']);
    assert.equal(r.code, 127, r.stderr);
    assert.match(r.stderr, /\/nope.*(no such file or directory|executable file not found)/);
    r = podman(['exec', 'execerr', '/etc/passwd']);
    assert.equal(r.code, 126, r.stderr);
    assert.match(r.stderr, /permission denied/);
    assert.equal(status('execerr'), 'running');
    assert.deepEqual(removeAndCheck('execerr', id), []);
  });

  test("a pod: two containers join the infra container's namespaces by path", async () => {
    let r = podman([
      'pod',
      'create',
      '--name',
      'pod1',
      '--network',
      'none',
      '--cgroup-parent',
      CG,
      '--infra-image',
      PAUSE_REF,
      '--share',
      'ipc,uts,net',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const nsOf = 'for n in ipc uts net pid mnt; do echo "$n $(readlink /proc/self/ns/$n)"; done; hostname';
    r = podman(['run', '-d', '--name', 'pc1', '--pod', 'pod1', IMAGE_REF, 'sh', '-c', `${nsOf}; exec sleep 1000`]);
    assert.equal(r.code, 0, r.stderr);
    idOf('pc1');
    r = podman(['run', '--name', 'pc2', '--pod', 'pod1', IMAGE_REF, 'sh', '-c', nsOf]);
    assert.equal(r.code, 0, r.stderr);
    idOf('pc2');
    await waitFor('pc1 to print', () => logs('pc1').trim().split('\n').length >= 6);
    const parse = (s: string) =>
      Object.fromEntries(
        s
          .trim()
          .split('\n')
          .slice(0, 5)
          .map((l) => l.split(' ') as [string, string]),
      );
    const a = parse(logs('pc1'));
    const b = parse(r.stdout);
    for (const n of ['ipc', 'uts', 'net']) assert.equal(a[n], b[n], `${n} namespace shared`);
    for (const n of ['pid', 'mnt']) assert.notEqual(a[n], b[n], `${n} namespace not shared`);
    assert.equal(r.stdout.trim().split('\n')[5], 'pod1', 'hostname from the shared uts namespace');
    const infra = podman(['pod', 'inspect', '--format', '{{.InfraContainerID}}', 'pod1']).stdout.trim();
    ids.add(infra);
    const cfg = JSON.parse(fs.readFileSync(path.join(pm.storage, 'overlay-containers', idOf('pc1'), 'userdata/config.json'), 'utf8'));
    const infraPid = skiffState(infra).pid;
    assert.deepEqual(
      cfg.linux.namespaces
        .filter((n: any) => n.path)
        .map((n: any) => n.path)
        .sort(),
      ['ipc', 'net', 'uts'].map((n) => `/proc/${infraPid}/ns/${n}`),
    );
    r = podman(['pod', 'rm', '--force', '--time', '0', 'pod1']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('run options podman turns into config.json: caps, no_new_privs, resources, users, sysctls, shm, hostname, namespaces', () => {
    const cases: { flags: string[]; cmd: string; expect: RegExp }[] = [
      {
        flags: ['--cap-drop', 'all', '--cap-add', 'NET_RAW'],
        cmd: 'grep -E "CapEff|CapBnd" /proc/self/status',
        expect: /CapEff:\s+0000000000002000\nCapBnd:\s+0000000000002000/,
      },
      { flags: ['--security-opt', 'no-new-privileges'], cmd: 'grep NoNewPrivs /proc/self/status', expect: /NoNewPrivs:\s+1/ },
      {
        flags: ['--memory', '32m', '--memory-reservation', '10m', '--pids-limit', '50', '--cpus', '0.5', '--cpuset-cpus', '0'],
        cmd: 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.soft_limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpuset/cpuset.cpus',
        expect: /^33554432\n10485760\n50\n50000\n0\n$/,
      },
      {
        flags: ['--user', '65534:65534', '--group-add', '100'],
        cmd: 'id -u; id -g; id -G',
        expect: /^65534\n65534\n(100 65534|65534 100)\n$/,
      },
      { flags: ['--sysctl', 'net.ipv4.ip_forward=1'], cmd: 'cat /proc/sys/net/ipv4/ip_forward', expect: /^1\n$/ },
      { flags: ['--shm-size', '8m'], cmd: 'df -k /dev/shm | tail -1', expect: /\s8192\s/ },
      { flags: ['--env', 'A=b', '--workdir', '/tmp', '--hostname', 'hh'], cmd: 'echo $A $(pwd) $(hostname)', expect: /^b \/tmp hh\n$/ },
      { flags: ['--pid', 'host'], cmd: `test -d /proc/${process.pid} && echo host-pids`, expect: /host-pids/ },
      { flags: ['--cgroupns', 'private'], cmd: 'grep :pids: /proc/self/cgroup', expect: /^\d+:pids:\/\n$/ },
      { flags: ['--oom-score-adj', '500'], cmd: 'cat /proc/self/oom_score_adj', expect: /^500\n$/ },
      { flags: ['--read-only', '--read-only-tmpfs=false'], cmd: 'touch /x 2>&1; echo rc=$?', expect: /Read-only file system\nrc=1/ },
      {
        flags: ['--mount', 'type=tmpfs,dst=/scratch,tmpfs-size=1m,notmpcopyup'],
        cmd: 'grep " /scratch " /proc/mounts',
        expect: /tmpfs \/scratch tmpfs rw,nosuid,nodev,relatime,size=1024k/,
      },
    ];
    const failures: string[] = [];
    for (const c of cases) {
      const r = podman(['run', '--rm', ...runFlags(), ...c.flags, IMAGE_REF, 'sh', '-c', c.cmd]);
      if (r.code !== 0 || !c.expect.test(r.stdout)) failures.push(`podman run ${c.flags.join(' ')}: rc=${r.code}\n${r.stdout}${r.stderr}`);
    }
    assert.deepEqual(failures, []);
  });

  test("restart, top, stats, and containers joining another one's pid/ipc/net namespaces", async (t) => {
    let r = podman(['run', '-d', ...runFlags('donor'), IMAGE_REF, 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    const id = idOf('donor');
    t.after(() => {
      podman(['rm', '--force', '--time', '0', 'donor']);
    });
    const pid1 = skiffState(id).pid;
    r = podman(['top', 'donor']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /sleep 1000/);
    r = podman(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'donor']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'donor 1');
    r = podman(['restart', '--time', '1', 'donor']);
    assert.equal(r.code, 0, r.stderr);
    const st = skiffState(id);
    assert.equal(st.status, 'running');
    assert.notEqual(st.pid, pid1, 'a new init after restart');
    r = podman([
      'run',
      '--rm',
      '--cgroup-parent',
      CG,
      '--pid',
      'container:donor',
      '--ipc',
      'container:donor',
      '--network',
      'container:donor',
      IMAGE_REF,
      'sh',
      '-c',
      'ps -o comm | grep -c sleep; for n in ipc net; do [ "$(readlink /proc/1/ns/$n)" = "$(readlink /proc/self/ns/$n)" ] && echo same-$n; done',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1\nsame-ipc\nsame-net\n', "the donor's sleep is pid 1 of a shared pid namespace, and ipc/net are its own");
    assert.deepEqual(removeAndCheck('donor', id), []);
  });

  // Config shapes podman writes that runc accepts (each once a skiff bug found by this suite).
  test('run --device /dev/fuse (podman writes fileMode with the S_IFCHR bits: 8576 = 0o20600)', () => {
    const r = podman(['run', '--rm', ...runFlags(), '--device', '/dev/fuse', IMAGE_REF, 'ls', '-l', '/dev/fuse']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^c.* 10, +229 /);
  });

  test('run --tmpfs / --read-only (podman adds the "tmpcopyup" mount option)', () => {
    let r = podman(['run', '--rm', ...runFlags(), '--tmpfs', '/scratch:size=1m', IMAGE_REF, 'grep', ' /scratch ', '/proc/mounts']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /size=1024k/);
    // copy-up: a tmpfs on /etc starts with the image's /etc/passwd
    r = podman([
      'run',
      '--rm',
      ...runFlags(),
      '--tmpfs',
      '/etc',
      IMAGE_REF,
      'sh',
      '-c',
      'grep -c ^root: /etc/passwd; grep -c " /etc tmpfs " /proc/mounts',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1\n1\n');
    // --read-only puts tmpfs (with tmpcopyup) on /run, /tmp and /var/tmp
    r = podman([
      'run',
      '--rm',
      ...runFlags(),
      '--read-only',
      IMAGE_REF,
      'sh',
      '-c',
      'touch /x 2>/dev/null || echo ro; touch /tmp/x && echo tmp-rw',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ro\ntmp-rw\n');
  });

  test('run --mount bind-propagation=rslave (podman sets linux.rootfsPropagation to "rslave")', () => {
    const src = path.join(dir, 'bindsrc');
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(src, 'f'), 'from-host\n');
    const r = podman([
      'run',
      '--rm',
      ...runFlags(),
      '--mount',
      `type=bind,src=${src},dst=/mnt,bind-propagation=rslave`,
      IMAGE_REF,
      'cat',
      '/mnt/f',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'from-host\n');
  });

  test('nothing is left: no skiff state, no container cgroups, no rootfs mounts', () => {
    const r = podman(['ps', '--all', '--quiet']);
    assert.equal(r.stdout.trim(), '');
    for (const id of ids) assert.ok(!fs.existsSync(path.join(SKIFF_ROOT, id)), `skiff state of ${id}`);
    // Only the containers' own cgroups: podman's conmon cgroup stays, and so do the pod's parent
    // directories on name=systemd and cgroup2, which podman never made (runc leaves them too).
    assert.deepEqual(
      cgroupsLeftUnder(CG).filter((d) => path.basename(d).startsWith('libpod-')),
      [],
    );
    assert.deepEqual(
      mountsUnder(pm.storage).filter((m) => m.endsWith('/merged')),
      [],
    );
  });
});
