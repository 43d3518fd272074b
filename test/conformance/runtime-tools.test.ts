// The opencontainers runtime-tools validation suite (commit 260e151, built by
// scripts/conformance/build-runtime-tools.sh) against build/skiff: every validation program, its
// TAP read by ./tap.ts, its result compared with runtime-tools-expectations.json. Any result not
// listed there — a new failure, a listed failure that passes now, a missing plan, an exit status —
// fails the program's test.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ROOT, SKIFF, cgroupDirs, mountsMentioning, rmCgroupTree, run } from '../helpers/skiff';
import { compare, expectationTable, parseTap, type Expectation } from './tap';

const SUITE = path.join(ROOT, 'build/runtime-tools');
const EXPECTATIONS: Record<string, Expectation> = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'test/conformance/runtime-tools-expectations.json'), 'utf8'),
);
delete (EXPECTATIONS as Record<string, unknown>)._;

const programs = fs.existsSync(path.join(SUITE, 'validation'))
  ? fs
      .readdirSync(path.join(SUITE, 'validation'))
      .filter((d) => fs.existsSync(path.join(SUITE, 'validation', d, `${d}.t`)))
      .sort()
  : [];

// Each program runs in a cgroup of this suite's own on every hierarchy: the programs' relative
// cgroupsPath ("testdir/cgrouptest/container") lands below the runtime's own cgroup, which must
// not be the machine's. The absolute one (/cgrouptest) is the suite's, created and removed by skiff.
const CGROUP = `/skiff-runtime-tools-${process.pid}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-runtime-tools-'));
// The programs unpack their bundles under $TMPDIR; user-namespace cases need it traversable.
const tmp = path.join(work, 'tmp');
const stateRoot = path.join(work, 'state');
const wrapper = path.join(work, 'skiff-runtime');

function ownCgroups(): string[] {
  return cgroupDirs(CGROUP);
}

function skiffAt(args: string[]) {
  return run(SKIFF, ['--root', stateRoot, ...args]);
}

/** What a program left (its own containers are deleted first: several programs do not delete). */
function cleanUp(): string[] {
  const left: string[] = [];
  const list = skiffAt(['list', '-q']);
  for (const id of list.stdout.split('\n').filter(Boolean)) {
    const d = skiffAt(['delete', '--force', id]);
    if (d.code !== 0) left.push(`delete --force ${id}: ${d.stderr.trim()}`);
  }
  for (const m of mountsMentioning(tmp)) left.push(`mount ${m.split(' ')[4]}`);
  for (const dir of ownCgroups()) {
    if (!fs.existsSync(dir)) continue;
    const procs = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim();
    if (procs) left.push(`processes ${procs.replace(/\n/g, ' ')} in ${dir}`);
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) left.push(`cgroup ${path.join(dir, e.name)}`);
  }
  for (const dir of cgroupDirs('/cgrouptest')) if (fs.existsSync(dir)) left.push(`cgroup ${dir}`);
  return left;
}

before(() => {
  fs.mkdirSync(tmp, { mode: 0o755 });
  fs.chmodSync(work, 0o755);
  fs.chmodSync(tmp, 0o755);
  fs.mkdirSync(stateRoot, { mode: 0o700 });
  // RUNTIME is looked up as one program name: the global flags go in a script.
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${SKIFF} --root ${stateRoot} "$@"\n`, { mode: 0o755 });
  for (const dir of ownCgroups()) {
    fs.mkdirSync(dir, { recursive: true });
    // A new cpuset cgroup starts with no cpus and no memory nodes: a task cannot join it so.
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      const parent = path.join(path.dirname(dir), f);
      if (fs.existsSync(parent)) fs.writeFileSync(path.join(dir, f), fs.readFileSync(parent, 'utf8').trim() || '\n');
    }
  }
});

after(() => {
  cleanUp();
  // One still busy stays: the leftover check of the last test reported it.
  for (const dir of ownCgroups()) rmCgroupTree(dir);
  fs.rmSync(work, { recursive: true, force: true });
});

describe('runtime-tools validation suite (260e151)', () => {
  test('the suite is built, and every program in it has an expectation or must pass', () => {
    assert.ok(
      programs.length >= 58,
      `${SUITE}: ${programs.length} validation programs (scripts/conformance/build-runtime-tools.sh builds them)`,
    );
    for (const name of Object.keys(EXPECTATIONS))
      assert.ok(programs.includes(name), `expectation for ${name}, which the suite does not have`);
  });

  test("the README's table is the expectations file's", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const table = expectationTable(programs, EXPECTATIONS);
    const m = /<!-- runtime-tools table -->\n([\s\S]*?)\n<!-- end runtime-tools table -->/.exec(readme);
    assert.ok(m, 'README.md has the runtime-tools table between its markers');
    assert.equal(m[1], table, `README.md's runtime-tools table differs; it should read:\n${table}`);
  });

  for (const name of programs) {
    test(name, () => {
      const procs = ownCgroups().map((d) => path.join(d, 'cgroup.procs'));
      // The shell joins the suite's cgroups, then becomes the program (a process this test started).
      const join = procs.map((f) => `echo $$ > '${f}'`).join(' && ');
      const r = run('/bin/sh', ['-c', `${join} && exec "$@"`, 'sh', `./validation/${name}/${name}.t`], {
        cwd: SUITE,
        env: { ...process.env, RUNTIME: wrapper, TMPDIR: tmp },
        timeout: 180_000,
      });
      const left = cleanUp();
      const problems = compare(parseTap(r.stdout), r.code, r.stderr, EXPECTATIONS[name] ?? {});
      assert.deepEqual(
        [...problems, ...left.map((l) => `left behind: ${l}`)],
        [],
        `${name}:\n--- TAP\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-2000)}`,
      );
    });
  }
});
