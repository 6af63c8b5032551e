// English catalog. Every user-visible string lives here and in it.ts;
// catalogs.test.ts fails if their keys differ.
export const en = {
  "app.title": "Lifeline",
  "app.tagline": "Remote support, peer to peer",
  "start.question": "How can Lifeline help you today?",
  "start.client": "I need help",
  "start.client.hint": "Let a support expert see your screen after you accept.",
  "start.expert": "I'm the expert",
  "start.expert.hint": "Connect to a customer who gave you their ID.",
  "common.back": "Change mode",
  "common.language": "Language",
  "common.loading": "Loading…",
  "common.errorDetails": "Details: {code}",
  "client.title": "Get help",
  "client.intro":
    "When your support expert asks for it, get an ID and read it to them over the phone. Nobody can see or control your computer until you accept.",
  "expert.title": "Support a customer",
  "expert.intro": "Ask the customer to click “Get ID” in Lifeline and read it to you.",
  "desk.idle": "Not connected to the support desk.",
  "desk.connecting": "Connecting to the support desk…",
  "desk.connected": "Connected to the support desk.",
  "desk.offline": "Can't reach the support desk. Retrying in {seconds} s.",
  "desk.retrying": "Can't reach the support desk. Retrying now…",
  "desk.label": "Support desk",
  "error.loadFailed": "Lifeline could not load its settings. Try restarting it.",
} as const;

export type MessageKey = keyof typeof en;
