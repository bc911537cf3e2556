/**
 * The page's controls as the trader's own control messages (src/bus/trader-messages.ts, R21): each click becomes
 * one `trader_control` message with a unique id, validated with the trader's schema before it is published; the
 * trader applies it between ticks and answers on `trader_control_ack`, which the page shows (the result, the
 * trader's state after it, open orders and coins held). The dashboard never changes the trader's state itself.
 *
 *   page command          trader_control
 *   pause / stopentry     stopentry            entries blocked, exits still run
 *   resume / startentry   startentry
 *   stop                  stop {cancelOpen}    no new orders from the next tick
 *   start                 start                the explicit start after a stop, a halt or the kill switch
 *   kill                  kill                 stop and cancel every open order
 *   forceexit             forceexit            sell every coin now
 *   set_risk              set_risk {maxTradeFraction?, maxExposure?}  clamped by the trader to its configured limits
 *   coach                 coach {enabled}      coach guidance on or off (off: neutral guidance)
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Bus } from "../bus/bus.js";
import { traderControlSchema, type TraderControl, type TraderControlAck } from "../bus/trader-messages.js";
import type { DashboardModel } from "./model.js";

const fraction = z.number().refine(Number.isFinite, "expected a finite number").refine((x) => x >= 0 && x <= 1, "expected a number in [0, 1]");

/** The body of POST /api/control. */
export const controlRequestSchema = z.discriminatedUnion("command", [
  z.strictObject({ command: z.enum(["pause", "stopentry"]) }),
  z.strictObject({ command: z.enum(["resume", "startentry"]) }),
  z.strictObject({ command: z.literal("stop"), args: z.strictObject({ cancelOpen: z.boolean().optional() }).optional() }),
  z.strictObject({ command: z.literal("start") }),
  z.strictObject({ command: z.literal("kill") }),
  z.strictObject({ command: z.literal("forceexit") }),
  z.strictObject({
    command: z.literal("set_risk"),
    args: z.strictObject({ maxTradeFraction: fraction.optional(), maxExposure: fraction.optional() }).refine((a) => a.maxTradeFraction !== undefined || a.maxExposure !== undefined, "expected maxTradeFraction or maxExposure"),
  }),
  z.strictObject({ command: z.literal("coach"), args: z.strictObject({ enabled: z.boolean() }) }),
]);
export type ControlRequest = z.output<typeof controlRequestSchema>;

/** The trader_control message of a request (not yet validated by the trader's schema). */
export function controlMessageOf(req: ControlRequest, id: string, issuedAt: number): unknown {
  const base = { schemaVersion: 1, id, issuedBy: "dashboard", issuedAt };
  switch (req.command) {
    case "pause":
    case "stopentry":
      return { ...base, command: "stopentry", args: {} };
    case "resume":
    case "startentry":
      return { ...base, command: "startentry", args: {} };
    case "stop":
      return { ...base, command: "stop", args: { cancelOpen: req.args?.cancelOpen ?? false } };
    case "start":
    case "kill":
    case "forceexit":
      return { ...base, command: req.command, args: {} };
    case "set_risk":
      return { ...base, command: "set_risk", args: req.args };
    case "coach":
      return { ...base, command: "coach", args: { enabled: req.args.enabled } };
  }
}

export type ControlResult =
  | { readonly status: "acknowledged"; readonly id: string; readonly command: string; readonly ack: TraderControlAck; readonly latencyMs: number }
  /** Published, but no acknowledgement within the timeout (the trader is down, busy in a long tick, or not listening). */
  | { readonly status: "unacknowledged"; readonly id: string; readonly command: string; readonly ack: null; readonly latencyMs: number }
  /** The bus refused the publish (Redis down): nothing was sent. */
  | { readonly status: "not_sent"; readonly id: string; readonly command: string; readonly ack: null; readonly latencyMs: number };

export interface ControlSenderOptions {
  /** How long to wait for the trader's acknowledgement (ms). Default 5000. */
  readonly ackTimeoutMs?: number;
  readonly now?: () => number;
  /** Prefix of the message ids (one per dashboard process). */
  readonly idPrefix?: string;
}

export class ControlSender {
  private n = 0;
  private readonly prefix: string;
  private readonly now: () => number;

  constructor(
    private readonly bus: Bus,
    private readonly model: DashboardModel,
    private readonly opts: ControlSenderOptions = {},
  ) {
    this.prefix = opts.idPrefix ?? `dash-${randomBytes(4).toString("hex")}`;
    this.now = opts.now ?? Date.now;
  }

  /** Validates, publishes and waits for the acknowledgement. Throws a ZodError for a message the trader's schema refuses. */
  async send(req: ControlRequest): Promise<ControlResult> {
    const t0 = performance.now();
    const id = `${this.prefix}:${++this.n}`;
    const message: TraderControl = traderControlSchema.parse(controlMessageOf(req, id, Math.round(this.now())));
    // Known to the model before it is published, so that an ack arriving at once finds its control.
    this.model.control(message, this.now());
    const ackReceived = this.waitForAck(id, this.opts.ackTimeoutMs ?? 5_000);
    const entry = await this.bus.publish("trader_control", JSON.stringify(message));
    if (entry === null) {
      ackReceived.cancel();
      return { status: "not_sent", id, command: message.command, ack: null, latencyMs: performance.now() - t0 };
    }
    const ack = await ackReceived.promise;
    const latencyMs = performance.now() - t0;
    return ack === null ? { status: "unacknowledged", id, command: message.command, ack: null, latencyMs } : { status: "acknowledged", id, command: message.command, ack, latencyMs };
  }

  private waitForAck(id: string, timeoutMs: number): { promise: Promise<TraderControlAck | null>; cancel: () => void } {
    let cancel = (): void => {};
    const promise = new Promise<TraderControlAck | null>((resolve) => {
      const done = (ack: TraderControlAck | null): void => {
        clearTimeout(timer);
        off();
        resolve(ack);
      };
      const off = this.model.onChange((kinds) => {
        if (!kinds.has("control")) return;
        const ack = this.model.ackOf(id);
        if (ack !== null) done(ack);
      });
      const timer = setTimeout(() => done(null), timeoutMs);
      cancel = () => done(null);
    });
    return { promise, cancel };
  }
}
