// checkpoint and restore with Debian's CRIU: runs INSIDE the VM (scripts/vm/run-in-vm.sh, Debian's
// own kernel, where CRIU 3.17 works; on this machine's newer kernel `criu check` fails), started by
// test/vm/criu.test.ts. Every container counts: what a restore must show is that the count goes on
// from where the checkpoint left it, in a container skiff lists, limits, execs into and deletes.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { buildBusyboxImage, IMAGE_REF } from '../../e2e/helpers/image';
import { Podman } from '../../e2e/helpers/podman';
import { cgRead } from '../../helpers/cgroups';
import {
  CGROUP_PREFIX,
  ROOT,
  SKIFF,
  STATE_ROOT,
  assertGone,
  cleanupAll,
  makeBundle,
  pidAlive,
  skiff,
  stateOf,
  tempDir,
  waitFor,
  type Bundle,
} from '../../helpers/skiff';

after(() => cleanupAll());

const criuWorks = fs.existsSync('/usr/sbin/criu') && fs.existsSync('/sys/fs/cgroup/cgroup.controllers');

function ok(args: string[], opts: Parameters<typeof skiff>[1] = {}): string {
  const r = skiff(args, { timeout: 120_000, ...opts });
  assert.equal(r.code, 0, `skiff ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A fifo the container writes its stdout into and the test reads: lines as they come. */
class Fifo {
  readonly path: string;
  private text = '';
  private reader: number;
  readonly writer: number;
  constructor(dir: string, name: string) {
    this.path = path.join(dir, name);
    fs.rmSync(this.path, { force: true });
    assert.equal(spawnSync('mkfifo', [this.path]).status, 0);
    this.reader = fs.openSync(this.path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    this.writer = fs.openSync(this.path, 'w');
  }
  lines(): string[] {
    const buf = Buffer.alloc(65536);
    for (;;) {
      let n = 0;
      try {
        n = fs.readSync(this.reader, buf);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw err;
      }
      if (n <= 0) break;
      this.text += buf.subarray(0, n).toString();
    }
    return this.text.split('\n').filter(Boolean);
  }
  close(): void {
    fs.closeSync(this.reader);
    fs.closeSync(this.writer);
  }
}

const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i > /out/count; echo $i; sleep 0.1; done';

function counterBundle(edit?: (c: any) => void): Bundle {
  return makeBundle((c) => {
    c.process.args = ['/bin/sh', '-c', COUNTER];
    c.linux.resources = { pids: { limit: 40 }, memory: { limit: 64 * 1024 * 1024 } };
    edit?.(c);
  });
}

const count = (b: Bundle): number => Number(fs.readFileSync(path.join(b.out, 'count'), 'utf8').trim() || 0);

/** skiff with its stdout (the container's, when it runs one) on `out`, and its stderr in a file. */
function skiffOnto(out: Fifo, args: string[]): void {
  const err = path.join(path.dirname(out.path), `${path.basename(out.path)}.err`);
  const errFd = fs.openSync(err, 'w+');
  try {
    const r = spawnSync(SKIFF, ['--root', STATE_ROOT, ...args], { stdio: ['ignore', out.writer, errFd], timeout: 120_000 });
    assert.equal(r.status, 0, `skiff ${args.join(' ')}: ${fs.readFileSync(err, 'utf8')}`);
  } finally {
    fs.closeSync(errFd);
  }
}

/** skiff run -d with the container's stdout on a fifo (a file from outside: CRIU's external file). */
function runDetached(b: Bundle, out: Fifo): number {
  skiffOnto(out, ['run', '-d', '-b', b.dir, b.id]);
  return stateOf(b.id).pid;
}

function restoreDetached(b: Bundle, id: string, images: string, out: Fifo, extra: string[] = []): number {
  skiffOnto(out, ['restore', '-d', '--image-path', images, '-b', b.dir, ...extra, id]);
  return stateOf(id).pid;
}

async function counting(what: string, b: Bundle, above: number): Promise<void> {
  await waitFor(
    `${what}: the count passes ${above}`,
    () => {
      try {
        return count(b) > above;
      } catch {
        return false;
      }
    },
    60_000,
  );
}

describe(
  'checkpoint and restore (VM, Debian kernel and CRIU)',
  { skip: !criuWorks && 'needs CRIU and cgroup v2: run through test/vm/criu.test.ts' },
  () => {
    test('a counter checkpointed, restored under a new id, counts on; the restored container has its cgroup and limits, execs, kills and deletes', async () => {
      const b = counterBundle();
      assert.match(
        ok(['check', '--checkpoint', '-b', b.dir]),
        /^ok {6}host: checkpoint\/restore: CRIU 3\.\d+(\.\d+)? \(\/usr\/sbin\/criu\): criu check: /m,
      );
      const dir = tempDir();
      const out1 = new Fifo(dir, 'out1');
      const pid = runDetached(b, out1);
      await counting('before', b, 5);
      const images = path.join(dir, 'images');
      ok(['checkpoint', '--image-path', images, b.id]);
      // No --leave-running: CRIU killed the tree once the images were written; skiff says stopped.
      assert.equal(stateOf(b.id).status, 'stopped');
      assert.equal(pidAlive(pid), false);
      const atCheckpoint = count(b);
      const printed = out1.lines().map(Number);
      assert.equal(printed.at(-1), atCheckpoint, 'the last line printed is the last count written');
      assert.ok(fs.existsSync(path.join(images, 'descriptors.json')));
      assert.ok(
        fs.readdirSync(images).some((f) => f.startsWith('pages-')),
        'CRIU wrote the memory pages',
      );
      ok(['delete', b.id]);

      const id2 = `${b.id}-r`;
      const out2 = new Fifo(dir, 'out2');
      b.config.linux.cgroupsPath = `${b.config.linux.cgroupsPath}-r`;
      b.write();
      const rpid = restoreDetached(b, id2, images, out2);
      await counting('after restore', b, atCheckpoint + 3);
      // It went on from the checkpoint: the first number it printed follows the last one before.
      const after = out2.lines().map(Number);
      assert.equal(after[0], atCheckpoint + 1, `the restored counter printed ${after.slice(0, 3).join(',')} first`);
      const st = stateOf(id2);
      assert.equal(st.status, 'running');
      assert.equal(st.pid, rpid);
      assert.ok(ok(['list', '-q']).split('\n').includes(id2));
      // Its cgroup is the new container's, with the config's limits.
      const cg = b.config.linux.cgroupsPath;
      assert.equal(cgRead('', cg, 'pids.max'), '40');
      assert.equal(cgRead('', cg, 'memory.max'), String(64 * 1024 * 1024));
      assert.ok(cgRead('', cg, 'cgroup.procs').split('\n').map(Number).includes(rpid));
      assert.match(ok(['exec', id2, '/bin/cat', '/out/count']).trim(), /^\d+$/);
      assert.match(ok(['ps', id2]), /sleep/);
      ok(['kill', id2, 'KILL']);
      await waitFor('the restored init to die', () => !pidAlive(rpid), 30_000);
      ok(['delete', id2]);
      assert.deepEqual(assertGone({ ...b, id: id2 }, rpid), []);
      out1.close();
      out2.close();
    });

    test('--leave-running: the container goes on, and its images restore as a second container with its bind mount from another source', async () => {
      const b = counterBundle();
      const dir = tempDir();
      const out1 = new Fifo(dir, 'out1');
      const pid = runDetached(b, out1);
      await counting('before', b, 3);
      const images = path.join(dir, 'images');
      ok(['checkpoint', '--leave-running', '--image-path', images, b.id]);
      assert.equal(stateOf(b.id).status, 'running');
      assert.ok(pidAlive(pid));
      const c1 = count(b);
      await counting('the original after its checkpoint', b, c1 + 2);

      // The same images, restored beside it: /out is bound from another directory (the restore's
      // external mount map takes the new config's source).
      const b2 = counterBundle((c) => {
        c.linux.cgroupsPath = `${b.config.linux.cgroupsPath}-copy`;
      });
      const out2 = new Fifo(dir, 'out2');
      const id2 = `${b.id}-copy`;
      const rpid = restoreDetached(b2, id2, images, out2);
      await counting('the copy', b2, c1 + 2);
      assert.ok(count(b2) >= c1, `the copy started from the checkpoint's count ${c1} (at ${count(b2)})`);
      assert.notEqual(rpid, pid);
      assert.ok(pidAlive(pid), 'the original still runs');
      ok(['delete', '--force', b.id]);
      ok(['delete', '--force', id2]);
      out1.close();
      out2.close();
    });

    test('pre-dump, then a dump on top of it (--parent-path), restores', async () => {
      const b = counterBundle();
      const dir = tempDir();
      const out = new Fifo(dir, 'out');
      runDetached(b, out);
      await counting('before', b, 3);
      ok(['checkpoint', '--pre-dump', '--image-path', path.join(dir, 'pre'), b.id]);
      assert.equal(stateOf(b.id).status, 'running');
      ok(['checkpoint', '--parent-path', '../pre', '--image-path', path.join(dir, 'final'), b.id]);
      assert.equal(stateOf(b.id).status, 'stopped');
      assert.equal(fs.readlinkSync(path.join(dir, 'final', 'parent')), '../pre');
      const c = count(b);
      ok(['delete', b.id]);
      const out2 = new Fifo(dir, 'out2');
      restoreDetached(b, b.id, path.join(dir, 'final'), out2);
      await counting('after restore', b, c + 2);
      ok(['delete', '--force', b.id]);
      out.close();
      out2.close();
    });

    test('a terminal: the restored pty master goes to the new console socket, and the output goes on there', async () => {
      const b = counterBundle((c) => {
        c.process.terminal = true;
        c.process.args = ['/bin/sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /out/count; echo tick $i; sleep 0.1; done'];
      });
      const dir = tempDir();
      const receive = (name: string): { sock: string; out: string; child: ChildProcess } => {
        const sock = path.join(dir, `${name}.sock`);
        const out = path.join(dir, name);
        const child = spawn('python3', [path.join(ROOT, 'test/helpers/console-receiver.py'), sock, out], { stdio: 'ignore' });
        return { sock, out, child };
      };
      const r1 = receive('tty1');
      await waitFor('console receiver', () => fs.existsSync(`${r1.out}.ready`));
      ok(['run', '-d', '--console-socket', r1.sock, '-b', b.dir, b.id]);
      await counting('before', b, 3);
      const images = path.join(dir, 'images');
      ok(['checkpoint', '--image-path', images, b.id]);
      const c = count(b);
      ok(['delete', b.id]);
      const r2 = receive('tty2');
      await waitFor('console receiver', () => fs.existsSync(`${r2.out}.ready`));
      ok(['restore', '-d', '--console-socket', r2.sock, '--image-path', images, '-b', b.dir, b.id]);
      await waitFor(
        'ticks on the new terminal',
        () => /tick \d+/.test(fs.existsSync(`${r2.out}.data`) ? fs.readFileSync(`${r2.out}.data`, 'utf8') : ''),
        60_000,
      );
      const ticks = [...fs.readFileSync(`${r2.out}.data`, 'utf8').matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
      assert.ok(ticks[0]! > c, `the restored terminal shows the count going on (${ticks[0]} after ${c})`);
      ok(['delete', '--force', b.id]);
      r1.child.kill();
      r2.child.kill();
    });

    test('an established TCP connection: refused without --tcp-established, carried over with it', async () => {
      const b = makeBundle((c) => {
        // A server and a client in the container's own network namespace, connected over lo.
        // The server's stdin never ends, or busybox nc would close the connection.
        c.process.args = [
          '/bin/sh',
          '-c',
          '(sleep 100000 | nc -l -p 5000 > /out/recv) & sleep 1; i=0; while :; do i=$((i+1)); echo $i > /out/count; echo ping $i; sleep 0.1; done | nc 127.0.0.1 5000',
        ];
      });
      const dir = tempDir();
      const out = new Fifo(dir, 'out');
      runDetached(b, out);
      const recv = () => (fs.existsSync(path.join(b.out, 'recv')) ? fs.readFileSync(path.join(b.out, 'recv'), 'utf8') : '');
      await waitFor('pings over the connection', () => /ping 3/.test(recv()), 60_000);
      const images = path.join(dir, 'images');
      const refused = skiff(['checkpoint', '--image-path', images, b.id], { timeout: 120_000 });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr.trim(), /^checkpoint .*: CRIU 3\.\d+(\.\d+)? failed: .*tcp.*\(log: .*dump\.log\)$/i);
      assert.equal(refused.stderr.trim().split('\n').length, 1, 'one line');
      assert.equal(stateOf(b.id).status, 'running', 'a failed checkpoint leaves the container running');
      ok(['checkpoint', '--tcp-established', '--image-path', images, b.id]);
      const pings = recv().split('\n').filter(Boolean).length;
      ok(['delete', b.id]);
      const out2 = new Fifo(dir, 'out2');
      restoreDetached(b, b.id, images, out2, ['--tcp-established']);
      await waitFor('pings after restore', () => recv().split('\n').filter(Boolean).length > pings + 3, 60_000);
      const lines = recv().split('\n').filter(Boolean);
      assert.deepEqual(
        lines.map((l) => Number(l.split(' ')[1])),
        lines.map((_, i) => i + 1),
        'one connection, no ping lost or repeated',
      );
      ok(['delete', '--force', b.id]);
      out.close();
      out2.close();
    });

    test(
      'podman container checkpoint / restore, and checkpoint --export / restore --import, with skiff as the runtime',
      { skip: !fs.existsSync('/usr/bin/podman') && 'podman is not installed (test/vm/criu.test.ts installs it on the host)' },
      async () => {
        const dir = tempDir('skiff-vm-pm-');
        const pm = new Podman(dir, `${CGROUP_PREFIX}-pm`);
        const podman = (args: string[]) => {
          const r = pm.podman(args, { timeout: 180_000 });
          assert.equal(r.code, 0, `podman ${args.join(' ')}: ${r.stderr}`);
          return r.stdout.trim();
        };
        try {
          podman(['load', '--quiet', '--input', buildBusyboxImage(path.join(dir, 'image')).tarball]);
          const counter = 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done';
          podman([
            'run',
            '-d',
            '--name',
            'ck',
            '--network',
            'none',
            '--cgroup-parent',
            `${CGROUP_PREFIX}-pm`,
            IMAGE_REF,
            'sh',
            '-c',
            counter,
          ]);
          const logged = () => podman(['logs', 'ck']).split('\n').filter(Boolean).map(Number);
          await waitFor('podman logs', () => logged().length > 3, 60_000);
          podman(['container', 'checkpoint', 'ck']);
          assert.equal(podman(['inspect', '--format', '{{.State.Status}}', 'ck']), 'exited');
          const at = logged().at(-1)!;
          podman(['container', 'restore', 'ck']);
          assert.equal(podman(['inspect', '--format', '{{.State.Status}}', 'ck']), 'running');
          await waitFor('the restored counter in podman logs', () => logged().length > at + 3, 60_000);
          const lines = logged();
          assert.deepEqual(
            lines.slice(0, at + 3),
            Array.from({ length: at + 3 }, (_, i) => i + 1),
            "the count goes on from the checkpoint, through conmon's new pipes",
          );
          const id = podman(['inspect', '--format', '{{.Id}}', 'ck']);
          assert.equal(stateOf(id, '/run/skiff').status, 'running');

          // Migration: the checkpoint exported, the container removed, and imported again.
          const archive = path.join(dir, 'ck.tar.gz');
          podman(['container', 'checkpoint', '--export', archive, 'ck']);
          const before = logged().at(-1)!;
          podman(['rm', 'ck']);
          podman(['container', 'restore', '--import', archive]);
          await waitFor('the imported counter', () => (logged().at(-1) ?? 0) > before + 3, 60_000);
          podman(['rm', '--force', '--time', '0', 'ck']);
        } finally {
          pm.cleanup();
        }
      },
    );

    test('lazy migration: checkpoint --lazy-pages serves the pages, restore --lazy-pages takes them through criu lazy-pages', async () => {
      const b = counterBundle();
      const dir = tempDir();
      const out = new Fifo(dir, 'out');
      runDetached(b, out);
      await counting('before', b, 3);
      const images = path.join(dir, 'images');
      // fd 3 of the checkpoint is the status fd: CRIU writes to it when its page server listens.
      const ck = spawn(
        SKIFF,
        [
          '--root',
          STATE_ROOT,
          'checkpoint',
          '--lazy-pages',
          '--page-server',
          '127.0.0.1:27277',
          '--status-fd',
          '3',
          '--image-path',
          images,
          b.id,
        ],
        { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
      );
      let ckErr = '';
      ck.stderr!.on('data', (d) => (ckErr += d));
      const ckDone = new Promise<number>((r) => ck.on('exit', (code) => r(code ?? -1)));
      await new Promise<void>((resolve, reject) => {
        (ck.stdio[3] as NodeJS.ReadableStream).once('data', () => resolve());
        void ckDone.then((code) =>
          reject(new Error(`checkpoint --lazy-pages exited (${code}) before its page server was ready: ${ckErr}`)),
        );
      });
      const c = count(b);
      const lazy = spawn(
        '/usr/sbin/criu',
        ['lazy-pages', '--page-server', '--address', '127.0.0.1', '--port', '27277', '-D', images, '-o', 'lazy-pages.log'],
        {
          stdio: 'ignore',
        },
      );
      try {
        await waitFor('the lazy-pages socket', () => fs.existsSync(path.join(images, 'lazy-pages.socket')), 30_000);
        // The source stays (frozen) until its pages are gone: the restore is a second container.
        const b2 = counterBundle((cfg) => {
          cfg.linux.cgroupsPath = `${b.config.linux.cgroupsPath}-lazy`;
        });
        const out2 = new Fifo(dir, 'out2');
        const id2 = `${b.id}-lazy`;
        restoreDetached(b2, id2, images, out2, ['--lazy-pages']);
        await counting('after the lazy restore', b2, c + 3);
        assert.equal(await ckDone, 0, `checkpoint --lazy-pages: ${ckErr}`);
        assert.equal(stateOf(b.id).status, 'stopped', 'the source is gone once its pages are served');
        ok(['delete', b.id]);
        ok(['delete', '--force', id2]);
        out2.close();
      } finally {
        lazy.kill();
        ck.kill();
        out.close();
      }
    });

    test('restore in the foreground waits for the restored init, forwards a signal, deletes the container and exits with its status', async () => {
      // pid 1 of its namespace: only a signal it handles reaches it.
      const b = counterBundle((c) => {
        c.process.args = ['/bin/sh', '-c', `trap 'exit 7' TERM; ${COUNTER}`];
      });
      const dir = tempDir();
      const out = new Fifo(dir, 'out');
      runDetached(b, out);
      await counting('before', b, 3);
      const images = path.join(dir, 'images');
      ok(['checkpoint', '--image-path', images, b.id]);
      ok(['delete', b.id]);
      const c = count(b);
      // stderr a file, as at the dump: CRIU reopens an outside file through the fd it inherits.
      const errFile = path.join(dir, 'fg.err');
      const errFd = fs.openSync(errFile, 'w+');
      const fg = spawn(SKIFF, ['--root', STATE_ROOT, 'restore', '--image-path', images, '-b', b.dir, b.id], {
        stdio: ['ignore', out.writer, errFd],
      });
      fs.closeSync(errFd);
      const err = (): string => fs.readFileSync(errFile, 'utf8');
      const exited = new Promise<number | null>((r) => fg.on('exit', (code) => r(code)));
      await Promise.race([
        counting('after the foreground restore', b, c + 3),
        exited.then((code) => {
          throw new Error(`restore exited (${code}) early: ${err()}`);
        }),
      ]);
      assert.equal(stateOf(b.id).status, 'running');
      fg.kill('SIGTERM'); // forwarded: the counter's trap exits 7
      assert.equal(await exited, 7, err());
      await waitFor('the container to be deleted', () => skiff(['state', b.id]).code !== 0, 30_000);
      out.close();
    });
  },
);
