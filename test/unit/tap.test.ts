// The runtime-tools TAP reader (test/conformance/tap.ts), on the shapes the suite's programs print.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { compare, failuresOf, parseTap } from '../conformance/tap';

const HOOK_FAIL = [
  'TAP version 13',
  '  ---',
  '  {',
  '    "error": "Hooks MUST be called in the listed order\\nRefer to: x"',
  '  }',
  '  ...',
  '1..0',
  '',
].join('\n');

const WITH_REFER = [
  'TAP version 13',
  'ok 1 - state MUST generate an error',
  'Refer to: https://example/runtime.md#query-state',
  '  ---',
  '  {',
  '    "error": "exit status 1"',
  '  }',
  '  ...',
  'not ok 2 - memory kernel is set correctly',
  '# expect: 1, actual: 2',
  'not ok 3 - memory kernel is set correctly',
  'ok 4 # SKIP linux.sysctl not set',
  '1..4',
  'TAP version 13',
  'ok 1 - second document',
  '1..1',
  '',
].join('\n');

describe('runtime-tools TAP', () => {
  test('a 1..0 plan with an error diagnostic is a failure, not a pass', () => {
    const t = parseTap(HOOK_FAIL);
    assert.deepEqual(failuresOf(t), { failed: [], diagnostics: ['Hooks MUST be called in the listed order'] });
    assert.deepEqual(compare(t, 0, '', {}), ['error diagnostic: "Hooks MUST be called in the listed order" is not listed']);
    assert.deepEqual(
      compare(t, 0, '', { failures: [{ diagnostic: 'Hooks MUST be called in the listed order', kind: 'test-bug', why: '' }] }),
      [],
    );
  });

  test('a point\'s diagnostic stays its own across a "Refer to" line; skips pass; two documents, two plans', () => {
    const t = parseTap(WITH_REFER);
    assert.equal(t.orphans.length, 0);
    assert.deepEqual(t.points[0]!.diagnostic, { error: 'exit status 1' });
    assert.deepEqual(t.documents, [
      { plan: 4, points: 4 },
      { plan: 1, points: 1 },
    ]);
    assert.deepEqual(failuresOf(t).failed, ['memory kernel is set correctly', 'memory kernel is set correctly']);
  });

  test('failures are counted: one more, or one fewer, than listed is a difference', () => {
    const t = parseTap(WITH_REFER);
    const listed = (count: number) => ({
      failures: [{ name: 'memory kernel is set correctly', count, kind: 'host-limit' as const, why: '' }],
    });
    assert.deepEqual(compare(t, 0, '', listed(2)), []);
    assert.match(compare(t, 0, '', listed(1))[0]!, /×2 \(1 listed\)/);
    assert.match(compare(t, 0, '', listed(3))[0]!, /happened 2×: update the expectations/);
    assert.match(compare(parseTap('TAP version 13\nok 1 - x\n1..1\n'), 0, '', listed(1))[0]!, /passes now/);
  });

  test('a missing plan, a short plan, an exit status, silence', () => {
    assert.deepEqual(compare(parseTap('TAP version 13\nok 1 - a\n'), 0, '', {}), ['a TAP document without a plan (1 test points)']);
    assert.deepEqual(compare(parseTap('TAP version 13\nok 1 - a\n1..2\n'), 0, '', {}), ['plan 1..2 but 1 test points']);
    assert.deepEqual(compare(parseTap('TAP version 13\nok 1 - a\n1..1\n'), 1, 'boom\n', {}), ['exit status 1: boom']);
    assert.deepEqual(compare(parseTap(''), 0, '', {}), ['no TAP output']);
    assert.deepEqual(compare(parseTap(''), 0, '', { noTap: true }), []);
    const exit = { code: 1, stderr: 'not mounted', kind: 'host-limit' as const, why: '' };
    assert.deepEqual(compare(parseTap('TAP version 13\n1..0\n'), 1, 'x is not mounted\n', { exit }), []);
    assert.match(compare(parseTap('TAP version 13\n1..0\n'), 1, 'other\n', { exit })[0]!, /stderr lacks/);
    assert.match(compare(parseTap('TAP version 13\n1..0\n'), 0, '', { exit })[0]!, /exit status 0, expected 1/);
  });
});

describe('runtime-tools TAP: races', () => {
  test('a failure listed as mayPass may pass; failing more often than listed still counts', () => {
    const listed = { failures: [{ name: 'x', mayPass: true, kind: 'test-bug' as const, why: '' }] };
    assert.deepEqual(compare(parseTap('TAP version 13\nok 1 - x\n1..1\n'), 0, '', listed), []);
    assert.deepEqual(compare(parseTap('TAP version 13\nnot ok 1 - x\n1..1\n'), 0, '', listed), []);
    assert.equal(compare(parseTap('TAP version 13\nnot ok 1 - x\nnot ok 2 - x\n1..2\n'), 0, '', listed).length, 1);
  });
});
