// Entry: connect a transport, bind its events to the store, load the initial
// state, render. On reconnection (browser mode) everything is loaded again.
import { createRoot } from "react-dom/client";
import { App } from "./components/App";
import { bindEvents, useStore } from "./store";
import { setApi } from "./store/api";
import { connect } from "./transport";
import "./styles.css";

const t = connect();
setApi(t.api);
bindEvents(t.api);
const init = () => useStore.getState().init().catch((e) => useStore.getState().notify("error", `Could not reach tome: ${e.message ?? e}`));
let seenOpen = false;
t.onState((s) => {
  useStore.getState().setConnection(s);
  if (s === "open") {
    if (seenOpen) void init();
    seenOpen = true;
  }
});
if (t.mode === "desktop") useStore.getState().setConnection("open");
void init();
createRoot(document.getElementById("root")!).render(<App />);
