// What a command shell printed, as the "session-shell" event carries it.

/** Bytes of an output event's base64 (a character may be cut between two). */
export function decodeOutput(data: string): Uint8Array {
  const text = atob(data);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
  return bytes;
}
