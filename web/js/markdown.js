// A tiny Markdown-to-DOM renderer for workshop reports: headings, paragraphs,
// bulleted and numbered lists (nested by indentation), tables, block quotes,
// horizontal rules, and inline **bold**, *italics* and `code`. Every piece of text
// goes through text nodes: the source can never become markup.

import { h, srOnly } from './dom.js';
import { t } from './i18n.js';

// CommonMark: a backslash before any ASCII punctuation character makes it a literal one
// (the server escapes participants' texts this way: `2\*3\*4` is « 2*3*4 », no italics).
const ESCAPABLE = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** `\*` → `*` (backslash escapes resolved), for addresses. */
function unescape(text) {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '\\' && i + 1 < text.length && ESCAPABLE.includes(text[i + 1])) i += 1;
    out += text[i];
  }
  return out;
}

/** The index of `mark` in `text` from `from`, a backslash-escaped one skipped; -1 if none. */
function findUnescaped(text, mark, from) {
  for (let i = from; i < text.length; i += 1) {
    if (text[i] === '\\' && ESCAPABLE.includes(text[i + 1] ?? ' ')) i += 1;
    else if (text.startsWith(mark, i)) return i;
  }
  return -1;
}

const LINK = /^\[([^\]\n]{1,500})\]\(([^()\s]{1,2000})\)/;
const BARE_URL = /^https?:\/\/[^\s<>"`]{1,2000}/i;

/** Whether a link address is safe to follow: http(s), mailto, or a path on this site. */
export function safeHref(href) {
  if (/^(https?:\/\/|mailto:)/i.test(href)) return true;
  // A path on this site; "//host" and "/\\host" would leave it.
  return href.startsWith('/') && !href.startsWith('//') && !href.includes('\\');
}

/** Inline text → nodes (bold, italics, code, backslash escapes). */
function inline(text) {
  const out = [];
  let plain = '';
  const flush = () => {
    if (plain) out.push(document.createTextNode(plain));
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && ESCAPABLE.includes(text[i + 1])) {
      plain += text[i + 1];
      i += 2;
    } else if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end > i + 1) {
        flush();
        out.push(h('code', { text: text.slice(i + 1, end) }));
        i = end + 1;
      } else {
        plain += c;
        i += 1;
      }
    } else if (c === '!' && text[i + 1] === '[' && LINK.test(text.slice(i + 1))) {
      // ![description](address): images are not shown (attach them as files); the
      // address stays a link named by the description.
      i += 1;
    } else if (text.startsWith('http', i) && (i === 0 || /[\s(«]/.test(text[i - 1])) && BARE_URL.test(text.slice(i))) {
      // A bare address (pasted as is) is a link; a closing mark after it is not part of it.
      // Backslash escapes in it are resolved (`a\_b` is the address `a_b`, as CommonMark's).
      let url = text.slice(i).match(BARE_URL)[0];
      url = url.replace(/(?:\\?[.,;:!?)»'"])+$/, '').replace(/\\+$/, '');
      const address = unescape(url);
      flush();
      out.push(h('a', { href: address, rel: 'noopener noreferrer', target: '_blank' }, address));
      i += url.length;
    } else if (c === '[' && LINK.test(text.slice(i))) {
      // [text](address): a link only for http(s), mailto and same-site paths;
      // anything else (javascript:, data:...) stays plain text.
      const [whole, label, written] = text.slice(i).match(LINK);
      const href = unescape(written);
      flush();
      if (safeHref(href)) {
        const external = /^https?:/i.test(href);
        out.push(h('a', {
          href, rel: external ? 'noopener noreferrer' : null, target: external ? '_blank' : null,
        }, inline(label)));
      } else {
        out.push(document.createTextNode(`${label} (${href})`));
      }
      i += whole.length;
    } else if ((c === '*' || c === '_') && text[i + 1] === c) {
      const end = findUnescaped(text, c + c, i + 2);
      if (end > i + 2) {
        flush();
        out.push(h('strong', {}, inline(text.slice(i + 2, end))));
        i = end + 2;
      } else {
        plain += c + c;
        i += 2;
      }
    } else if ((c === '*' || c === '_') && text[i + 1] && text[i + 1] !== ' '
      && (c === '*' || i === 0 || /[\s(]/.test(text[i - 1]))) {
      const end = findUnescaped(text, c, i + 1);
      if (end > i + 1 && text[end - 1] !== ' ') {
        flush();
        out.push(h('em', {}, inline(text.slice(i + 1, end))));
        i = end + 1;
      } else {
        plain += c;
        i += 1;
      }
    } else {
      plain += c;
      i += 1;
    }
  }
  flush();
  return out;
}

/** Splits a table row on unescaped pipes, without the outer ones. */
function cells(line) {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  // A closing pipe is escaped when an odd number of backslashes precedes it.
  let slashes = 0;
  while (row.endsWith('|') && row[row.length - 2 - slashes] === '\\') slashes += 1;
  if (row.endsWith('|') && slashes % 2 === 0) row = row.slice(0, -1);
  const result = [];
  let cell = '';
  for (let i = 0; i < row.length; i += 1) {
    if (row[i] === '\\' && i + 1 < row.length) {
      // An escape is kept whole for inline(): `\\|` is a backslash and a cell's end.
      cell += row[i] + row[i + 1];
      i += 1;
    } else if (row[i] === '|') {
      result.push(cell.trim());
      cell = '';
    } else {
      cell += row[i];
    }
  }
  result.push(cell.trim());
  return result;
}

// Block syntax is recognised with linear-time code: a text of 100,000 characters must
// never make a regular expression backtrack for minutes (the text comes from users).
const ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const MAX_QUOTE_DEPTH = 8;

function isSpace(c) {
  return c === ' ' || c === '\t';
}

/** "## Titre ##" → [2, "Titre"], or null. */
function heading(line) {
  let level = 0;
  while (level < line.length && line[level] === '#') level += 1;
  if (level < 1 || level > 6 || !isSpace(line[level] ?? '')) return null;
  let start = level;
  while (start < line.length && isSpace(line[start])) start += 1;
  let end = line.length;
  while (end > start && isSpace(line[end - 1])) end -= 1;
  let hashes = end;
  while (hashes > start && line[hashes - 1] === '#') hashes -= 1;
  if (hashes === start || isSpace(line[hashes - 1])) {
    end = hashes;
    while (end > start && isSpace(line[end - 1])) end -= 1;
  }
  return [level, line.slice(start, end)];
}

/** "---", "* * *", "___" (three or more, at most three spaces of indentation). */
function isRule(line) {
  if (line.search(/\S/) > 3) return false;
  const t = line.replace(/\s/g, '');
  return t.length >= 3 && /^([-*_])\1*$/.test(t);
}

/** "| --- | :---: |" */
function isTableSeparator(line) {
  let t = line.trim();
  if (t.startsWith('|')) t = t.slice(1);
  if (t.endsWith('|')) t = t.slice(0, -1);
  if (!t.includes('-')) return false;
  return t.split('|').every((cell) => /^:?-+:?$/.test(cell.trim()));
}

function isTableStart(lines, i) {
  return lines[i].includes('|') && i + 1 < lines.length && lines[i + 1].includes('-')
    && isTableSeparator(lines[i + 1]);
}

function startsBlock(lines, i) {
  const line = lines[i];
  return line.trim() === '' || heading(line) || isRule(line) || ITEM.test(line)
    || QUOTE.test(line) || isTableStart(lines, i);
}

function table(lines, i) {
  const head = cells(lines[i]);
  const alignments = cells(lines[i + 1]).map((c) => {
    if (c.startsWith(':') && c.endsWith(':')) return 'center';
    return c.endsWith(':') ? 'right' : null;
  });
  const rows = [];
  let j = i + 2;
  while (j < lines.length && lines[j].trim() !== '' && lines[j].includes('|')) {
    rows.push(cells(lines[j]));
    j += 1;
  }
  const cls = (k) => (alignments[k] ? `align-${alignments[k]}` : null);
  // A wide table scrolls in its box: focusable and named, so that the keyboard scrolls it too.
  // Named by its columns, so that two tables of a page are told apart; a column without a
  // title gets one for screen readers.
  const names = head.map((c) => unescape(c).replace(/[*_`[\]()]/g, '').trim()).filter(Boolean);
  const name = names.length ? t('markdown.tableOf', { columns: names.slice(0, 4).join(', ') }) : t('markdown.table');
  const node = h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': name }, h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, head.map((c, k) => h('th', { scope: 'col', class: cls(k) },
      c.trim() ? inline(c) : h('span', { class: 'visually-hidden', text: t('markdown.column', { n: k + 1 }) }))))),
    h('tbody', {}, rows.map((r) => h('tr', {},
      head.map((_, k) => h('td', { class: cls(k) }, inline(r[k] ?? ''))))))));
  return { node, next: j };
}

function list(lines, i) {
  // Items at the first item's indentation; deeper items form nested lists.
  const first = ITEM.exec(lines[i]);
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const node = h(ordered ? 'ol' : 'ul');
  if (ordered && parseInt(first[2], 10) !== 1) node.setAttribute('start', String(parseInt(first[2], 10)));
  let j = i;
  let current = null;
  while (j < lines.length) {
    const m = ITEM.exec(lines[j]);
    // A bulleted item after numbered ones (or the reverse) starts a list of its own.
    if (m && m[1].length === indent && /\d/.test(m[2]) !== ordered) break;
    if (m && m[1].length === indent) {
      // "- [ ] item" / "- [x] item": a check-list (a visual box, not a form control).
      const check = /^\[( |x|X)\]\s+(.*)$/.exec(m[3]);
      current = check
        ? h('li', { class: 'check-item' },
          h('span', { class: check[1] === ' ' ? 'check-box' : 'check-box checked', 'aria-hidden': 'true' }),
          srOnly(check[1] === ' ' ? 'À cocher : ' : 'Coché : '), inline(check[2]))
        : h('li', {}, inline(m[3]));
      node.append(current);
      j += 1;
    } else if (m && m[1].length > indent && current) {
      const nested = list(lines, j);
      current.append(nested.node);
      j = nested.next;
    } else if (!m && current && lines[j].trim() !== '' && /^\s+/.test(lines[j])) {
      current.append(' ', ...inline(lines[j].trim())); // continuation line
      j += 1;
    } else {
      break;
    }
  }
  return { node, next: j };
}

/**
 * Renders Markdown into a <div>. `headingOffset` shifts heading levels (a report's
 * "#" becomes <h2> under the page's own <h1>).
 */
export function renderMarkdown(source, { headingOffset = 1, className = 'markdown', depth = 0 } = {}) {
  const lines = String(source ?? '').replace(/\r\n?/g, '\n').split('\n');
  const root = h('div', { class: className });
  // The text's highest heading level is the first under the page's title, whatever it was
  // written with ("##" sections of a fiche are <h2> under its <h1>): no level is skipped.
  let top = 6;
  for (const line of lines) {
    const hm = heading(line);
    if (hm) top = Math.min(top, hm[0]);
  }
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (line.trim() === '') {
      i += 1;
    } else if ((m = heading(line))) {
      const level = Math.min(6, m[0] - top + 1 + headingOffset);
      root.append(h(`h${level}`, {}, inline(m[1])));
      i += 1;
    } else if (isRule(line)) {
      root.append(h('hr'));
      i += 1;
    } else if (isTableStart(lines, i)) {
      const result = table(lines, i);
      root.append(result.node);
      i = result.next;
    } else if (ITEM.test(line)) {
      const result = list(lines, i);
      root.append(result.node);
      i = result.next;
    } else if (QUOTE.test(line) && depth < MAX_QUOTE_DEPTH) {
      const quoted = [];
      while (i < lines.length && (m = QUOTE.exec(lines[i]))) {
        quoted.push(m[1]);
        i += 1;
      }
      root.append(h('blockquote', {},
        renderMarkdown(quoted.join('\n'), { headingOffset, className: 'markdown-quote', depth: depth + 1 })));
    } else {
      // A line break stays one (an address, a signature): people who do not write
      // Markdown press Enter to go to the line, and a paste keeps the breaks it had.
      const text = [line.trim()];
      i += 1;
      while (i < lines.length && !startsBlock(lines, i)) {
        text.push(lines[i].trim());
        i += 1;
      }
      root.append(h('p', {}, text.map((l, k) => [k ? h('br') : null, inline(l.replace(/\\$/, ''))])));
    }
  }
  return root;
}
