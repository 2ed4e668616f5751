import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentedGrants, rolesTable } from '../../../../operator/gcp/grants.js';
import { parseGcpConfig } from '../../../../operator/gcp/load-gcp-config.js';
import { packageRoot } from '../../../../shared/paths.js';

const read = (file: string) => readFileSync(join(packageRoot, file), 'utf8');
/** Table cells without the padding a Markdown formatter adds. */
const cells = (table: string | undefined) =>
  table?.split('\n').map((line) => line.replace(/ *\| */g, '|').replace(/-{3,}/g, '---'));

describe('docs/gcp.md', () => {
  it('shows the least-privilege table of the code, for the example config', () => {
    const config = parseGcpConfig(read('modelship.config.example.yaml'), 'example', {
      scenarios: ['2n-8c-16r-interop4'],
    });
    const section = /<!-- gcp-roles:start -->\n+([\s\S]*?)\n+<!-- gcp-roles:end -->/.exec(read('docs/gcp.md'))?.[1];
    expect(cells(section)).toEqual(cells(rolesTable(documentedGrants(config))));
  });
});
