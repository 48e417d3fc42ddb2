// Dates of the server (ISO 8601 UTC) shown in French, in Paris time whatever the
// visitor's clock says: the network is French and its notices speak of French days.

import { locale, t } from './i18n.js';

/** The time zone every date of the interface is shown in. */
export const ZONE = 'Europe/Paris';

const absoluteFormat = new Intl.DateTimeFormat(locale, {
  timeZone: ZONE, day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit',
});
const shortFormat = new Intl.DateTimeFormat(locale, {
  timeZone: ZONE, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
});
const relativeFormat = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });

/**
 * A date formatted the French way: the first of the month is « 1er » (« 1er décembre »,
 * as the reports write it), which Intl does not do.
 */
export function frenchDate(format, date) {
  return format.formatToParts(date)
    .map((p) => (p.type === 'day' && p.value === '1' ? '1er' : p.value)).join('');
}

/** A Date from an ISO string (or unix seconds); null when unusable. */
export function parseDate(value) {
  if (value === null || value === undefined || value === '') return null;
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "1 décembre 2026 à 14:05" (Paris time); "" when unusable. */
export function absoluteDate(value) {
  const date = parseDate(value);
  return date ? frenchDate(absoluteFormat, date) : '';
}

const dayFormat = new Intl.DateTimeFormat(locale, { timeZone: ZONE, day: 'numeric', month: 'short', year: 'numeric' });

/** "1er déc. 2026" (Paris time), a day without its hour; "" when unusable. */
export function dayDate(value) {
  const date = parseDate(value);
  return date ? frenchDate(dayFormat, date) : '';
}

/** "1 déc. 2026, 14:05" (Paris time), for tables; "" when unusable. */
export function shortDate(value) {
  const date = parseDate(value);
  return date ? frenchDate(shortFormat, date) : '';
}

/**
 * "à l’instant", "il y a 5 minutes", "dans 3 heures", "hier"…, for dates within a
 * week of `now`; null beyond (the absolute date says it better).
 */
export function relativeDate(value, now = Date.now()) {
  const date = parseDate(value);
  if (!date) return null;
  const seconds = Math.round((date.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return t('time.justNow');
  if (abs < 3600) return relativeFormat.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return relativeFormat.format(Math.round(seconds / 3600), 'hour');
  if (abs < 7 * 86400) return relativeFormat.format(Math.round(seconds / 86400), 'day');
  return null;
}

/** "il y a 5 minutes (1 décembre 2026 à 14:05)", or the absolute date alone when older. */
export function describeDate(value, now = Date.now()) {
  const absolute = absoluteDate(value);
  if (!absolute) return String(value ?? '');
  const relative = relativeDate(value, now);
  return relative ? t('time.relativeAndAbsolute', { relative, absolute }) : absolute;
}

/** A <time> element's datetime attribute for a value ("" when unusable). */
export function isoDate(value) {
  const date = parseDate(value);
  return date ? date.toISOString() : '';
}

/** "toutes les 5 minutes", "tous les jours"…: how often something runs, in words. */
export function everyInWords(seconds) {
  const s = Math.round(Number(seconds) || 0);
  if (s <= 0) return t('time.onDemand');
  const units = [[86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  for (const [size, unit] of units) {
    if (s % size === 0) {
      const n = s / size;
      return n === 1 ? t(`time.every.${unit}`) : t(`time.every.${unit}s`, { n });
    }
  }
  return t('time.every.seconds', { n: s });
}
