// A need for support (/expertises/besoins/{id}): what is asked, for which CPTS and
// territory; the people Relais proposes, ranked, each with the reasons in words, and
// « Attribuer » for animateurs; the moves of its state (start, finish, unassign, close);
// what it became or points to (a workshop prepared from it, library fiches, the testimony
// it became once done); its history.

import { api } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { confirmDialog } from '../dialog.js';
import { t, tn } from '../i18n.js';
import { actions, createForm, inputField, keepDraft, submitButton, textareaField } from '../forms.js';
import { lists, loadMeta } from '../meta.js';
import { absoluteDate } from '../time.js';
import { isManager, subNav } from '../expertises/common.js';
import { domainsText, movesFor, needTags, needTerritoryText, stateLabel, urgencyLabel } from '../expertises/needs.js';

// The need's title once it is read (the tab and the history show it).
let pageTitle = '';
export const title = () => (pageTitle ? t('besoins.detail.titleFor', { title: pageTitle }) : t('besoins.detail.title'));

function row(term, ...value) {
  return h('div', { class: 'details-row' }, h('dt', { text: term }), h('dd', {}, value));
}

/** One line of the history in words; a link still there is named by its title (`links`). */
function historyText(e, links = []) {
  const d = e.detail || {};
  const named = links.find((l) => l && l.kind === d.kind && String(l.id) === String(d.id) && l.title);
  if (named && (e.kind === 'linked' || e.kind === 'unlinked')) {
    return t(`besoins.history.${e.kind}Titled.${d.kind === 'workshop' ? 'workshop' : 'library'}`, { title: named.title });
  }
  switch (e.kind) {
    case 'created': return t('besoins.history.created');
    case 'assigned': return t('besoins.history.assigned', { name: d.person ? d.person.name : '' });
    case 'state': return t('besoins.history.state', { from: stateLabel(d.from), to: stateLabel(d.to) });
    case 'linked': return t(`besoins.history.linked.${d.kind === 'workshop' ? 'workshop' : 'library'}`, { id: d.id });
    case 'unlinked': return t(`besoins.history.unlinked.${d.kind === 'workshop' ? 'workshop' : 'library'}`, { id: d.id });
    case 'testimony': return t('besoins.history.testimony', { id: d.id });
    default: return e.kind;
  }
}

