/** A run of a mail's text: plain, or a link (`href` set) to show as one. */
export interface Piece {
  text: string;
  href?: string;
}

// http(s) URLs only (never `javascript:` or `data:`), up to the first space or angle bracket.
const URL = /https?:\/\/[^\s<>"]+/g;
// Punctuation that ends a sentence rather than the URL ("…at https://x.test/a.").
const TRAILING = /[.,;:!?)\]'’]+$/;

/** Splits a plain-text mail into text and links, so that the links can be clicked. */
export function linkify(text: string): Piece[] {
  const pieces: Piece[] = [];
  let at = 0;
  for (const match of text.matchAll(URL)) {
    const url = match[0].replace(TRAILING, '');
    const start = match.index;
    if (start > at) {
      pieces.push({ text: text.slice(at, start) });
    }
    pieces.push({ text: url, href: url });
    at = start + url.length;
  }
  if (at < text.length) {
    pieces.push({ text: text.slice(at) });
  }
  return pieces;
}
