import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeGetModelMetadataRequest,
  decodeGetModelMetadataResponse,
  decodeGetModelStatusResponse,
  decodePredictRequest,
  decodePredictResponse,
  encodeGetModelMetadataRequest,
  encodeGetModelMetadataResponse,
  encodeGetModelStatusResponse,
  encodePredictRequest,
  encodePredictResponse,
  readTensor,
  type GetModelMetadataResponse,
  type PredictResponse,
} from '../../../../shared/tfserving/index.js';
import { packageRoot } from '../../../../shared/paths.js';

/** Hand-written wire bytes: hex with # comments (see test/fixtures/tfserving/README.md). */
function fixture(name: string): Uint8Array {
  const text = readFileSync(join(packageRoot, 'test', 'fixtures', 'tfserving', name), 'utf8');
  const hex = text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join('')
    .replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const seedSpec = { name: 'resnet', version: 1, signatureName: 'serving_default' };

describe('codec against hand-checked wire bytes', () => {
  it('decodes and encodes a PredictRequest with tensor_content byte for byte', () => {
    const bytes = fixture('predict-request.hex');
    const request = decodePredictRequest(bytes);
    expect(request.modelSpec).toEqual(seedSpec);
    expect(request.outputFilter).toEqual(['resnet50']);
    const input = request.inputs['image_input'];
    expect(input).toBeDefined();
    expect(readTensor(input!)).toEqual({ dtype: 'DT_FLOAT', shape: [1, 2], values: new Float32Array([1, 2]) });
    expect(hex(encodePredictRequest(request))).toBe(hex(bytes));
  });

  it('decodes and encodes a PredictResponse (outputs = 1, model_spec = 2) with packed float_val', () => {
    const bytes = fixture('predict-response.hex');
    const expected: PredictResponse = {
      outputs: { resnet50: { dtype: 'DT_FLOAT', shape: [1, 3], floatVal: [0.25, 0.5, 0.25] } },
      modelSpec: seedSpec,
    };
    expect(decodePredictResponse(bytes)).toEqual(expected);
    expect(hex(encodePredictResponse(expected))).toBe(hex(bytes));
  });

  it('decodes and encodes GetModelMetadata request and response, with the Any of SignatureDefMap', () => {
    const request = fixture('get-model-metadata-request.hex');
    expect(decodeGetModelMetadataRequest(request)).toEqual({
      modelSpec: { name: 'resnet' },
      metadataField: ['signature_def'],
    });
    expect(hex(encodeGetModelMetadataRequest(decodeGetModelMetadataRequest(request)))).toBe(hex(request));

    const bytes = fixture('get-model-metadata-response.hex');
    const expected: GetModelMetadataResponse = {
      modelSpec: { name: 'm', version: 1 },
      signatures: {
        s: {
          name: 's',
          methodName: 'p',
          inputs: { x: { name: 'x', dtype: 'DT_FLOAT', shape: [-1], tensorName: 'x:0' } },
          outputs: {},
        },
      },
    };
    expect(decodeGetModelMetadataResponse(bytes)).toEqual(expected);
    expect(hex(encodeGetModelMetadataResponse(expected))).toBe(hex(bytes));
  });

  it('decodes and encodes a GetModelStatusResponse', () => {
    const bytes = fixture('get-model-status-response.hex');
    const expected = {
      modelVersionStatus: [{ version: 1, state: 'AVAILABLE' as const, status: { errorCode: 'OK', errorMessage: '' } }],
    };
    expect(decodeGetModelStatusResponse(bytes)).toEqual(expected);
    expect(hex(encodeGetModelStatusResponse(expected))).toBe(hex(bytes));
  });

  it('rejects bytes that are not the message with an error naming the type', () => {
    expect(() => decodePredictResponse(new Uint8Array([0x0a, 0x05, 0x01]))).toThrow(
      /tensorflow.serving.PredictResponse/,
    );
  });
});
