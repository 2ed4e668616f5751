import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The API server's serving certificate: self-signed for 127.0.0.1, made by openssl for each emulator. kubectl
 * (client-go) sends a kubeconfig's credentials only to an https server, so an API server that authenticates has to
 * speak TLS; clients trust this certificate through the kubeconfig's certificate-authority-data, as with GKE's CA.
 */

export interface ServingCert {
  key: string;
  cert: string;
}

export async function servingCert(dir: string): Promise<ServingCert> {
  const keyFile = join(dir, 'apiserver.key');
  const certFile = join(dir, 'apiserver.crt');
  mkdirSync(dir, { recursive: true });
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '30',
    '-subj',
    '/CN=modelship-emulator',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
}
