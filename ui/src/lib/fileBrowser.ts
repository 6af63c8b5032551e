// The expert's file browser (src-tauri/src/transfer/remote_fs.rs and
// wire.rs): listings as the engine sends them, the requests it takes, and
// path arithmetic on `/`-separated paths relative to a shared folder.

export type EntryKind = "folder" | "file" | "link" | "other";

export interface Entry {
  name: string;
  kind: EntryKind;
  size: number;
  modifiedMs: number;
}

export interface Listing {
  /** Relative to the shared folder; "" is the folder itself. */
  path: string;
  entries: Entry[];
  truncated: boolean;
}

/** The client's folder on show, and why the last request failed, if it did. */
export interface RemoteFolder {
  listing: Listing;
  /** The client's refusal, `{code, message}` (a transfer error's shape). */
  error: { code: string; message: string } | null;
}

/** This computer's folder on show, and where the shared folder is. */
export interface LocalFolder {
  root: string;
  listing: Listing;
}

export type FsOp =
  | { op: "list"; path: string }
  | { op: "mkdir"; path: string }
  | { op: "rename"; from: string; to: string }
  | { op: "copy"; from: string; to: string }
  | { op: "delete"; path: string }
  | { op: "download"; path: string };

/** `name` inside `folder` ("" is the top). */
export function joinPath(folder: string, name: string): string {
  return folder ? `${folder}/${name}` : name;
}

/** The folder holding `path`; "" for the top and anything directly in it. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** Each folder on the way to `path`, for a clickable trail. */
export function crumbs(path: string): { name: string; path: string }[] {
  if (!path) return [];
  const parts = path.split("/");
  return parts.map((name, index) => ({ name, path: parts.slice(0, index + 1).join("/") }));
}

/**
 * A path the user typed, tidied: surrounding spaces and slashes go, and
 * empty segments collapse. The client checks it again, strictly; this only
 * catches what is plainly not a name before asking.
 */
export function tidyPath(typed: string): string | null {
  const parts = typed
    .trim()
    .split("/")
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (parts.length === 0 || parts.some((part) => part === "." || part === "..")) return null;
  return parts.join("/");
}

/** The absolute path of a local entry, to send it. */
export function localPath(root: string, path: string): string {
  const base = root.endsWith("/") ? root.slice(0, -1) : root;
  return path ? `${base}/${path}` : base;
}
