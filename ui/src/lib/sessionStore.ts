// The session tabs' views, fed by the engines' "session" events, and the
// shown tab's view as `session`, which every screen of a session reads.
// Events are the truth; the snapshot only fills the gap before the first.
import { derived, writable } from "svelte/store";
import { api, type TabView } from "./api";
import { IDLE_VIEW, type SessionView } from "./session";
import { tabList, type TabId } from "./tabs";

/** Each open tab's latest view. */
export const views = writable<Map<TabId, SessionView>>(new Map());

/** The shown tab's view. */
export const session = derived([views, tabList], ([$views, $list]) => $views.get($list.shown) ?? IDLE_VIEW);

function stripTab({ tab, ...view }: TabView): [TabId, SessionView] {
  return [tab, view];
}

let started: Promise<void> | null = null;

export function followSession(): Promise<void> {
  started ??= (async () => {
    const heard = new Set<TabId>();
    let listed = false;
    await api.onSession((update) => {
      const [tab, view] = stripTab(update);
      heard.add(tab);
      views.update((current) => new Map(current).set(tab, view));
    });
    await api.onSessionTabs((list) => {
      listed = true;
      tabList.set(list);
      // A closed tab's view goes with it.
      views.update((current) => new Map([...current].filter(([tab]) => list.tabs.includes(tab))));
    });
    const snapshot = await api.sessionTabs();
    if (!snapshot) return;
    if (!listed) tabList.set({ tabs: snapshot.tabs, shown: snapshot.shown });
    views.update((current) => {
      const next = new Map(current);
      for (const [tab, view] of snapshot.views.map(stripTab)) if (!heard.has(tab)) next.set(tab, view);
      return next;
    });
  })();
  return started;
}
