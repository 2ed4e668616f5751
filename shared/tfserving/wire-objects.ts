import { isDType, type DType } from './dtype.js';
import type { ModelSpec, SignatureSpec, TensorProto, TensorSpec } from './messages.js';

/**
 * Conversions between the plain messages of messages.ts and the objects protobufjs reads and writes
 * (`Type.fromObject` / `Type.toObject` with longs as numbers and enums as names).
 */

type Obj = Record<string, unknown>;

interface WireShape {
  dim?: { size?: number; name?: string }[];
  unknownRank?: boolean;
}

export const TO_OBJECT_OPTIONS = { longs: Number, enums: String } as const;

function dtypeOf(value: unknown): DType {
  // protobufjs leaves an enum number it does not know as a number; DT_INVALID lets validation reject it.
  return isDType(value) ? value : 'DT_INVALID';
}

function shapeToWire(shape: readonly number[]): WireShape {
  return { dim: shape.map((size) => ({ size })) };
}

function shapeFromWire(shape: WireShape | undefined): number[] {
  return (shape?.dim ?? []).map((d) => d.size ?? 0);
}

export function modelSpecToWire(spec: ModelSpec): Obj {
  const wire: Obj = { name: spec.name };
  if (spec.version !== undefined) wire['version'] = { value: spec.version };
  else if (spec.versionLabel !== undefined) wire['versionLabel'] = spec.versionLabel;
  if (spec.signatureName !== undefined) wire['signatureName'] = spec.signatureName;
  return wire;
}

export function modelSpecFromWire(wire: Obj | undefined): ModelSpec | undefined {
  if (!wire) return undefined;
  const spec: ModelSpec = { name: (wire['name'] as string | undefined) ?? '' };
  const version = wire['version'] as { value?: number } | undefined;
  if (version) spec.version = version.value ?? 0;
  if (typeof wire['versionLabel'] === 'string') spec.versionLabel = wire['versionLabel'];
  if (typeof wire['signatureName'] === 'string') spec.signatureName = wire['signatureName'];
  return spec;
}

const VALUE_FIELDS = ['floatVal', 'doubleVal', 'intVal', 'int64Val', 'boolVal', 'stringVal', 'halfVal'] as const;

export function tensorToWire(tensor: TensorProto): Obj {
  const wire: Obj = { dtype: tensor.dtype, tensorShape: shapeToWire(tensor.shape) };
  if (tensor.tensorContent !== undefined) wire['tensorContent'] = tensor.tensorContent;
  for (const field of VALUE_FIELDS) if (tensor[field] !== undefined) wire[field] = tensor[field];
  return wire;
}

export function tensorFromWire(wire: Obj): TensorProto {
  const tensor: TensorProto = { dtype: dtypeOf(wire['dtype']), shape: shapeFromWire(wire['tensorShape'] as WireShape) };
  const content = wire['tensorContent'] as Uint8Array | undefined;
  if (content !== undefined && content.length > 0) tensor.tensorContent = content;
  for (const field of VALUE_FIELDS) {
    const values = wire[field] as never[] | undefined;
    if (values !== undefined && values.length > 0) tensor[field] = values;
  }
  return tensor;
}

export function tensorMapFromWire(wire: Obj | undefined): Record<string, TensorProto> {
  const out: Record<string, TensorProto> = {};
  for (const [name, t] of Object.entries(wire ?? {})) out[name] = tensorFromWire(t as Obj);
  return out;
}

export function tensorMapToWire(tensors: Record<string, TensorProto>): Obj {
  return Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, tensorToWire(t)]));
}

function tensorInfoToWire(spec: TensorSpec): Obj {
  return { name: spec.tensorName ?? '', dtype: spec.dtype, tensorShape: shapeToWire(spec.shape) };
}

function tensorInfosFromWire(wire: Obj | undefined): Record<string, TensorSpec> {
  const out: Record<string, TensorSpec> = {};
  for (const [alias, value] of Object.entries(wire ?? {})) {
    const info = value as Obj;
    const spec: TensorSpec = {
      name: alias,
      dtype: dtypeOf(info['dtype']),
      shape: shapeFromWire(info['tensorShape'] as WireShape),
    };
    if (typeof info['name'] === 'string') spec.tensorName = info['name'];
    out[alias] = spec;
  }
  return out;
}

export function signatureToWire(signature: SignatureSpec): Obj {
  const infos = (specs: Record<string, TensorSpec>) =>
    Object.fromEntries(Object.entries(specs).map(([alias, spec]) => [alias, tensorInfoToWire(spec)]));
  return { inputs: infos(signature.inputs), outputs: infos(signature.outputs), methodName: signature.methodName };
}

export function signaturesToWire(signatures: Record<string, SignatureSpec>): Obj {
  return Object.fromEntries(Object.entries(signatures).map(([name, s]) => [name, signatureToWire(s)]));
}

export function signaturesFromWire(wire: Obj | undefined): Record<string, SignatureSpec> {
  const out: Record<string, SignatureSpec> = {};
  for (const [name, value] of Object.entries(wire ?? {})) {
    const def = value as Obj;
    out[name] = {
      name,
      methodName: (def['methodName'] as string | undefined) ?? '',
      inputs: tensorInfosFromWire(def['inputs'] as Obj | undefined),
      outputs: tensorInfosFromWire(def['outputs'] as Obj | undefined),
    };
  }
  return out;
}
