// Scratch probe: node native/tools/tok-probe.mjs <gguf> <json-string> [special]
import {getLlama} from "node-llama-cpp";
const [, , path, text, special] = process.argv;
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: path, vocabOnly: true});
const s = JSON.parse(text);
try {
  console.log(JSON.stringify(Array.from(model.tokenize(s, special === "1"))));
} catch (e) { console.log("ERR", e.message); }