export async function render(ctx) {
  const { signal, user } = ctx;
  const id = ctx.params.id;
  const base = `/api/expertise/needs/${encodeURIComponent(id)}`;
  const [first, me] = await Promise.all([
    api.get(base, { signal }),
    api.get('/api/expertise/me', { signal }).catch(() => ({ person: null })),
    loadMeta(),
  ]);
  let need = first.need;
  const manager = isManager(user);
  const myPerson = me.person ? me.person.id : null;
  const headingId = uid('titre');
  const heading = h('h1', { id: headingId });
  const body = h('div', {});
  const live = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const errorBox = h('p', { class: 'notice notice-error', role: 'alert', hidden: true });
  const showError = (message) => { errorBox.textContent = message || ''; errorBox.hidden = !message; };

  const isAssignee = () => Boolean(need.assignee && myPerson && need.assignee.id === myPerson);
  const follows = () => manager || need.created_by === user.id || isAssignee();
  const phaseLabel = (code) => (lists.phases().find((p) => p.code === code) || {}).label || code;

  // The outcome of the last action, shown where it was taken (`where`: « moves » above the
  // state's buttons, « links », « testimony ») and focused: the page is drawn again, so the
  // button pressed may be gone, and the keyboard goes on from there (the next action follows).
  let result = null;
  function resultNode(where) {
    if (!result || result.where !== where) return null;
    return h('p', { class: 'status status-success need-result', role: 'status', tabindex: '-1', text: result.text });
  }
  function focusResult() {
    const node = body.querySelector('.need-result');
    if (node) node.focus();
  }

  async function act(run, announce, where = 'moves') {
    showError('');
    result = null;
    try {
      const answer = await run();
      if (answer && answer.need) need = answer.need;
      result = announce ? { text: announce, where } : null;
      await draw();
      // Read once: by the focus move when there is a message to focus, else by the live region.
      live.textContent = '';
      if (result) focusResult();
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      showError(err.message);
      if (err.code === 'besoin_modifie') {
        need = (await api.get(base, { signal })).need;
        await draw();
      }
    }
  }

  // --- Proposals (animateurs, while the need is open or assigned) ----------------------
  async function proposalsSection() {
    if (!manager || (need.state !== 'open' && need.state !== 'assigned')) return null;
    const sid = uid('titre');
    let list = [];
    try {
      list = (await api.get(`${base}/proposals`, { signal })).proposals || [];
    } catch (err) {
      if (err && err.name === 'AbortError') throw err;
      return h('p', { class: 'notice notice-error', text: err.message });
    }
    return h('section', { class: 'block', 'aria-labelledby': sid },
      h('h2', { id: sid, text: t('besoins.proposals.title') }),
      h('p', { class: 'hint', text: t('besoins.proposals.rule') }),
      list.length
        ? h('ol', { class: 'proposal-list' }, list.map((p, i) => {
          const assigned = need.assignee && need.assignee.id === p.person.id;
          return h('li', { class: 'panel proposal' },
            h('h3', { class: 'proposal-name' },
              h('span', { class: 'proposal-rank', text: t('besoins.proposals.rank', { n: i + 1 }) }), ' ',
              h('a', { href: `/expertises/personnes/${p.person.id}`, text: p.person.name })),
            p.person.org ? h('p', { class: 'hint', text: p.person.org }) : null,
            h('ul', { class: 'proposal-reasons' }, (p.reasons || []).map((r) => h('li', { text: r }))),
            assigned
              ? h('p', {}, h('span', { class: 'tag tag-ok', text: t('besoins.proposals.isAssigned') }))
              : h('div', { class: 'row-actions' }, h('button', {
                type: 'button', class: 'button button-small',
                text: t('besoins.proposals.assign', { name: p.person.name }),
                onclick: () => act(() => api.post(`${base}/assign`, { person_id: p.person.id, version: need.version }, { signal }),
                  t('besoins.proposals.assignedAnnounce', { name: p.person.name })),
              })));
        }))
        : h('p', { class: 'panel', text: t('besoins.proposals.none') }));
  }

  // --- State moves ----------------------------------------------------------------------
  function movesSection() {
    const moves = movesFor(need, { manager, isAssignee: isAssignee() });
    if (!moves.length) return null;
    return h('div', { class: 'row-actions need-moves' }, moves.map((to) => h('button', {
      type: 'button',
      class: to === 'closed' ? 'button button-secondary' : 'button',
      text: t(`besoins.move.${need.state}.${to}`),
      onclick: async () => {
        if (to === 'closed') {
          const ok = await confirmDialog({
            title: t('besoins.move.closeTitle'), text: t('besoins.move.closeText'), confirmLabel: t('besoins.move.closeConfirm'), signal,
          });
          if (!ok) return;
        }
        await act(() => api.post(`${base}/state`, { state: to, version: need.version }, { signal }),
          t('besoins.move.done', { state: stateLabel(to) }));
      },
    })));
  }

  // --- Links: workshops and fiches ------------------------------------------------------
  function linkItem(l) {
    const text = l.kind === 'workshop'
      ? t('besoins.links.workshop', { title: l.title, date: l.date ? absoluteDate(l.date) : t('besoins.links.noDate') })
      : (l.title ? t('besoins.links.fiche', { title: l.title }) : t('besoins.links.ficheInReview'));
    return h('li', { class: 'need-link' },
      h('a', { href: l.url, text }),
      follows() ? [' ', h('button', {
        type: 'button', class: 'button button-small button-danger-quiet', text: t('besoins.links.remove'),
        'aria-label': t('besoins.links.removeLabel', { title: l.title || t('besoins.links.ficheInReview') }),
        onclick: () => act(() => api.del(`${base}/links/${l.kind}/${l.id}`, { signal }), t('besoins.links.removed'), 'links'),
      })] : null);
  }

  function librarySearch() {
    const sid = uid('titre');
    const results = h('ul', { class: 'need-library-results' });
    const status = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
    const { form } = createForm({
      labelledBy: sid,
      className: 'form form-inline',
      children: [
        inputField({ label: t('besoins.links.searchLabel'), name: 'q', type: 'search', required: true, autocomplete: 'off', attrs: { maxlength: '200' } }),
        actions(submitButton(t('besoins.links.search'), 'button button-secondary')),
      ],
      onSubmit: async (values) => {
        const answer = await api.get(`/api/library/search?q=${encodeURIComponent(values.q)}&per_page=5`, { signal });
        const hits = answer.hits || [];
        status.textContent = hits.length ? tn('besoins.links.found', hits.length) : t('besoins.links.notFound');
        const linked = new Set(need.links.filter((l) => l.kind === 'library').map((l) => l.id));
        replace(results, hits.map((x) => h('li', { class: 'territory-row' },
          h('span', { class: 'territory-name' }, h('a', { href: `/bibliotheque/${x.id}`, text: x.title })),
          h('button', {
            type: 'button', class: 'button button-small', disabled: linked.has(x.id),
            text: linked.has(x.id) ? t('besoins.links.alreadyLinked') : t('besoins.links.link'),
            'aria-label': t('besoins.links.linkLabel', { title: x.title }),
            onclick: () => act(() => api.post(`${base}/links`, { kind: 'library', id: x.id }, { signal }), t('besoins.links.linked', { title: x.title }), 'links'),
          }))));
      },
    });
    return h('div', { class: 'need-library' }, h('h3', { id: sid, text: t('besoins.links.searchTitle') }), form, status, results);
  }

  function linksSection() {
    const sid = uid('titre');
    const links = need.links || [];
    return h('section', { class: 'block', 'aria-labelledby': sid },
      h('h2', { id: sid, text: t('besoins.links.title') }),
      resultNode('links'),
      links.length ? h('ul', { class: 'need-links' }, links.map(linkItem)) : h('p', { class: 'hint', text: t('besoins.links.none') }),
      manager && need.state !== 'closed'
        ? h('p', {}, h('a', { class: 'button', href: `/ateliers/nouveau?besoin=${encodeURIComponent(need.id)}`, text: t('besoins.links.prepareWorkshop') }))
        : null,
      follows() ? librarySearch() : null);
  }

  // --- Testimony (once done or closed) -------------------------------------------------
  async function testimonySection() {
    if (!follows() || (need.state !== 'done' && need.state !== 'closed')) return null;
    const sid = uid('titre');
    const box = h('div', {});
    const already = (need.links || []).some((l) => l.kind === 'library' && need.history.some((e) => e.kind === 'testimony' && e.detail && e.detail.id === l.id));
    const open = h('button', {
      type: 'button', class: 'button', 'aria-expanded': 'false',
      text: already ? t('besoins.testimony.again') : t('besoins.testimony.start'),
      onclick: async () => {
        open.setAttribute('aria-expanded', 'true');
        open.hidden = true;
        let draft;
        try {
          draft = (await api.get(`${base}/testimony`, { signal })).draft;
        } catch (err) {
          showError(err.message);
          open.hidden = false;
          return;
        }
        let kept = null;
        const { form } = createForm({
          labelledBy: sid,
          className: 'form form-wide',
          children: [
            inputField({ label: t('besoins.testimony.titleField'), name: 'title', required: true, value: draft.title, attrs: { maxlength: '200' } }),
            textareaField({ label: t('besoins.testimony.summary'), name: 'summary', required: true, value: draft.summary, rows: 2, attrs: { maxlength: '500' } }),
            textareaField({ label: t('besoins.testimony.body'), name: 'markdown', required: true, value: draft.markdown, rows: 14, hint: t('besoins.testimony.bodyHint') }),
            actions(submitButton(t('besoins.testimony.submit'))),
          ],
          onSubmit: async (values) => {
            const answer = await api.post(`${base}/testimony`, values, { signal });
            kept.clear();
            need = answer.need;
            result = { text: answer.item.state === 'published' ? t('besoins.testimony.published') : t('besoins.testimony.pending'), where: 'testimony' };
            await draw();
            focusResult();
          },
        });
        kept = keepDraft(form, `temoignage-besoin-${need.id}`);
        replace(box, form);
        const firstField = form.querySelector('input[name="title"]');
        if (firstField) firstField.focus();
      },
    });
    return h('section', { class: 'block', 'aria-labelledby': sid },
      h('h2', { id: sid, text: t('besoins.testimony.title') }),
      h('p', { class: 'hint', text: t('besoins.testimony.lead') }),
      resultNode('testimony'),
      open, box);
  }

  async function draw() {
    heading.textContent = need.title;
    pageTitle = need.title;
    const author = (need.history || []).find((e) => e.kind === 'created');
    const historyId = uid('titre');
    const proposals = await proposalsSection();
    const testimony = await testimonySection();
    replace(body,
      h('p', {}, needTags(need)),
      h('dl', { class: 'details' },
        row(t('besoins.detail.cpts'), need.cpts.name),
        row(t('besoins.detail.territory'), needTerritoryText(need)),
        row(t('besoins.detail.domains'), domainsText(need)),
        need.phase ? row(t('besoins.detail.phase'), phaseLabel(need.phase)) : null,
        row(t('besoins.detail.urgency'), urgencyLabel(need.urgency)),
        row(t('besoins.detail.state'), stateLabel(need.state)),
        row(t('besoins.detail.assignee'), need.assignee
          ? h('a', { href: `/expertises/personnes/${need.assignee.id}`, text: need.assignee.name })
          : t('besoins.detail.nobody')),
        row(t('besoins.detail.declared'), t('besoins.detail.declaredBy', {
          name: author && author.by ? author.by.name : '', date: absoluteDate(need.created_at),
        }))),
      need.description ? h('div', { class: 'panel need-description' }, need.description.split(/\n{2,}/).map((p) => h('p', { text: p }))) : null,
      resultNode('moves'),
      movesSection(),
      proposals,
      linksSection(),
      testimony,
      h('section', { class: 'block', 'aria-labelledby': historyId },
        h('h2', { id: historyId, text: t('besoins.history.title') }),
        h('ol', { class: 'need-history' }, (need.history || []).map((e) => h('li', {},
          h('span', { class: 'hint', text: absoluteDate(e.at) }), ' — ',
          historyText(e, need.links || []), e.by && e.by.name ? ` (${e.by.name})` : '')))));
  }
  await draw();

  return h('section', { class: 'page page-need area-expertises', 'aria-labelledby': headingId },
    heading,
    subNav('/expertises/besoins'),
    h('p', {}, h('a', { href: '/expertises/besoins', text: t('besoins.backToList') })),
    live,
    errorBox,
    body);
}
