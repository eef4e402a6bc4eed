// Test data location and a skip helper: engine tests need ../shared (or $TOME_TEST_DATA).
import * as path from "node:path";
import { testDataDir } from "../../main/bench/test-data";

export const dataDir = testDataDir();
export const hasData = dataDir !== undefined;
export const modelPath = (name: string) => path.join(dataDir ?? "", "models", name);
export const vocabPath = (name: string) => path.join(dataDir ?? "", "models", "vocab", name);
