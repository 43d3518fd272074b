// linux.seccomp: blocked syscalls return the configured errno (or kill), allowed ones work, and
// the filter covers exec'd processes too.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { spawn } from 'node:child_process';

import { ROOT, assertGone, cleanupAll, makeBundle, skiff, waitFor, waitProbe } from '../helpers/skiff';

/** The bundle directory a config belongs to (its /out bind mount's parent). */
function b0dir(c: any): string {
  return path.dirname(c.mounts.find((m: any) => m.destination === '/out').source);
}

after(() => cleanupAll());

const podmanProfile = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/podman-seccomp.json'), 'utf8'));

function runSh(script: string, seccomp: object, edit?: (c: any) => void): { code: number; out: string; stderr: string; b: any } {
  const b = makeBundle((c) => {
    c.process.args = ['/bin/sh', '-c', `{ ${script}; } > /out/out.txt 2>&1`];
    c.root.readonly = false;
    // Writes go to a tmpfs of the container's own, not into the shared rootfs.
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' });
    c.linux.seccomp = seccomp;
    edit?.(c);
  });
  const r = skiff(['run', '-b', b.dir, b.id]);
  const file = path.join(b.out, 'out.txt');
  return { code: r.code, out: fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '', stderr: r.stderr, b };
}

describe('seccomp', () => {
  test('SCMP_ACT_ERRNO with errnoRet; other syscalls still work; unknown names ignored', () => {
    const r = runSh('mkdir /tmp/blocked; echo "mkdir=$?"; echo ok > /tmp/file && cat /tmp/file; grep "^Seccomp:" /proc/self/status', {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['no_such_syscall_anywhere'], action: 'SCMP_ACT_ERRNO' },
      ],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.out, /Permission denied/);
    assert.match(r.out, /mkdir=1/);
    assert.match(r.out, /^ok$/m);
    assert.match(r.out, /Seccomp:\s+2/);
  });

  test('argument comparisons: personality allowed for one value only', () => {
    // busybox linux32/linux64 → personality(2); PER_LINUX32 (8) allowed, PER_LINUX (0) denied with EPERM.
    const r = runSh('grep "^Seccomp:" /proc/self/status; uname -m; linux32 uname -m; echo "l32=$?"; linux64 uname -m; echo "l64=$?"', {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] }],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.out, /l32=0/);
    assert.match(r.out, /l64=1/);
  });

  test('SCMP_ACT_KILL_PROCESS kills with SIGSYS', () => {
    const b = makeBundle((c) => {
      c.process.args = ['/bin/sh', '-c', 'uname -a'];
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['uname'], action: 'SCMP_ACT_KILL_PROCESS' }] };
    });
    const r = skiff(['run', '-b', b.dir, b.id]);
    assert.equal(r.code, 128 + 31, r.stderr);
    assert.deepEqual(assertGone(b), []);
  });

  test("podman's default profile: default ERRNO(ENOSYS), the allowed set works", () => {
    const r = runSh('echo hi; ls / >/dev/null && echo ls-ok; grep "^Seccomp:" /proc/self/status', podmanProfile);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.out, /^hi$/m);
    assert.match(r.out, /ls-ok/);
    assert.match(r.out, /Seccomp:\s+2/);
  });

  test('without noNewPrivileges the filter is still loaded; exec gets it too', async () => {
    const b = makeBundle((c) => {
      c.process.noNewPrivileges = false;
      c.process.args = ['/bin/probe', '--out', '/out/probe.json', '--sleep', 'inf'];
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
      };
    });
    assert.equal(skiff(['run', '-d', '-b', b.dir, b.id]).code, 0);
    await waitProbe(b);
    assert.equal(b.probe().seccomp, 2);
    assert.equal(b.probe().no_new_privs, 0);
    const e = skiff(['exec', b.id, 'sh', '-c', 'mkdir /tmp/nope 2>/dev/null; echo $?; grep "^Seccomp:" /proc/self/status']);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /^1$/m);
    assert.match(e.stdout, /Seccomp:\s+2/);
    assert.equal(skiff(['delete', '--force', b.id]).code, 0);
  });

  test('SCMP_ACT_NOTIFY: the agent at listenerPath gets the fd and the state, and answers for the kernel', async () => {
    const b = makeBundle((c) => {
      c.root.readonly = false;
      c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' });
      c.process.args = [
        '/bin/sh',
        '-c',
        'mkdir /tmp/by-agent; echo "rc=$?" > /out/out.txt; test -d /tmp/by-agent && echo exists >> /out/out.txt || echo absent >> /out/out.txt',
      ];
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: path.join(b0dir(c), 'agent.sock'),
        listenerMetadata: 'skiff-test-metadata',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
      };
    });
    const out = path.join(b.dir, 'agent');
    const agent = spawn('python3', [path.join(ROOT, 'test/helpers/seccomp-agent.py'), b.config.linux.seccomp.listenerPath, out], {
      stdio: 'ignore',
    });
    const done = new Promise<void>((r) => agent.on('exit', () => r()));
    await waitFor('agent', () => fs.existsSync(out + '.ready'));
    const r = skiff(['run', '-b', b.dir, b.id]);
    assert.equal(r.code, 0, r.stderr);
    // The agent answered "success" without running mkdir: rc=0, and no directory.
    assert.equal(fs.readFileSync(path.join(b.out, 'out.txt'), 'utf8'), 'rc=0\nabsent\n');
    const st = JSON.parse(fs.readFileSync(out + '.state', 'utf8'));
    assert.deepEqual(st.fds, ['seccompFd']);
    assert.equal(st.metadata, 'skiff-test-metadata');
    assert.equal(st.state.id, b.id);
    assert.ok(st.pid > 0);
    assert.ok(Number(fs.readFileSync(out + '.count', 'utf8').split(' ')[0]) >= 1);
    await done;
    assert.deepEqual(assertGone(b), []);
  });

  test('SCMP_ACT_NOTIFY without an agent listening fails create cleanly', () => {
    const b = makeBundle((c) => {
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: '/run/skiff-no-agent.sock',
        syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
      };
    });
    const r = skiff(['create', '-b', b.dir, b.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /seccomp agent at \/run\/skiff-no-agent.sock: .*no such file or directory/);
    assert.deepEqual(assertGone(b), []);
    const b2 = makeBundle((c) => {
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
    });
    const r2 = skiff(['create', '-b', b2.dir, b2.id]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /listenerPath: is required/);
  });
});
