import * as grpc from '@grpc/grpc-js';

/**
 * Options for a Google client: none in Google Cloud; with an emulator host (`127.0.0.1:PORT`, the convention of
 * PUBSUB_EMULATOR_HOST), a plaintext loopback connection that needs no credentials.
 */
export function clientOptions(emulatorHost: string | undefined): {
  apiEndpoint?: string;
  port?: number;
  sslCreds?: grpc.ChannelCredentials;
} {
  if (!emulatorHost) return {};
  const [apiEndpoint = '127.0.0.1', port = '443'] = emulatorHost.split(':');
  return { apiEndpoint, port: Number(port), sslCreds: grpc.credentials.createInsecure() };
}
