/** Loads the shared warm-up contract fixtures (contract/fixtures/*.json), the same files the Python suite reads. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { WarmupReply, WarmupSettings } from "../../hooks/contract";

export const FIXTURES_DIR = join(__dirname, "..", "..", "contract", "fixtures");

export function fixture<T = unknown>(name: string): T {
    return JSON.parse(readFileSync(join(FIXTURES_DIR, name), "utf8")) as T;
}

/** A reply fixture with fields replaced, e.g. another instanceId to stand for another environment. */
export function replyFixture(name: string, overrides: Partial<WarmupReply> = {}): WarmupReply {
    return { ...fixture<WarmupReply>(name), ...overrides };
}

/** `n` distinct environment ids shaped like the helper's (uuid4). */
export function instanceIds(n: number): string[] {
    return Array.from({ length: n }, (_, i) => `${(0xa0000000 + i).toString(16)}-0000-4000-8000-00000000000${i % 10}`);
}

/** The hooks' settings for a five-environment helper-mode warm-up with a `db` check, as the component sends them. */
export function warmupSettings(overrides: Partial<WarmupSettings> = {}): WarmupSettings {
    return {
        functionName: "shop-api",
        alias: "live",
        concurrency: 5,
        holdMs: [250, 400],
        checks: ["db"],
        mode: "helper",
        minDistinct: 5,
        failOnCheckError: true,
        ...overrides,
    };
}
