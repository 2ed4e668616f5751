import { describe, expect, it } from 'vitest';
import { fillPlaceholders, formatCommand, placeholders } from '../../../../operator/gcp/action.js';

describe('formatCommand', () => {
  it('prints safe words bare and quotes the rest for a POSIX shell', () => {
    expect(formatCommand({ argv: ['gcloud', 'x', '--display-name=modelship: it', "--a=it's", '--f=value(url)'] })).toBe(
      `gcloud x '--display-name=modelship: it' '--a=it'\\''s' '--f=value(url)'`,
    );
  });

  it('prints placeholders as shell variables and environment as a prefix', () => {
    expect(formatCommand({ argv: ['kubectl', '--kubeconfig=${KUBE}', 'get'], env: { KUBECONFIG: 'a b' } })).toBe(
      `KUBECONFIG='a b' kubectl "--kubeconfig=\${KUBE}" get`,
    );
  });

  it('shows stdin as a here-document, and a generated secret as the command that makes one', () => {
    expect(formatCommand({ argv: ['kubectl', 'apply', '-f', '-'], stdin: { text: 'kind: Role\n' } })).toBe(
      "kubectl apply -f - <<'EOF'\nkind: Role\nEOF",
    );
    expect(
      formatCommand({
        argv: ['gcloud', 'secrets', 'versions', 'add', 's', '--data-file=-'],
        stdin: { generatedSecret: true },
      }),
    ).toBe("openssl rand -hex 32 | tr -d '\\n' | gcloud secrets versions add s --data-file=-");
  });
});

describe('placeholders', () => {
  it('lists the lookups a command needs, once each, and fills them in', () => {
    const command = { argv: ['x', '${A}', '--m=service-${B}@x', '${A}'] };
    expect(placeholders(command)).toEqual(['A', 'B']);
    expect(fillPlaceholders('--m=service-${B}@x', { B: '42' })).toBe('--m=service-42@x');
    expect(() => fillPlaceholders('${C}', {})).toThrow('no value for ${C}');
  });
});
