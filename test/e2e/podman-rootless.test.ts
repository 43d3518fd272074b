// Rootless podman (its default for ordinary users) with skiff as its runtime, from the account of
// the rootless tests' user: podman makes its user namespace with newuidmap/newgidmap and runs
// conmon and skiff inside it as that namespace's root; skiff keeps its state under the user's
// XDG_RUNTIME_DIR and, on this hybrid host, runs the containers without a cgroup. The README's
// containers.conf snippet, in a private containers.conf with private storage, as the root suite.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ROOTLESS_USER, ensureRootlessUser, type RootlessIds } from '../helpers/rootless-user';
import { ensureInstalled, killLeftovers, makeTempDir, pidAlive, run, type Result } from './helpers/common';
import { buildBusyboxImage, IMAGE_REF } from './helpers/image';
import { Podman } from './helpers/podman';
import { readmeSnippet } from './helpers/readme';

const skip = ensureInstalled('podman');
let ids: RootlessIds;
let dir = '';
let xdg = '';
let env: string[] = [];
const leftovers: string[] = [];

function chownTree(p: string): void {
  fs.chownSync(p, ids.uid, ids.gid);
  if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e));
}

/** podman as the user, with everything of its own under the suite's directory. */
function podman(args: string[], timeout = 60_000): Result {
  const global = ['--root', path.join(dir, 'storage'), '--runroot', path.join(dir, 'run'), '--storage-driver', 'overlay'];
  global.push('--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--tmpdir', path.join(dir, 'tmp'));
  return run('runuser', ['-u', ROOTLESS_USER, '--', 'env', ...env, 'podman', ...global, ...args], { timeout, cwd: dir });
}

function skiffStateDirs(): string[] {
  const root = path.join(xdg, 'skiff');
  return fs.existsSync(root) ? fs.readdirSync(root) : [];
}

describe('podman (rootless) with skiff', { skip }, () => {
  before(() => {
    ids = ensureRootlessUser();
    dir = makeTempDir('skiff-e2e-pmrl-');
    fs.chmodSync(dir, 0o755);
    xdg = path.join(dir, 'xdg');
    fs.mkdirSync(xdg, { mode: 0o700 });
    for (const d of ['tmp', 'home']) fs.mkdirSync(path.join(dir, d));
    const conf = path.join(dir, 'containers.conf');
    fs.writeFileSync(
      conf,
      Podman.containersConf(readmeSnippet('podman-containers-conf'), {
        tmp: path.join(dir, 'tmp'),
        events: path.join(dir, 'events.log'),
        volumes: path.join(dir, 'storage', 'volumes'),
        cni: path.join(dir, 'cni'),
      }),
    );
    fs.writeFileSync(path.join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
    env = [
      `XDG_RUNTIME_DIR=${xdg}`,
      `HOME=${path.join(dir, 'home')}`,
      `CONTAINERS_CONF=${conf}`,
      `CONTAINERS_REGISTRIES_CONF=${path.join(dir, 'registries.conf')}`,
    ];
    const img = buildBusyboxImage(path.join(dir, 'image'));
    chownTree(dir);
    const r = podman(['load', '--quiet', '--input', img.tarball]);
    assert.equal(r.code, 0, `podman load: ${r.stderr}`);
  });

  after(async () => {
    if (!dir) return;
    podman(['rm', '--all', '--force', '--time', '0']);
    podman(['rmi', '--all', '--force']);
    // podman's pause process holds its user namespace: this suite started it, so it ends it.
    const pauseFile = path.join(dir, 'tmp', 'pause.pid');
    if (fs.existsSync(pauseFile)) {
      const pid = Number(fs.readFileSync(pauseFile, 'utf8').trim());
      if (pid > 0 && pidAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    leftovers.push(...(await killLeftovers(dir)));
    leftovers.push(...skiffStateDirs().map((id) => `skiff state ${path.join(xdg, 'skiff', id)}`));
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(leftovers, [], 'left behind');
  });

  test('run: the output, the exit code, and the user namespace podman made', () => {
    const r = podman(['run', '--rm', '--network', 'none', IMAGE_REF, 'sh', '-c', 'id -u; cat /proc/self/uid_map; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    const [uid, ...map] = r.stdout.trim().split('\n');
    assert.equal(uid, '0');
    assert.match(map[0]!, new RegExp(`^\\s*0\\s+${ids.uid}\\s+1$`));
    assert.match(map[1]!, new RegExp(`^\\s*1\\s+${ids.subuid}\\s+\\d+$`));
    assert.deepEqual(skiffStateDirs(), [], '--rm: skiff state removed');
  });

  test('run -d, exec, exec -d, top, stop, rm', () => {
    const name = 'rl-1';
    const r = podman(['run', '-d', '--name', name, '--network', 'none', IMAGE_REF, 'sleep', '300']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.deepEqual(skiffStateDirs(), [id], "skiff's state is under the user's XDG_RUNTIME_DIR");
    const state = JSON.parse(fs.readFileSync(path.join(xdg, 'skiff', id, 'state.json'), 'utf8'));
    assert.ok(state.cgroup.none, 'no cgroup on a hybrid host');
    const x = podman(['exec', name, 'sh', '-c', 'echo in-the-container; echo $$']);
    assert.equal(x.code, 0, x.stderr);
    assert.match(x.stdout, /^in-the-container\n\d+\n$/);
    assert.equal(podman(['exec', '-d', name, 'sleep', '200']).code, 0);
    const top = podman(['top', name, 'args']);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /sleep 300/);
    assert.match(top.stdout, /sleep 200/);
    const stop = podman(['stop', '--time', '1', name]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(podman(['inspect', '--format', '{{.State.Status}}', name]).stdout.trim(), 'exited');
    assert.equal(podman(['rm', name]).code, 0);
    assert.deepEqual(skiffStateDirs(), []);
  });
});
