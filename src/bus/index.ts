/** The bus: message schemas, the Bus interface with its Redis and in-memory implementations, the consumer loop. See docs/bus.md. */
export * from "./messages.js";
export * from "./trader-messages.js";
export * from "./bus.js";
export { MemoryBus, MemoryStreams, type MemoryStreamsOptions } from "./memory-bus.js";
export { RedisBus, redactUrl, type RedisBusOptions } from "./redis-bus.js";
export { consume, type ConsumeOptions, type ConsumerStats } from "./consume.js";
export { busConfigSchema, createBus, type BusConfig, type BusConfigInput } from "./create-bus.js";
export { freeLoopbackPort, startLocalRedis, type LocalRedis, type LocalRedisOptions } from "./local-redis.js";
