// containerd end to end: a private containerd from Debian's package (its own root, state, socket
// and config.toml under a temp dir), a busybox image built here and imported with ctr, and
// `ctr run --runtime io.containerd.runc.v2 --runc-binary bin/skiff`: the runc shim drives skiff
// exactly as it drives runc (global --root /run/containerd/runc/<ns> --log <bundle>/log.json
// --log-format json; create/start/exec --detach/ps --format json/pause/resume/kill/delete).
// The same containerd also has the CRI plugin with the README's config.toml runtime table (a
// runtime handler "skiff" with BinaryName): a pod sandbox and a container through the CRI API.
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
  sleep,
  umountUnder,
  waitFor,
} from './helpers/common';
import { Containerd } from './helpers/containerd';
import { CriClient } from './helpers/cri';
import { buildBusyboxImage, IMAGE_REF, PAUSE_REF } from './helpers/image';
import { readmeSnippet } from './helpers/readme';

const NS = `skiff-e2e-${process.pid}`;
const CG = `/skiff-e2e-${process.pid}`;
/** The runc shim's --root for runc: /run/containerd/runc/<namespace>. */
const RUNC_ROOT = `/run/containerd/runc/${NS}`;
/** The CRI plugin's namespace, and so the shim's root for its containers. */
const CRI_NS = 'k8s.io';
const CRI_ROOT = `/run/containerd/runc/${CRI_NS}`;
const CONTAINERD_RUN_DIRS = [CRI_ROOT, '/run/containerd/runc', '/run/containerd/fifo', '/run/containerd/s', '/run/containerd'];

const skip = ensureInstalled('containerd');
const preexisting = new Set(CONTAINERD_RUN_DIRS.filter((d) => fs.existsSync(d)));
let dir = '';
let ctd: Containerd;
const leftovers: string[] = [];
const criIds = new Set<string>();

