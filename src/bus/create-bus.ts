import { z } from "zod";
import type { Bus } from "./bus.js";
import { MemoryBus } from "./memory-bus.js";
import { RedisBus } from "./redis-bus.js";

/** The bus of an entry point: one config field picks the implementation. */
export const busConfigSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    /** In-process streams and channels: backtests, notebooks, tests. */
    kind: z.literal("memory"),
  }),
  z.strictObject({
    kind: z.literal("redis"),
    /** redis://[user:password@]host:port[/db]. */
    url: z.string().regex(/^rediss?:\/\//, "expected a redis:// or rediss:// URL"),
    /** Prefix of every key and channel, e.g. "paper:" (paper and live never share one). */
    namespace: z.string().regex(/^[A-Za-z0-9:_-]*$/).default(""),
    /** Command timeout (ms). */
    commandTimeoutMs: z.number().int().min(10).max(60_000).default(2_000),
  }),
]);
export type BusConfig = z.output<typeof busConfigSchema>;
export type BusConfigInput = z.input<typeof busConfigSchema>;

export function createBus(input: BusConfigInput, onError?: (err: Error, connection: string) => void, onReady?: (connection: string) => void): Bus {
  const config = busConfigSchema.parse(input);
  if (config.kind === "memory") return new MemoryBus();
  return new RedisBus({ url: config.url, namespace: config.namespace, commandTimeoutMs: config.commandTimeoutMs, ...(onError ? { onError } : {}), ...(onReady ? { onReady } : {}) });
}
