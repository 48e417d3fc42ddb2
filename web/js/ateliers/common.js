// Shared pieces of the "ateliers" pages: labels of stages, states, phase kinds and
// roles, date formatting, workshop URLs and a small card. Stages, states and roles
// are labelled from the shared vocabulary (meta.js); the board's phase kinds are the
// interface's own (i18n.js).

import { h } from '../dom.js';
import { locale, t } from '../i18n.js';
import { labels } from '../meta.js';
import { ZONE, frenchDate, parseDate } from '../time.js';

export const PHASE_KINDS = ['accueil', 'individuel', 'regroupement', 'vote', 'plan_action', 'libre'];
export const REACTIONS = ['👍', '👏', '❤️', '💡', '❓', '😀'];

export const stageLabel = labels.stage;
export const stateLabel = labels.workshopState;
export const kindLabel = (code) => t(`atelier.kind.${code}`);
export const roleLabel = labels.workshopRole;

/** Whether this account may create and run workshops. */
export function canFacilitate(user) {
  return Boolean(user) && (user.role === 'animateur' || user.role === 'admin');
}

export const workshopPath = (id) => `/ateliers/${encodeURIComponent(id)}`;
export const boardPath = (id) => `${workshopPath(id)}/tableau`;
export const reportPath = (id) => `${workshopPath(id)}/compte-rendu`;
export const apiPath = (id, rest = '') => `/api/workshops/${encodeURIComponent(id)}${rest}`;

// Two kinds of dates reach these pages (docs/api.md):
// - a workshop's `date`, « YYYY-MM-DD » or « YYYY-MM-DDTHH:MM[:SS] » without an offset: Paris
//   local time as entered. Its wall clock is shown as is (a day alone without an hour),
//   whatever the device's time zone: read as UTC parts and formatted in UTC, it never moves.
// - an instant (ISO 8601 with Z or an offset, unix seconds or milliseconds): shown in Paris
//   time (time.js), whatever the visitor's clock says.
const WALL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/;

const formats = (timeZone) => ({
  full: new Intl.DateTimeFormat(locale, { timeZone, dateStyle: 'full', timeStyle: 'short' }),
  short: new Intl.DateTimeFormat(locale, { timeZone, dateStyle: 'medium', timeStyle: 'short' }),
  day: new Intl.DateTimeFormat(locale, { timeZone, dateStyle: 'full' }),
  shortDay: new Intl.DateTimeFormat(locale, { timeZone, dateStyle: 'medium' }),
  time: new Intl.DateTimeFormat(locale, { timeZone, timeStyle: 'short' }),
});
const paris = formats(ZONE);
const wall = formats('UTC');

/**
 * { date, formats, dayOnly } for a value: a wall-clock date (UTC parts, `wall` formats) or
 * an instant (`paris` formats); null when unusable.
 */
function readDate(value) {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') {
    // Unix seconds or milliseconds.
    const date = new Date(value < 1e12 ? value * 1000 : value);
    return Number.isNaN(date.getTime()) ? null : { date, formats: paris, dayOnly: false };
  }
  const m = WALL.exec(String(value).trim());
  if (m) {
    const [y, mo, d, hh = 0, mm = 0, ss = 0] = m.slice(1).map((x) => (x === undefined ? undefined : Number(x)));
    const date = new Date(Date.UTC(y, mo - 1, d, hh, mm, ss));
    // 2026-02-30 is no day: refused rather than shown as 2 March.
    if (Number.isNaN(date.getTime()) || date.getUTCDate() !== d || date.getUTCMonth() !== mo - 1) return null;
    return { date, formats: wall, dayOnly: m[4] === undefined };
  }
  const date = parseDate(value);
  return date ? { date, formats: paris, dayOnly: false } : null;
}

/**
 * "lundi 1er décembre 2026 à 14:00" ("lundi 1er décembre 2026" for a day without an hour),
 * or "Non renseigné". `short`: "1er déc. 2026, 14:00".
 */
export function formatDate(value, { short = false } = {}) {
  const read = readDate(value);
  if (!read) return value ? String(value) : t('common.notSet');
  const { date, formats: f, dayOnly } = read;
  const format = dayOnly ? (short ? f.shortDay : f.day) : (short ? f.short : f.full);
  return frenchDate(format, date);
}

/** The time of day of a date ("14:05", Paris time); "" when unusable or a day alone. */
export function formatTime(value) {
  const read = readDate(value);
  return read && !read.dayOnly ? read.formats.time.format(read.date) : '';
}

/** A calendar day "YYYY-MM-DD" as "12 janv. 2027". */
export function formatDay(value) {
  const read = /^\d{4}-\d{2}-\d{2}$/.test(String(value || '')) ? readDate(value) : null;
  if (!read) return value ? String(value) : t('common.notSet');
  return frenchDate(wall.shortDay, read.date);
}

/**
 * The value of an <input type="datetime-local"> for a workshop's date, in Paris time ("" when
 * unset). A day without an hour gets 00:00 (compare with this value to keep it unchanged).
 */
export function toLocalInput(value) {
  const read = readDate(value);
  if (!read) return '';
  if (read.formats === wall) return read.date.toISOString().slice(0, 16);
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: ZONE, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).formatToParts(read.date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** An <input type="datetime-local"> value as an ISO 8601 local date-time with seconds. */
export function fromLocalInput(value) {
  if (!value) return '';
  return value.length === 16 ? `${value}:00` : value;
}

/** Small coloured label for a workshop state. */
export function stateTag(state) {
  return h('span', { class: `tag tag-state tag-state-${state}`, text: stateLabel(state) });
}

/** A workshop as a list card: title (link), date, CPTS, stage and state. */
export function workshopCard(w) {
  return h('li', { class: 'card workshop-card area-ateliers' },
    h('h3', { class: 'card-title' },
      h('a', { class: 'card-link', href: workshopPath(w.id), text: w.title })),
    h('p', { class: 'workshop-card-date', text: w.date ? formatDate(w.date) : t('atelier.noDate') }),
    h('p', { class: 'workshop-card-cpts', text: w.cpts ? w.cpts.name : t('atelier.noCpts') }),
    h('p', { class: 'workshop-card-tags' },
      h('span', { class: 'tag tag-stage', text: stageLabel(w.stage) }), ' ', stateTag(w.state)));
}

/** A list of names, or `none` when empty ("Aucune": organisations; people say "Aucun"). */
export function names(list, none = t('common.none')) {
  return Array.isArray(list) && list.length
    ? list.map((p) => p.name).join(t('common.listSeparator')) : none;
}

/** Random id for operations and keys: 16 hex characters. */
export function randomId() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}
