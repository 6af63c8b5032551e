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
