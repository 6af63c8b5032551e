// File transfers as the engine reports them (src-tauri/src/transfer/runner.rs),
// and how their figures read.
export type TransferState = "running" | "done" | "failed" | "cancelled";

export interface TransferView {
  id: number;
  direction: "outgoing" | "incoming";
  name: string;
  files: number;
  filesDone: number;
  bytes: number;
  bytesDone: number;
  speed: number;
  etaSecs: number | null;
  state: TransferState;
  error: { code: string; message: string } | null;
  savedTo: string | null;
}

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** 1536 → "1.5 KB" (powers of 1000, as file managers show sizes). */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** Seconds left as "0:42" or "1:02:05"; "–" when unknown. */
export function formatEta(secs: number | null): string {
  if (secs === null || !Number.isFinite(secs)) return "–";
  const total = Math.ceil(secs);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}
