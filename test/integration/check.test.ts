// `skiff check` (a bundle's verdict without running it) and validation errors at create time,
// driven through bin/skiff.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { ROOTFS, assertGone, cleanupAll, makeBundle, skiff, tempDir, type Bundle, type Result } from '../helpers/skiff';

after(() => cleanupAll());

interface Finding {
  path: string;
  verdict: 'ok' | 'warning' | 'error';
  message: string;
}

function check(dir: string, ...extra: string[]): Result {
  return skiff(['check', '--bundle', dir, ...extra]);
}

function checkJson(dir: string): { code: number; report: { bundle: string; ok: boolean; findings: Finding[] } } {
  const r = check(dir, '--format', 'json');
  assert.equal(r.stderr, '');
  return { code: r.code, report: JSON.parse(r.stdout) };
}

/** The "error ..." lines of the text output. */
function errorLines(r: Result): string[] {
  return r.stdout.split('\n').filter((l) => l.startsWith('error '));
}

function noStack(r: Result): void {
  assert.doesNotMatch(r.stdout + r.stderr, /^\s+at .*\(.*:\d+:\d+\)$/m, 'no stack trace');
}

/** The three mistakes of the issue: a memory limit as a string, a relative cwd, an unknown namespace type. */
function threeMistakes(): Bundle {
  return makeBundle((c) => {
    c.linux.resources = { memory: { limit: '1G' } };
    c.process.cwd = 'work';
    c.linux.namespaces.push({ type: 'bogus' });
  });
}
// In document order (makeBundle's config lists linux.namespaces before linux.resources).
const THREE_PATHS = ['/process/cwd', '/linux/namespaces/6/type', '/linux/resources/memory/limit'];

