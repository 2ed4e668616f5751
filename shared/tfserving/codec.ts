import type protobuf from 'protobufjs';
import { MessageError } from '../errors.js';
import type {
  GetModelMetadataRequest,
  GetModelMetadataResponse,
  GetModelStatusRequest,
  GetModelStatusResponse,
  ModelState,
  PredictRequest,
  PredictResponse,
} from './messages.js';
import { SIGNATURE_DEF_MAP_TYPE_URL } from './messages.js';
import { protoType } from './proto-root.js';
import {
  TO_OBJECT_OPTIONS,
  modelSpecFromWire,
  modelSpecToWire,
  signaturesFromWire,
  signaturesToWire,
  tensorMapFromWire,
  tensorMapToWire,
} from './wire-objects.js';

/**
 * Plain bytes in, plain bytes out: a load tester encodes a request once and sends the same bytes many times over
 * its own HTTP/2 framing; the gRPC client and the simulator use these same functions as their (de)serializers.
 */

type Obj = Record<string, unknown>;

function encode(typeName: string, wire: Obj): Uint8Array {
  const type = protoType(typeName);
  return type.encode(type.fromObject(wire)).finish();
}

function decode(typeName: string, bytes: Uint8Array): Obj {
  const type = protoType(typeName);
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (err) {
    throw new MessageError(`${typeName}: ${bytes.length} bytes are not a valid ${typeName}: ${String(err)}`, {
      cause: err,
      hint: 'check that both sides use the same message type for this method',
    });
  }
  return type.toObject(message, TO_OBJECT_OPTIONS);
}

export function encodePredictRequest(request: PredictRequest): Uint8Array {
  return encode('tensorflow.serving.PredictRequest', {
    modelSpec: modelSpecToWire(request.modelSpec),
    inputs: tensorMapToWire(request.inputs),
    outputFilter: request.outputFilter ?? [],
  });
}

export function decodePredictRequest(bytes: Uint8Array): PredictRequest {
  const wire = decode('tensorflow.serving.PredictRequest', bytes);
  const request: PredictRequest = {
    modelSpec: modelSpecFromWire(wire['modelSpec'] as Obj | undefined) ?? { name: '' },
    inputs: tensorMapFromWire(wire['inputs'] as Obj | undefined),
  };
  const filter = wire['outputFilter'] as string[] | undefined;
  if (filter?.length) request.outputFilter = filter;
  return request;
}

export function encodePredictResponse(response: PredictResponse): Uint8Array {
  const wire: Obj = { outputs: tensorMapToWire(response.outputs) };
  if (response.modelSpec) wire['modelSpec'] = modelSpecToWire(response.modelSpec);
  return encode('tensorflow.serving.PredictResponse', wire);
}

export function decodePredictResponse(bytes: Uint8Array): PredictResponse {
  const wire = decode('tensorflow.serving.PredictResponse', bytes);
  const response: PredictResponse = { outputs: tensorMapFromWire(wire['outputs'] as Obj | undefined) };
  const spec = modelSpecFromWire(wire['modelSpec'] as Obj | undefined);
  if (spec) response.modelSpec = spec;
  return response;
}

export function encodeGetModelMetadataRequest(request: GetModelMetadataRequest): Uint8Array {
  return encode('tensorflow.serving.GetModelMetadataRequest', {
    modelSpec: modelSpecToWire(request.modelSpec),
    metadataField: request.metadataField,
  });
}

export function decodeGetModelMetadataRequest(bytes: Uint8Array): GetModelMetadataRequest {
  const wire = decode('tensorflow.serving.GetModelMetadataRequest', bytes);
  return {
    modelSpec: modelSpecFromWire(wire['modelSpec'] as Obj | undefined) ?? { name: '' },
    metadataField: (wire['metadataField'] as string[] | undefined) ?? [],
  };
}

export function encodeGetModelMetadataResponse(response: GetModelMetadataResponse): Uint8Array {
  const mapType = protoType('tensorflow.serving.SignatureDefMap');
  const map = mapType.encode(mapType.fromObject({ signatureDef: signaturesToWire(response.signatures) })).finish();
  const wire: Obj = { metadata: { signature_def: { type_url: SIGNATURE_DEF_MAP_TYPE_URL, value: map } } };
  if (response.modelSpec) wire['modelSpec'] = modelSpecToWire(response.modelSpec);
  return encode('tensorflow.serving.GetModelMetadataResponse', wire);
}

export function decodeGetModelMetadataResponse(bytes: Uint8Array): GetModelMetadataResponse {
  const wire = decode('tensorflow.serving.GetModelMetadataResponse', bytes);
  const any = (wire['metadata'] as Record<string, { type_url?: string; value?: Uint8Array }> | undefined)?.[
    'signature_def'
  ];
  if (any?.type_url !== undefined && any.type_url !== SIGNATURE_DEF_MAP_TYPE_URL) {
    throw new MessageError(
      `GetModelMetadataResponse: metadata["signature_def"] holds ${any.type_url}, expected ${SIGNATURE_DEF_MAP_TYPE_URL}`,
    );
  }
  const map = any?.value ? decode('tensorflow.serving.SignatureDefMap', any.value) : {};
  const response: GetModelMetadataResponse = { signatures: signaturesFromWire(map['signatureDef'] as Obj) };
  const spec = modelSpecFromWire(wire['modelSpec'] as Obj | undefined);
  if (spec) response.modelSpec = spec;
  return response;
}

export function encodeGetModelStatusRequest(request: GetModelStatusRequest): Uint8Array {
  return encode('tensorflow.serving.GetModelStatusRequest', { modelSpec: modelSpecToWire(request.modelSpec) });
}

export function decodeGetModelStatusRequest(bytes: Uint8Array): GetModelStatusRequest {
  const wire = decode('tensorflow.serving.GetModelStatusRequest', bytes);
  return { modelSpec: modelSpecFromWire(wire['modelSpec'] as Obj | undefined) ?? { name: '' } };
}

export function encodeGetModelStatusResponse(response: GetModelStatusResponse): Uint8Array {
  return encode('tensorflow.serving.GetModelStatusResponse', {
    modelVersionStatus: response.modelVersionStatus.map((s) => ({
      version: s.version,
      state: s.state,
      // proto3 writes no default values; protobufjs would write whatever it is given.
      status: {
        ...(s.status.errorCode !== 'OK' ? { errorCode: s.status.errorCode } : {}),
        ...(s.status.errorMessage ? { errorMessage: s.status.errorMessage } : {}),
      },
    })),
  });
}

export function decodeGetModelStatusResponse(bytes: Uint8Array): GetModelStatusResponse {
  const wire = decode('tensorflow.serving.GetModelStatusResponse', bytes);
  const statuses = (wire['modelVersionStatus'] as Obj[] | undefined) ?? [];
  return {
    modelVersionStatus: statuses.map((s) => {
      const status = (s['status'] as Obj | undefined) ?? {};
      return {
        version: (s['version'] as number | undefined) ?? 0,
        state: (s['state'] as ModelState | undefined) ?? 'UNKNOWN',
        status: {
          errorCode: String(status['errorCode'] ?? 'OK'),
          errorMessage: (status['errorMessage'] as string | undefined) ?? '',
        },
      };
    }),
  };
}
