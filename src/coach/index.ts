/**
 * The coach: the SOAR decision cycle (phases, LangGraph graph, sync runner), rules, working memory, the LLM
 * subgoal, the durable checkpointer, the service, the coached backtest, and the guidance layer. See docs/coach.md.
 * A trader that only applies guidance imports ./guidance.js (no LangGraph inside).
 */
export * from "./guidance.js";
export { Coach, type CoachOptions } from "./coach.js";
export {
  applyPhase,
  chunkFor,
  chunkPhase,
  decidePhase,
  defaultResolution,
  elaboratePhase,
  evaluatePhase,
  initialCycleState,
  inputPhase,
  outputPhase,
  PHASE_NAMES,
  proposePhase,
  runCycleSync,
  runPhase,
  subgoalDefaultPhase,
  traceOf,
  type CycleContext,
  type CycleState,
  type Decision,
  type DecisionTrace,
  type InForce,
  type Operator,
  type PhaseEntry,
  type PhaseName,
  type Resolution,
} from "./cycle.js";
export { buildCoachGraph, COACH_GRAPH_NODES, CycleAnnotation, RULE_PATH_NODES, type CoachGraph, type CycleInput, type GraphContext, type StoredCycle } from "./graph.js";
export { addChunk, DEFAULT_RULES_FILE, loadRules, matches, parseRules, ruleSetFrom, type CoachSettings, type Condition, type Rule, type RuleInput, type RuleSet } from "./rules.js";
export { elaborate, emptyMemory, FACT_NAMES, FACTS, remember, SITUATION_FACTS, type CoachMemory, type FactName, type Facts, type MemorySettings } from "./working-memory.js";
export { chatModelFor, llmSubgoal, parseAnswer, parseLlmSpec, PROVIDERS, statusOf, type LlmOptions, type SubgoalAnswer, type SubgoalLlm, type SubgoalRequest } from "./llm.js";
export { FakeChatModel, type FakeBehaviour } from "./fake-chat-model.js";
export { LibsqlSaver, type LibsqlSaverOptions } from "./libsql-saver.js";
export { FastJsonSerializer, fastJsonSerializer, isPlainJson } from "./fast-serde.js";
export { runCoachService, traceLine, type CoachServiceOptions, type CoachServiceStats } from "./service.js";
export { DECISION_KINDS, runCoachedBacktest, type CoachedBacktest, type CoachedBacktestOptions, type GuidanceTimeline } from "./coached-backtest.js";
export { coachReportSections } from "./report.js";
export { CoachError, type CoachErrorCode } from "./errors.js";
