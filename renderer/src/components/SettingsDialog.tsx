// Settings: threads, context, attention mode and its parameters, RAM budget,
// disk budget of the KV caches, GPU, models folder, sampling, Gutenberg boilerplate.
// A modal <dialog> (focus kept inside, Escape closes). Saved on "Save"; a value
// refused, here or by the server, keeps the dialog open with the field marked.
import { useEffect, useRef, useState, type ReactNode } from "react";
import { useStore } from "../store";
import { messageOf } from "../store/api";
import { int } from "../format";
import type { Settings, SettingsPatch } from "../../../main/ipc/contract";
import { SETTINGS_BOUNDS, type NumericSetting } from "../../../main/ipc/settings-bounds";

/** The numeric fields: settings.set's bounds (settings-bounds.ts); the input step of a whole number is 1. */
export const NUMBER_FIELDS = Object.fromEntries(
  Object.entries(SETTINGS_BOUNDS).map(([k, { min, max, whole }]) => [k, { min, max, step: whole ? 1 : 0.1 }]),
) as Record<NumericSetting, { min: number; max: number; step: number }>;

type NumberField = NumericSetting;
const NUMBER_KEYS = Object.keys(NUMBER_FIELDS) as NumberField[];
/** Fields that show their own error; a refusal naming another goes above the buttons. */
const FIELD_KEYS = new Set<string>([...NUMBER_KEYS, "modelsDir", "systemPrompt"]);

export function SettingsDialog() {
  const open = useStore((s) => s.settingsOpen);
  const setOpen = useStore((s) => s.setSettingsOpen);
  const settings = useStore((s) => s.settings);
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const shown = open && !!settings;
  useEffect(() => {
    const dlg = ref.current;
    if (!dlg) return;
    if (shown && !dlg.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dlg.showModal();
      dlg.querySelector<HTMLElement>("input, select, textarea")?.focus();
    } else if (!shown && dlg.open) {
      dlg.close();
    }
    if (!shown && opener.current) {
      // back to what opened it (the Settings button), as the browser does for Escape
      if (opener.current.isConnected) opener.current.focus();
      opener.current = null;
    }
  }, [shown]);
  return (
    // Escape closes the dialog natively ("close" follows "cancel"); the store follows.
    <dialog ref={ref} className="settings-dialog" aria-labelledby="settings-title" onClose={() => setOpen(false)}>
      {open && settings && <SettingsForm settings={settings} onDone={() => setOpen(false)} />}
    </dialog>
  );
}

