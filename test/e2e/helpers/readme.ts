// The README's configuration snippets, so that the e2e suites configure each caller with exactly
// the text the README shows: the fenced block after `<!-- e2e: NAME -->`, with the README's
// example path of the binary replaced by this checkout's bin/skiff.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ROOT, SKIFF } from './common';

export const README_SKIFF_PATH = '/usr/local/bin/skiff';

export function readmeSnippet(name: string): string {
  const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = text.indexOf(`<!-- e2e: ${name} -->`);
  if (at < 0) throw new Error(`README.md has no snippet marked <!-- e2e: ${name} -->`);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(at));
  if (!m) throw new Error(`README.md: no code block after <!-- e2e: ${name} -->`);
  return m[1]!.split(README_SKIFF_PATH).join(SKIFF);
}
