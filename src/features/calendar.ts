export interface CalendarColumns {
  readonly hourSin: Float64Array;
  readonly hourCos: Float64Array;
  readonly weekdaySin: Float64Array;
  readonly weekdayCos: Float64Array;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Time of day and day of week of each bar's open (UTC) on the unit circle, so that 23:00 sits next to 00:00:
 * hour h → (sin 2πh/24, cos 2πh/24); weekday d (0 = Monday) → (sin 2πd/7, cos 2πd/7). Crypto trades around
 * the clock but volatility and volume follow the sessions. No warm-up.
 */
export function calendarFeatures(timestamp: Float64Array): CalendarColumns {
  const n = timestamp.length;
  const hourSin = new Float64Array(n);
  const hourCos = new Float64Array(n);
  const weekdaySin = new Float64Array(n);
  const weekdayCos = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const ms = timestamp[t]!;
    const hour = Math.floor((((ms % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
    // 1970-01-01 was a Thursday (weekday 3 with Monday = 0).
    const weekday = (((Math.floor(ms / DAY_MS) + 3) % 7) + 7) % 7;
    hourSin[t] = Math.sin((2 * Math.PI * hour) / 24);
    hourCos[t] = Math.cos((2 * Math.PI * hour) / 24);
    weekdaySin[t] = Math.sin((2 * Math.PI * weekday) / 7);
    weekdayCos[t] = Math.cos((2 * Math.PI * weekday) / 7);
  }
  return { hourSin, hourCos, weekdaySin, weekdayCos };
}
