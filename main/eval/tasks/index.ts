// The task generators by name.
import type { TaskName } from "../types";
import type { TaskGenerator } from "./task";
import { niahMultikey, niahMultivalue, niahSingle } from "./niah";
import { passkey } from "./passkey";
import { variableTracking } from "./variable-tracking";
import { commonWords } from "./common-words";
import { frequentWords } from "./frequent-words";

export const GENERATORS: Record<TaskName, TaskGenerator> = {
  niah_single: niahSingle,
  niah_multikey: niahMultikey,
  niah_multivalue: niahMultivalue,
  passkey,
  variable_tracking: variableTracking,
  common_words: commonWords,
  frequent_words: frequentWords,
};

export type { TaskGenerator, TokenCounter } from "./task";
