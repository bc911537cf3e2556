/**
 * Redis ACL users for the three roles (R19), as ACL-file lines: the default user is off, the coach can write
 * only guidance and heartbeats, the trader only states, the dashboard only reads. Redis 7 selectors give each
 * role a different command set per key: the coach may XREADGROUP `ppo_state` (which needs write access to the
 * group) without being able to XADD to it. The trader also consumes `trader_control` and writes its acks and
 * heartbeats; the dashboard may send `trader_control` and nothing else. Connection housekeeping (INFO ready check, CLIENT SETNAME, PING,
 * MULTI/EXEC) is allowed; CONFIG, FLUSHALL, KEYS and every other command are not.
 */
export type BusRole = "coach" | "trader" | "dashboard";

const CONNECT = "+info +ping +client|setname +multi +exec +discard";
const CONSUME = "+xreadgroup +xack +xgroup|create +xautoclaim +xpending +xlen +xrevrange";

function keys(ns: string, ...names: string[]): string {
  return names.map((n) => `~${ns}${n}`).join(" ");
}

/** The ACL line of one role (`user NAME on >PASSWORD …`). `ns` is the bus namespace ("" by default). */
export function aclLine(role: BusRole, name: string, password: string, ns = ""): string {
  const head = `user ${name} on >${password} resetkeys resetchannels -@all ${CONNECT}`;
  switch (role) {
    case "coach":
      return [
        head,
        `+xadd +publish +set +get +xlen ${keys(ns, "coach_guidance", "coach_guidance:latest", "coach_heartbeat", "coach_heartbeat:latest", "coach_trace", "coach_trace:latest", "ppo_state:dead")} &${ns}coach_guidance &${ns}coach_heartbeat &${ns}coach_trace`,
        `(${CONSUME} ${keys(ns, "ppo_state")})`,
        `(+get %R~${ns}ppo_state:latest)`,
      ].join(" ");
    case "trader":
      return [
        head,
        `+xadd +publish +set +get +xlen ${keys(ns, "ppo_state", "ppo_state:latest", "coach_guidance:dead", "trader_control:dead", "trader_control_ack", "trader_control_ack:latest", "trader_heartbeat", "trader_heartbeat:latest")} &${ns}ppo_state &${ns}trader_control_ack &${ns}trader_heartbeat`,
        `(${CONSUME} ${keys(ns, "coach_guidance", "trader_control")})`,
        `(+get %R~${ns}coach_guidance:latest %R~${ns}coach_heartbeat:latest)`,
        `(+subscribe +unsubscribe &${ns}coach_guidance &${ns}coach_heartbeat)`,
      ].join(" ");
    case "dashboard":
      // Read-only, except that it may send control messages to the trader (R21).
      return `${head} +get +xrange +xrevrange +xlen +xinfo|stream +subscribe +unsubscribe %R~${ns}* &${ns}* (+xadd +publish +set %W~${ns}trader_control %W~${ns}trader_control:latest &${ns}trader_control)`;
  }
}

/** A full ACL file: the default user off, then one user per role. */
export function aclFile(users: ReadonlyArray<{ role: BusRole; name: string; password: string }>, ns = ""): string[] {
  return ["user default off", ...users.map((u) => aclLine(u.role, u.name, u.password, ns))];
}
