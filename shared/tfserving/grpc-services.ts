import type { ServiceDefinition } from '@grpc/grpc-js';
import {
  decodeGetModelMetadataRequest,
  decodeGetModelMetadataResponse,
  decodeGetModelStatusRequest,
  decodeGetModelStatusResponse,
  decodePredictRequest,
  decodePredictResponse,
  encodeGetModelMetadataRequest,
  encodeGetModelMetadataResponse,
  encodeGetModelStatusRequest,
  encodeGetModelStatusResponse,
  encodePredictRequest,
  encodePredictResponse,
} from './codec.js';
import { GET_MODEL_METADATA_METHOD, GET_MODEL_STATUS_METHOD, PREDICT_METHOD } from './methods.js';

/** Bytes as a Buffer without copying (a 600 KB tensor should not be copied for nothing). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function unary<Req, Res>(
  path: string,
  encodeReq: (r: Req) => Uint8Array,
  decodeReq: (b: Uint8Array) => Req,
  encodeRes: (r: Res) => Uint8Array,
  decodeRes: (b: Uint8Array) => Res,
) {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: (r: Req) => asBuffer(encodeReq(r)),
    requestDeserialize: decodeReq,
    responseSerialize: (r: Res) => asBuffer(encodeRes(r)),
    responseDeserialize: decodeRes,
  } as const;
}

/** grpc-js definitions of the two services, with the project's codec as (de)serializers, for client and server. */
export const predictionServiceDefinition = {
  Predict: unary(
    PREDICT_METHOD,
    encodePredictRequest,
    decodePredictRequest,
    encodePredictResponse,
    decodePredictResponse,
  ),
  GetModelMetadata: unary(
    GET_MODEL_METADATA_METHOD,
    encodeGetModelMetadataRequest,
    decodeGetModelMetadataRequest,
    encodeGetModelMetadataResponse,
    decodeGetModelMetadataResponse,
  ),
} satisfies ServiceDefinition;

export const modelServiceDefinition = {
  GetModelStatus: unary(
    GET_MODEL_STATUS_METHOD,
    encodeGetModelStatusRequest,
    decodeGetModelStatusRequest,
    encodeGetModelStatusResponse,
    decodeGetModelStatusResponse,
  ),
} satisfies ServiceDefinition;
