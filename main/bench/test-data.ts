// Where the shared test data lives: $TOME_TEST_DATA, else ../shared beside the checkout.
import * as fs from "node:fs";
import * as path from "node:path";
import { packageRoot } from "../engine/native";

export function testDataDir(): string | undefined {
  const candidates = [process.env.TOME_TEST_DATA, path.join(packageRoot(), "..", "shared")].filter(
    (p): p is string => !!p,
  );
  return candidates.find((p) => fs.existsSync(path.join(p, "models")));
}

export function requireTestData(): string {
  const d = testDataDir();
  if (!d) throw Object.assign(new Error("test data not found: set TOME_TEST_DATA or place it at ../shared"), { code: "NO_TEST_DATA" });
  return d;
}
