// The sync socket's message types are defined once in C++ (addon/common/frames.h) and mirrored in
// TypeScript (src/linux/frames.ts): the two lists must agree.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { FRAME } from '../../src/linux/frames';
import { ROOT } from '../helpers/skiff';

test('frames.h and frames.ts name the same frame types', () => {
  const header = fs.readFileSync(path.join(ROOT, 'addon/common/frames.h'), 'utf8');
  const cxx = [...header.matchAll(/constexpr const char\* k\w+ = "([^"]+)";/g)].map((m) => m[1]).sort();
  assert.ok(cxx.length >= 6, 'frames.h lists the frame types');
  assert.deepEqual([...Object.values(FRAME)].sort(), cxx);
});
