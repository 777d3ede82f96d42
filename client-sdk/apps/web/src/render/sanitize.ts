/**
 * Formatted message bodies (`format: "org.matrix.custom.html"`) as Preact elements, through a strict
 * allow-list: the tags and attributes the Client-Server API lists for `m.room.message` ("m.room.message
 * msgtypes", HTML), nothing else. The HTML is parsed by `DOMParser` into an inert document (no
 * scripts run, nothing loads) and the allowed part rebuilt as virtual nodes, so no markup from the
 * message ever reaches `innerHTML`. Links keep only http(s) and mailto URLs and open in a new tab
 * with `rel="noopener noreferrer"`; images only `mxc://` sources, fetched as authenticated media.
 */
import { type ComponentChildren, h } from "preact";

/** Tags kept (their allowed attributes below); other tags are unwrapped, their content kept. */
const ALLOWED_TAGS = new Set([
  "font",
  "del",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "blockquote",
  "p",
  "a",
  "ul",
  "ol",
  "sup",
  "sub",
  "li",
  "b",
  "i",
  "u",
  "strong",
  "em",
  "s",
  "strike",
  "code",
  "hr",
  "br",
  "div",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "caption",
  "pre",
  "span",
  "img",
  "details",
  "summary",
]);

/** Tags dropped with everything inside them (`mx-reply`: the reply fallback, shown another way). */
const DROPPED_TAGS = new Set([
  "mx-reply",
  "script",
  "style",
  "template",
  "noscript",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "svg",
  "math",
  "head",
  "title",
  "link",
  "meta",
  "base",
  "form",
  "input",
  "button",
  "textarea",
  "select",
  "option",
  "audio",
  "video",
  "canvas",
]);

/** Deeper elements are flattened to their text (the spec suggests a limit; 100 is its example). */
const MAX_DEPTH = 50;

/** Link schemes a message may link to. */
const LINK_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

const COLOR = /^#[0-9a-fA-F]{6}$/;

/** What an allowed `<img>` becomes (only `mxc://` sources get here). */
export interface SafeImage {
  readonly src: string;
  readonly alt: string;
  readonly title: string | undefined;
  readonly width: number | undefined;
  readonly height: number | undefined;
}

/** Options of {@link renderHtml}. */
export interface HtmlOptions {
  /** Renders an image with an `mxc://` source (default: its alt text). */
  readonly image?: (image: SafeImage) => ComponentChildren;
}

/** An http(s) or mailto URL, normalised; `undefined` for anything else (`javascript:`, relative, …). */
export function safeHref(href: string | null | undefined): string | undefined {
  if (!href) return undefined;
  try {
    const url = new URL(href.trim());
    return LINK_PROTOCOLS.has(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function dimension(value: string | null): number | undefined {
  if (value === null || !/^\d{1,4}$/.test(value.trim())) return undefined;
  return Math.min(Number(value), 800);
}

function colors(el: Element, legacyColor: boolean): Record<string, string> | undefined {
  const style: Record<string, string> = {};
  const color = el.getAttribute("data-mx-color") ?? (legacyColor ? el.getAttribute("color") : null);
  const background = el.getAttribute("data-mx-bg-color");
  if (color && COLOR.test(color)) style.color = color;
  if (background && COLOR.test(background)) style.backgroundColor = background;
  return Object.keys(style).length > 0 ? style : undefined;
}

function convertChildren(parent: Node, depth: number, options: HtmlOptions): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  for (const child of Array.from(parent.childNodes)) out.push(convert(child, depth, options));
  return out;
}

function convert(node: Node, depth: number, options: HtmlOptions): ComponentChildren {
  if (node.nodeType === 3 /* TEXT_NODE */) return node.nodeValue ?? "";
  if (node.nodeType !== 1 /* ELEMENT_NODE */) return null;
  const el = node as Element;
  const tag = el.localName.toLowerCase();
  if (DROPPED_TAGS.has(tag)) return null;
  if (depth >= MAX_DEPTH) return el.textContent ?? "";
  const children = convertChildren(el, depth + 1, options);
  if (!ALLOWED_TAGS.has(tag)) return children;
  switch (tag) {
    case "a": {
      const href = safeHref(el.getAttribute("href"));
      if (!href) return h("span", { class: "link-removed" }, children);
      return h("a", { href, target: "_blank", rel: "noopener noreferrer" }, children);
    }
    case "img": {
      const src = el.getAttribute("src") ?? "";
      const alt = el.getAttribute("alt") ?? el.getAttribute("title") ?? "";
      if (!/^mxc:\/\/[^/]+\/[^/?#]+$/.test(src)) return alt;
      const image: SafeImage = {
        src,
        alt,
        title: el.getAttribute("title") ?? undefined,
        width: dimension(el.getAttribute("width")),
        height: dimension(el.getAttribute("height")),
      };
      return options.image ? options.image(image) : alt;
    }
    case "font":
      return h("span", { style: colors(el, true) }, children);
    case "span": {
      const spoiler = el.getAttribute("data-mx-spoiler");
      if (spoiler !== null) {
        return h(
          "span",
          { class: "spoiler", tabIndex: 0, title: spoiler ? `Spoiler: ${spoiler}` : "Spoiler" },
          children,
        );
      }
      return h("span", { style: colors(el, false) }, children);
    }
    case "ol": {
      const start = el.getAttribute("start");
      return h("ol", start !== null && /^\d{1,9}$/.test(start) ? { start: Number(start) } : {}, children);
    }
    case "code": {
      const lang = /^language-[a-z0-9+#_-]{1,32}$/i.exec(el.getAttribute("class") ?? "");
      return h("code", lang ? { class: lang[0] } : {}, children);
    }
    case "strike":
      return h("s", {}, children);
    case "hr":
    case "br":
      return h(tag, {});
    default:
      return h(tag, {}, children);
  }
}

/** The allowed part of `html` as Preact children. */
export function renderHtml(html: string, options: HtmlOptions = {}): ComponentChildren[] {
  const doc = new DOMParser().parseFromString(html, "text/html");
  return convertChildren(doc.body, 0, options);
}
