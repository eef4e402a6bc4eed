// Bytes -> base64 for library.import, in chunks (String.fromCharCode on a whole
// book would overflow the argument limit).
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
