// checkpoint and restore on this machine: its kernel (6.18) is newer than Debian's CRIU 3.17 knows
// (`criu check`: "vdso: Unexpected rt vDSO area bounds"), so what is tested here is what a caller
// sees when CRIU cannot do it: exit 1 and one line naming CRIU and what it reported, the container
// untouched, and nothing left behind. The working checkpoints run in the VM (test/vm/criu.test.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { cgroupDirs, cleanupAll, makeBundle, pidAlive, skiff, stateOf, tempDir, waitFor } from '../helpers/skiff';

after(() => cleanupAll());

const criuCheck = spawnSync('criu', ['check'], { encoding: 'utf8' });
const criuInstalled = !criuCheck.error;
const criuWorksHere = criuCheck.status === 0;

/** One line, as a caller reads it (the log format's "error" line). */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line of error, got:\n${stderr}`);
  return lines[0]!;
}

describe(
  'checkpoint and restore where CRIU cannot work',
  { skip: !criuInstalled && 'criu is not installed (scripts/setup.sh installs it)' },
  () => {
    test(
      'checkpoint fails with CRIU and its reason in one line; the container runs on',
      { skip: criuWorksHere && 'CRIU works on this kernel: the VM suite covers it' },
      async () => {
        const b = makeBundle((c) => {
          c.process.args = ['/bin/sleep', '1000'];
        });
        assert.equal(skiff(['run', '-d', '-b', b.dir, b.id]).code, 0);
        const pid = stateOf(b.id).pid;
        const images = path.join(tempDir(), 'images');
        const r = skiff(['checkpoint', '--image-path', images, b.id]);
        assert.equal(r.code, 1);
        // What `criu check` itself says is what the error carries.
        const reason = /Error \([^)]*\): (.*)/.exec(criuCheck.stdout + criuCheck.stderr)?.[1]?.trim();
        const line = oneLine(r.stderr);
        assert.match(line, /checkpoint .*: CRIU 3\.\d+(\.\d+)? failed: .+ \(log: .*dump\.log\)/);
        if (reason) assert.ok(line.includes(reason), `"${line}" carries criu check's "${reason}"`);
        assert.equal(stateOf(b.id).status, 'running');
        assert.ok(pidAlive(pid));
        assert.equal(skiff(['delete', '--force', b.id]).code, 0);
      },
    );

    test('restore of images that are not there: one line, no state, no cgroup, no rootfs bind left', () => {
      const b = makeBundle();
      const images = path.join(tempDir(), 'none');
      fs.mkdirSync(images);
      const r = skiff(['restore', '-d', '--image-path', images, '-b', b.dir, b.id]);
      assert.equal(r.code, 1);
      assert.match(oneLine(r.stderr), /--image-path .*descriptors\.json: no such file or directory \(not a checkpoint of skiff or runc\)/);
      assert.notEqual(skiff(['state', b.id]).code, 0);
      assert.deepEqual(
        cgroupDirs(b.config.linux.cgroupsPath).filter((d) => fs.existsSync(d)),
        [],
      );
    });

    test(
      'restore where CRIU fails: nothing left, and the rootfs it was bound over untouched',
      { skip: criuWorksHere && 'CRIU works on this kernel' },
      async () => {
        // Images of a real dump cannot be made here; an empty image set reaches CRIU and fails there.
        const b = makeBundle();
        const images = path.join(tempDir(), 'images');
        fs.mkdirSync(images);
        fs.writeFileSync(path.join(images, 'descriptors.json'), JSON.stringify(['/dev/null', '/dev/null', '/dev/null']));
        const before = fs.readdirSync(b.config.root.path).sort();
        const r = skiff(['restore', '-d', '--image-path', images, '-b', b.dir, b.id]);
        assert.equal(r.code, 1);
        assert.match(oneLine(r.stderr), /restore .*: CRIU 3\.\d+(\.\d+)? failed: .+ \(log: .*restore\.log\)/);
        assert.notEqual(skiff(['state', b.id]).code, 0);
        await waitFor('the cgroups to go', () => cgroupDirs(b.config.linux.cgroupsPath).every((d) => !fs.existsSync(d)));
        assert.deepEqual(fs.readdirSync(b.config.root.path).sort(), before);
        assert.ok(!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes('criu-root'), 'the rootfs bind for CRIU is gone');
      },
    );

    test('what is refused before CRIU runs: a created container, an unknown --manage-cgroups-mode, --no-pivot, a missing --criu', () => {
      const b = makeBundle((c) => {
        c.process.args = ['/bin/sleep', '1000'];
      });
      assert.equal(skiff(['create', '-b', b.dir, b.id]).code, 0);
      const created = skiff(['checkpoint', b.id]);
      assert.equal(created.code, 1);
      assert.match(
        oneLine(created.stderr),
        /cannot checkpoint container ".*": it is created \(only a running or paused container can be\)/,
      );
      const mode = skiff(['checkpoint', '--manage-cgroups-mode', 'lots', b.id]);
      assert.equal(mode.code, 1);
      assert.match(mode.stderr, /lots.*(ignore|soft)/);
      const noPivot = skiff(['restore', '--no-pivot', '-b', b.dir, 'x']);
      assert.match(oneLine(noPivot.stderr), /--no-pivot: not supported by restore/);
      assert.equal(skiff(['start', b.id]).code, 0);
      const missing = skiff(['--criu', '/nonexistent/criu', 'checkpoint', b.id]);
      assert.equal(missing.code, 1);
      assert.match(oneLine(missing.stderr), /CRIU not found: --criu \/nonexistent\/criu is not an executable file/);
      assert.equal(stateOf(b.id).status, 'running');
      assert.equal(skiff(['delete', '--force', b.id]).code, 0);
    });

    test('check --checkpoint names CRIU and what its own `criu check` says', () => {
      const b = makeBundle();
      const r = skiff(['check', '--checkpoint', '-b', b.dir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const line = r.stdout.split('\n').find((l) => l.includes('checkpoint/restore'));
      if (criuWorksHere) assert.match(line ?? '', /^ok {6}host: checkpoint\/restore: CRIU 3\.\d+/);
      else {
        assert.match(
          line ?? '',
          /^warning host: checkpoint\/restore: CRIU 3\.\d+(\.\d+)? \(\/usr\/sbin\/criu\) does not work here: criu check: .+ \(checkpoint and restore will fail\)$/,
        );
        const reason = /Error \([^)]*\): (.*)/.exec(criuCheck.stdout + criuCheck.stderr)?.[1]?.trim();
        if (reason) assert.ok(line!.includes(reason));
      }
      assert.ok(!skiff(['check', '-b', b.dir]).stdout.includes('checkpoint/restore'), 'only with --checkpoint');
    });

    test('`checkpoint --help` and `restore --help` exit 0 (podman and CRI-O read that as supported)', () => {
      for (const cmd of ['checkpoint', 'restore']) {
        const r = skiff([cmd, '--help']);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /--image-path/);
      }
    });
  },
);
