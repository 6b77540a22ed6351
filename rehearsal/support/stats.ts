/** Small statistics for latency samples (ms). */

/** Nearest-rank percentile, p in [0, 100]; NaN for no samples. */
export function percentile(samples: number[], p: number): number {
    if (samples.length === 0) return Number.NaN;
    const sorted = [...samples].sort((a, b) => a - b);
    const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
    return sorted[Math.min(rank, sorted.length) - 1] as number;
}

export const median = (samples: number[]): number => percentile(samples, 50);

export const max = (samples: number[]): number => (samples.length === 0 ? Number.NaN : Math.max(...samples));

/** `1234 ms` / `12.3 ms` / `0.42 ms`: whole ms once the number is large enough not to need decimals. */
export function ms(value: number): string {
    if (!Number.isFinite(value)) return "n/a";
    if (value >= 100) return `${Math.round(value)} ms`;
    if (value >= 10) return `${value.toFixed(1)} ms`;
    return `${value.toFixed(2)} ms`;
}
