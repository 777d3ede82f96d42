/**
 * Plain message bodies as Preact children: text (which Preact escapes), with http(s) URLs turned into
 * links that open in a new tab without a referrer or an opener.
 */
import { type ComponentChildren, h } from "preact";
import { safeHref } from "./sanitize.js";

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,:;'!?)\]}]/gi;

/** `text` with its URLs as links. */
export function linkify(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let at = 0;
  for (const m of text.matchAll(URL_PATTERN)) {
    const href = safeHref(m[0]);
    if (!href) continue;
    if (m.index > at) out.push(text.slice(at, m.index));
    out.push(h("a", { href, target: "_blank", rel: "noopener noreferrer" }, m[0]));
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

/**
 * The body of a reply without its fallback: the quoted lines (`> <@alice:x> …`) older clients put
 * before the reply's own text.
 */
export function stripReplyFallback(body: string): string {
  const lines = body.split("\n");
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith("> ")) i++;
  if (i === 0) return body;
  if (lines[i] === "") i++;
  return lines.slice(i).join("\n");
}
