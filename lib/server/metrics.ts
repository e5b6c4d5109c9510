/**
 * Prometheus text exposition (format 0.0.4) for the server: requests by route and status, a
 * request-latency histogram, and per-model counters read from Model.stats() at scrape time.
 */
import type { Capture } from '../capture/capture';
import { decodeQueueStats } from '../input/decode-queue';
import type { Model } from '../model';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export class Metrics {
  readonly #requests = new Map<string, number>(); // `${route}\u0000${status}` -> count
  readonly #latency = new Map<string, { buckets: number[]; sum: number; count: number }>();

  /** `models`: the loaded models now, read at every scrape. */
  constructor(
    private readonly models: () => [string, Model][],
    private readonly capture?: Capture,
  ) {}

  request(route: string, status: number, seconds: number): void {
    const key = `${route}\u0000${status}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    let h = this.#latency.get(route);
    if (!h) this.#latency.set(route, (h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.buckets[i]++;
    });
    h.sum += seconds;
    h.count++;
  }

  render(): string {
    const out: string[] = [];
    out.push('# HELP edge_classify_http_requests_total HTTP requests by route and status.', '# TYPE edge_classify_http_requests_total counter');
    for (const [key, count] of this.#requests) {
      const [route, status] = key.split('\u0000');
      out.push(`edge_classify_http_requests_total{route="${label(route)}",status="${status}"} ${count}`);
    }
    out.push('# HELP edge_classify_http_request_duration_seconds Time to answer a request.', '# TYPE edge_classify_http_request_duration_seconds histogram');
    for (const [route, h] of this.#latency) {
      const r = label(route);
      BUCKETS.forEach((b, i) => out.push(`edge_classify_http_request_duration_seconds_bucket{route="${r}",le="${b}"} ${h.buckets[i]}`));
      out.push(`edge_classify_http_request_duration_seconds_bucket{route="${r}",le="+Inf"} ${h.count}`);
      out.push(`edge_classify_http_request_duration_seconds_sum{route="${r}"} ${h.sum}`);
      out.push(`edge_classify_http_request_duration_seconds_count{route="${r}"} ${h.count}`);
    }
    const perModel: [string, string, string, (s: ReturnType<Model['stats']>) => number][] = [
      ['edge_classify_calls_total', 'counter', 'classify() calls.', (s) => s.calls],
      ['edge_classify_calls_failed_total', 'counter', 'classify() calls that failed.', (s) => s.failed],
      ['edge_classify_batches_total', 'counter', 'Batches run.', (s) => s.batches],
      ['edge_classify_images_total', 'counter', 'Images classified in batches.', (s) => s.images],
      ['edge_classify_in_flight', 'gauge', 'Calls not settled.', (s) => s.inFlight],
      ['edge_classify_queue_images', 'gauge', 'Images waiting for a batch.', (s) => s.queuedImages],
      ['edge_classify_latency_p99_seconds', 'gauge', 'p99 latency of the last 1024 calls.', (s) => s.latencyMs.p99 / 1000],
    ];
    const stats = this.models().map(([id, m]) => [label(id), m.stats()] as const);
    for (const [name, type, help, get] of perModel) {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [id, s] of stats) out.push(`${name}{model="${id}"} ${get(s)}`);
    }
    // Triton Inference Server's names for the same counters (model and version as labels), so that
    // dashboards made for Triton read them: cumulative microseconds, as Triton reports them.
    const triton: [string, string, string, (s: ReturnType<Model['stats']>) => number][] = [
      ['nv_inference_request_success', 'counter', 'Requests that succeeded (every request on the model\'s scheduler).', (s) => s.scheduler.succeeded],
      ['nv_inference_request_failure', 'counter', 'Requests that failed.', (s) => s.scheduler.failed],
      ['nv_inference_count', 'counter', 'Images inferred in batches.', (s) => s.images],
      ['nv_inference_exec_count', 'counter', 'Backend executions (batches and chunks).', (s) => s.scheduler.executions],
      ['nv_inference_queue_duration_us', 'counter', 'Cumulative time requests waited in the queue.', (s) => Math.round(s.scheduler.queueMsTotal * 1000)],
      ['nv_inference_compute_infer_duration_us', 'counter', 'Cumulative time of the batches requests ran in (preprocessing and inference).', (s) => Math.round(s.scheduler.computeMsTotal * 1000)],
      ['nv_inference_pending_request_count', 'gauge', 'Requests waiting in the queue.', (s) => s.queuedRequests],
    ];
    const tritonLabels = (id: string) => {
      const slash = id.lastIndexOf('/');
      return slash < 0 ? `model="${id}",version=""` : `model="${id.slice(0, slash)}",version="${id.slice(slash + 1)}"`;
    };
    for (const [name, type, help, get] of triton) {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [id, s] of stats) out.push(`${name}{${tritonLabels(id)}} ${get(s)}`);
    }
    const gpu = stats.filter(([, s]) => s.gpuMemory);
    if (gpu.length > 0) {
      out.push('# HELP edge_classify_gpu_memory_free_bytes Free memory of the model\'s GPU.', '# TYPE edge_classify_gpu_memory_free_bytes gauge');
      for (const [id, s] of gpu) out.push(`edge_classify_gpu_memory_free_bytes{model="${id}"} ${s.gpuMemory!.freeBytes}`);
      out.push('# HELP edge_classify_gpu_memory_total_bytes Total memory of the model\'s GPU.', '# TYPE edge_classify_gpu_memory_total_bytes gauge');
      for (const [id, s] of gpu) out.push(`edge_classify_gpu_memory_total_bytes{model="${id}"} ${s.gpuMemory!.totalBytes}`);
    }
    out.push('# HELP edge_classify_batch_size_batches_total Batches by size.', '# TYPE edge_classify_batch_size_batches_total counter');
    for (const [id, s] of stats) {
      for (const [size, count] of Object.entries(s.batchSizes)) out.push(`edge_classify_batch_size_batches_total{model="${id}",size="${size}"} ${count}`);
    }
    const d = decodeQueueStats();
    out.push('# HELP edge_classify_decodes_running CPU decodes running (at most libuv\'s pool size).', '# TYPE edge_classify_decodes_running gauge', `edge_classify_decodes_running ${d.running}`);
    out.push('# HELP edge_classify_decodes_waiting CPU decodes waiting for a thread.', '# TYPE edge_classify_decodes_waiting gauge', `edge_classify_decodes_waiting ${d.waiting}`);
    out.push('# HELP edge_classify_decodes_total CPU decodes: started, dropped before starting (their request had ended), stopped at their request\'s deadline.', '# TYPE edge_classify_decodes_total counter');
    out.push(`edge_classify_decodes_total{outcome="started"} ${d.started}`, `edge_classify_decodes_total{outcome="dropped"} ${d.dropped}`, `edge_classify_decodes_total{outcome="stopped"} ${d.stopped}`);
    if (this.capture) {
      const c = this.capture.stats();
      out.push('# HELP edge_classify_capture_saved_total Captured images saved for retraining.', '# TYPE edge_classify_capture_saved_total counter', `edge_classify_capture_saved_total ${c.saved}`);
      out.push('# HELP edge_classify_capture_dropped_total Images a sampler kept but that were not saved, by reason.', '# TYPE edge_classify_capture_dropped_total counter');
      for (const [reason, n] of Object.entries(c.dropped)) out.push(`edge_classify_capture_dropped_total{reason="${reason}"} ${n}`);
      out.push('# HELP edge_classify_capture_bytes Bytes in the capture folder.', '# TYPE edge_classify_capture_bytes gauge', `edge_classify_capture_bytes ${c.bytes}`);
      out.push('# HELP edge_classify_capture_pending Captures waiting to be written.', '# TYPE edge_classify_capture_pending gauge', `edge_classify_capture_pending ${c.pending}`);
      out.push('# HELP edge_classify_capture_stopped 1 once capturing stopped (quota reached or a write failed).', '# TYPE edge_classify_capture_stopped gauge', `edge_classify_capture_stopped{reason="${label(c.stopped ?? '')}"} ${c.stopped ? 1 : 0}`);
    }
    return `${out.join('\n')}\n`;
  }
}
