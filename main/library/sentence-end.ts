// What ends a sentence: its stop (. ! ? …) and the closing quotes and brackets after
// it. A pattern's source, for a PDF note that ends its page unfinished (./ingest/pdf-notes)
// and the sentence a Find match asks about (renderer/src/selection-passage).
export const SENTENCE_END = String.raw`[.!?…]["'”’)\]]*`;
