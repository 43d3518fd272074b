// Spec and runc behaviours fixed for issue 18 (each beside runc where runc has the behaviour):
// `kill ID 0`, an unknown command with -h, runc's words for exec into a paused container,
// poststop hooks that all run, hooks that ignore their stdin, hooks without env, namespaces left
// out of the config (inherited, the mount namespace too), create without process.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import {
  ROOTFS as SKIFF_ROOTFS,
  SKIFF,
  STATE_ROOT,
  assertGone,
  mountsMentioning,
  cleanupAll,
  makeBundle,
  run,
  skiff,
  tempDir,
  waitFor,
  pidAlive,
  stateOf,
  type Result,
} from '../helpers/skiff';

const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => fs.existsSync(p));
const runcRoot = tempDir('skiff-runc-root-');

after(() => {
  if (RUNC) for (const id of fs.readdirSync(runcRoot)) run(RUNC, ['--root', runcRoot, 'delete', '--force', id]);
  cleanupAll();
});

describe('conformance (issue 18)', () => {
  test('kill ID 0 and kill -a ID 0 ask whether the container runs, as runc', () => {
    assert.ok(RUNC, 'runc is installed by scripts/setup.sh');
    const results: Record<string, number[]> = {};
    for (const name of ['skiff', 'runc']) {
      const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '100']));
      const call = (args: string[]): Result => (name === 'skiff' ? skiff(args) : run(RUNC!, ['--root', runcRoot, ...args]));
      assert.equal(call(['run', '-d', '-b', b.dir, b.id]).code, 0);
      const pid = name === 'skiff' ? stateOf(b.id).pid : JSON.parse(call(['state', b.id]).stdout).pid;
      const codes = [call(['kill', b.id, '0']).code, call(['kill', '--all', b.id, '0']).code];
      assert.ok(pidAlive(pid), 'signal 0 sends nothing');
      assert.equal(call(['kill', b.id, 'KILL']).code, 0);
      const r = call(['kill', b.id, '0']);
      codes.push(r.code);
      if (name === 'skiff') assert.match(r.stderr, /container not running|no such process/);
      results[name] = codes;
      call(['delete', '--force', b.id]);
      assert.deepEqual(assertGone(b), []);
    }
    assert.deepEqual(results.skiff, [0, 0, 1]);
    assert.deepEqual(results.skiff, results.runc);
  });

  test("skiff spec writes runc's namespaces for this host (a cgroup namespace only on cgroup v2)", () => {
    assert.ok(RUNC);
    const types: Record<string, string[]> = {};
    for (const name of ['skiff', 'runc']) {
      const d = tempDir('skiff-spec-');
      const r: Result = name === 'skiff' ? skiff(['spec', '-b', d]) : run(RUNC!, ['spec', '-b', d]);
      assert.equal(r.code, 0, r.stderr);
      types[name] = JSON.parse(fs.readFileSync(path.join(d, 'config.json'), 'utf8'))
        .linux.namespaces.map((n: any) => n.type)
        .sort();
    }
    assert.deepEqual(types.skiff, types.runc);
  });

  test("skiff spec --rootless writes runc's rootless config (its mounts and linux section identical)", () => {
    assert.ok(RUNC);
    const docs: Record<string, any> = {};
    for (const name of ['skiff', 'runc']) {
      const d = tempDir('skiff-spec-');
      const r: Result = name === 'skiff' ? skiff(['spec', '--rootless', '-b', d]) : run(RUNC!, ['spec', '--rootless', '-b', d]);
      assert.equal(r.code, 0, r.stderr);
      docs[name] = JSON.parse(fs.readFileSync(path.join(d, 'config.json'), 'utf8'));
    }
    assert.deepEqual(docs.skiff.linux, docs.runc.linux);
    assert.deepEqual(docs.skiff.mounts, docs.runc.mounts);
    assert.deepEqual(docs.skiff.linux.uidMappings, [{ containerID: 0, hostID: process.geteuid!(), size: 1 }]);
    assert.equal(docs.skiff.linux.resources, undefined);
  });

  test("rootfsPropagation unbindable and runbindable: create works and the container's / is unbindable", () => {
    // runc 1.1.5 fails both here (`mount <rootfs>:<rootfs>, flags: 0x5000: invalid argument`): it
    // makes / unbindable before it bind-mounts the rootfs onto itself; skiff applies it after.
    for (const prop of ['unbindable', 'runbindable']) {
      const b = makeBundle((c) => {
        c.linux.rootfsPropagation = prop;
        // The optional fields of the root mount's line (propagation: shared:N, master:N, unbindable).
        c.process.args = [
          '/bin/sh',
          '-c',
          'awk \'$5 == "/" { s = ""; for (i = 7; $i != "-"; i++) s = s $i " "; print "root:" s }\' /proc/self/mountinfo',
        ];
      });
      const r = skiff(['run', '-b', b.dir, b.id]);
      assert.equal(r.code, 0, `${prop}: ${r.stderr}`);
      assert.match(r.stdout, /^root:.*unbindable/, r.stdout);
      assert.deepEqual(assertGone(b), []);
    }
  });

  test('a cwd root can enter but the container user cannot (0700): the process starts there, as under runc', () => {
    assert.ok(RUNC);
    const out: Record<string, string> = {};
    for (const name of ['skiff', 'runc']) {
      const b = makeBundle((c) => {
        c.mounts.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['mode=0700'] });
        c.process.cwd = '/mnt';
        c.process.user = { uid: 1000, gid: 1000 };
        c.process.args = ['/bin/sh', '-c', 'pwd; ls . >/dev/null 2>&1 && echo listed || echo not-listed'];
      });
      const r: Result = name === 'skiff' ? skiff(['run', '-b', b.dir, b.id]) : run(RUNC!, ['--root', runcRoot, 'run', '-b', b.dir, b.id]);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      out[name] = r.stdout;
      assert.deepEqual(assertGone(b), []);
    }
    // The user cannot list its cwd: it is the 0700 tmpfs (runc 1.1.5 chmods a tmpfs to the mode of
    // the directory it covers, 0755 here, so there it can; skiff keeps the mount's own mode=).
    assert.equal(out.skiff, '/mnt\nnot-listed\n');
    assert.equal(out.runc!.split('\n')[0], '/mnt');
  });

  test("a new network namespace has lo up, as runc's: 127.0.0.1 answers", () => {
    assert.ok(RUNC);
    const out: Record<string, string> = {};
    for (const name of ['skiff', 'runc']) {
      const b = makeBundle((c) => {
        c.process.args = [
          '/bin/sh',
          '-c',
          'ip -o link show lo | grep -o "<[^>]*>"; (sleep 3 | nc -l -p 7000 > /dev/null &); sleep 0.3; echo hi | nc -w 2 127.0.0.1 7000 && echo connected',
        ];
      });
      const r: Result = name === 'skiff' ? skiff(['run', '-b', b.dir, b.id]) : run(RUNC!, ['--root', runcRoot, 'run', '-b', b.dir, b.id]);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      out[name] = r.stdout;
    }
    assert.equal(out.skiff, out.runc);
    assert.match(out.skiff!, /UP.*\nconnected\n$/);
  });

  test('a frozen cgroup is refused at once; one holding processes gets a warning', async () => {
    const { cgDir, LAYOUT } = await import('../helpers/cgroups');
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '100']));
    const cg = b.config.linux.cgroupsPath;
    const freezer = LAYOUT.mode === 'unified' ? cgDir('', cg) : cgDir('freezer', cg);
    fs.mkdirSync(freezer, { recursive: true });
    try {
      fs.writeFileSync(
        path.join(freezer, LAYOUT.mode === 'unified' ? 'cgroup.freeze' : 'freezer.state'),
        LAYOUT.mode === 'unified' ? '1' : 'FROZEN',
      );
      const t0 = Date.now();
      const r = skiff(['run', '-d', '-b', b.dir, b.id]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cgroup .* is frozen/);
      assert.ok(Date.now() - t0 < 5000, 'refused at once');
      assert.ok(!fs.existsSync(path.join(STATE_ROOT, b.id)));
    } finally {
      fs.writeFileSync(
        path.join(freezer, LAYOUT.mode === 'unified' ? 'cgroup.freeze' : 'freezer.state'),
        LAYOUT.mode === 'unified' ? '0' : 'THAWED',
      );
      fs.rmdirSync(freezer);
    }
    assert.deepEqual(assertGone(b), []);
    // A process of the test's own in the container's pids cgroup: the container runs, with a warning.
    const pidsDir = LAYOUT.mode === 'unified' ? cgDir('', cg) : cgDir('pids', cg);
    fs.mkdirSync(pidsDir, { recursive: true });
    const { spawn } = await import('node:child_process');
    const other = spawn('/bin/sleep', ['100'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(path.join(pidsDir, 'cgroup.procs'), String(other.pid));
      const r = skiff(['run', '-d', '-b', b.dir, b.id]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /already holds processes/);
      assert.equal(skiff(['delete', '--force', b.id]).code, 0);
      assert.ok(pidAlive(other.pid!), "a process that is not the container's survives (own pid namespace)");
    } finally {
      other.kill('SIGKILL');
      await waitFor('the sleep to go', () => !pidAlive(other.pid!));
      await waitFor('the cgroup to empty', () => {
        try {
          fs.rmdirSync(pidsDir);
          return true;
        } catch {
          return false;
        }
      });
    }
    assert.deepEqual(assertGone(b), []);
  });

  test('terminal: true with stdin a regular file (skiff run ID < file) relays it', () => {
    const b = makeBundle((c) => {
      c.process.terminal = true;
      c.process.args = ['/bin/sh', '-c', 'read line; echo "got:$line"'];
    });
    const input = path.join(b.dir, 'input.txt');
    fs.writeFileSync(input, 'hello-from-a-file\n');
    // The file itself as fd 0 (no pipe): what the shell's `<` gives.
    const r2 = run('/bin/sh', ['-c', `exec "$0" --root "$1" run -b "$2" "$3" < "$4"`, SKIFF, STATE_ROOT, b.dir, b.id, input]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.doesNotMatch(r2.stderr, /Unsupported fd type/);
    assert.match(r2.stdout, /got:hello-from-a-file/);
    assert.deepEqual(assertGone(b), []);
  });

  test('memory.kernelTCP is written where the kernel has memory.kmem.tcp.limit_in_bytes (as crun)', async (t) => {
    const { cgDir, cgRead, LAYOUT } = await import('../helpers/cgroups');
    if (LAYOUT.mode === 'unified' || !fs.existsSync('/sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes'))
      return t.skip('no kmem.tcp on this host');
    const b = makeBundle((c) => {
      c.process.args = ['/bin/sleep', '100'];
      c.linux.resources = { memory: { kernelTCP: 16 * 1024 * 1024 } };
    });
    const r = skiff(['create', '-b', b.dir, b.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /kernelTCP is ignored/);
    assert.ok(fs.existsSync(cgDir('memory', b.config.linux.cgroupsPath)));
    assert.equal(cgRead('memory', b.config.linux.cgroupsPath, 'memory.kmem.tcp.limit_in_bytes'), String(16 * 1024 * 1024));
    assert.equal(skiff(['delete', '--force', b.id]).code, 0);
    assert.deepEqual(assertGone(b), []);
  });

  test('capabilities that cannot be granted are warnings, left out, and the container runs (runtime-spec 1.3.0)', async () => {
    assert.ok(RUNC);
    // The config `runc spec` writes: ambient capabilities without the matching inheritable ones.
    const d = tempDir('skiff-runc-spec-');
    assert.equal(run(RUNC!, ['spec', '-b', d]).code, 0);
    const runcCaps = JSON.parse(fs.readFileSync(path.join(d, 'config.json'), 'utf8')).process.capabilities;
    assert.ok(runcCaps.ambient?.length && !runcCaps.inheritable?.length, 'runc spec: ambient without inheritable');
    const reports: Record<string, any> = {};
    for (const name of ['skiff', 'runc']) {
      const b = makeBundle((c) => {
        c.process.capabilities = JSON.parse(JSON.stringify(runcCaps));
      });
      fs.chmodSync(b.out, 0o777);
      const r: Result = name === 'skiff' ? skiff(['run', '-b', b.dir, b.id]) : run(RUNC!, ['--root', runcRoot, 'run', '-b', b.dir, b.id]);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      if (name === 'skiff')
        assert.match(r.stderr, /\/process\/capabilities\/ambient: CAP_AUDIT_WRITE is not in both inheritable and permitted: left out/);
      reports[name] = b.probe();
      assert.deepEqual(assertGone(b), []);
    }
    for (const k of Object.keys(reports.skiff).filter((k) => /^cap/i.test(k))) assert.deepEqual(reports.skiff[k], reports.runc[k], k);
    // An unknown name and one outside this runtime's bounding set (root here may lack CAP_SYS_RESOURCE).
    const b = makeBundle((c) => {
      c.process.args = ['/bin/true'];
      c.process.capabilities.bounding.push('CAP_NOPE', 'CAP_SYS_RESOURCE');
      c.process.capabilities.effective.push('CAP_NOPE');
    });
    const r = skiff(['run', '-b', b.dir, b.id]);
    assert.equal(r.code, 0, r.stderr);
    // (log lines are JSON-quoted: \"CAP_NOPE\")
    assert.match(r.stderr, /unknown capability \\?"CAP_NOPE\\?": left out/);
    const own = BigInt('0x' + /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]);
    if ((own & (1n << 24n)) === 0n) assert.match(r.stderr, /CAP_SYS_RESOURCE is not in this runtime's bounding set: left out/);
    assert.deepEqual(assertGone(b), []);
    // exec --cap with an unknown name: a warning, and the process runs.
    const e = makeBundle((c) => (c.process.args = ['/bin/sleep', '100']));
    assert.equal(skiff(['run', '-d', '-b', e.dir, e.id]).code, 0);
    const x = skiff(['exec', '--cap', 'CAP_NOPE', e.id, '/bin/true']);
    assert.equal(x.code, 0, x.stderr);
    assert.match(x.stderr, /--cap: unknown capability \\?"CAP_NOPE\\?": left out/);
    assert.equal(skiff(['delete', '--force', e.id]).code, 0);
    assert.deepEqual(assertGone(e), []);
  });

  test('an unknown command is an error, with or without -h', () => {
    for (const args of [['nosuchcommand', '-h'], ['nosuchcommand'], ['--root', '/tmp', 'nosuchcommand', '--help']]) {
      const r = skiff(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, /unknown command 'nosuchcommand'/);
      assert.equal(r.stdout, '');
    }
    assert.equal(skiff(['--help']).code, 0);
    assert.equal(skiff(['state', '--help']).code, 0);
  });

  test("exec into a paused container: runc's words", () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '100']));
    assert.equal(skiff(['run', '-d', '-b', b.dir, b.id]).code, 0);
    assert.equal(skiff(['pause', b.id]).code, 0);
    const r = skiff(['exec', b.id, '/bin/true']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /cannot exec in a paused container/);
    assert.equal(skiff(['delete', '--force', b.id]).code, 0);
    assert.deepEqual(assertGone(b), []);
  });

  test('every poststop hook runs; each failure is a warning', () => {
    const b = makeBundle((c) => {
      c.process.args = ['/bin/true'];
      const marker = path.join(c.mounts.find((m: any) => m.destination === '/out').source, 'third-ran');
      c.hooks = {
        poststop: [
          { path: '/bin/sh', args: ['sh', '-c', 'cat >/dev/null; echo first-failed >&2; exit 3'] },
          { path: '/nonexistent/hook' },
          { path: '/bin/sh', args: ['sh', '-c', `cat >/dev/null; touch ${marker}`] },
        ],
      };
    });
    const r = skiff(['run', '-b', b.dir, b.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /poststop hook \/bin\/sh failed: exit status 3: first-failed/);
    assert.match(r.stderr, /poststop hook \/nonexistent\/hook: no such file or directory/);
    assert.ok(fs.existsSync(path.join(b.out, 'third-ran')), 'the hook after the failures ran');
    assert.deepEqual(assertGone(b), []);
  });

  test('hooks that exit without reading the state are no failure (40 creates, a 300 kB state)', () => {
    const big = 'x'.repeat(300_000);
    for (let i = 0; i < 40; i++) {
      const b = makeBundle((c) => {
        c.process.args = ['/bin/true'];
        c.annotations = { big };
        c.hooks = {
          prestart: [{ path: '/bin/true' }],
          createRuntime: [{ path: '/bin/true' }],
          startContainer: [{ path: '/bin/true' }],
          poststart: [{ path: '/bin/true' }],
        };
      });
      const r = skiff(['run', '-b', b.dir, b.id]);
      assert.equal(r.code, 0, `run ${i}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /hook/);
      assert.deepEqual(assertGone(b), []);
    }
  });

  test("a hook without env gets the runtime's environment (runc, crun), one with env only that", async () => {
    const b = makeBundle((c) => {
      const out = c.mounts.find((m: any) => m.destination === '/out').source;
      c.process.args = ['/bin/sleep', '100'];
      c.hooks = {
        createRuntime: [
          { path: '/bin/sh', args: ['sh', '-c', `cat >/dev/null; echo "$SKIFF_HOOK_VAR:$PATH" > ${out}/runtime-env`] },
          { path: '/bin/sh', args: ['sh', '-c', `cat >/dev/null; echo "[$SKIFF_HOOK_VAR]$ONLY" > ${out}/own-env`], env: ['ONLY=this'] },
        ],
        // Run by skiff-init in the container, after pivot_root: /out is the bind mount.
        startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat >/dev/null; echo "$SKIFF_HOOK_VAR" > /out/start-env'] }],
      };
    });
    const env = { ...process.env, SKIFF_HOOK_VAR: 'from-runtime' };
    assert.equal(skiff(['run', '-d', '-b', b.dir, b.id], { env }).code, 0);
    await waitFor('the startContainer hook', () => fs.existsSync(path.join(b.out, 'start-env')));
    assert.match(fs.readFileSync(path.join(b.out, 'runtime-env'), 'utf8'), /^from-runtime:.*\/bin/);
    assert.equal(fs.readFileSync(path.join(b.out, 'own-env'), 'utf8'), '[]this\n');
    assert.equal(fs.readFileSync(path.join(b.out, 'start-env'), 'utf8'), 'from-runtime\n');
    assert.equal(skiff(['delete', '--force', b.id]).code, 0);
    assert.deepEqual(assertGone(b), []);
  });

  test('no mount namespace (nor any other) in the config: each is inherited; mounts made under the rootfs go with delete', async () => {
    // Its own copy of the rootfs: without a mount namespace the container's mounts are made in
    // this test's namespace, under its rootfs, where nothing else must see them.
    const rootfs = path.join(tempDir('skiff-nomntns-'), 'rootfs');
    assert.equal(run('cp', ['-a', path.join(SKIFF_ROOTFS, '.'), rootfs + '/']).code, 0);
    fs.writeFileSync(path.join(rootfs, 'marker'), 'in the rootfs\n');
    // A mount there before create is the caller's: delete must leave it.
    fs.mkdirSync(path.join(rootfs, 'mnt'), { recursive: true });
    assert.equal(run('mount', ['-t', 'tmpfs', 'callers', path.join(rootfs, 'mnt')]).code, 0);
    try {
      const b = makeBundle((c) => {
        c.linux.namespaces = [];
        delete c.hostname;
        // Refused without a mount namespace of its own, as by runc ("unable to restrict sys entries").
        delete c.linux.maskedPaths;
        delete c.linux.readonlyPaths;
        c.root = { path: rootfs, readonly: true };
        c.process.args = ['/bin/sleep', '100'];
      });
      assert.equal(skiff(['run', '-d', '-b', b.dir, b.id]).code, 0);
      const pid = stateOf(b.id).pid;
      for (const ns of ['mnt', 'pid', 'net', 'ipc', 'uts', 'user', 'cgroup'])
        assert.equal(fs.readlinkSync(`/proc/${pid}/ns/${ns}`), fs.readlinkSync(`/proc/self/ns/${ns}`), `${ns} namespace inherited`);
      assert.equal(fs.readlinkSync(`/proc/${pid}/root`), rootfs, 'chrooted into the rootfs');
      assert.ok(mountsMentioning(`${rootfs}/proc `).length > 0, 'its /proc is mounted in this namespace, under the rootfs');
      // exec follows the container into its root; root.readonly made only skiff's bind read-only.
      const e = skiff(['exec', b.id, '/bin/sh', '-c', 'cat /marker; touch /x 2>/dev/null && echo writable || echo read-only']);
      assert.equal(e.code, 0, e.stderr);
      assert.equal(e.stdout, 'in the rootfs\nread-only\n');
      // The container's mounts are this namespace's: its read-only bind covers the rootfs here too.
      assert.throws(() => fs.writeFileSync(path.join(rootfs, 'host-write'), ''), /EROFS/);
      assert.equal(skiff(['delete', '--force', b.id]).code, 0);
      fs.writeFileSync(path.join(rootfs, 'host-write'), '');
      assert.deepEqual(assertGone(b), []);
      assert.deepEqual(
        mountsMentioning(`${rootfs}/`).filter((m) => !m.includes(`${rootfs}/mnt `)),
        [],
        'nothing of the container stays mounted',
      );
      assert.equal(mountsMentioning(`${rootfs}/mnt `).length, 1, "the caller's own mount stays");

      // A create that fails after the mounts were made (its createRuntime hook fails) leaves none.
      const f = makeBundle((c) => {
        c.linux.namespaces = [];
        delete c.hostname;
        delete c.linux.maskedPaths;
        delete c.linux.readonlyPaths;
        c.root = { path: rootfs };
        c.hooks = { createRuntime: [{ path: '/bin/false' }] };
      });
      const r = skiff(['create', '-b', f.dir, f.id]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /createRuntime hook \/bin\/false failed/);
      assert.deepEqual(assertGone(f), []);
      assert.deepEqual(
        mountsMentioning(`${rootfs}/`).filter((m) => !m.includes(`${rootfs}/mnt `)),
        [],
      );
    } finally {
      run('umount', ['-R', '-l', path.join(rootfs, 'mnt')]);
    }
  });

  test('create without process succeeds; start then fails clearly and the container stays created (config.md)', () => {
    // runc 1.1.5 refuses the create itself; the spec requires process only when start is called.
    const b = makeBundle((c) => delete c.process);
    const c = skiff(['create', '-b', b.dir, b.id]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(stateOf(b.id).status, 'created');
    const s = skiff(['start', b.id]);
    assert.equal(s.code, 1);
    assert.equal(s.stderr.trim().split('\n').length, 1, s.stderr);
    assert.match(s.stderr, /cannot start container ".*": config.json has no process to run/);
    assert.equal(stateOf(b.id).status, 'created');
    // exec works in it (it has its namespaces and root), then delete without --force, as runc.
    const e = skiff(['exec', b.id, '/bin/cat', '/etc/hostname']);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(skiff(['delete', b.id]).code, 0);
    assert.deepEqual(assertGone(b), []);

    // run starts what it creates: it needs process, and says so before making anything.
    const r2 = makeBundle((c) => delete c.process);
    const r = skiff(['run', '-b', r2.dir, r2.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/process: is required/);
    assert.deepEqual(assertGone(r2), []);
  });

  test('a read-only /dev tmpfs: devices, /dev/pts and the symlinks are made, then /dev is read-only, as under runc', () => {
    assert.ok(RUNC);
    const out: Record<string, string> = {};
    for (const name of ['skiff', 'runc']) {
      const b = makeBundle((c) => {
        const dev = c.mounts.find((m: any) => m.destination === '/dev');
        dev.options = [...dev.options, 'ro'];
        c.process.args = [
          '/bin/sh',
          '-c',
          [
            'touch /dev/x 2>/dev/null && echo dev-writable || echo dev-read-only',
            'echo ok > /dev/null && echo null-ok',
            '[ -c /dev/pts/ptmx ] && echo pts-ok',
            '[ -L /dev/stdout ] && echo links-ok',
            'awk \'$5 == "/dev" { print $6 }\' /proc/self/mountinfo | cut -d, -f1',
          ].join('; '),
        ];
      });
      const r: Result = name === 'skiff' ? skiff(['run', '-b', b.dir, b.id]) : run(RUNC!, ['--root', runcRoot, 'run', '-b', b.dir, b.id]);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      out[name] = r.stdout;
      if (name === 'skiff') assert.deepEqual(assertGone(b), []);
    }
    assert.equal(out.skiff, 'dev-read-only\nnull-ok\npts-ok\nlinks-ok\nro\n');
    assert.equal(out.skiff, out.runc);
  });

  test('a user namespace with a bind source its mapped root cannot reach (under 0700): opened as host root, as by runc', () => {
    assert.ok(RUNC);
    const out: Record<string, string> = {};
    for (const name of ['skiff', 'runc']) {
      const hidden = tempDir('skiff-hidden-'); // mkdtemp: 0700, owned by host root
      fs.mkdirSync(path.join(hidden, 'data'), { mode: 0o755 });
      fs.writeFileSync(path.join(hidden, 'data', 'hello'), 'from the host\n', { mode: 0o644 });
      const b = makeBundle((c) => {
        c.linux.namespaces.push({ type: 'user' });
        c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.mounts = c.mounts.filter((m: any) => m.destination !== '/out');
        c.mounts.push({ destination: '/data', type: 'bind', source: path.join(hidden, 'data'), options: ['rbind', 'ro'] });
        c.process.args = ['/bin/sh', '-c', 'cat /data/hello; touch /data/x 2>/dev/null && echo writable || echo read-only; id -u'];
      });
      fs.chmodSync(b.dir, 0o700);
      const r: Result = name === 'skiff' ? skiff(['run', '-b', b.dir, b.id]) : run(RUNC!, ['--root', runcRoot, 'run', '-b', b.dir, b.id]);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      out[name] = r.stdout;
      if (name === 'skiff') assert.deepEqual(assertGone(b), []);
    }
    assert.equal(out.skiff, 'from the host\nread-only\n0\n');
    assert.equal(out.skiff, out.runc);
  });

  test('a namespace path that is not a namespace file (a FIFO, a regular file): refused at once, no hang', () => {
    const dir = tempDir('skiff-nspath-');
    const fifo = path.join(dir, 'fifo');
    assert.equal(run('mkfifo', [fifo]).code, 0);
    fs.writeFileSync(path.join(dir, 'file'), '');
    for (const p of [fifo, path.join(dir, 'file'), path.join(dir, 'missing')]) {
      const b = makeBundle((c) => c.linux.namespaces.push({ type: 'ipc', path: p }));
      b.config.linux.namespaces = b.config.linux.namespaces.filter((n: any) => n.type !== 'ipc' || n.path);
      b.write();
      const r = skiff(['create', '-b', b.dir, b.id], { timeout: 20_000 });
      assert.equal(r.code, 1, `${p}: ${r.stderr}`);
      assert.match(r.stderr, /\/linux\/namespaces\/\d+\/path: /);
      assert.deepEqual(assertGone(b), []);
    }
  });
});
