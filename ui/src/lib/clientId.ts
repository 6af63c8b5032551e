// Client IDs are six digits. People read them aloud in two groups of three,
// and paste them with spaces or dashes, so display and parsing live here.

/** "482913" → "482 913". Anything that is not six digits is returned as is. */
export function formatClientId(id: string): string {
  return /^\d{6}$/.test(id) ? `${id.slice(0, 3)} ${id.slice(3)}` : id;
}

/** Strips the separators people type or paste ("482 913", "482-913"). */
export function normaliseClientId(input: string): string {
  return input.replace(/[\s\-.]/g, "");
}

/** Remaining validity as "59:07", or "1:00:00" for a full hour; "0:00" once over. */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

/** The request description's limit, in characters as people count them. */
export const MAX_DESCRIPTION_CHARS = 60;

export function descriptionLength(text: string): number {
  return [...text].length;
}
