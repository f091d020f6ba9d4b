// Text handed to the editor's assistant. Packet bytes, host names, file names and process names are
// untrusted: a packet can carry a line break that fakes a new line of our answer, a bidi override
// that reorders it, or markdown and HTML (a link, an image fetching a URL, a code fence) that a chat
// view would render. `inert` makes such a value one visible line with nothing active in it; our own
// words around it are written as plain text.

/** C0 and C1 controls, DEL, line and paragraph separators, zero-width and bidi formatting marks. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: exactly the characters made visible
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Characters that open markdown or HTML constructs that act: links, images, code, tags, entities
 *  (emphasis is left alone: it changes no content, and `_` is common in names). */
const MARKUP = /[`[\]<>&]/g;
/** A backslash before punctuation, which markdown would read as an escape. */
const ESCAPING_BACKSLASH = /\\(?=[!-/:-@[-`{-~])/g;

function escapeInvisible(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` as one inert line of at most `max` characters: invisible characters shown as escapes,
 *  markup characters (and a backslash that would escape the next one) escaped with a backslash,
 *  markdown's own escape; the cut said with "…". */
export function inert(text: string, max = 200): string {
  const visible = text
    .replace(INVISIBLE, escapeInvisible)
    .replace(ESCAPING_BACKSLASH, '\\\\')
    .replace(MARKUP, (c) => `\\${c}`);
  return visible.length <= max ? visible : `${visible.slice(0, max - 1)}…`;
}

/** Most characters one tool answer holds: an assistant's context is precious. */
export const MAX_ANSWER_CHARS = 16_000;

/** Joins lines into an answer of at most `max` characters, cut at a line's end with a last line
 *  saying so (the cut is never silent). */
export function boundedAnswer(lines: readonly string[], max = MAX_ANSWER_CHARS): string {
  const out: string[] = [];
  let size = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (size + line.length + 1 > max - 120) {
      out.push(`[answer cut at ${max.toLocaleString('en-US')} characters: ${lines.length - i} more lines not shown]`);
      break;
    }
    out.push(line);
    size += line.length + 1;
  }
  return out.join('\n');
}
