// Choosing a model: the models folder, recent ones, the one from the command
// line; its metadata and memory need (full attention vs retrieval attention) at
// the chosen context, a warning when it would not fit, and Load.
import { useEffect, useRef, useState } from "react";
import { useStore } from "../store";
import { bytes, int } from "../format";

export function ModelPicker() {
  const models = useStore((s) => s.models);
  const engine = useStore((s) => s.engine);
  const details = useStore((s) => s.modelDetails);
  const inspect = useStore((s) => s.inspectModel);
  const load = useStore((s) => s.loadModel);
  const loading = useStore((s) => s.loadingModel);
  const openDialog = useStore((s) => s.openModelDialog);
  const desktop = useStore((s) => s.app?.mode === "desktop");
  const [choice, setChoice] = useState("");
  const detailsRef = useRef<HTMLDetailsElement>(null);
  // the details open over the page: Escape or a click elsewhere closes them, as a menu does
  useEffect(() => {
    const close = (e: Event) => {
      const d = detailsRef.current;
      if (!d?.open) return;
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !d.contains(e.target as Node)) d.open = false;
    };
    document.addEventListener("keydown", close);
    document.addEventListener("pointerdown", close);
    return () => {
      document.removeEventListener("keydown", close);
      document.removeEventListener("pointerdown", close);
    };
  }, []);
  useEffect(() => {
    if (!choice && (engine?.model?.path || models[0])) setChoice(engine?.model?.path ?? models[0].path);
  }, [models, engine?.model?.path]);
  useEffect(() => {
    if (choice) void inspect(choice);
  }, [choice]);
  return (
    <div className="model-picker">
      <label>
        Model{" "}
        <select data-testid="model-select" value={choice} onChange={(e) => setChoice(e.target.value)}>
          {models.length === 0 && <option value="">no models found</option>}
          {models.map((m) => (
            <option key={m.path} value={m.path}>
              {m.name} ({bytes(m.sizeBytes)}, {m.source})
            </option>
          ))}
        </select>
      </label>
      <button type="button" data-testid="model-load" disabled={!choice || loading} onClick={() => void load(choice)}>
        {loading ? "Loading…" : engine?.model?.path === choice ? "Reload" : "Load"}
      </button>
      {desktop && (
        <button type="button" onClick={() => void openDialog()}>
          Open…
        </button>
      )}
      <span className="engine-state muted" data-testid="engine-state" data-step-stats={engine?.stepStats ? "yes" : "no"} data-activity={engine?.activity ?? "idle"}>
        {engine?.crashed ? `engine stopped: ${engine.crashed}` : engine?.model ? `${engine.model.name} · ctx ${int(engine.model.ctx)} · ${engine.activity}` : "no model loaded"}
      </span>
      {details && details.path === choice && (
        <details className="model-details" ref={detailsRef}>
          {/* the model chosen in the list (perhaps not the loaded one); its trained context, not the loaded ctx */}
          <summary>
            {engine?.model?.path !== details.path && "not loaded · "}
            {details.arch} · {details.contextLength ? `trained for ${int(details.contextLength)} tokens` : "trained context unknown"} ·{" "}
            {details.hasChatTemplate ? "chat template" : "no chat template (fallback)"}
            {details.warning && <span className="error"> ⚠ {details.warning}</span>}
          </summary>
          <div className="model-details-panel">
            {details.memory && (
              <table className="small">
                <tbody>
                  <tr>
                    <td>at context {int(details.memory.ctx)}</td>
                    <td>weights {bytes(details.memory.weightBytes)}</td>
                  </tr>
                  <tr>
                    <td>full attention</td>
                    <td>
                      KV {bytes(details.memory.kvBytes)} · total {bytes(details.memory.totalBytes)}
                    </td>
                  </tr>
                  <tr>
                    <td>retrieval attention</td>
                    <td>
                      device {bytes(details.memory.retrieval.totalDeviceBytes)} (KV {bytes(details.memory.retrieval.deviceKvBytes)}) · host KV{" "}
                      {bytes(details.memory.retrieval.hostKvBytes)} + indexes {bytes(details.memory.retrieval.indexBytes)}
                      {details.memory.retrieval.readQueryBytes > 0 && <> (+ {bytes(details.memory.retrieval.readQueryBytes)} of queries while a book is read)</>}
                    </td>
                  </tr>
                </tbody>
              </table>
            )}
            <table className="small metadata">
              <tbody>
                {Object.entries(details.metadata).map(([k, v]) => (
                  <tr key={k}>
                    <td>{k}</td>
                    <td>{String(v)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </div>
  );
}
