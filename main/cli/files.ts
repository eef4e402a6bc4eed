// Files and folders the CLI is given by a flag, checked before anything slow starts: `run --doc`
// through the app's book loader (a book reads the same in the CLI as in the app), a model
// loaded with its errors naming the file, a folder to write in. Errors name the flag.
import * as fs from "node:fs";
import * as path from "node:path";
import { loadAddon, type NativeModel } from "../engine";
import { bookExtension, ingest, SUPPORTED_EXTENSIONS } from "../library/ingest";
import { CliError, named, namedFileError } from "./errors";

/**
 * The text of a --doc file as the app reads it: txt (UTF-8, UTF-16 or
 * Windows-1252; BOM dropped, CRLF as LF), md, epub, pdf, html, doc, docx, odt, fb2, rtf, mobi, azw3; Project Gutenberg's
 * header and licence dropped unless keepBoilerplate. A file of another extension
 * (source, notes, a log) is read as plain text: the CLI takes any text, the app
 * only books. Binary data and files without text are refused.
 */
export async function readDocument(label: string, file: string, keepBoilerplate = false): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw namedFileError(label, file, e);
  }
  const book = isBookName(file);
  try {
    const doc = await ingest(book ? path.basename(file) : `${path.basename(file)}.txt`, bytes, { skipBoilerplate: !keepBoilerplate });
    return doc.text;
  } catch (e) {
    // the loader calls such a file a damaged text file; it is rather no text at all
    if (!book && (e as { code?: string }).code === "CORRUPT_FILE")
      throw new CliError(`${named(label, file)}: binary data, not text (tome reads books as .txt, .md, .epub, .pdf, .html, .doc, .docx, .odt, .fb2, .rtf, .mobi or .azw3, and plain text files)`, "NOT_TEXT");
    throw namedFileError(label, file, e);
  }
}

/** Whether the app's loader knows the file's extension (txt, md, epub, pdf, html, doc, docx, odt, fb2, rtf, mobi, azw3). */
function isBookName(file: string): boolean {
  return SUPPORTED_EXTENSIONS.includes(bookExtension(file));
}

/** Fails at once, naming `label` (a flag, or "" for a positional), when `file` is missing or a folder. */
export function checkReadableFile(label: string, file: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    throw namedFileError(label, file, e);
  }
  if (stat.isDirectory()) throw new CliError(`${named(label, file)}: is a directory`, "EISDIR");
}

/** A model, its load errors naming the file: "--model 'x.gguf': GGUF_TRUNCATED: ...". */
export function openModel(label: string, file: string): NativeModel {
  checkReadableFile(label, file);
  try {
    return new (loadAddon().Model)(file);
  } catch (e) {
    throw namedFileError(label, file, e);
  }
}

/** A folder to write into, created if missing; `label` (its flag, or what set it) names it when it cannot be. */
export function ensureDirectory(label: string, dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw namedFileError(label, dir, e, "directory");
  }
}

/** Fails at once, naming `label`, when the folder `file` is to be written in is missing or not a folder. */
export function checkParentDirectory(label: string, file: string): void {
  const dir = path.dirname(path.resolve(file));
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(dir, { throwIfNoEntry: false });
  } catch (e) {
    throw namedFileError(label, file, e, "directory");
  }
  if (!stat) throw new CliError(`${named(label, file)}: no such directory '${dir}'`, "ENOENT");
  if (!stat.isDirectory()) throw new CliError(`${named(label, file)}: '${dir}' is not a directory`, "ENOTDIR");
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new CliError(`${named(label, file)}: is a directory`, "EISDIR");
}