describe('skiff check', () => {
  test('a good bundle would run: exit 0, findings for the rootfs, the executable and the host', () => {
    const b = makeBundle();
    const r = check(b.dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[lines.length - 1]!, new RegExp(`^bundle ${b.dir}: would run( \\(\\d+ warnings?\\))?$`));
    assert.deepEqual(errorLines(r), []);
    assert.match(r.stdout, /^ok +\/process\/args\/0: "\/bin\/probe" is \/bin\/probe, an executable file$/m);
    assert.match(r.stdout, /^ok +\/root\/path: /m);
    assert.match(r.stdout, /^ok +host: cgroup v[12] /m);

    const j = checkJson(b.dir);
    assert.equal(j.code, 0);
    assert.equal(j.report.ok, true);
    assert.equal(j.report.bundle, b.dir);
    for (const f of j.report.findings) {
      assert.ok(['ok', 'warning', 'error'].includes(f.verdict));
      assert.ok(f.path === '' || f.path === 'host' || f.path.startsWith('/'), f.path);
    }
  });

  test('what check says would run, create runs', () => {
    const b = makeBundle((c) => (c.linux.resources = { pids: { limit: 64 }, memory: { limit: 256 * 1024 * 1024 } }));
    const r = check(b.dir);
    assert.equal(r.code, 0, r.stdout);
    const c = skiff(['create', '--bundle', b.dir, b.id]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(skiff(['delete', '--force', b.id]).code, 0);
    assert.deepEqual(assertGone(b), []);
  });

  test('a bare command name is searched in PATH inside the rootfs', () => {
    const b = makeBundle((c) => (c.process.args = ['sh', '-c', 'true']));
    const r = check(b.dir);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^ok +\/process\/args\/0: "sh" found at \/\S+\/sh/m);
  });

  test('three mistakes: three error lines, each naming its JSON path; the same in JSON; exit 1', () => {
    const b = threeMistakes();
    const r = check(b.dir);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr, '');
    const errors = errorLines(r);
    assert.equal(errors.length, 3, r.stdout);
    for (const [i, p] of THREE_PATHS.entries()) assert.ok(errors[i]!.startsWith(`error   ${p}: `), errors[i]);
    assert.match(errors[2]!, /must be an integer \(got "1G"\)/);
    assert.match(r.stdout, new RegExp(`^bundle ${b.dir}: would not run \\(3 errors\\)$`, 'm'));

    const j = checkJson(b.dir);
    assert.equal(j.code, 1);
    assert.equal(j.report.ok, false);
    assert.deepEqual(
      j.report.findings.filter((f) => f.verdict === 'error').map((f) => f.path),
      THREE_PATHS,
    );
  });

  test('a missing executable: the finding names /process/args/0', () => {
    for (const arg of ['/bin/no-such-program', 'no-such-program']) {
      const b = makeBundle((c) => (c.process.args = [arg]));
      const r = check(b.dir);
      assert.equal(r.code, 1, r.stdout);
      const errors = errorLines(r);
      assert.equal(errors.length, 1, r.stdout);
      assert.match(errors[0]!, new RegExp(`^error +/process/args/0: "${arg}" not found in the rootfs`));
      if (!arg.startsWith('/')) assert.match(errors[0]!, /\(PATH=\/usr\/local\/sbin:/);
    }
  });

  test('a file that is not executable, and a directory, are errors', () => {
    for (const [arg, why] of [
      ['/etc/passwd', /not executable by uid 0 \(mode 0\d{3}\)/],
      ['/bin', /is a directory/],
    ] as const) {
      const b = makeBundle((c) => (c.process.args = [arg]));
      const r = check(b.dir);
      assert.equal(r.code, 1, r.stdout);
      assert.match(errorLines(r).join('\n'), why);
    }
  });

  test('symlinks resolve inside the rootfs, never out of it', () => {
    // A tiny rootfs whose bin/sh points at /bin/busybox, which exists on the host but not in it.
    const dir = tempDir('skiff-rootfs-');
    const rootfs = path.join(dir, 'rootfs');
    fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
    fs.symlinkSync('/bin/busybox', path.join(rootfs, 'bin/sh'));
    fs.symlinkSync('../../../../../../bin/busybox', path.join(rootfs, 'bin/up'));
    const hostTarget = fs.existsSync('/bin/busybox');
    for (const arg of ['/bin/sh', 'sh', '/bin/up']) {
      const b = makeBundle((c) => {
        c.root.path = rootfs;
        c.process.args = [arg];
      });
      const r = check(b.dir);
      assert.equal(r.code, 1, r.stdout);
      const errors = errorLines(r);
      assert.equal(errors.length, 1, r.stdout);
      assert.match(errors[0]!, /^error +\/process\/args\/0: /);
      assert.match(errors[0]!, /\/bin\/busybox does not exist in the rootfs/);
      if (hostTarget) assert.doesNotMatch(r.stdout, /an executable file/, "the host's /bin/busybox must not count");
    }
    // The same link inside a rootfs that has the target: fine.
    fs.copyFileSync(path.join(ROOTFS, 'bin/busybox'), path.join(rootfs, 'bin/busybox'));
    fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
    const b = makeBundle((c) => {
      c.root.path = rootfs;
      c.process.args = ['/bin/sh'];
    });
    const r = check(b.dir);
    assert.match(r.stdout, /^ok +\/process\/args\/0: "\/bin\/sh" is \/bin\/sh \(resolves to \/bin\/busybox\)/m);
  });

  test('a missing cwd is a warning (it will be created); a missing rootfs is an error', () => {
    const b = makeBundle((c) => (c.process.cwd = '/no/such/dir'));
    const r = check(b.dir);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^warning \/process\/cwd: \/no\/such\/dir does not exist in the rootfs: it will be created$/m);

    const nr = makeBundle((c) => (c.root.path = 'no-rootfs'));
    const r2 = check(nr.dir);
    assert.equal(r2.code, 1);
    assert.match(r2.stdout, new RegExp(`^error +/root/path: ${nr.dir}/no-rootfs does not exist$`, 'm'));
  });

  test('a bind mount whose source does not exist is an error', () => {
    const b = makeBundle((c) => c.mounts.push({ destination: '/data', type: 'bind', source: 'no-such-dir', options: ['rbind'] }));
    const r = check(b.dir);
    assert.equal(r.code, 1, r.stdout);
    assert.deepEqual(errorLines(r), [
      `error   /mounts/${b.config.mounts.length - 1}/source: ${b.dir}/no-such-dir does not exist on the host: the bind mount would fail`,
    ]);
  });

  test('hooks: a missing createRuntime program is an error, a missing poststart one a warning; startContainer resolves in the rootfs', () => {
    const b = makeBundle((c) => {
      c.hooks = {
        createRuntime: [{ path: '/no/such/hook' }],
        poststart: [{ path: '/no/such/hook' }],
        startContainer: [{ path: '/bin/true' }, { path: '/usr/local/bin/no-such-hook' }],
      };
    });
    const r = check(b.dir);
    assert.equal(r.code, 1, r.stdout);
    const errors = errorLines(r);
    assert.equal(errors.length, 2, r.stdout);
    assert.match(
      r.stdout,
      /^error +\/hooks\/createRuntime\/0\/path: \/no\/such\/hook does not exist on the host: the createRuntime hook would fail/m,
    );
    assert.match(r.stdout, /^error +\/hooks\/startContainer\/1\/path: "\/usr\/local\/bin\/no-such-hook" \(resolved in the container\): /m);
    assert.match(r.stdout, /^warning \/hooks\/poststart\/0\/path: /m);
  });

  test('seccomp: a profile skiff supports would run; a flag it does not is an error', () => {
    const ok = makeBundle(
      (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }),
    );
    const r = check(ok.dir);
    assert.equal(r.code, 0, r.stdout);
    const bad = makeBundle((c) => {
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
        syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
      };
    });
    const rb = check(bad.dir);
    assert.equal(rb.code, 1, rb.stdout);
    assert.match(errorLines(rb).join('\n'), /^error +\/linux\/seccomp\/flags\/0: .*SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV/m);
  });

  test('config warnings are printed as warnings and do not fail the check', () => {
    const b = makeBundle((c) => c.mounts.push({ destination: 'tmp', type: 'tmpfs', source: 'tmpfs' }));
    const r = check(b.dir);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^warning \/mounts\/\d+\/destination: relative mount destinations are deprecated/m);
  });

  test('invalid JSON names the line and column', () => {
    const b = makeBundle();
    fs.writeFileSync(path.join(b.dir, 'config.json'), '{\n  "ociVersion": "1.3.0",\n  "process" {}\n}\n');
    const r = check(b.dir);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^error +config\.json: .*: invalid JSON at line 3, column 13: expected ":" after the property name/m);
    noStack(r);
  });

  test('an empty and a 17 MiB config.json: a clear error, quickly, exit 1, no stack trace', () => {
    const b = makeBundle();
    const file = path.join(b.dir, 'config.json');
    const cases: [string, () => void, RegExp][] = [
      ['empty', () => fs.writeFileSync(file, ''), /file is empty \(expected a JSON object\)/],
      [
        '17 MiB',
        () => {
          const big = Buffer.alloc(17 * 1024 * 1024, 0x20);
          big.write('{"ociVersion": "1.3.0", "annotations": {"x": "', 0);
          big.write('"}}', big.length - 3);
          fs.writeFileSync(file, big);
        },
        /is too large \(17\.0 MiB; the limit is 16\.0 MiB\)/,
      ],
    ];
    for (const [name, write, message] of cases) {
      write();
      const t0 = process.hrtime.bigint();
      const r = check(b.dir);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.equal(r.code, 1, name);
      assert.match(r.stdout, message, name);
      assert.match(r.stdout, /would not run \(1 error\)/);
      assert.ok(ms < 2000, `${name}: took ${ms.toFixed(0)} ms`);
      noStack(r);
    }
  });

  test('the trial create writes nothing: not to the rootfs, not to a bind source, no mount or process left', () => {
    const host = tempDir('skiff-check-src-');
    fs.writeFileSync(path.join(host, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    const mountsBefore = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').length;
    const b = makeBundle((c) => {
      c.process.cwd = '/no/such/dir';
      c.process.args = ['/data/tool'];
      c.mounts.push({ destination: '/trial-new/sub', type: 'tmpfs', source: 'tmpfs' });
      c.mounts.push({ destination: '/data', type: 'bind', source: host, options: ['rbind'] });
      c.linux.devices = [{ path: '/dev/trial-null', type: 'c', major: 1, minor: 3 }];
    });
    const r = check(b.dir);
    assert.equal(r.code, 0, r.stdout);
    // A bind mount is looked through: the executable is the host file, seen inside the container.
    assert.match(r.stdout, /^ok +\/process\/args\/0: "\/data\/tool" is \/data\/tool, an executable file$/m);
    assert.match(r.stdout, /^warning \/process\/cwd: \/no\/such\/dir does not exist in the rootfs: it will be created$/m);
    for (const p of ['no', 'trial-new', 'dev/trial-null']) assert.ok(!fs.existsSync(path.join(ROOTFS, p)), `${p} appeared in the rootfs`);
    assert.deepEqual(fs.readdirSync(host), ['tool']);
    assert.equal(fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').length, mountsBefore);
    assert.deepEqual(assertGone(b), []);

    // A mount inside a writable bind would make its mount point in the host directory: the trial
    // does not, and says it stopped there.
    const nested = makeBundle((c) => {
      c.mounts.push({ destination: '/data', type: 'bind', source: host, options: ['rbind'] });
      c.mounts.push({ destination: '/data/inner', type: 'tmpfs', source: 'tmpfs' });
    });
    const n = check(nested.dir);
    assert.equal(n.code, 0, n.stdout);
    assert.match(
      n.stdout,
      /^warning \/mounts: not checked further: mkdir \/data\/inner: EROFS .*inside a bind mount's host directory \(\/data\)/m,
    );
    assert.deepEqual(fs.readdirSync(host), ['tool']);
    assert.ok(skiff(['create', '--bundle', nested.dir, nested.id]).code === 0);
    assert.deepEqual(fs.readdirSync(host).sort(), ['inner', 'tool'], 'create does make it');
    assert.equal(skiff(['delete', '--force', nested.id]).code, 0);
  });

  test('joined namespaces are left alone: the trial sets its hostname in a uts namespace of its own', () => {
    const child = spawn('unshare', ['--uts', '--', 'sh', '-c', 'hostname before-check && exec sleep 30'], { stdio: 'ignore' });
    try {
      const ns = `/proc/${child.pid}/ns/uts`;
      for (
        let i = 0;
        i < 100 && spawnSync('nsenter', ['--uts=' + ns, 'hostname'], { encoding: 'utf8' }).stdout.trim() !== 'before-check';
        i++
      )
        spawnSync('sleep', ['0.02']);
      const b = makeBundle((c) => {
        c.hostname = 'from-the-trial';
        c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'uts' ? { type: 'uts', path: ns } : n));
      });
      const r = check(b.dir);
      assert.equal(r.code, 0, r.stdout);
      assert.equal(spawnSync('nsenter', ['--uts=' + ns, 'hostname'], { encoding: 'utf8' }).stdout.trim(), 'before-check');
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('check fails where create fails, with the message create gives', () => {
    const cases: [string, (c: any) => void, RegExp][] = [
      [
        'a tmpfs option the kernel refuses',
        (c) => c.mounts.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=lots'] }),
        /^error +\/mounts: create would fail: mount tmpfs on \S+\/mnt: EINVAL/m,
      ],
      [
        'proc on a symlink',
        (c) => c.mounts.push({ destination: '/bin/sh', type: 'proc', source: 'proc' }),
        /^error +\/mounts: create would fail: mount proc on \S+: the destination must be a directory, not a symlink/m,
      ],
      [
        'a cwd that is a file',
        (c) => (c.process.cwd = '/etc/passwd'),
        /^error +\/process\/cwd: create would fail: chdir to cwd \("\/etc\/passwd"\) set in config\.json: ENOTDIR/m,
      ],
      [
        'a device node over a directory',
        (c) => (c.linux.devices = [{ path: '/etc', type: 'c', major: 1, minor: 3 }]),
        /^error +\/linux\/devices: create would fail: /m,
      ],
    ];
    for (const [name, edit, message] of cases) {
      const b = makeBundle(edit);
      const r = check(b.dir);
      assert.equal(r.code, 1, `${name}: ${r.stdout}`);
      assert.match(r.stdout, message, name);
      const c = skiff(['create', '--bundle', b.dir, b.id]);
      assert.notEqual(c.code, 0, `${name}: create succeeded`);
      const said = /create would fail: (.*)$/m.exec(r.stdout)![1]!;
      assert.ok(c.stderr.includes(said), `${name}: check said "${said}", create said ${c.stderr}`);
      assert.deepEqual(assertGone(b), [], name);
    }
    // A hard rlimit above this process's own: create's verdict depends on CAP_SYS_RESOURCE, and
    // check's must be the same, with the failure at /process/rlimits.
    const hard = Number(/^Max open files\s+\S+\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))![1]) + 1;
    const rl = makeBundle((c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard }]));
    const rc = check(rl.dir);
    const cr = skiff(['create', '--bundle', rl.dir, rl.id]);
    if (cr.code === 0) {
      assert.equal(rc.code, 0, rc.stdout);
      assert.equal(skiff(['delete', '--force', rl.id]).code, 0);
    } else {
      assert.equal(rc.code, 1, rc.stdout);
      const said = /^error +\/process\/rlimits: create would fail: (.*)$/m.exec(rc.stdout)?.[1];
      assert.ok(said && cr.stderr.includes(said), `check: ${rc.stdout}\ncreate: ${cr.stderr}`);
    }
    assert.deepEqual(assertGone(rl), []);
  });

  test('symlinks out of the rootfs, absolute or relative, lead nowhere in the trial', () => {
    const dir = tempDir('skiff-rootfs-');
    const rootfs = path.join(dir, 'rootfs');
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
    fs.mkdirSync(outside);
    fs.copyFileSync(path.join(ROOTFS, 'bin/busybox'), path.join(outside, 'tool'));
    fs.chmodSync(path.join(outside, 'tool'), 0o755);
    fs.symlinkSync(outside, path.join(rootfs, 'abs-out'));
    fs.symlinkSync('../../../../../../..' + outside, path.join(rootfs, 'rel-out'));
    for (const arg of ['/abs-out/tool', '/rel-out/tool', '/../../../../' + outside + '/tool']) {
      const b = makeBundle((c) => {
        c.root.path = rootfs;
        c.process.args = [arg];
      });
      const r = check(b.dir);
      assert.equal(r.code, 1, `${arg}: ${r.stdout}`);
      assert.match(errorLines(r).join('\n'), /^error +\/process\/args\/0: .*does not exist in the rootfs/m, arg);
    }
  });

  test('a missing bundle directory is an error', () => {
    const r = check('/nonexistent-skiff-bundle');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^error +bundle \/nonexistent-skiff-bundle: no such file or directory$/m);
  });
});

