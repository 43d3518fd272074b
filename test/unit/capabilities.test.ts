// runtime-spec 1.3.0's rule for capabilities that cannot be granted: warn, leave out, run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ALL_CAPABILITIES, capabilityBit, planCapabilities } from '../../src/linux/capabilities';

const bit = (name: string) => 1 << capabilityBit(name)!;

describe('planCapabilities', () => {
  test('known names become masks', () => {
    const p = planCapabilities(
      {
        bounding: ['CAP_CHOWN', 'CAP_KILL'],
        effective: ['CAP_KILL'],
        permitted: ['CAP_KILL'],
        inheritable: ['CAP_KILL'],
        ambient: ['CAP_KILL'],
      },
      'process',
    );
    assert.deepEqual(p.masks, {
      bounding: bit('CAP_CHOWN') | bit('CAP_KILL'),
      effective: bit('CAP_KILL'),
      permitted: bit('CAP_KILL'),
      inheritable: bit('CAP_KILL'),
      ambient: bit('CAP_KILL'),
    });
    assert.deepEqual(p.warnings, []);
  });

  test('an unknown name is left out with a warning', () => {
    const p = planCapabilities({ bounding: ['CAP_CHOWN', 'CAP_BOGUS'] }, 'process');
    assert.equal(p.masks.bounding, bit('CAP_CHOWN'));
    assert.deepEqual(p.warnings, [
      { kind: 'unknown', message: '/process/capabilities/bounding: unknown capability "CAP_BOGUS": left out' },
    ]);
  });

  test("a capability outside the runtime's bounding set is left out of every set", () => {
    const runtime = ALL_CAPABILITIES & ~(1n << BigInt(capabilityBit('CAP_SYS_RESOURCE')!));
    const all = ['CAP_SYS_RESOURCE', 'CAP_CHOWN'];
    const p = planCapabilities({ bounding: all, effective: all, permitted: all }, 'process', runtime);
    for (const set of ['bounding', 'effective', 'permitted'] as const) assert.equal(p.masks[set], bit('CAP_CHOWN'), set);
    assert.equal(p.warnings.length, 3);
    assert.match(p.warnings[0]!.message, /CAP_SYS_RESOURCE is not in this runtime's bounding set: left out/);
    assert.equal(p.warnings[0]!.kind, 'not-granted');
  });

  test('ambient without inheritable (what `runc spec` writes) is left out of ambient with a warning', () => {
    const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
    const p = planCapabilities({ bounding: caps, effective: caps, permitted: caps, ambient: caps }, 'process');
    assert.equal(p.masks.ambient, 0);
    assert.equal(p.masks.permitted, bit('CAP_AUDIT_WRITE') | bit('CAP_KILL') | bit('CAP_NET_BIND_SERVICE'));
    assert.deepEqual(
      p.warnings.map((w) => w.message.replace(/: .*/, '')),
      ['/process/capabilities/ambient', '/process/capabilities/ambient', '/process/capabilities/ambient'],
    );
    assert.match(p.warnings[0]!.message, /CAP_AUDIT_WRITE is not in both inheritable and permitted/);
  });
});
