/**
 * A scripted LangChain chat model for tests and offline demos: each call takes the next behaviour of the script
 * (an answer text, an HTTP error, a hang). It goes through LangChain's real `BaseChatModel.invoke` path.
 */
import { BaseChatModel, type BaseChatModelParams } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";

export type FakeBehaviour =
  | { readonly reply: string }
  | { readonly httpError: number; readonly message?: string }
  | { readonly networkError: string }
  /** Never answers; `ignoreAbort` also ignores the abort signal (a stuck socket). */
  | { readonly hang: true; readonly ignoreAbort?: boolean };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class FakeChatModel extends BaseChatModel {
  calls = 0;
  readonly prompts: string[] = [];
  private readonly script: FakeBehaviour[];

  /** The last behaviour repeats once the script runs out. */
  constructor(script: readonly FakeBehaviour[], params: BaseChatModelParams = {}) {
    super({ maxRetries: 0, ...params });
    if (script.length === 0) throw new Error("FakeChatModel needs at least one behaviour");
    this.script = [...script];
  }

  _llmType(): string {
    return "fake-scripted";
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    const b = this.script[Math.min(this.calls, this.script.length - 1)]!;
    this.calls++;
    this.prompts.push(messages.map((m) => String(m.content)).join("\n"));
    if ("reply" in b) return { generations: [{ text: b.reply, message: new AIMessage(b.reply) }] };
    if ("httpError" in b) throw new HttpError(b.httpError, b.message ?? `fake HTTP ${b.httpError}`);
    if ("networkError" in b) throw new Error(b.networkError);
    return new Promise<ChatResult>((_, reject) => {
      if (!b.ignoreAbort) options.signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
    });
  }
}
