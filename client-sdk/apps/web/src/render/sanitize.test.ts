// @vitest-environment happy-dom
// The allow-list sanitizer and the plain-text renderer, rendered by Preact into a DOM.
import { h, render } from "preact";
import { describe, expect, it } from "vitest";
import { linkify, stripReplyFallback } from "./linkify.js";
import { type HtmlOptions, renderHtml, safeHref } from "./sanitize.js";

/** What `children` render to, as HTML. */
function html(children: unknown): string {
  const root = document.createElement("div");
  render(h("div", null, children as never), root);
  return root.firstElementChild!.innerHTML;
}
const rendered = (source: string, options: HtmlOptions = {}) => html(renderHtml(source, options));

describe("renderHtml (the spec's allow-list for m.room.message HTML)", () => {
  it("drops scripts, event handlers, styles and foreign elements with their content", () => {
    expect(
      rendered(
        '<b onclick="x()">bold</b><script>alert(1)</script><style>b{}</style><iframe srcdoc="<p>x</p>"></iframe>' +
          '<span style="color:red" onmouseover="x()">span</span><svg><script>alert(2)</script></svg>' +
          "<form><input value=1><button>b</button></form><mx-reply><blockquote>quoted</blockquote></mx-reply>",
      ),
    ).toBe("<b>bold</b><span>span</span>");
  });

  it("unwraps tags outside the list, keeping their text", () => {
    expect(rendered("<marquee>hi <em>there</em></marquee><custom-el>x</custom-el>")).toBe(
      "hi <em>there</em>x",
    );
  });

  it("keeps only http(s) and mailto links, opening in a new tab without opener or referrer", () => {
    expect(rendered('<a href="https://example.org/a?b=1" target="_self" name="n">ok</a>')).toBe(
      '<a href="https://example.org/a?b=1" target="_blank" rel="noopener noreferrer">ok</a>',
    );
    expect(rendered('<a href="mailto:a@example.org">mail</a>')).toContain('href="mailto:a@example.org"');
    for (const bad of [
      "javascript:alert(1)",
      " JaVaScRiPt:alert(1)",
      "java\nscript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:x",
      "/relative",
      "//evil.example/x",
      "",
    ]) {
      const out = rendered(`<a href="${bad.replaceAll('"', "&quot;")}">x</a>`);
      expect(out, bad).toBe('<span class="link-removed">x</span>');
    }
    expect(safeHref("https://matrix.to/#/@a:example.org")).toBe("https://matrix.to/#/@a:example.org");
  });

  it("keeps mxc images only, through the image callback, with bounded sizes", () => {
    const image: HtmlOptions["image"] = (img) =>
      h("i", { "data-src": img.src, title: `${img.width}x${img.height}` }, img.alt);
    expect(
      rendered('<img src="mxc://example.org/abc" alt="cat" width="9999" height="20" onerror="x()">', {
        image,
      }),
    ).toBe('<i data-src="mxc://example.org/abc" title="800x20">cat</i>');
    expect(rendered('<img src="https://tracker.example/pixel.png" alt="pixel">', { image })).toBe("pixel");
    expect(rendered('<img src="mxc://example.org/abc" alt="no renderer">')).toBe("no renderer");
  });

  it("reads the allowed attributes: colours, spoilers, list start, code language", () => {
    expect(rendered('<font color="#ff0000" data-mx-bg-color="#00ff00">c</font>')).toBe(
      '<span style="color: #ff0000; background-color: #00ff00;">c</span>',
    );
    expect(rendered('<span data-mx-color="red;background:url(x)">c</span>')).toBe("<span>c</span>");
    expect(rendered('<span data-mx-spoiler="plot">secret</span>')).toBe(
      '<span class="spoiler" tabindex="0" title="Spoiler: plot">secret</span>',
    );
    expect(rendered('<ol start="3" type="a"><li>x</li></ol>')).toBe('<ol start="3"><li>x</li></ol>');
    expect(rendered('<pre><code class="language-ts evil">let a</code></pre>')).toBe(
      "<pre><code>let a</code></pre>",
    );
    expect(rendered('<code class="language-ts">let a</code>')).toBe('<code class="language-ts">let a</code>');
    expect(rendered('<table><tr><td colspan="2" class="x">t</td></tr></table>')).toBe(
      "<table><tbody><tr><td>t</td></tr></tbody></table>",
    );
  });

  it("flattens nesting deeper than 50 levels to text", () => {
    const deep = `${"<div>".repeat(80)}deep${"</div>".repeat(80)}`;
    const out = rendered(deep);
    expect(out.match(/<div>/g)!.length).toBe(50);
    expect(out).toContain("deep");
  });
});

describe("linkify and reply fallbacks", () => {
  it("links http(s) URLs safely and escapes the rest", () => {
    expect(html(linkify("see https://example.org/x, <b>not bold</b> javascript:alert(1)"))).toBe(
      'see <a href="https://example.org/x" target="_blank" rel="noopener noreferrer">https://example.org/x</a>, ' +
        "&lt;b&gt;not bold&lt;/b&gt; javascript:alert(1)",
    );
  });

  it("strips the quoted fallback of a reply", () => {
    expect(stripReplyFallback("> <@a:x> hello\n> more\n\nmy answer")).toBe("my answer");
    expect(stripReplyFallback("no fallback")).toBe("no fallback");
  });
});
