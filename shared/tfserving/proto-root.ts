import { join } from 'node:path';
import protobuf from 'protobufjs';
import { packageRoot } from '../paths.js';

/** Where the project's own .proto files live; found from the package root because tsc does not copy them to dist/. */
export const PROTO_DIR = join(packageRoot, 'shared', 'tfserving', 'protos');

const PROTO_FILES = [
  'tensorflow/core/protobuf/saved_model.proto',
  'tensorflow_serving/apis/prediction_service.proto',
  'tensorflow_serving/apis/model_service.proto',
];

let root: protobuf.Root | undefined;

/** The loaded TF Serving protos (loaded once, on first use: nothing runs at import time). */
export function protoRoot(): protobuf.Root {
  if (!root) {
    const loaded = new protobuf.Root();
    // Imports are relative to PROTO_DIR, as protoc's -I would make them; google/protobuf/* are protobufjs's own.
    loaded.resolvePath = (_origin, target) =>
      target.startsWith('google/protobuf/') ? target : join(PROTO_DIR, target);
    loaded.loadSync(PROTO_FILES);
    loaded.resolveAll();
    root = loaded;
  }
  return root;
}

/** A message type by its full name, e.g. "tensorflow.serving.PredictRequest". */
export function protoType(name: string): protobuf.Type {
  return protoRoot().lookupType(name);
}
