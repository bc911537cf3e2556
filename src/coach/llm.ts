/**
 * The impasse subgoal's optional LLM, through LangChain's chat-model interface (`BaseChatModel`), provider and
 * model from configuration (`--llm provider:model`). Never required: without it the coach runs on its rules.
 *
 * LLM output is untrusted input (R17): the answer must be one JSON object that passes a strict zod schema with the
 * guidance bounds; prose, invalid JSON, a refusal, an out-of-range value or `null` is a failure, and a failure
 * means **no change** (nothing is published, the trace says why). Each attempt has a timeout (the call is aborted
 * and, should the model ignore the signal, abandoned); HTTP 5xx, 429 and network errors are retried up to
 * `maxAttempts` in all (the provider's own retrier is off: `maxRetries: 0`, so attempts are not multiplied);
 * 4xx such as 401 are not retried. The whole subgoal fits in `budgetMs`, shorter than the trader's interval.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { z } from "zod";
import { GUIDANCE_BOUNDS } from "../bus/messages.js";
import type { Operator } from "./cycle.js";
import { CoachError } from "./errors.js";
import type { OperatorKind } from "./rules.js";
import type { Facts } from "./working-memory.js";

export interface LlmOptions {
  /** Per attempt (ms). Default 10 s. */
  readonly timeoutMs?: number;
  /** Attempts in all, first included. Default 2. */
  readonly maxAttempts?: number;
  /** The whole subgoal (ms). Default 25 s. */
  readonly budgetMs?: number;
  /** Wait before a retry (ms). Default 500. */
  readonly retryDelayMs?: number;
}

export interface SubgoalRequest {
  readonly impasse: "tie" | "no_candidate";
  readonly facts: Facts;
  readonly candidates: readonly Operator[];
}

export type LlmFailure = "timeout" | "http_error" | "network_error" | "prose" | "invalid_json" | "invalid_answer" | "refusal" | "empty";

export type SubgoalAnswer =
  | { readonly ok: true; readonly guidance: OperatorKind; readonly value: number | null; readonly reason: string; readonly attempts: number }
  | { readonly ok: false; readonly failure: LlmFailure; readonly message: string; readonly attempts: number };

/** What the graph's subgoal node calls. */
export interface SubgoalLlm {
  /** "provider:model", for traces and the heartbeat. */
  readonly spec: string;
  resolve(req: SubgoalRequest, signal?: AbortSignal): Promise<SubgoalAnswer>;
}

const answerSchema = z
  .strictObject({
    guidance: z.enum(["adjust_risk", "timing", "size", "none"]),
    value: z.number().nullable().optional(),
    reason: z.string().min(1).max(500),
  })
  .superRefine((a, ctx) => {
    if (a.guidance === "none") return;
    const b = GUIDANCE_BOUNDS[a.guidance];
    const v = a.value;
    if (typeof v !== "number" || !Number.isFinite(v) || v < b.min || v > b.max || (b.integer && !Number.isInteger(v))) {
      ctx.addIssue({ code: "custom", path: ["value"], message: `expected ${b.integer ? "an integer" : "a number"} in [${b.min}, ${b.max}] for ${a.guidance}, got ${JSON.stringify(v)}`, input: v });
    }
  });

export const SYSTEM_PROMPT = [
  "You coach a reinforcement-learning trading agent whose policy is fixed. Its production rules reached an impasse.",
  "Choose one guidance for the next hours, or none. The guidance can only make the trader more cautious:",
  '  {"guidance":"adjust_risk","value":r}  r in [0,1] multiplies the cap on the coin share of the portfolio;',
  '  {"guidance":"timing","value":n}       n integer in [0,168]: the trader holds for n ticks;',
  '  {"guidance":"size","value":s}         s in [0,1] multiplies every order size;',
  '  {"guidance":"none"}                   no change.',
  'Answer with ONE JSON object and nothing else: {"guidance": ..., "value": ..., "reason": "one sentence"}.',
].join("\n");

export function userPrompt(req: SubgoalRequest): string {
  const facts = Object.fromEntries(Object.entries(req.facts).map(([k, v]) => [k, typeof v === "number" ? +v.toPrecision(4) : v]));
  const cands = req.candidates.map((c) => ({ rule: c.rule, guidance: c.guidance, value: c.value, preference: c.preference, why: c.doc }));
  const what = req.impasse === "tie" ? "These rules tie (same preference, different guidance)" : "No rule applies to this situation";
  return `${what}.\nWorking memory: ${JSON.stringify(facts)}\nCandidates: ${JSON.stringify(cands)}`;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((c) => (typeof c === "string" ? c : typeof c === "object" && c !== null && "text" in c ? String((c as { text: unknown }).text) : "")).join("");
  return "";
}

/** HTTP status of a provider error (OpenAI, Anthropic and fetch-style errors carry one of these). */
export function statusOf(err: unknown): number | null {
  if (typeof err !== "object" || err === null) return null;
  const e = err as { status?: unknown; statusCode?: unknown; response?: { status?: unknown } };
  for (const s of [e.status, e.statusCode, e.response?.status]) if (typeof s === "number") return s;
  return null;
}

