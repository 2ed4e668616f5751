import { isDType } from './dtype.js';
import type { ModelSpec, ModelState, ModelVersionStatus, SignatureSpec, TensorSpec } from './messages.js';
import { MODEL_STATES, SIGNATURE_DEF_MAP_TYPE_URL } from './messages.js';

/**
 * TF Serving's REST JSON for status and metadata: the proto3 JSON mapping with the proto field names
 * (int64 as strings, enums as names), as GET /v1/models/NAME[/metadata] returns it.
 */

type Json = Record<string, unknown>;

export function modelPath(spec: ModelSpec): string {
  const name = encodeURIComponent(spec.name);
  if (spec.version !== undefined) return `/v1/models/${name}/versions/${spec.version}`;
  if (spec.versionLabel !== undefined) return `/v1/models/${name}/labels/${encodeURIComponent(spec.versionLabel)}`;
  return `/v1/models/${name}`;
}

export function modelStatusToJson(statuses: ModelVersionStatus[]): Json {
  return {
    model_version_status: statuses.map((s) => ({
      version: String(s.version),
      state: s.state,
      status: { error_code: s.status.errorCode, error_message: s.status.errorMessage },
    })),
  };
}

export function modelStatusFromJson(json: Json): ModelVersionStatus[] {
  const list = (json['model_version_status'] as Json[] | undefined) ?? [];
  return list.map((s) => {
    const status = (s['status'] as Json | undefined) ?? {};
    const state = String(s['state'] ?? 'UNKNOWN');
    return {
      version: Number(s['version'] ?? 0),
      state: (Object.hasOwn(MODEL_STATES, state) ? state : 'UNKNOWN') as ModelState,
      status: { errorCode: String(status['error_code'] ?? 'OK'), errorMessage: String(status['error_message'] ?? '') },
    };
  });
}

function tensorInfoToJson(spec: TensorSpec): Json {
  return {
    dtype: spec.dtype,
    tensor_shape: { dim: spec.shape.map((size) => ({ size: String(size), name: '' })), unknown_rank: false },
    name: spec.tensorName ?? '',
  };
}

function tensorInfosFromJson(json: Json | undefined): Record<string, TensorSpec> {
  const out: Record<string, TensorSpec> = {};
  for (const [alias, value] of Object.entries(json ?? {})) {
    const info = value as Json;
    const dims = ((info['tensor_shape'] as Json | undefined)?.['dim'] as Json[] | undefined) ?? [];
    const dtype = info['dtype'];
    out[alias] = {
      name: alias,
      dtype: isDType(dtype) ? dtype : 'DT_INVALID',
      shape: dims.map((d) => Number(d['size'] ?? 0)),
      tensorName: String(info['name'] ?? ''),
    };
  }
  return out;
}

export function metadataToJson(spec: ModelSpec, signatures: Record<string, SignatureSpec>): Json {
  const defs: Json = {};
  for (const [name, s] of Object.entries(signatures)) {
    const infos = (specs: Record<string, TensorSpec>) =>
      Object.fromEntries(Object.entries(specs).map(([alias, t]) => [alias, tensorInfoToJson(t)]));
    defs[name] = { inputs: infos(s.inputs), outputs: infos(s.outputs), method_name: s.methodName };
  }
  return {
    model_spec: { name: spec.name, signature_name: spec.signatureName ?? '', version: String(spec.version ?? '') },
    metadata: { signature_def: { '@type': SIGNATURE_DEF_MAP_TYPE_URL, signature_def: defs } },
  };
}

export function metadataFromJson(json: Json): { modelSpec: ModelSpec; signatures: Record<string, SignatureSpec> } {
  const spec = (json['model_spec'] as Json | undefined) ?? {};
  const defs = (((json['metadata'] as Json | undefined)?.['signature_def'] as Json | undefined)?.['signature_def'] ??
    {}) as Record<string, Json>;
  const signatures: Record<string, SignatureSpec> = {};
  for (const [name, def] of Object.entries(defs)) {
    signatures[name] = {
      name,
      methodName: String(def['method_name'] ?? ''),
      inputs: tensorInfosFromJson(def['inputs'] as Json | undefined),
      outputs: tensorInfosFromJson(def['outputs'] as Json | undefined),
    };
  }
  const modelSpec: ModelSpec = { name: String(spec['name'] ?? '') };
  if (spec['version'] !== undefined && spec['version'] !== '') modelSpec.version = Number(spec['version']);
  return { modelSpec, signatures };
}