/** The CRI plugin, private: our pause image, no AppArmor, CNI dirs under the temp dir (pods use the host network, so no CNI plugin runs). */
function criToml(d: string): string {
  return [
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = ${JSON.stringify(PAUSE_REF)}`,
    '  disable_apparmor = true',
    // the sandbox asks for oom_score_adj -998; lowering it needs CAP_SYS_RESOURCE, which this
    // host's root lacks (runc fails the same way): clamp it to our own, as for rootless
    '  restrict_oom_score_adj = true',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    '  [plugins."io.containerd.grpc.v1.cri".cni]',
    `    bin_dir = ${JSON.stringify(path.join(d, 'cni/bin'))}`,
    `    conf_dir = ${JSON.stringify(path.join(d, 'cni/conf'))}`,
    // as in `containerd config default`: the default runtime must stay declared next to skiff
    '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '    runtime_type = "io.containerd.runc.v2"',
    '',
  ].join('\n');
}

function ctr(args: string[], timeout = 60_000) {
  return ctd.ctr(args, NS, { timeout });
}

/** `ctr run` with skiff as the runc binary, in a cgroup this suite owns. */
function runArgs(id: string, flags: string[], cmd: string[]): string[] {
  return [
    'run',
    '--runtime',
    'io.containerd.runc.v2',
    '--runc-binary',
    SKIFF,
    '--cgroup',
    `${CG}/${id}`,
    '--fifo-dir',
    path.join(dir, 'fifo'),
    ...flags,
    IMAGE_REF,
    id,
    ...cmd,
  ];
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
    ctd = new Containerd(dir, { cri: true, extraToml: `${criToml(dir)}\n# README.md's snippet:\n${readmeSnippet('containerd-config')}` });
    await ctd.start();
    const img = buildBusyboxImage(path.join(dir, 'image'));
    const pause = buildBusyboxImage(path.join(dir, 'image'), PAUSE_REF, { entrypoint: ['sleep', 'inf'] });
    let r = ctr(['image', 'import', img.tarball]);
    assert.equal(r.code, 0, `ctr image import: ${r.stderr}`);
    for (const t of [img.tarball, pause.tarball]) {
      r = ctd.ctr(['image', 'import', t], CRI_NS);
      assert.equal(r.code, 0, `ctr -n ${CRI_NS} image import: ${r.stderr}`);
    }
  });

  after(async () => {
    if (ctd?.daemon?.running) {
      for (const ns of [NS, CRI_NS]) {
        for (const id of ctd.ctr(['container', 'ls', '-q'], ns).stdout.split('\n').filter(Boolean)) {
          if (ns === CRI_NS) criIds.add(id);
          ctd.ctr(['task', 'kill', '-a', '-s', 'SIGKILL', id], ns);
          ctd.ctr(['task', 'rm', '-f', id], ns);
          ctd.ctr(['container', 'rm', id], ns);
        }
        ctd.ctr(['image', 'rm', IMAGE_REF, PAUSE_REF], ns);
      }
    }
    await ctd?.stop();
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
    for (const id of criIds) {
      if (fs.existsSync(path.join(CRI_ROOT, id))) {
        leftovers.push(`skiff state ${CRI_ROOT}/${id}`);
        skiffAt(CRI_ROOT, ['delete', '--force', id]);
      }
    }
    for (const d of CONTAINERD_RUN_DIRS) {
      if (!preexisting.has(d))
        try {
          fs.rmdirSync(d);
        } catch {
          /* not empty: someone else's */
        }
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
    const pids = r.stdout
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => Number(l.trim().split(/\s+/)[0]));
    assert.ok(pids.includes(st.pid), `ps lists the init ${st.pid}: ${r.stdout}`);
    assert.match(r.stdout, /ExecID:sleeper/);
    // The earlier execs' processes may still be leaving the cgroup (zombies until the shim reaps
    // them): the init and the sleeper are the ones that must be there.
    assert.ok(pidAlive(st.pid), `the init ${st.pid} from ps is alive`);
    assert.ok(
      pids.filter((p) => p !== st.pid).some((p) => pidAlive(p)),
      `the sleeper is among ${pids.join(', ')}`,
    );

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
    await waitFor(
      '4 processes in the cgroup',
      () => fs.readFileSync(path.join(procs, 'cgroup.procs'), 'utf8').trim().split('\n').length >= 4,
    );
    const pids = fs.readFileSync(path.join(procs, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number);
    r = ctr(['task', 'kill', '--all', '-s', 'SIGKILL', id]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('the task to stop', () => taskStatus(id) === 'STOPPED');
    await waitFor('every process to be gone', () => pids.every((p) => !pidAlive(p)));
    assert.equal(fs.readFileSync(path.join(procs, 'cgroup.procs'), 'utf8').trim(), '');
    assert.deepEqual(removeAndCheck(id), []);
  });

  test("a process that does not exist: skiff's error reaches ctr, nothing is left", () => {
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

  test("ctr run options: --privileged (all of the host's capabilities and devices), --device, a tmpfs --mount", () => {
    let r = ctr(
      runArgs('priv', ['--rm', '--privileged'], ['sh', '-c', 'grep CapEff /proc/self/status; test -c /dev/fuse && echo has-fuse']),
    );
    assert.equal(r.code, 0, r.stderr);
    const hostEff = fs.readFileSync('/proc/self/status', 'utf8').match(/CapBnd:\s+(\w+)/)![1];
    assert.match(r.stdout, new RegExp(`CapEff:\\s+${hostEff}\\n`));
    assert.match(r.stdout, /has-fuse/);
    r = ctr(runArgs('dev', ['--rm', '--device', '/dev/fuse'], ['ls', '-l', '/dev/fuse']));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^c.* 10, +229 /);
    r = ctr(
      runArgs('tmpfs', ['--rm', '--mount', 'type=tmpfs,src=tmpfs,dst=/scratch,options=size=1m'], ['grep', ' /scratch ', '/proc/mounts']),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /tmpfs \/scratch tmpfs rw,relatime,size=1024k/);
    for (const id of ['priv', 'dev', 'tmpfs']) assert.deepEqual(removeAndCheck(id), []);
  });

  test('ctr run --rootfs-propagation rslave', () => {
    const r = ctr(runArgs('rslave', ['--rm', '--rootfs-propagation', 'rslave'], ['true']));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(removeAndCheck('rslave'), []);
  });

  // update: ctr 1.6 has no `task update`; the CRI test below updates resources through the same
  // shim (`skiff update --resources -`, JSON on stdin), and so does the docker suite.

  test('CRI: the README\'s config.toml runtime "skiff" runs a pod sandbox and its container (exec, update, stop)', async () => {
    const cri = new CriClient(ctd.address);
    try {
      const v = await cri.version();
      assert.equal(v.runtimeName, 'containerd');
      const logDir = path.join(dir, 'pods');
      fs.mkdirSync(logDir, { recursive: true });
      const sbConfig = CriClient.sandboxConfig({
        name: 'skiff-pod',
        uid: `uid-${process.pid}`,
        namespace: 'default',
        logDir,
        cgroupParent: `${CG}/cri`,
      });
      const sb = await cri.runPodSandbox(sbConfig, 'skiff');
      criIds.add(sb);
      // the sandbox is a skiff container: the shim got BinaryName from config.toml
      const opts = JSON.parse(fs.readFileSync(path.join(ctd.state, 'io.containerd.runtime.v2.task', CRI_NS, sb, 'options.json'), 'utf8'));
      assert.equal(opts.binary_name, SKIFF);
      const sbState = JSON.parse(skiffAt(CRI_ROOT, ['state', sb]).stdout);
      assert.equal(sbState.status, 'running');

      const c = await cri.createContainer(sb, sbConfig, {
        name: 'c1',
        image: IMAGE_REF,
        logPath: 'c1.log',
        command: ['sh', '-c', 'trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 0.2; done'],
      });
      criIds.add(c);
      await cri.startContainer(c);
      assert.equal((await cri.containerStatus(c)).state, 1, 'running');
      const st = JSON.parse(skiffAt(CRI_ROOT, ['state', c]).stdout);
      assert.equal(st.status, 'running');
      assert.ok(pidAlive(st.pid));
      await waitFor('the container log', () => readLog(path.join(logDir, 'c1.log')).includes('started'));

      const e = await cri.execSync(c, ['sh', '-c', 'echo in-exec; echo err-exec >&2; exit 3']);
      assert.deepEqual(e, { stdout: 'in-exec\n', stderr: 'err-exec\n', exitCode: 3 });

      await cri.updateContainerResources(c, { cpuShares: 512, memoryLimitInBytes: 64 << 20 });
      const cgc = (ctl: string) => cgroupDirs(`${CG}/cri/${c}`).find((d) => d.includes(`/${ctl}/`))!;
      assert.equal(fs.readFileSync(path.join(cgc('cpu'), 'cpu.shares'), 'utf8').trim(), '512');
      assert.equal(fs.readFileSync(path.join(cgc('memory'), 'memory.limit_in_bytes'), 'utf8').trim(), String(64 << 20));

      await cri.stopContainer(c, 10);
      const s = await cri.containerStatus(c);
      assert.equal(s.state, 2, 'exited');
      assert.equal(s.exitCode, 0);
      assert.match(readLog(path.join(logDir, 'c1.log')), /got-term/);
      await cri.removeContainer(c);
      await cri.stopPodSandbox(sb);
      await cri.removePodSandbox(sb);
      for (const id of [sb, c]) {
        assert.ok(!fs.existsSync(path.join(CRI_ROOT, id)), `skiff state of ${id} removed`);
        assert.deepEqual(mountsUnder(path.join(ctd.state, 'io.containerd.runtime.v2.task', CRI_NS, id)), []);
      }
      assert.deepEqual(cgroupsLeftUnder(`${CG}/cri`), []);
      assert.deepEqual(mountsUnder(path.join(ctd.state, 'io.containerd.grpc.v1.cri')), []);
    } finally {
      cri.close();
    }
  });

  test('nothing is left: no skiff state under the shim root, no container cgroups, no mounts', async () => {
    // shims exit once their container is deleted
    await waitFor('shims to exit', () => ctr(['container', 'ls', '-q']).stdout.trim() === '', 10_000);
    await sleep(200);
    const left = fs.existsSync(RUNC_ROOT) ? fs.readdirSync(RUNC_ROOT) : [];
    assert.deepEqual(left, [], 'skiff state dirs under the shim root');
    // the pod's cgroup parent (CG/cri) is a directory containerd asked for, not a container's
    assert.deepEqual(
      cgroupsLeftUnder(CG).filter((d) => path.basename(d) !== 'cri'),
      [],
    );
    assert.deepEqual(mountsUnder(path.join(ctd.state, 'io.containerd.runtime.v2.task')), []);
  });
});
