// « Veille »: the watch fields of the network (who answers for each, what waits to be
// qualified, what was retained) and the coverage table, where the « répartition des
// rôles » is visible: fields without an owner, owners who left, nothing retained for a
// month, failing sources, fields without a source.

import { api } from '../api.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { describeDate } from '../time.js';

export const title = 'veille.title';

function ownersText(owners) {
  const list = (owners || []).filter((o) => o.role === 'owner').map((o) => o.name);
  const backups = (owners || []).filter((o) => o.role === 'backup').map((o) => o.name);
  if (!list.length && !backups.length) return t('veille.noOwner');
  let text = list.length ? t('veille.ownersList', { names: list.join(', ') }) : t('veille.noOwner');
  if (backups.length) text += ` ${t('veille.backupsList', { names: backups.join(', ') })}`;
  return text;
}

function fieldCard(f) {
  const counts = f.counts || {};
  return h('li', { class: 'card watch-card' },
    h('h2', { class: 'card-title' },
      h('a', { class: 'card-link', href: `/veille/champs/${encodeURIComponent(f.id)}`, text: f.name })),
    h('p', { text: f.description || '' }),
    h('p', { class: 'hint', text: ownersText(f.owners) }),
    h('p', { class: 'watch-counts' },
      h('span', { class: counts.new ? 'tag tag-unread' : 'tag', text: t('veille.countNew', { n: counts.new || 0 }) }),
      ' ',
      h('span', { class: 'tag', text: t('veille.countKept', { n: counts.kept || 0 }) }),
      ' ',
      h('span', { class: 'tag', text: t('veille.countSources', { n: counts.sources || 0 }) })));
}

function coverageTable(coverage) {
  const captionId = uid('couverture');
  const rows = (coverage.fields || []).map((row) => {
    const waiting = row.waiting || {};
    return h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: `/veille/champs/${encodeURIComponent(row.id)}`, text: row.name })),
      h('td', { text: ownersText(row.owners) }),
      h('td', { class: 'num', text: String(row.sources ?? 0) }),
      h('td', { class: 'num' },
        String(waiting.count ?? 0),
        waiting.oldest_at ? h('span', { class: 'hint' }, ' ', t('veille.oldest', { when: describeDate(waiting.oldest_at) })) : null),
      h('td', { class: 'num', text: `${row.kept_30d ?? 0} / ${row.kept_90d ?? 0}` }),
      h('td', {}, (row.flags || []).length
        ? h('ul', { class: 'watch-flags' }, row.flags.map((f) => h('li', { class: 'watch-flag', text: f.message })))
        : h('span', { class: 'tag tag-ok', text: t('veille.allGood') })));
  });
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': captionId },
    h('table', { class: 'table watch-coverage' },
      h('caption', { id: captionId, text: t('veille.coverageCaption') }),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: t('veille.colField') }),
        h('th', { scope: 'col', text: t('veille.colOwners') }),
        h('th', { scope: 'col', text: t('veille.colSources') }),
        h('th', { scope: 'col', text: t('veille.colWaiting') }),
        h('th', { scope: 'col', text: t('veille.colKept') }),
        h('th', { scope: 'col', text: t('veille.colFlags') }))),
      h('tbody', {}, rows)));
}

export async function render(ctx) {
  const { signal } = ctx;
  const [fields, coverage] = await Promise.all([
    api.get('/api/watch/fields', { signal }),
    api.get('/api/watch/coverage', { signal }),
  ]);
  const list = (fields.fields || []).filter((f) => !f.archived);
  const headingId = uid('titre');
  const fieldsId = uid('titre');
  const coverageId = uid('titre');
  const updated = h('p', { class: 'hint' },
    t('veille.coverageRules', { stale: coverage.stale_after_days, failing: coverage.failing_after_days }));
  return h('section', { class: 'page page-watch area-veille', 'aria-labelledby': headingId },
    h('h1', { id: headingId, text: t('veille.title') }),
    h('p', { class: 'lead', text: t('veille.summary') }),
    h('section', { 'aria-labelledby': fieldsId },
      h('h2', { id: fieldsId, text: t('veille.fieldsTitle') }),
      list.length
        ? h('ul', { class: 'cards watch-fields' }, list.map(fieldCard))
        : h('p', { class: 'panel', text: t('veille.noFields') })),
    h('section', { 'aria-labelledby': coverageId },
      h('h2', { id: coverageId, text: t('veille.coverageTitle') }),
      h('p', { text: t('veille.coverageLead') }),
      updated,
      coverageTable(coverage)));
}
