// Settings: threads, context, attention mode and its parameters, RAM budget,
// disk budget of the KV caches, GPU, models folder, sampling, Gutenberg boilerplate. Saved on "Save".
import { useEffect, useState } from "react";
import { useStore } from "../store";
import type { Settings } from "../../../main/ipc/contract";

export function SettingsDialog() {
  const open = useStore((s) => s.settingsOpen);
  const setOpen = useStore((s) => s.setSettingsOpen);
  const settings = useStore((s) => s.settings);
  const save = useStore((s) => s.saveSettings);
  const [d, setD] = useState<Settings | null>(settings);
  useEffect(() => {
    setD(settings);
  }, [settings, open]);
  if (!open || !d) return null;
  const num = (k: "threads" | "ctx" | "ramBudgetMB" | "cacheBudgetGB" | "maxTokens" | "temperature") => (
    <input type="number" value={d[k]} step={k === "temperature" || k === "cacheBudgetGB" ? 0.1 : 1} min={0} onChange={(e) => setD({ ...d, [k]: Number(e.target.value) })} />
  );
  const att = (k: "sinks" | "window" | "topK") => (
    <input type="number" min={0} value={d.attention[k]} onChange={(e) => setD({ ...d, attention: { ...d.attention, [k]: Number(e.target.value) } })} />
  );
  return (
    <div className="dialog-backdrop" role="dialog" aria-label="Settings">
      <form
        className="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          const { recentModels: _r, lastModel: _l, ...patch } = d;
          void save(patch).then(() => setOpen(false));
        }}
      >
        <h2>Settings</h2>
        <label>Threads (0 = all cores) {num("threads")}</label>
        <label>Context length {num("ctx")}</label>
        <label>
          Attention{" "}
          <select value={d.attention.mode} onChange={(e) => setD({ ...d, attention: { ...d.attention, mode: e.target.value as Settings["attention"]["mode"] } })}>
            <option value="full">full</option>
            <option value="retrieval">retrieval (RetrievalAttention)</option>
          </select>
        </label>
        <label>Sink tokens {att("sinks")}</label>
        <label>Window tokens {att("window")}</label>
        <label>Retrieved top-k {att("topK")}</label>
        <label>RAM budget, MiB (0 = none) {num("ramBudgetMB")}</label>
        <label>Disk for saved books' KV caches, GiB (0 = no limit; least recently used go first) {num("cacheBudgetGB")}</label>
        <label>
          Use the GPU when there is one <input type="checkbox" checked={d.gpu} onChange={(e) => setD({ ...d, gpu: e.target.checked })} />
        </label>
        <label>
          Models folder <input type="text" value={d.modelsDir} onChange={(e) => setD({ ...d, modelsDir: e.target.value })} />
        </label>
        <label>Temperature {num("temperature")}</label>
        <label>Max answer tokens {num("maxTokens")}</label>
        <label>
          Skip Project Gutenberg boilerplate <input type="checkbox" checked={d.skipBoilerplate} onChange={(e) => setD({ ...d, skipBoilerplate: e.target.checked })} />
        </label>
        <label>
          Default system prompt <textarea rows={3} value={d.systemPrompt} onChange={(e) => setD({ ...d, systemPrompt: e.target.value })} />
        </label>
        <p className="muted small">Context, threads and attention apply the next time a model is loaded.</p>
        <div className="buttons">
          <button type="button" onClick={() => setOpen(false)}>
            Cancel
          </button>
          <button type="submit">Save</button>
        </div>
      </form>
    </div>
  );
}
