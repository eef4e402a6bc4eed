// 008: the passage of the book a question quotes (chosen in the reader): JSON
// QuotedPassage {start, end, text}, null for answers and plain questions.
export const name = "message-passage";
export const sql = `
ALTER TABLE messages ADD COLUMN passage TEXT;
`;