const REFUSAL = /\b(I can(?:no|')t|I am unable|I'm unable|I won't|cannot help|not able to (?:help|assist)|as an AI)\b/i;

/** Reads the model's text as an answer: one JSON object (a ```json fence is tolerated), strictly validated. */
export function parseAnswer(text: string): { ok: true; guidance: OperatorKind; value: number | null; reason: string } | { ok: false; failure: LlmFailure; message: string } {
  const t = text.trim();
  if (t === "") return { ok: false, failure: "empty", message: "empty answer" };
  const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/.exec(t);
  const body = fenced ? fenced[1]! : t;
  if (!body.startsWith("{")) {
    return REFUSAL.test(body) ? { ok: false, failure: "refusal", message: `refused: ${body.slice(0, 80)}` } : { ok: false, failure: "prose", message: `not a JSON object: ${body.slice(0, 80)}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    return { ok: false, failure: "invalid_json", message: err instanceof Error ? err.message : String(err) };
  }
  const r = answerSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    return { ok: false, failure: "invalid_answer", message: `${i.path.join(".") || "answer"}: ${i.message}` };
  }
  return { ok: true, guidance: r.data.guidance, value: r.data.guidance === "none" ? null : (r.data.value ?? null), reason: r.data.reason };
}

class Timeout extends Error {}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A SubgoalLlm over any LangChain chat model. */
export function llmSubgoal(model: BaseChatModel, spec: string, opts: LlmOptions = {}): SubgoalLlm {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxAttempts = opts.maxAttempts ?? 2;
  const budgetMs = opts.budgetMs ?? 25_000;
  const retryDelayMs = opts.retryDelayMs ?? 500;
  return {
    spec,
    async resolve(req, signal) {
      const started = Date.now();
      const messages = [
        { role: "system" as const, content: SYSTEM_PROMPT },
        { role: "user" as const, content: userPrompt(req) },
      ];
      let last: SubgoalAnswer = { ok: false, failure: "timeout", message: "no attempt made", attempts: 0 };
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const left = budgetMs - (Date.now() - started);
        if (left <= 0 || signal?.aborted) break;
        const ctl = new AbortController();
        const onAbort = (): void => ctl.abort();
        signal?.addEventListener("abort", onAbort, { once: true });
        const limit = Math.min(timeoutMs, left);
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          // The race abandons a model that ignores the abort signal.
          const reply = await Promise.race([
            model.invoke(messages, { signal: ctl.signal }),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => {
                ctl.abort();
                reject(new Timeout(`no answer within ${limit} ms`));
              }, limit);
            }),
          ]);
          const parsed = parseAnswer(textOf(reply.content));
          // A wrong answer is not retried: the same prompt tends to give the same wrong answer, and time is short.
          return parsed.ok ? { ...parsed, attempts: attempt } : { ...parsed, attempts: attempt };
        } catch (err) {
          if (err instanceof Timeout) return { ok: false, failure: "timeout", message: err.message, attempts: attempt };
          const status = statusOf(err);
          const message = `${status === null ? "" : `HTTP ${status}: `}${err instanceof Error ? err.message : String(err)}`.slice(0, 300);
          last = { ok: false, failure: status === null ? "network_error" : "http_error", message, attempts: attempt };
          const retryable = status === null || status === 429 || status >= 500;
          if (!retryable) return last;
          if (attempt < maxAttempts) await sleep(Math.min(retryDelayMs * attempt, Math.max(0, budgetMs - (Date.now() - started))));
        } finally {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        }
      }
      return last;
    },
  };
}

/** Provider → the LangChain package and class that serve it (installed separately: none is a dependency). */
export const PROVIDERS: Readonly<Record<string, { readonly pkg: string; readonly cls: string }>> = {
  openai: { pkg: "@langchain/openai", cls: "ChatOpenAI" },
  anthropic: { pkg: "@langchain/anthropic", cls: "ChatAnthropic" },
  ollama: { pkg: "@langchain/ollama", cls: "ChatOllama" },
  google: { pkg: "@langchain/google-genai", cls: "ChatGoogleGenerativeAI" },
  mistral: { pkg: "@langchain/mistralai", cls: "ChatMistralAI" },
  groq: { pkg: "@langchain/groq", cls: "ChatGroq" },
};

/** Parses "provider:model" (the flag's form). */
export function parseLlmSpec(spec: string): { provider: string; model: string } {
  const m = /^([a-z][a-z0-9-]*):(.+)$/.exec(spec);
  if (!m) throw new CoachError("invalid_llm", `expected provider:model (e.g. openai:gpt-4o-mini), got "${spec}"`, { field: "--llm" });
  const provider = m[1]!;
  if (!(provider in PROVIDERS)) throw new CoachError("invalid_llm", `unknown provider "${provider}"; expected one of ${Object.keys(PROVIDERS).join(", ")}`, { field: "--llm" });
  return { provider, model: m[2]! };
}

/** The chat model for "provider:model", with the provider's retrier off (our attempts are the only ones). */
export async function chatModelFor(spec: string): Promise<BaseChatModel> {
  const { provider, model } = parseLlmSpec(spec);
  const { pkg, cls } = PROVIDERS[provider]!;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pkg)) as Record<string, unknown>;
  } catch {
    throw new CoachError("invalid_llm", `provider "${provider}" needs the package ${pkg}: npm install ${pkg} (and its API key in the environment)`, { field: "--llm" });
  }
  const Ctor = mod[cls] as (new (fields: Record<string, unknown>) => BaseChatModel) | undefined;
  if (typeof Ctor !== "function") throw new CoachError("invalid_llm", `${pkg} has no ${cls}`, { field: "--llm" });
  return new Ctor({ model, maxRetries: 0, temperature: 0 });
}
