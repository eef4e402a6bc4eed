// The library: the app database and its three stores.
import { openDatabase, type DB } from "./db";
import { Documents } from "./documents";
import { Conversations } from "./conversations";
import { SettingsStore } from "./settings";
import type { Settings } from "../ipc/contract";

export class Library {
  readonly db: DB;
  readonly documents: Documents;
  readonly conversations: Conversations;
  readonly settings: SettingsStore;

  constructor(file: string, defaults: Settings) {
    this.db = openDatabase(file);
    this.documents = new Documents(this.db);
    this.conversations = new Conversations(this.db);
    this.settings = new SettingsStore(this.db, defaults);
    // Nothing is in the engine yet, and nothing is streaming any more.
    this.documents.resetCacheStates();
    this.conversations.markInterrupted();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
