// Turns an ApiError into words for people: a known code gets its own
// message, anything else a general one; the code goes in a details line.
import type { ApiError } from "./api";
import { catalogs, type MessageKey } from "./i18n";

export function errorKey(error: ApiError): MessageKey {
  const key = `error.${error.code}`;
  return key in catalogs.en ? (key as MessageKey) : "error.generic";
}

/** A known code in words; otherwise the engine's own English message. */
export function errorText(translate: (key: MessageKey) => string, code: string, message: string): string {
  const key = `error.${code}`;
  return key in catalogs.en ? translate(key as MessageKey) : message;
}
