/**
 * The guidance layer without the coach: receiver, order filter, bus link. A trader imports this entry (it pulls
 * in neither LangGraph nor LangChain). See docs/coach.md.
 */
export {
  GuidanceReceiver,
  NEUTRAL,
  type ActiveGuidance,
  type EffectiveGuidance,
  type GuidanceReceiverOptions,
  type ReceiveOutcome,
  type ReceiveResult,
  type ReceiverCounters,
  type ReceiverEvent,
  type ReceiverRejection,
  type ReceiverRejectionCode,
  type ReceiverSnapshot,
} from "./guidance-receiver.js";
export { GuidanceFilter, GuidanceTick, guidanceFilterParams, type GuidanceFilterParams } from "./guidance-filter.js";
export { linkGuidance, type GuidanceLink, type GuidanceLinkOptions } from "./guidance-link.js";
