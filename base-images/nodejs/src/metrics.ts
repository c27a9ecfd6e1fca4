// Prometheus counters and histogram of invocations, rendered as text by hand (HTTP-METRICS).

/** Buckets of prom-client's default histogram, extended up to the default FUNC_TIMEOUT. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 180] as const;

export class Metrics {
  private calls = 0;
  private failures = 0;
  private readonly bucketCounts = new Array<number>(BUCKETS.length).fill(0);
  private sum = 0;
  private count = 0;

  /** One invocation of user code started. */
  called(): void {
    this.calls++;
  }

  /** One invocation failed (threw, rejected or timed out). */
  failed(): void {
    this.failures++;
  }

  /** Duration of one finished invocation. */
  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]!) this.bucketCounts[i]!++;
    }
  }

  render(): string {
    const lines = [
      '# HELP function_calls_total Number of calls to the function.',
      '# TYPE function_calls_total counter',
      `function_calls_total ${this.calls}`,
      '# HELP function_failures_total Number of calls that threw, rejected or timed out.',
      '# TYPE function_failures_total counter',
      `function_failures_total ${this.failures}`,
      '# HELP function_duration_seconds Duration of function calls in seconds.',
      '# TYPE function_duration_seconds histogram',
    ];
    BUCKETS.forEach((le, i) => lines.push(`function_duration_seconds_bucket{le="${le}"} ${this.bucketCounts[i]}`));
    lines.push(`function_duration_seconds_bucket{le="+Inf"} ${this.count}`);
    lines.push(`function_duration_seconds_sum ${this.sum}`);
    lines.push(`function_duration_seconds_count ${this.count}`);
    return lines.join('\n') + '\n';
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
