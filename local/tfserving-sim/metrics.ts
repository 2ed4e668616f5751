/**
 * The simulator's Prometheus metrics, with TF Serving's names (`/tensorflow/serving/request_count` is exported as
 * `:tensorflow:serving:request_count`) and its bucket layout (exponential, 10 us x 1.8^i, 33 buckets). Label sets
 * are few and fixed by model, API and status, so memory stays bounded.
 */

type Labels = Record<string, string>;

function exponential(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

const LATENCY_BOUNDS_US = exponential(10, 1.8, 33);
const BATCH_SIZE_BOUNDS = exponential(1, 2, 14);

function labelText(labels: Labels, extra?: [string, string]): string {
  const all = Object.entries(labels).concat(extra ? [extra] : []);
  return all.length ? `{${all.map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`).join(',')}}` : '';
}

interface Histogram {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

function createFamily<T>(make: (labels: Labels) => T) {
  const series = new Map<string, T>();
  return {
    get(labels: Labels): T {
      const key = JSON.stringify(labels);
      let found = series.get(key);
      if (!found) series.set(key, (found = make(labels)));
      return found;
    },
    all: () => [...series.values()],
  };
}

function histogramFamily(name: string, bounds: number[]) {
  const family = createFamily<Histogram>((labels) => ({ labels, counts: bounds.map(() => 0), sum: 0, count: 0 }));
  return {
    observe(labels: Labels, value: number): void {
      const h = family.get(labels);
      const i = bounds.findIndex((b) => value <= b);
      if (i >= 0) h.counts[i] = (h.counts[i] ?? 0) + 1;
      h.sum += value;
      h.count++;
    },
    render(): string[] {
      const lines = [`# TYPE ${name} histogram`];
      for (const h of family.all()) {
        let cumulative = 0;
        bounds.forEach((b, i) => {
          cumulative += h.counts[i] ?? 0;
          lines.push(`${name}_bucket${labelText(h.labels, ['le', String(Number(b.toPrecision(6)))])} ${cumulative}`);
        });
        lines.push(`${name}_bucket${labelText(h.labels, ['le', '+Inf'])} ${h.count}`);
        lines.push(`${name}_sum${labelText(h.labels)} ${h.sum}`, `${name}_count${labelText(h.labels)} ${h.count}`);
      }
      return lines;
    },
  };
}

function counterFamily(name: string) {
  const family = createFamily<{ labels: Labels; value: number }>((labels) => ({ labels, value: 0 }));
  return {
    add(labels: Labels, by = 1): void {
      family.get(labels).value += by;
    },
    render: () => [`# TYPE ${name} counter`, ...family.all().map((c) => `${name}${labelText(c.labels)} ${c.value}`)],
  };
}

export function createSimMetrics(modelName: string, threadPoolName: string, cpuMs: () => number) {
  const requestCount = counterFamily(':tensorflow:serving:request_count');
  const requestLatency = histogramFamily(':tensorflow:serving:request_latency', LATENCY_BOUNDS_US);
  const runtimeLatency = histogramFamily(':tensorflow:serving:runtime_latency', LATENCY_BOUNDS_US);
  const queuingLatency = histogramFamily(':tensorflow:serving:batching_session:queuing_latency', LATENCY_BOUNDS_US);
  const batchSize = histogramFamily(':tensorflow:serving:batching_session:processed_batch_size', BATCH_SIZE_BOUNDS);
  const examples = counterFamily('modelship_sim_examples_total');

  return {
    /** One finished request: `status` is the gRPC status name, latencies in ms. */
    request(
      api: string,
      entrypoint: 'GRPC' | 'REST',
      status: string,
      latencyMs: number,
      runtimeMs?: number,
      batch = 0,
    ): void {
      requestCount.add({ model_name: modelName, status });
      requestLatency.observe({ model_name: modelName, API: api, entrypoint }, latencyMs * 1000);
      if (runtimeMs !== undefined)
        runtimeLatency.observe({ model_name: modelName, API: api, runtime: 'TF1' }, runtimeMs * 1000);
      if (batch > 0) examples.add({ model_name: modelName }, batch);
    },
    batch(paddedSize: number, queuedMs: number[]): void {
      batchSize.observe({ thread_pool_name: threadPoolName }, paddedSize);
      for (const q of queuedMs) queuingLatency.observe({ thread_pool_name: threadPoolName }, q * 1000);
    },
    render(): string {
      return [
        ...requestCount.render(),
        ...requestLatency.render(),
        ...runtimeLatency.render(),
        ...queuingLatency.render(),
        ...batchSize.render(),
        ...examples.render(),
        '# TYPE modelship_sim_cpu_seconds_total counter',
        `modelship_sim_cpu_seconds_total ${cpuMs() / 1000}`,
        '',
      ].join('\n');
    },
  };
}

export type SimMetrics = ReturnType<typeof createSimMetrics>;