describe('validation at create', () => {
  test('three mistakes: exit 1, three lines on stderr naming the JSON paths, nothing left behind', () => {
    const b = threeMistakes();
    const r = skiff(['create', '--bundle', b.dir, b.id]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 3, r.stderr);
    for (const [i, p] of THREE_PATHS.entries()) assert.ok(lines[i]!.startsWith(`config.json: ${p}: `), lines[i]);
    noStack(r);
    assert.deepEqual(assertGone(b), []);
  });

  test('with --log F --log-format json the same text is in F as JSON lines', () => {
    const b = threeMistakes();
    const logFile = path.join(b.dir, 'skiff.log');
    const r = skiff(['--log', logFile, '--log-format', 'json', 'create', '--bundle', b.dir, b.id]);
    assert.equal(r.code, 1);
    const stderrLines = r.stderr.trimEnd().split('\n');
    assert.equal(stderrLines.length, 3, r.stderr);
    const records = fs
      .readFileSync(logFile, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const errors = records.filter((x) => x.level === 'error');
    assert.ok(errors.length > 0);
    const logged = errors.flatMap((x) => String(x.msg).split('\n'));
    assert.deepEqual(logged, stderrLines);
    assert.deepEqual(assertGone(b), []);
  });

  test('config warnings are logged as warnings by create', () => {
    const b = makeBundle((c) => {
      c.process.args = ['/bin/true'];
      c.mounts.push({ destination: 'tmp', type: 'tmpfs', source: 'tmpfs' });
    });
    const logFile = path.join(b.dir, 'skiff.log');
    const r = skiff(['--log', logFile, '--log-format', 'json', 'create', '--bundle', b.dir, b.id]);
    const records = fs
      .readFileSync(logFile, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const warnings = records.filter((x) => x.level === 'warning').map((x) => x.msg);
    assert.ok(
      warnings.some((m) => /^config\.json: \/mounts\/\d+\/destination: relative mount destinations are deprecated/.test(m)),
      JSON.stringify(records),
    );
    if (r.code === 0) assert.equal(skiff(['delete', '--force', b.id]).code, 0);
    assert.deepEqual(assertGone(b), []);
  });
});
