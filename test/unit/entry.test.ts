// The fast path of src/entry.ts: exactly the plain forms of state/start/kill/delete, with every
// global flag; everything else goes to the full command line.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { execOptions, parseFast } from '../../src/entry';

describe('entry: the fast path for the calls a shim makes per container', () => {
  test("takes the plain forms, with runc's global flags in both spellings", () => {
    for (const args of [
      ['state', 'c1'],
      ['start', 'c1'],
      ['kill', 'c1'],
      ['kill', 'c1', 'KILL'],
      ['kill', '--all', 'c1', '9'],
      ['kill', '-a', 'c1'],
      ['delete', 'c1'],
      ['delete', '--force', 'c1'],
      ['delete', '-f', 'c1'],
      ['--root', '/run/containerd/runc/k8s.io', '--log', '/x/log.json', '--log-format', 'json', '--systemd-cgroup', 'state', 'c1'],
      ['--root=/r', '--log=/l', '--log-format=text', '--debug', 'delete', 'c1'],
    ])
      assert.ok(parseFast(args), args.join(' '));
    const f = parseFast(['--root=/r', '--log', '/l', '--log-format', 'json', '--debug', '--systemd-cgroup', 'kill', 'c1'])!;
    assert.deepEqual(
      [f.globals.root, f.globals.logFile, f.globals.logFormat, f.globals.debug, f.globals.systemdCgroup],
      ['/r', '/l', 'json', true, true],
    );
  });

  test('leaves everything else to the full command line', () => {
    for (const args of [
      [],
      ['state'],
      ['state', 'a', 'b'],
      ['state', '--help'],
      ['state', '-h'],
      ['start', '-x', 'c1'],
      ['kill'],
      ['kill', 'c1', 'KILL', 'extra'],
      ['kill', 'c1', '-9'],
      ['delete', '--force', '--force', 'c1'],
      ['delete', 'c1', '--force'],
      ['--log-format', 'yaml', 'state', 'c1'],
      ['--root', 'state'],
      ['--bogus', 'state', 'c1'],
      ['--debug=1', 'state', 'c1'],
      ['list'],
      ['-v'],
      ['nosuchcommand', 'c1'],
    ])
      assert.equal(parseFast(args), undefined, args.join(' '));
  });

  test('exec: process.json (the shims) or a command line, with the options the full CLI would give', () => {
    const base = {
      env: [],
      additionalGids: [],
      caps: [],
      cgroups: [],
      preserveFds: 0,
      detach: undefined,
      pidFile: undefined,
      consoleSocket: undefined,
    };
    assert.deepEqual(execOptions(['c1', '/bin/true']), { ...base, id: 'c1', args: ['/bin/true'], processFile: undefined });
    assert.deepEqual(execOptions(['-d', '--pid-file', '/p', 'c1', 'sh', '-c', 'echo -x']), {
      ...base,
      id: 'c1',
      args: ['sh', '-c', 'echo -x'],
      processFile: undefined,
      detach: true,
      pidFile: '/p',
    });
    assert.deepEqual(execOptions(['--pid-file=/p', '--process', '/f.json', '--detach', 'c1']), {
      ...base,
      id: 'c1',
      args: [],
      processFile: '/f.json',
      detach: true,
      pidFile: '/p',
    });
    for (const args of [
      ['c1'],
      ['-t', 'c1', 'sh'],
      ['--process', '/f', 'c1', 'sh'],
      ['c1', '-x'],
      ['--env', 'A=1', 'c1', 'sh'],
      ['-d', 'c1', '--', 'ls'],
      [],
    ])
      assert.equal(execOptions(args), undefined, args.join(' '));
    assert.ok(parseFast(['--root', '/r', 'exec', 'c1', '/bin/true']));
  });
});
