#!/usr/bin/env node
// Asks the oracle: what llama.cpp (through node-llama-cpp) makes of a string.
//   node native/tools/llama-tokenize.mjs <model.gguf> '<JSON string>' [--special]
// prints llama_tokenize(add_special=false, parse_special=--special) as JSON ids,
// then each token's text. For comparing with tome while developing.
import {getLlama} from "node-llama-cpp";

const [, , modelPath, json, flag] = process.argv;
if (!modelPath || json === undefined) {
  console.error("usage: node native/tools/llama-tokenize.mjs <model.gguf> '<JSON string>' [--special]");
  process.exit(2);
}
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath, vocabOnly: true});
const ids = Array.from(model.tokenize(JSON.parse(json), flag === "--special"));
console.log(JSON.stringify(ids));
console.log(ids.map((id) => JSON.stringify(model._model.getTokenString(id))).join(" "));
