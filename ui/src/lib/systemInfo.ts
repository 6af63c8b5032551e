// The client's computer as the expert's system information panel shows it
// (src-tauri/src/system_info/snapshot.rs), and how its figures read.

export interface SystemSnapshot {
  takenMs: number;
  os: string;
  kernel: string;
  hostname: string;
  user: string;
  uptimeSecs: number;
  cpu: { model: string; cores: number; usagePercent: number };
  memory: { totalBytes: number; availableBytes: number; swapTotalBytes: number; swapUsedBytes: number };
  disks: { mount: string; fileSystem: string; totalBytes: number; freeBytes: number; removable: boolean }[];
  interfaces: { name: string; mac: string; addresses: string[] }[];
  displays: { name: string; width: number; height: number; primary: boolean }[];
  topCpu: ProcessInfo[];
  topMemory: ProcessInfo[];
}

export interface ProcessInfo {
  pid: number;
  name: string;
  cpuPercent: number;
  memoryBytes: number;
}

export interface SystemInfoView {
  /** The latest snapshot; null until the first arrives. */
  snapshot: SystemSnapshot | null;
  /** A snapshot was asked for and has not arrived yet. */
  asking: boolean;
}

/** Bytes in binary units, as system tools show memory and disks: "7.8 GiB". */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** An uptime as days, hours and minutes: "3 d 4 h 12 min". */
export function formatUptime(secs: number): string {
  const days = Math.floor(secs / 86400);
  const hours = Math.floor((secs % 86400) / 3600);
  const minutes = Math.floor((secs % 3600) / 60);
  const parts = [];
  if (days > 0) parts.push(`${days} d`);
  if (days > 0 || hours > 0) parts.push(`${hours} h`);
  parts.push(`${minutes} min`);
  return parts.join(" ");
}
