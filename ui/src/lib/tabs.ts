// The session tabs (src-tauri/src/session/tabs): which exist and which one
// the window shows. Kept apart from the stores that use it so the API
// module can name the shown tab in every session command without an
// import cycle.
import { get, writable } from "svelte/store";

export { MAX_TABS } from "./generated/codes";

export type TabId = number;

/** The tabs in the order they opened, and the one shown. */
export interface TabList {
  tabs: TabId[];
  shown: TabId;
}

export const tabList = writable<TabList>({ tabs: [], shown: 0 });

/** The tab the window shows now: every session command is about it. */
export function shownTab(): TabId | null {
  const { shown, tabs } = get(tabList);
  return tabs.includes(shown) ? shown : null;
}

/** The client ID each tab's expert asked for last, as typed: with the
 * client's name it tells two tabs apart (two computers may share a name). */
export const askedIds = writable<Map<TabId, string>>(new Map());

/** The shown tab asks for `id`. */
export function askingFor(id: string): void {
  const tab = shownTab();
  if (tab !== null) askedIds.update((ids) => new Map(ids).set(tab, id));
}
