/** Durations and relative times in few words: "42s", "3m 10s", "2h 5m", "in 58m", "4m ago". */
import { useEffect, useState } from "preact/hooks";

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function ago(iso: string, now: number): string {
  return `${duration(now - Date.parse(iso))} ago`;
}

export function until(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  return ms <= 0 ? "due" : `in ${duration(ms)}`;
}

/** The current time, refreshed every `everyMs`, so ages and countdowns move. */
export function useNow(everyMs = 5000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
