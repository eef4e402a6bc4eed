// What every format reader produces: plain text plus structure. Chapter starts are
// UTF-16 offsets into `text`.
import type { Chapter, DocFormat } from "../../ipc/contract";

export interface Ingested {
  format: DocFormat;
  title: string | null; // null: the caller falls back to the file name
  author: string | null;
  text: string;
  chapters: Chapter[];
  boilerplateSkipped: boolean;
}

export interface IngestOptions {
  /** Recognise and drop Project Gutenberg's header and licence (default true). */
  skipBoilerplate?: boolean;
}