function SettingsForm({ settings, onDone }: { settings: Settings; onDone: () => void }) {
  const save = useStore((s) => s.saveSettings);
  const loaded = useStore((s) => s.engine?.model ?? null);
  // The draft starts from the settings at opening; settings pushed meanwhile do not wipe the edits.
  const [d, setD] = useState(settings);
  // Number fields are edited as text: an emptied field stays empty (and is refused), not 0.
  const [nums, setNums] = useState(() => Object.fromEntries(NUMBER_KEYS.map((k) => [k, String(valueOf(settings, k))])) as Record<NumberField, string>);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const focusField = (k: string) => (form.current?.elements.namedItem(k) as HTMLElement | null)?.focus();
  const edited = (k: string) => setErrors(({ [k]: _gone, ...rest }) => rest);
  const invalid = (k: string) => (errors[k] ? { "aria-invalid": true, "aria-describedby": `settings-${k}-error` } : {});

  const submit = async () => {
    const found: Record<string, string> = {};
    for (const k of NUMBER_KEYS) {
      const p = problem(k, nums[k]);
      if (p) found[k] = p;
    }
    if (!d.modelsDir.trim()) found.modelsDir = "Enter a folder.";
    setErrors(found);
    setGeneral(null);
    const first = Object.keys(found)[0];
    if (first) return focusField(first);
    const n = (k: NumberField) => Number(nums[k]);
    const patch: SettingsPatch = {
      threads: n("threads"),
      ctx: n("ctx"),
      attention: { mode: d.attention.mode, sinks: n("attention.sinks"), window: n("attention.window"), topK: n("attention.topK") },
      ramBudgetMB: n("ramBudgetMB"),
      cacheBudgetGB: n("cacheBudgetGB"),
      gpu: d.gpu,
      modelsDir: d.modelsDir,
      systemPrompt: d.systemPrompt,
      temperature: n("temperature"),
      maxTokens: n("maxTokens"),
      skipBoilerplate: d.skipBoilerplate,
    };
    setSaving(true);
    try {
      await save(patch);
      onDone();
    } catch (e) {
      const msg = messageOf(e);
      // the contract's validation names the field: "params.ctx: must be in [128, 2097152], got 0"
      const m = /^params\.([\w.]+): (.+)$/.exec(msg);
      if (m && FIELD_KEYS.has(m[1])) {
        setErrors({ [m[1]]: `${m[2].charAt(0).toUpperCase()}${m[2].slice(1)}.` });
        focusField(m[1]);
      } else {
        setGeneral(`Could not save the settings: ${msg}`);
      }
      setSaving(false);
    }
  };

  const num = (k: NumberField, label: ReactNode) => {
    const { min, max, step } = NUMBER_FIELDS[k];
    return (
      <Field k={k} label={label} error={errors[k]}>
        <input
          type="number"
          name={k}
          min={min}
          max={max}
          step={step}
          value={nums[k]}
          onChange={(e) => {
            setNums({ ...nums, [k]: e.target.value });
            edited(k);
          }}
          {...invalid(k)}
        />
      </Field>
    );
  };
  // the two text settings: an input, or a textarea for the system prompt
  const text = (k: "modelsDir" | "systemPrompt", label: ReactNode) => {
    const props = {
      name: k,
      value: d[k],
      onChange: (e: { target: { value: string } }) => {
        setD({ ...d, [k]: e.target.value });
        edited(k);
      },
      ...invalid(k),
    };
    return (
      <Field k={k} label={label} error={errors[k]}>
        {k === "systemPrompt" ? <textarea rows={3} {...props} /> : <input type="text" {...props} />}
      </Field>
    );
  };
  return (
    <form
      ref={form}
      className="dialog"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2 id="settings-title">Settings</h2>
      {num("threads", "Threads (0 = all cores)")}
      {num("ctx", "Context length")}
      {loaded && loaded.ctx < settings.ctx && (
        <p className="muted small field-note" data-testid="ctx-capped">
          {loaded.name} runs at {int(loaded.ctx)} tokens: a model is never loaded past the context it was trained for.
        </p>
      )}
      <label>
        Attention{" "}
        <select value={d.attention.mode} onChange={(e) => setD({ ...d, attention: { ...d.attention, mode: e.target.value as Settings["attention"]["mode"] } })}>
          <option value="full">full</option>
          <option value="retrieval">retrieval (RetrievalAttention)</option>
        </select>
      </label>
      {num("attention.sinks", "Sink tokens")}
      {num("attention.window", "Window tokens")}
      {num("attention.topK", "Retrieved top-k")}
      {num("ramBudgetMB", "RAM budget, MiB (0 = none)")}
      {num("cacheBudgetGB", "Disk for saved books' KV caches, GiB (0 = no limit; least recently used go first)")}
      <label>
        Use the GPU when there is one <input type="checkbox" checked={d.gpu} onChange={(e) => setD({ ...d, gpu: e.target.checked })} />
      </label>
      {text("modelsDir", "Models folder")}
      {num("temperature", "Temperature")}
      {num("maxTokens", "Max answer tokens")}
      <label>
        Skip Project Gutenberg boilerplate <input type="checkbox" checked={d.skipBoilerplate} onChange={(e) => setD({ ...d, skipBoilerplate: e.target.checked })} />
      </label>
      {text("systemPrompt", "Default system prompt")}
      <p className="muted small">
        Context, threads and attention apply the next time a model is loaded. A book already read keeps the sink and
        window tokens its index was built with; new values apply to books read from then on.
      </p>
      {general && (
        <p className="field-error" role="alert" data-testid="settings-error">
          {general}
        </p>
      )}
      <div className="buttons">
        <button type="button" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}

/** A labelled control and, when refused, why (the control points to it with aria-describedby). */
function Field({ k, label, error, children }: { k: string; label: ReactNode; error: string | undefined; children: ReactNode }) {
  return (
    <>
      <label>
        {label} {children}
      </label>
      {error && (
        <p id={`settings-${k}-error`} className="field-error" data-testid="field-error">
          {error}
        </p>
      )}
    </>
  );
}

function valueOf(s: Settings, k: NumberField): number {
  switch (k) {
    case "attention.sinks":
      return s.attention.sinks;
    case "attention.window":
      return s.attention.window;
    case "attention.topK":
      return s.attention.topK;
    default:
      return s[k];
  }
}

/** Why a number field's text would be refused, or null when it is fine. */
function problem(k: NumberField, text: string): string | null {
  const { min, max } = NUMBER_FIELDS[k];
  const t = text.trim();
  const n = Number(t);
  if (t === "" || !Number.isFinite(n)) return "Enter a number.";
  if (SETTINGS_BOUNDS[k].whole && !Number.isInteger(n)) return "Enter a whole number.";
  if (n < min || n > max) return `Enter a number from ${int(min)} to ${int(max)}.`;
  return null;
}
