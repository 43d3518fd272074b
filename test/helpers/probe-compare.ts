// The probe's reports under skiff and under runc, compared field by field (the differential
// tests: as root in differential.test.ts, rootless in rootless.test.ts).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';

function hostNs(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of fs.readdirSync('/proc/self/ns')) out[n] = fs.statSync(`/proc/self/ns/${n}`).ino;
  return out;
}

/** The probe reports of the same bundle under skiff (a) and runc (b) agree field by field. */
export function compare(a: any, b: any): void {
  for (const k of [
    'pid',
    'uid',
    'euid',
    'gid',
    'egid',
    'umask',
    'cwd',
    'hostname',
    'domainname',
    'no_new_privs',
    'seccomp',
    'oom_score_adj',
    'personality',
    'sigblk',
    'sigignore',
    'argv',
  ]) {
    assert.deepEqual(a[k], b[k], `${k}: skiff ${JSON.stringify(a[k])} vs runc ${JSON.stringify(b[k])}`);
  }
  assert.deepEqual([...a.groups].sort(), [...b.groups].sort(), 'groups');
  assert.deepEqual(a.caps, b.caps, 'capabilities');
  assert.deepEqual(a.rlimits, b.rlimits, 'rlimits');
  assert.deepEqual(a.env, b.env, 'env (runc adds HOME from /etc/passwd; so does skiff)');
  assert.deepEqual(
    a.fds.map((f: any) => f.fd),
    b.fds.map((f: any) => f.fd),
    'open fds',
  );
  assert.deepEqual(a.tty, b.tty, 'tty');
  const host = hostNs();
  for (const ns of ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts', 'time']) {
    assert.equal(a.namespaces[ns] === host[ns], b.namespaces[ns] === host[ns], `${ns} namespace shared with the host in one runtime only`);
  }
  // Mount points: the same set, except under /sys/fs/cgroup where runc mounts co-mounted v1
  // controllers once ("cpu,cpuacct" plus symlinks) and skiff binds each hierarchy the host has.
  const points = (p: any) =>
    p.mounts
      .map((m: any) => `${m.mountpoint} ${m.fstype}`)
      .filter((m: string) => !m.startsWith('/sys/fs/cgroup/'))
      .sort();
  assert.deepEqual(points(a), points(b), 'mount table');
  const opts = (p: any, mp: string) =>
    p.mounts
      .filter((m: any) => m.mountpoint === mp)
      .pop()
      ?.options.split(',')
      .filter((o: string) => o !== 'relatime')
      .sort();
  for (const mp of ['/', '/proc', '/sys', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/proc/sys', '/out'])
    assert.deepEqual(opts(a, mp), opts(b, mp), `options of ${mp}`);
}
