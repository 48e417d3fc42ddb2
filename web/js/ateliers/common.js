// Shared pieces of the "ateliers" pages: labels of stages, states, phase kinds and
// roles, date formatting, workshop URLs and a small card. Stages, states and roles
// are labelled from the shared vocabulary (meta.js); the board's phase kinds are the
// interface's own (i18n.js).

import { h } from '../dom.js';
import { locale, t } from '../i18n.js';
import { labels } from '../meta.js';
import { frenchDate } from '../time.js';

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

const dateTimeFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short' });
const shortFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });

function toDate(value) {
  if (value === null || value === undefined || value === '') return null;
  // Unix seconds or milliseconds, or an ISO 8601 string (local time when no offset).
  const date = typeof value === 'number' ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "lundi 1er décembre 2026 à 14:00", or "Non renseigné". */
export function formatDate(value, { short = false } = {}) {
  const date = toDate(value);
  if (!date) return value ? String(value) : t('common.notSet');
  return frenchDate(short ? shortFormat : dateTimeFormat, date);
}

const dayFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
const timeFormat = new Intl.DateTimeFormat(locale, { timeStyle: 'short' });

/** The time of day of a date ("14:05"). */
export function formatTime(value) {
  const date = toDate(value);
  return date ? timeFormat.format(date) : '';
}

/** A calendar day "YYYY-MM-DD" as "12 janv. 2027". */
export function formatDay(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value || ''));
  if (!m) return value ? String(value) : t('common.notSet');
  return frenchDate(dayFormat, new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}

/** The value of an <input type="datetime-local"> for an ISO date ("" when unset). */
export function toLocalInput(value) {
  const date = toDate(value);
  if (!date) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
    + `T${pad(date.getHours())}:${pad(date.getMinutes())}`;
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
    h('p', { class: 'workshop-card-date', text: formatDate(w.date) }),
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
