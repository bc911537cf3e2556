/** Exit codes of a pool worker's trial process (trial-child.ts), read by its worker (pool-worker.ts). */

/** Its worker died (the parent pid changed, or the IPC channel closed). */
export const EXIT_ORPHANED = 70;
/** Its lease ran out: the worker may no longer own the trial. */
export const EXIT_LEASE_LOST = 71;
