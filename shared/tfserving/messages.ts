import type { DType } from './dtype.js';

/**
 * The TF Serving messages as plain TypeScript values. The codec converts them to and from the wire; field names are
 * the proto names in camelCase, except where a wrapper or a nested shape message is flattened (noted per field).
 */

export interface ModelSpec {
  name: string;
  /** google.protobuf.Int64Value on the wire; absent means the latest available version. */
  version?: number;
  versionLabel?: string;
  signatureName?: string;
}

/** A tensor as TensorProto carries it. `shape` flattens tensor_shape.dim[].size (dimension names are dropped). */
export interface TensorProto {
  dtype: DType;
  shape: number[];
  /** Raw little-endian row-major element bytes. */
  tensorContent?: Uint8Array;
  floatVal?: number[];
  doubleVal?: number[];
  intVal?: number[];
  int64Val?: number[];
  boolVal?: boolean[];
  stringVal?: Uint8Array[];
  /** DT_HALF and DT_BFLOAT16 values as their 16 bits. */
  halfVal?: number[];
}

/** One input or output of a signature. `name` is the alias used in requests (the map key). */
export interface TensorSpec {
  name: string;
  dtype: DType;
  /** -1 for an unknown dimension (the batch dimension). */
  shape: number[];
  /** TensorInfo.name, the graph tensor behind the alias (e.g. "serving_default_image_input:0"). */
  tensorName?: string;
}

export interface SignatureSpec {
  name: string;
  /** e.g. "tensorflow/serving/predict" */
  methodName: string;
  inputs: Record<string, TensorSpec>;
  outputs: Record<string, TensorSpec>;
}

export interface PredictRequest {
  modelSpec: ModelSpec;
  inputs: Record<string, TensorProto>;
  outputFilter?: string[];
}

export interface PredictResponse {
  modelSpec?: ModelSpec;
  outputs: Record<string, TensorProto>;
}

export interface GetModelMetadataRequest {
  modelSpec: ModelSpec;
  /** TF Serving supports only "signature_def". */
  metadataField: string[];
}

/** metadata["signature_def"] (an Any of SignatureDefMap on the wire) decoded into signatures. */
export interface GetModelMetadataResponse {
  modelSpec?: ModelSpec;
  signatures: Record<string, SignatureSpec>;
}

export interface GetModelStatusRequest {
  modelSpec: ModelSpec;
}

export const MODEL_STATES = {
  UNKNOWN: 0,
  START: 10,
  LOADING: 20,
  AVAILABLE: 30,
  UNLOADING: 40,
  END: 50,
} as const;

export type ModelState = keyof typeof MODEL_STATES;

export interface ModelVersionStatus {
  version: number;
  state: ModelState;
  /** StatusProto: error_code is a tensorflow.error.Code name, "OK" when healthy. */
  status: { errorCode: string; errorMessage: string };
}

export interface GetModelStatusResponse {
  modelVersionStatus: ModelVersionStatus[];
}

export const SIGNATURE_DEF_MAP_TYPE_URL = 'type.googleapis.com/tensorflow.serving.SignatureDefMap';
export const DEFAULT_SIGNATURE = 'serving_default';
export const PREDICT_METHOD_NAME = 'tensorflow/serving/predict';
