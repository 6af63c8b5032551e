// Catalogo italiano. Il tono segue il manuale italiano dei seed
// (forma di cortesia, frasi brevi).
import type { MessageKey } from "./en";

export const it: Record<MessageKey, string> = {
  "app.title": "Lifeline",
  "app.tagline": "Assistenza remota, da pari a pari",
  "start.question": "Come può aiutarla Lifeline oggi?",
  "start.client": "Ho bisogno di assistenza",
  "start.client.hint": "Consenta a un tecnico di vedere il suo schermo, solo dopo la sua approvazione.",
  "start.expert": "Sono il tecnico",
  "start.expert.hint": "Si colleghi a un cliente che le ha comunicato il suo ID.",
  "common.back": "Cambia modalità",
  "common.language": "Lingua",
  "common.loading": "Caricamento…",
  "common.errorDetails": "Dettagli: {code}",
  "client.title": "Ricevere assistenza",
  "client.intro":
    "Quando il tecnico lo chiede, ottenga un ID e glielo legga al telefono. Nessuno può vedere o controllare il suo computer finché lei non accetta.",
  "expert.title": "Assistere un cliente",
  "expert.intro": "Chieda al cliente di fare clic su “Ottieni ID” in Lifeline e di leggerglielo.",
  "desk.idle": "Non connesso al centro di assistenza.",
  "desk.connecting": "Connessione al centro di assistenza in corso…",
  "desk.connected": "Connesso al centro di assistenza.",
  "desk.offline": "Impossibile raggiungere il centro di assistenza. Nuovo tentativo tra {seconds} s.",
  "desk.retrying": "Impossibile raggiungere il centro di assistenza. Nuovo tentativo in corso…",
  "desk.label": "Centro di assistenza",
  "error.loadFailed": "Lifeline non è riuscito a caricare le impostazioni. Provi a riavviarlo.",
};
