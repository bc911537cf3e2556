/** The dashboard: watch and steer the trader and the coach in a browser (docs/dashboard.md). An adapter: hono, the bus. */
export { startDashboard, dashboardConfigSchema, type DashboardConfig, type DashboardConfigInput, type RunningDashboard, type StartOptions } from "./dashboard.js";
export { EXAMPLE_SECRETS, isLoopbackHost, MIN_TOKEN_LENGTH, resolveToken, SESSION_COOKIE, TOKEN_ENV, TokenGuard } from "./auth.js";
export { DashboardModel, type HealthView, type SeriesPoint, type TradeMark } from "./model.js";
export { controlRequestSchema, ControlSender, type ControlRequest, type ControlResult } from "./controls.js";
export { equityRecordOf, metricsView, listReports, listCheckpoints } from "./analytics.js";
export { DashboardError, type DashboardErrorCode } from "./errors.js";
