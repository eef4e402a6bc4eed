// The engine and its model: status, the model list, details of the one being
// considered, settings.
import type { AppInfo, EngineStatus, ModelDetails, ModelEntry, Settings, SettingsPatch } from "../../../main/ipc/contract";
import { api, messageOf } from "./api";
import type { Slice } from "./types";

export interface EngineSlice {
  app: AppInfo | null;
  engine: EngineStatus | null;
  models: ModelEntry[];
  modelDetails: ModelDetails | null;
  settings: Settings | null;
  loadingModel: boolean;
  init(): Promise<void>;
  refreshModels(): Promise<void>;
  inspectModel(path: string): Promise<void>;
  loadModel(path: string): Promise<void>;
  openModelDialog(): Promise<void>;
  /** Rejects with the server's refusal: the settings dialog shows it by the field at fault. */
  saveSettings(p: SettingsPatch): Promise<void>;
  setEngine(s: EngineStatus): void;
  setSettings(s: Settings): void;
  engineBusy(): boolean;
}

export const engineSlice: Slice<EngineSlice> = (set, get) => ({
  app: null,
  engine: null,
  models: [],
  modelDetails: null,
  settings: null,
  loadingModel: false,

  init: async () => {
    const a = api();
    const [app, engine, settings] = await Promise.all([a["app.info"]({}), a["engine.status"]({}), a["settings.get"]({})]);
    set({ app, engine, settings, maxImportBytes: app.maxImportBytes });
    get().followEval(engine); // an evaluation running before this page was loaded
    if (engine.job?.kind === "answer") void get().loadAnswerStats(); // and an answer's figures so far
    await Promise.all([get().refreshModels(), get().loadDocuments()]);
  },

  refreshModels: async () => {
    const models = await api()["models.list"]({});
    set({ models });
  },

  inspectModel: async (path) => {
    try {
      set({ modelDetails: await api()["models.inspect"]({ path }) });
    } catch (e) {
      set({ modelDetails: null });
      get().notify("error", messageOf(e));
    }
  },

  loadModel: async (path) => {
    const d = get().modelDetails;
    if (d && d.path === path && d.warning && !confirm(`${d.warning}\n\nLoad it anyway?`)) return;
    set({ loadingModel: true });
    try {
      set({ engine: await api()["models.load"]({ path }) });
    } catch (e) {
      get().notify("error", `Could not load the model: ${messageOf(e)}`);
    } finally {
      set({ loadingModel: false });
    }
  },

  openModelDialog: async () => {
    try {
      const m = await api()["models.openDialog"]({});
      if (m) {
        await get().refreshModels();
        await get().inspectModel(m.path);
      }
    } catch (e) {
      get().notify("error", messageOf(e));
    }
  },

  saveSettings: async (p) => {
    set({ settings: await api()["settings.set"](p) });
  },

  setEngine: (engine) => {
    set({ engine });
    get().followEval(engine);
  },
  setSettings: (settings) => set({ settings }),
  engineBusy: () => (get().engine?.activity ?? "idle") !== "idle",
});
