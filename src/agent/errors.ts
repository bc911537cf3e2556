/**
 * Errors are data: every failure of the agent is an `AgentError` with a `code` that callers can switch on and,
 * where it applies, the `field` (config path, checkpoint file or manifest key) that broke.
 */

export type AgentErrorCode =
  /** The agent or training config does not parse, or its sizes do not fit together. */
  | "invalid_config"
  /** The env's action space is not one the agent supports (only discrete actions are). */
  | "unsupported_action_space"
  /** A forced tfjs backend could not be loaded or initialised. */
  | "backend_unavailable"
  /** A checkpoint folder or one of its files is missing. */
  | "checkpoint_missing"
  /** A checkpoint file is unreadable: bad JSON, wrong manifest shape, wrong weight file size. */
  | "checkpoint_corrupt"
  /** A checkpoint was made for a different observation, action space, network shape or feature list. */
  | "checkpoint_incompatible"
  /** A policy was asked to act on an observation of the wrong size or with non-finite values. */
  | "invalid_observation";

export class AgentError extends Error {
  override readonly name = "AgentError";
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    /** Config path, file or manifest key that broke, e.g. "ppo.sequenceLength" or "manifest.json:network". */
    readonly field?: string,
  ) {
    super(field === undefined ? `${code}: ${message}` : `${code} at ${field}: ${message}`);
  }
}
