// The official runtime-spec schemas (draft-04) from ../shared, when that directory is present.
import * as fs from 'node:fs';
import * as path from 'node:path';

import Ajv04 from 'ajv-draft-04';

import { ROOT } from './skiff';

export const SPEC_DIR = process.env.SKIFF_SPEC_DIR ?? path.resolve(ROOT, '../shared/oci-runtime-spec');

let ajv: Ajv04 | undefined;

/** A validator for one official schema file, or undefined when the spec checkout is absent. */
export function officialValidator(file: string): (((d: unknown) => boolean) & { errors?: unknown }) | undefined {
  const dir = path.join(SPEC_DIR, 'schema');
  if (!fs.existsSync(path.join(dir, file))) return undefined;
  if (!ajv) {
    ajv = new Ajv04({ allErrors: true, strict: false });
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      const schema = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      ajv.addSchema(schema, f);
    }
  }
  return ajv.getSchema(file) as any;
}
