import { parseTextProto, TextProtoError, type TextField } from './text-proto.js';

/** TF Serving's MonitoringConfig: only prometheus_config { enable, path } exists. */
export interface MonitoringConfig {
  prometheusEnabled: boolean;
  prometheusPath: string;
}

export const DEFAULT_PROMETHEUS_PATH = '/monitoring/prometheus/metrics';

function fail(field: TextField, type: string): never {
  throw new TextProtoError(`${field.line}:${field.column}: Message type "${type}" has no field named "${field.name}".`);
}

/** Parses a --monitoring_config_file; throws with protobuf's text-format message on a wrong file. */
export function parseMonitoringConfig(source: string): MonitoringConfig {
  const config: MonitoringConfig = { prometheusEnabled: false, prometheusPath: DEFAULT_PROMETHEUS_PATH };
  try {
    for (const field of parseTextProto(source)) {
      if (field.name !== 'prometheus_config' || !Array.isArray(field.value))
        fail(field, 'tensorflow.serving.MonitoringConfig');
      for (const inner of field.value as TextField[]) {
        if (Array.isArray(inner.value)) fail(inner, 'tensorflow.serving.PrometheusConfig');
        const { text } = inner.value as { text: string };
        if (inner.name === 'enable') config.prometheusEnabled = /^(true|True|t|1)$/.test(text);
        else if (inner.name === 'path') config.prometheusPath = text;
        else fail(inner, 'tensorflow.serving.PrometheusConfig');
      }
    }
  } catch (err) {
    if (err instanceof TextProtoError) {
      throw new TextProtoError(`Error parsing text-format tensorflow.serving.MonitoringConfig: ${err.message}`);
    }
    throw err;
  }
  return config;
}
