// Ingestion failures the user can act on. Each maps to a contract error code and
// a sentence for the UI; nothing is stored when one is thrown.
import { AppError } from "../../ipc/errors";

export const corrupt = (what: string, detail?: string) =>
  new AppError("CORRUPT_FILE", `This ${what} file is damaged and cannot be read${detail ? ` (${detail})` : ""}.`);
export const encrypted = (what: string) =>
  new AppError("ENCRYPTED", `This ${what} is encrypted (password or DRM protected); tome can only read unprotected books.`);
export const empty = (what: string) =>
  new AppError("EMPTY_FILE", `This ${what} contains no readable text${what === "PDF" ? " (is it a scan without a text layer?)" : ""}.`);
export const unsupported = (name: string) =>
  new AppError("UNSUPPORTED_FORMAT", `'${name}' is not a book tome can read: use .txt, .md, .epub, .pdf, .html, .doc, .docx, .odt, .fb2, .rtf, .mobi or .azw3.`);
