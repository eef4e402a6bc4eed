// Writes the HTML report of a run to a file.
import * as fs from "node:fs";
import type { EvalResult } from "../types";
import { renderReport } from "./html";

export function writeReport(file: string, result: EvalResult) {
  fs.writeFileSync(file, renderReport(result));
}
