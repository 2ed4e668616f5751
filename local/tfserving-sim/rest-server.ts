import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { status } from '@grpc/grpc-js';
import { errorMessage } from '../../shared/errors.js';
import {
  DEFAULT_SIGNATURE,
  httpStatusFor,
  metadataToJson,
  modelStatusToJson,
  nestedToTensor,
  tensorToNested,
  type ModelSpec,
  type PredictRequest,
  type TensorProto,
} from '../../shared/tfserving/index.js';
import type { SimService } from './sim-service.js';
import { invalidArgument, SimStatusError } from './sim-status.js';

const MAX_BODY_BYTES = 256 * 1024 * 1024;
const ROUTE =
  /^\/v1\/models\/([^/:]+)(?:\/versions\/(\d+)|\/labels\/([^/:]+))?(\/metadata|:predict|:classify|:regress)?$/;

type Json = Record<string, unknown>;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(invalidArgument(`request body larger than ${MAX_BODY_BYTES} bytes`));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The REST predict body (row "instances" or columnar "inputs") as a PredictRequest; `row` says how to answer. */
function predictRequest(body: Json, spec: ModelSpec, service: SimService): { request: PredictRequest; row: boolean } {
  const signatureName = typeof body['signature_name'] === 'string' ? body['signature_name'] : DEFAULT_SIGNATURE;
  const signature = service.signatures()[signatureName];
  const dtypeOf = (alias: string) => signature?.inputs[alias]?.dtype ?? 'DT_FLOAT';
  const aliases = Object.keys(signature?.inputs ?? {});
  const inputs: Record<string, TensorProto> = {};
  const hasInstances = 'instances' in body;
  if (hasInstances && 'inputs' in body)
    throw invalidArgument("Not supported: 'instances' and 'inputs' keys specified together");
  if (hasInstances) {
    const instances = body['instances'];
    if (!Array.isArray(instances)) throw invalidArgument("'instances' must be a list of examples");
    const named =
      instances.length > 0 && instances.every((i) => i !== null && typeof i === 'object' && !Array.isArray(i));
    const names = named ? Object.keys(instances[0] as Json) : aliases.slice(0, 1);
    for (const alias of names) {
      const column = named ? instances.map((i) => (i as Json)[alias]) : instances;
      inputs[alias] = nestedToTensor(column, dtypeOf(alias), `instances[].${alias}`);
    }
  } else if ('inputs' in body) {
    const value = body['inputs'];
    const named = value !== null && typeof value === 'object' && !Array.isArray(value);
    const columns: Json = named ? (value as Json) : { [aliases[0] ?? 'inputs']: value };
    for (const [alias, column] of Object.entries(columns))
      inputs[alias] = nestedToTensor(column, dtypeOf(alias), `inputs.${alias}`);
  } else {
    throw invalidArgument("Missing 'inputs' or 'instances' key");
  }
  return { request: { modelSpec: { ...spec, signatureName }, inputs }, row: hasInstances };
}

function predictBody(outputs: Record<string, TensorProto>, row: boolean): Json {
  const nested = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, tensorToNested(t)]));
  const names = Object.keys(nested);
  if (!row) return { outputs: names.length === 1 ? nested[names[0] as string] : nested };
  if (names.length === 1) return { predictions: nested[names[0] as string] };
  const rows = (nested[names[0] as string] as unknown[]).length;
  return {
    predictions: Array.from({ length: rows }, (_, i) =>
      Object.fromEntries(names.map((n) => [n, (nested[n] as unknown[])[i]])),
    ),
  };
}

/** TF Serving's REST API (/v1/models/...) and, when configured, the Prometheus endpoint. */
export async function startRestServer(
  service: SimService,
  host: string,
  port: number,
  prometheus: { path: string; render: () => string } | undefined,
): Promise<{ port: number; stop(): Promise<void> }> {
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (code: number, body: Json) => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body, null, 1));
    };
    if (prometheus && req.method === 'GET' && path === prometheus.path) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(prometheus.render());
      return;
    }
    const m = ROUTE.exec(path);
    const action = m?.[4];
    const isGet = req.method === 'GET' && (action === undefined || action === '/metadata');
    if (!m || (!isGet && !(req.method === 'POST' && action?.startsWith(':')))) {
      send(404, { error: `Malformed request: ${req.method} ${path}` });
      return;
    }
    const spec: ModelSpec = { name: decodeURIComponent(m[1] as string) };
    if (m[2] !== undefined) spec.version = Number(m[2]);
    if (m[3] !== undefined) spec.versionLabel = decodeURIComponent(m[3]);
    try {
      if (action === undefined) {
        send(200, modelStatusToJson((await service.getModelStatus({ modelSpec: spec }, 'REST')).modelVersionStatus));
      } else if (action === '/metadata') {
        const r = await service.getModelMetadata({ modelSpec: spec, metadataField: ['signature_def'] }, 'REST');
        send(200, metadataToJson(r.modelSpec ?? spec, r.signatures));
      } else if (action === ':predict') {
        const text = await readBody(req);
        let body: Json;
        try {
          body = JSON.parse(text) as Json;
        } catch (err) {
          throw invalidArgument(`JSON Parse error: ${errorMessage(err)}`);
        }
        const { request, row } = predictRequest(body, spec, service);
        send(200, predictBody((await service.predict(request, 'REST')).outputs, row));
      } else {
        throw new SimStatusError(status.UNIMPLEMENTED, `tfs-sim: ${action.slice(1)} is not simulated; use :predict`);
      }
    } catch (err) {
      const code = err instanceof SimStatusError ? err.code : status.INVALID_ARGUMENT;
      send(httpStatusFor(code), { error: errorMessage(err) });
    }
  }

  const server = createServer((req, res) => void route(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}
