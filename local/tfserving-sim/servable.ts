import { status } from '@grpc/grpc-js';
import {
  DEFAULT_SIGNATURE,
  bytesPerElement,
  dtypeShortName,
  elementCount,
  type ModelSpec,
  type PredictRequest,
  type SignatureSpec,
  type TensorProto,
  type TensorSpec,
} from '../../shared/tfserving/index.js';
import type { ModelStates } from './model-state.js';
import { invalidArgument, notFound, SimStatusError } from './sim-status.js';

/** TF Serving's request checks and answers for one model, with its messages (predict_util, get_model_status_impl). */

const PREDICT_METHODS = ['tensorflow/serving/predict', 'tensorflow/serving/classify', 'tensorflow/serving/regress'];

export interface ResolvedPredict {
  version: number;
  signatureName: string;
  signature: SignatureSpec;
  /** Examples in the request: the 0th dimension of its inputs. */
  batch: number;
  outputNames: string[];
}

const list = (names: Iterable<string>) => [...names].sort().join(',');

function servableId(modelName: string, spec: ModelSpec): string {
  return spec.version !== undefined ? `Specific(${modelName}, ${spec.version})` : `Latest(${modelName})`;
}

export function createServable(modelName: string, signatures: Record<string, SignatureSpec>, states: ModelStates) {
  const outputCache = new Map<string, TensorProto>();

  /** The AVAILABLE version a request's model spec names. */
  function resolveVersion(spec: ModelSpec | undefined): number {
    if (!spec?.name) throw invalidArgument('Missing ModelSpec');
    if (spec.versionLabel !== undefined)
      throw invalidArgument(`Unrecognized servable version label: ${spec.versionLabel}`);
    const version = spec.name !== modelName ? undefined : (spec.version ?? states.latestAvailable());
    if (version === undefined || states.state(version) !== 'AVAILABLE') {
      throw notFound(`Servable not found for request: ${servableId(spec.name, spec)}`);
    }
    return version;
  }

  function checkTensor(alias: string, index: number, tensor: TensorProto, spec: TensorSpec): void {
    const n = elementCount(tensor.shape);
    const width = bytesPerElement(tensor.dtype);
    const values = [
      tensor.floatVal,
      tensor.doubleVal,
      tensor.intVal,
      tensor.int64Val,
      tensor.boolVal,
      tensor.stringVal,
      tensor.halfVal,
    ];
    const parses =
      tensor.dtype !== 'DT_INVALID' &&
      tensor.shape.every((d) => d >= 0) &&
      (tensor.tensorContent === undefined
        ? values.every((v) => (v?.length ?? 0) <= n)
        : width !== undefined && tensor.tensorContent.length === n * width);
    if (!parses) throw invalidArgument(`tensor parsing error: ${alias}`);
    if (tensor.dtype !== spec.dtype) {
      throw invalidArgument(
        `Expects arg[${index}] to be ${dtypeShortName(spec.dtype)} but ${dtypeShortName(tensor.dtype)} is provided`,
      );
    }
    const fits =
      tensor.shape.length === spec.shape.length && spec.shape.every((d, i) => d < 0 || d === tensor.shape[i]);
    if (!fits) {
      throw invalidArgument(
        `input '${alias}' has shape [${tensor.shape.join(',')}] but the signature expects [${spec.shape.join(',')}] ` +
          `(-1 is any size); send a ${dtypeShortName(spec.dtype)} tensor of that shape`,
      );
    }
  }

  function resolvePredict(request: PredictRequest): ResolvedPredict {
    const version = resolveVersion(request.modelSpec);
    const signatureName = request.modelSpec.signatureName || DEFAULT_SIGNATURE;
    const signature = signatures[signatureName];
    if (!signature)
      throw new SimStatusError(status.FAILED_PRECONDITION, `Serving signature key "${signatureName}" not found.`);
    if (!PREDICT_METHODS.includes(signature.methodName)) {
      throw invalidArgument(
        `Expected prediction signature method_name to be one of {${PREDICT_METHODS.join(', ')}}. Was: ${signature.methodName}`,
      );
    }
    const sent = Object.keys(request.inputs);
    const expected = Object.keys(signature.inputs);
    if (sent.length !== expected.length) {
      const extra = sent.filter((a) => !expected.includes(a));
      const missing = expected.filter((a) => !sent.includes(a));
      throw invalidArgument(
        `input size does not match signature: ${sent.length}!=${expected.length} len({${list(sent)}}) != len({${list(expected)}}). ` +
          `Sent extra: {${list(extra)}}. Missing but required: {${list(missing)}}.`,
      );
    }
    let batch: number | undefined;
    sent.sort().forEach((alias, index) => {
      const spec = signature.inputs[alias];
      if (!spec) {
        throw invalidArgument(
          `input tensor alias not found in signature: ${alias}. Inputs expected to be in the set {${list(expected)}}.`,
        );
      }
      const tensor = request.inputs[alias] as TensorProto;
      checkTensor(alias, index, tensor, spec);
      const rows = tensor.shape[0] ?? 1;
      if (batch !== undefined && rows !== batch) {
        throw invalidArgument('Batching session Run() input tensors must have equal 0th-dimension size');
      }
      batch = rows;
    });
    const filter = request.outputFilter ?? [];
    for (const [i, alias] of filter.entries()) {
      if (!signature.outputs[alias]) {
        throw invalidArgument(
          `output tensor alias not found in signature: ${alias} Outputs expected to be in the set {${list(Object.keys(signature.outputs))}}.`,
        );
      }
      if (filter.indexOf(alias) !== i) throw invalidArgument(`duplicate output tensor alias: ${alias}`);
    }
    const outputNames = filter.length ? filter : Object.keys(signature.outputs);
    return { version, signatureName, signature, batch: batch ?? 1, outputNames };
  }

  /** Output tensors with the signature's shapes: a float output is a uniform distribution over its last dimension. */
  function outputs(resolved: ResolvedPredict): Record<string, TensorProto> {
    const out: Record<string, TensorProto> = {};
    for (const name of resolved.outputNames) {
      const key = `${resolved.signatureName}\n${name}\n${resolved.batch}`;
      let tensor = outputCache.get(key);
      if (!tensor) {
        const spec = resolved.signature.outputs[name] as TensorSpec;
        const shape = spec.shape.map((d, i) => (d >= 0 ? d : i === 0 ? resolved.batch : 1));
        const n = elementCount(shape);
        const width = bytesPerElement(spec.dtype);
        if (spec.dtype === 'DT_FLOAT') {
          const values = new Float32Array(n).fill(1 / (shape[shape.length - 1] ?? 1));
          tensor = { dtype: spec.dtype, shape, tensorContent: new Uint8Array(values.buffer) };
        } else if (width !== undefined) {
          tensor = { dtype: spec.dtype, shape, tensorContent: new Uint8Array(n * width) };
        } else {
          tensor = { dtype: spec.dtype, shape, stringVal: Array.from({ length: n }, () => new Uint8Array(0)) };
        }
        // Batch sizes are few; the bound only guards against a client sending every size there is.
        if (outputCache.size >= 256) outputCache.clear();
        outputCache.set(key, tensor);
      }
      out[name] = tensor;
    }
    return out;
  }

  function metadataVersion(spec: ModelSpec | undefined, fields: string[]): number {
    if (fields.length === 0) throw invalidArgument('GetModelMetadataRequest must specify at least one metadata_field');
    const unsupported = fields.find((f) => f !== 'signature_def');
    if (unsupported !== undefined)
      throw new SimStatusError(status.UNIMPLEMENTED, `Metadata field ${unsupported} is not supported`);
    return resolveVersion(spec);
  }

  function versionStatuses(spec: ModelSpec | undefined) {
    if (!spec?.name) throw invalidArgument('Missing ModelSpec');
    if (spec.name !== modelName) throw notFound(`Could not find any versions of model ${spec.name}`);
    const found = states.statuses(spec.version);
    if (found.length === 0) throw notFound(`Could not find version ${spec.version} of model ${spec.name}`);
    return found;
  }

  return { resolvePredict, outputs, metadataVersion, versionStatuses, signatures, modelName };
}

export type Servable = ReturnType<typeof createServable>;
