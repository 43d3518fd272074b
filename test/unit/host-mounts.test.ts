import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { mountsToUndo, mountsUnder, parseMountInfo } from '../../src/linux/host-mounts';

const INFO = [
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '40 27 0:50 / /tmp/b/rootfs/mnt rw - tmpfs callers rw',
  '41 27 254:0 /tmp/b/rootfs /tmp/b/rootfs rw - ext4 /dev/vda rw',
  '42 41 0:50 / /tmp/b/rootfs/mnt rw - tmpfs callers rw',
  '43 41 0:51 / /tmp/b/rootfs/proc rw - proc proc rw',
  '44 43 0:1 /null /tmp/b/rootfs/proc/kcore rw - devtmpfs udev rw',
  '45 27 0:52 / /tmp/b/rootfs2/proc rw - proc proc rw',
  '46 27 0:53 / /tmp/with\\040space rw - tmpfs t rw',
  '',
].join('\n');

describe('host-mounts', () => {
  test('mountinfo: ids and mount points, octal escapes decoded', () => {
    const m = parseMountInfo(INFO);
    assert.equal(m.length, 8);
    assert.deepEqual(m[7], { id: 46, mountPoint: '/tmp/with space' });
  });

  test('under the rootfs: the rootfs itself and below, not a sibling with the same prefix', () => {
    assert.deepEqual(
      mountsUnder(parseMountInfo(INFO), '/tmp/b/rootfs').map((e) => e.id),
      [40, 41, 42, 43, 44],
    );
  });

  test('to undo: what was not there before, last mounted first', () => {
    assert.deepEqual(
      mountsToUndo(parseMountInfo(INFO), '/tmp/b/rootfs', [40]).map((e) => e.id),
      [44, 43, 42, 41],
    );
    assert.deepEqual(mountsToUndo(parseMountInfo(INFO), '/tmp/b/rootfs', [40, 41, 42, 43, 44]), []);
  });
});
