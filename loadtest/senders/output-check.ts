import { decodePredictResponse } from '../../shared/tfserving/codec.js';
import type { TensorSpec } from '../../shared/tfserving/messages.js';
import { nestedShape } from '../../shared/tfserving/nested-json.js';
import type { ReplyCheck } from './reply-check.js';

/** Every how many replies the shape is checked during the test (the pre-flight check looks at the first). */
export const CHECK_EVERY = 100;

/** -1 in the signature matches any size. */
export function shapeMismatch(name: string, expected: readonly number[], found: readonly number[]): string | undefined {
  const fits = expected.length === found.length && expected.every((d, i) => d === -1 || d === found[i]);
  return fits ? undefined : `output '${name}': expected shape [${expected.join(',')}], found [${found.join(',')}]`;
}

/** Checks a gRPC PredictResponse against the signature's outputs: present, dtype and shape. */
export function grpcOutputCheck(outputs: readonly TensorSpec[], every = CHECK_EVERY): ReplyCheck {
  return {
    every,
    check(message) {
      let decoded;
      try {
        decoded = decodePredictResponse(message);
      } catch (err) {
        return (err as Error).message;
      }
      for (const spec of outputs) {
        const tensor = decoded.outputs[spec.name];
        if (!tensor)
          return `output '${spec.name}': missing from the reply (found ${Object.keys(decoded.outputs).join(', ') || 'none'})`;
        if (tensor.dtype !== spec.dtype) return `output '${spec.name}': expected ${spec.dtype}, found ${tensor.dtype}`;
        const wrong = shapeMismatch(spec.name, spec.shape, tensor.shape);
        if (wrong) return wrong;
      }
      return undefined;
    },
  };
}

/** Checks a REST reply: {"predictions": ...} (row format) or {"outputs": ...} (columnar), shapes only. */
export function restOutputCheck(outputs: readonly TensorSpec[], every = CHECK_EVERY): ReplyCheck {
  return {
    every,
    check(message) {
      let reply: Record<string, unknown>;
      try {
        reply = JSON.parse(Buffer.from(message).toString()) as Record<string, unknown>;
      } catch {
        return 'the reply is not JSON';
      }
      const body = reply['predictions'] ?? reply['outputs'];
      if (body === undefined)
        return `expected "predictions" or "outputs" in the reply, found ${Object.keys(reply).join(', ')}`;
      const single = outputs.length === 1 && outputs[0];
      try {
        if (single) return shapeMismatch(single.name, single.shape, nestedShape(body, single.name));
        for (const spec of outputs) {
          const value = (body as Record<string, unknown>)[spec.name];
          if (value === undefined) return `output '${spec.name}': missing from the reply`;
          const wrong = shapeMismatch(spec.name, spec.shape, nestedShape(value, spec.name));
          if (wrong) return wrong;
        }
      } catch (err) {
        return (err as Error).message;
      }
      return undefined;
    },
  };
}
