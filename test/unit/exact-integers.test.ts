// 64-bit integers from config.json to the launch plan, exactly (JSON.parse rounds above 2^53).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  EXACT_CONFIG_FIELDS,
  parseExact,
  restoreExactIntegers,
  stringifyExact,
  unsafeIntegers,
  EXACT_STATE_FIELDS,
} from '../../src/spec/exact-integers';
import { exactIntegersOf, parseJsonText } from '../../src/spec/json-file';
import { planSeccomp } from '../../src/linux/plan';

const CONFIG = `{
  "process": {"rlimits": [{"type": "RLIMIT_CORE", "soft": 18446744073709551615, "hard": 1024}]},
  "annotations": {"a/b": "18446744073709551615", "n": 12345678901234567890},
  "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["ioctl"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 18446744073709551615, "valueTwo": 9007199254740993, "op": "SCMP_CMP_MASKED_EQ"}]}
  ]}, "timeOffsets": {"boottime": {"secs": -9223372036854775808}}}
}`;

describe('exact integers', () => {
  test('the scan finds unsafe integer literals by JSON pointer, not strings or safe ones', () => {
    assert.deepEqual(
      [...unsafeIntegers(CONFIG)],
      [
        ['/process/rlimits/0/soft', 18446744073709551615n],
        ['/annotations/n', 12345678901234567890n],
        ['/linux/seccomp/syscalls/0/args/0/value', 18446744073709551615n],
        ['/linux/seccomp/syscalls/0/args/0/valueTwo', 9007199254740993n],
        ['/linux/timeOffsets/boottime/secs', -9223372036854775808n],
      ],
    );
    assert.equal(unsafeIntegers('{"a": 9007199254740991, "b": "x"}').size, 0);
    assert.deepEqual([...unsafeIntegers('{"a~/b": [1, 9007199254740993]}')], [['/a~0~1b/1', 9007199254740993n]]);
  });

  test('restored only where skiff hands the value on; the plan and state.json keep it exact', () => {
    const doc: any = parseJsonText(CONFIG, 'config.json');
    restoreExactIntegers(doc, exactIntegersOf(doc), EXACT_CONFIG_FIELDS);
    assert.equal(doc.process.rlimits[0].soft, 18446744073709551615n);
    assert.equal(typeof doc.annotations.n, 'number', 'elsewhere the parsed number stays');
    const seccomp = planSeccomp(doc.linux.seccomp)!;
    assert.equal(seccomp.syscalls[0]!.args[0]!.valueTwo, 9007199254740993n);
    const text = stringifyExact({ seccomp: doc.linux.seccomp, process: doc.process });
    assert.match(text, /"valueTwo":9007199254740993/);
    const back: any = parseExact(text, EXACT_STATE_FIELDS);
    assert.equal(back.seccomp.syscalls[0].args[0].value, 18446744073709551615n);
    assert.equal(back.process.rlimits[0].soft, 18446744073709551615n);
  });
});

test('a string that looks like the marker stays a string', () => {
  const doc = { a: '\u00001234', b: 18446744073709551615n, c: '\u0000abcdefgh:5' };
  assert.deepEqual(JSON.parse(stringifyExact(doc).replace('18446744073709551615', '1')), { a: '\u00001234', b: 1, c: '\u0000abcdefgh:5' });
  assert.equal(stringifyExact({ a: '\u00007' }), JSON.stringify({ a: '\u00007' }));
});
