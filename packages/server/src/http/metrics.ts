import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BoundedQueue } from '../scoring/boundedQueue.js';

/** The service's Prometheus metrics, in a registry of its own (several servers may share a process). */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly latency: Histogram<'route' | 'method'>;
  readonly imagesScored: Counter;
}

export function createMetrics(queue: BoundedQueue): ServerMetrics {
  const registry = new Registry();
  // Process metrics (resident memory, CPU, event-loop lag, heap), prefixed like the rest.
  collectDefaultMetrics({ register: registry, prefix: 'aaclip_' });
  const requests = new Counter({
    name: 'aaclip_http_requests_total',
    help: 'HTTP requests answered, by route (the matched route pattern; "unmatched" for unknown paths), method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'aaclip_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its response, by route and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const imagesScored = new Counter({
    name: 'aaclip_images_scored_total',
    help: 'Images the model has scored',
    registers: [registry],
  });
  new Gauge({
    name: 'aaclip_queue_depth',
    help: 'Detection requests waiting for the model',
    registers: [registry],
    collect() {
      this.set(queue.depth);
    },
  });
  new Gauge({
    name: 'aaclip_queue_running',
    help: 'Detection requests the model is running',
    registers: [registry],
    collect() {
      this.set(queue.active);
    },
  });
  return { registry, requests, latency, imagesScored };
}
