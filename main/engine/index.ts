// The engine host's public surface: load models, open sessions, generate.
export * from "./native";
export * from "./generate";
export * from "./kv-cache";
