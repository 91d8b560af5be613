// A report as a list of blocks, rendered once as Markdown (PNG links) and
// once as a self-contained HTML page (PNGs inlined as data URIs).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatMarkdownTable, type Table } from './tables.js';

export type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; table: Table }
  | { kind: 'image'; alt: string; path: string };

export function renderMarkdown(blocks: Block[]): string {
  return `${blocks.map(renderMarkdownBlock).join('\n\n')}\n`;
}

function renderMarkdownBlock(block: Block): string {
  switch (block.kind) {
    case 'heading':
      return `${'#'.repeat(block.level)} ${block.text}`;
    case 'paragraph':
      return block.text;
    case 'list':
      return block.items.map((item) => `- ${item}`).join('\n');
    case 'table':
      return formatMarkdownTable(block.table);
    case 'image':
      return `![${block.alt}](${block.path})`;
  }
}

// `baseDir` is where image paths are relative to; nothing outside the page
// is referenced, so the file can be mailed or archived on its own.
export function renderHtml(blocks: Block[], title: string, baseDir: string): string {
  const body = blocks.map((block) => renderHtmlBlock(block, baseDir)).join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${pageStyle}</style>`,
    '</head><body>',
    body,
    '</body></html>',
    '',
  ].join('\n');
}

const pageStyle = [
  'body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45;color:#222}',
  'table{border-collapse:collapse;margin:1em 0;font-size:0.9em}',
  'th,td{border:1px solid #bbb;padding:0.25em 0.6em;text-align:left}',
  'th{background:#eee}',
  'img{max-width:100%}',
  'code{background:#f3f3f3;padding:0 0.2em}',
].join('');

function renderHtmlBlock(block: Block, baseDir: string): string {
  switch (block.kind) {
    case 'heading':
      return `<h${block.level}>${formatInline(block.text)}</h${block.level}>`;
    case 'paragraph':
      return `<p>${formatInline(block.text)}</p>`;
    case 'list':
      return `<ul>\n${block.items.map((item) => `<li>${formatInline(item)}</li>`).join('\n')}\n</ul>`;
    case 'table':
      return renderHtmlTable(block.table);
    case 'image':
      return `<figure><img alt="${escapeHtml(block.alt)}" src="${toDataUri(join(baseDir, block.path))}"><figcaption>${escapeHtml(block.alt)}</figcaption></figure>`;
  }
}

function renderHtmlTable(table: Table): string {
  const head = `<tr>${table.header.map((cell) => `<th>${formatInline(cell)}</th>`).join('')}</tr>`;
  const rows = table.rows.map((row) => `<tr>${row.map((cell) => `<td>${formatInline(cell)}</td>`).join('')}</tr>`);
  return `<table>\n${[head, ...rows].join('\n')}\n</table>`;
}

function toDataUri(path: string): string {
  if (!existsSync(path)) return '';
  return `data:image/png;base64,${readFileSync(path).toString('base64')}`;
}

// The only Markdown the report writes inline: **bold** and `code`.
function formatInline(text: string): string {
  return escapeHtml(text)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>');
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
