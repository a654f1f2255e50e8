// Checks Mermaid files with the real Mermaid parser (run by tests/cli/mermaid.rs).
//
//   node tests/mermaid/check.mjs a.mmd b.mmd …
//
// For each file: mermaid.parse must accept it, and no directive may have
// changed the configuration; then the flowchart's own database is read back
// and printed as JSON: every vertex, edge and subgraph with its text as a
// person would see it (Mermaid's entity codes decoded, `<br>` as a line
// break), and `markup: true` if any text still holds a raw `<` or `>` after
// decoding, i.e. would reach the page as HTML. Exit 1 on a parse error.
import fs from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

// Mermaid carries entity codes through its parser as these markers and
// turns them into HTML entities at the end (decodeEntities).
const markers = (s) => s.replace(/ﬂ°°/g, '&#').replace(/ﬂ°/g, '&').replace(/¶ß/g, ';');
const textarea = document.createElement('textarea');
const html = (s) => {
  textarea.innerHTML = s;
  return textarea.value;
};
let markup = false;
// A label reaches the page in two steps: its text is decoded into the DOM,
// then the SVG is serialised and decodeEntities runs over it once more.
const seen = (raw) => {
  const lines = markers(raw ?? '').split(/<br\s*\/?>/);
  if (lines.some((l) => /[<>]/.test(l))) markup = true;
  return lines
    .map((l) => {
      const again = markers(html(l).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
      return html(again);
    })
    .join('\n');
};

const results = [];
let failed = false;
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, 'utf8');
  markup = false;
  try {
    const parsed = await mermaid.parse(text);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const db = diagram.db;
    const vertices = [...db.getVertices().values()].map((v) => ({
      id: v.id,
      text: seen(v.text),
      shape: v.type,
      classes: v.classes,
    }));
    const edges = db.getEdges().map((e) => ({
      from: e.start,
      to: e.end,
      text: seen(e.text),
      stroke: e.stroke,
      style: e.style ?? [],
    }));
    const subgraphs = db.getSubGraphs().map((g) => ({
      id: g.id,
      title: seen(g.title),
      nodes: g.nodes,
    }));
    results.push({
      file,
      ok: true,
      type: parsed.diagramType,
      config: parsed.config,
      markup,
      vertices,
      edges,
      subgraphs,
    });
  } catch (e) {
    failed = true;
    results.push({ file, ok: false, error: String(e?.message ?? e) });
  }
}
process.stdout.write(JSON.stringify(results, null, 1) + '\n');
process.exit(failed ? 1 : 0);
