// One workshop (/ateliers/:id): details, the way to the live board and to the
// report; for its facilitators: state transitions, the phase composer, members and
// invitation links.

import { api } from '../api.js';
import {
  apiPath, boardPath, formatDate, fromLocalInput, names, reportPath, roleLabel, stageLabel, stateLabel, stateTag, toLocalInput,
  workshopPath,
} from '../ateliers/common.js';
import { phaseComposer, phaseOverview } from '../ateliers/phases.js';
import { confirmDialog } from '../dialog.js';
import { h, srOnly, uid } from '../dom.js';
import { actions, createForm, formValues, inputField, selectField, submitButton, textareaField } from '../forms.js';
import { compare, t } from '../i18n.js';
import { guardLeaving } from '../leave-guard.js';
import { lists, loadMeta } from '../meta.js';

let pageTitle = '';
export const title = () => pageTitle || t('atelier.title');

// The buttons offered in each state (docs/api.md: draft → scheduled → live → closed →
// archived, scheduled → draft, closed → live).
const TRANSITIONS = {
  draft: [{ to: 'scheduled', key: 'atelier.toScheduled' }],
  scheduled: [{ to: 'live', key: 'atelier.toLive' }, { to: 'draft', key: 'atelier.toDraft' }],
  live: [{ to: 'closed', key: 'atelier.toClosed', confirm: 'atelier.confirmClose' }],
  closed: [{ to: 'live', key: 'atelier.toReopen' },
    { to: 'archived', key: 'atelier.toArchived', confirm: 'atelier.confirmArchive' }],
  archived: [],
};

function section(titleKey, ...content) {
  const id = uid('titre');
  return h('section', { class: 'block', 'aria-labelledby': id },
    h('h2', { id, tabindex: '-1', text: t(titleKey) }), content);
}

function detailsList(w) {
  const rows = [
    ['atelier.subject', w.subject],
    ['atelier.stage', stageLabel(w.stage)],
    ['atelier.stateLabel', stateLabel(w.state)],
    ['atelier.date', formatDate(w.date)],
    ['atelier.cpts', w.cpts ? w.cpts.name : t('atelier.noCpts')],
    ['atelier.partners', names(w.partners)],
    ['atelier.facilitators', names(w.facilitators, t('common.nonePerson'))],
    ['atelier.members', names(w.members, t('common.nonePerson'))],
    ['atelier.myRole', w.my_role ? roleLabel(w.my_role) : t('common.noneMasculine')],
  ];
  return h('dl', { class: 'details' }, rows.map(([key, value]) => h('div', { class: 'details-row' },
    h('dt', { text: t(key) }), h('dd', { text: value || t('common.notSet') }))));
}

export async function render(ctx) {
  const { id } = ctx.params;
  const { signal } = ctx;
  let workshop = (await api.get(apiPath(id), { signal })).workshop;
  const facilitator = workshop.my_role === 'facilitator';

  // The workshop says whether a report exists: no probing request (and no 404).
  const report = workshop.report_generated_at;
  const [templates, invites, users, orgs] = await Promise.all([
    facilitator ? api.get('/api/templates', { signal }).then((d) => d.templates || []).catch(() => [])
      : [],
    facilitator ? api.get(apiPath(id, '/invites'), { signal }).then((d) => d.invites || []) : [],
    facilitator ? api.get('/api/users', { signal }).then((d) => d.users || []).catch(() => []) : [],
    facilitator ? api.get('/api/orgs', { signal }).then((d) => d.orgs || []).catch(() => []) : [],
    loadMeta(),
  ]);

  const heading = h('h1', { text: workshop.title });
  const stateLine = h('p', { class: 'workshop-state-line' });
  const details = h('div', { class: 'panel' });
  const stateBox = h('div', { class: 'panel' });
  const membersBox = h('div', { class: 'panel' });

  function showWorkshop(w) {
    workshop = w;
    pageTitle = w.title;
    heading.textContent = w.title;
    stateLine.replaceChildren(stateTag(w.state), ' ', w.date ? formatDate(w.date) : t('atelier.noDate'));
    details.replaceChildren(detailsList(w));
    if (facilitator) {
      drawState();
      drawMembers();
      drawPrepare();
    }
  }

  // ------------------------------------------------------------ state transitions
  async function changeState(step) {
    if (step.confirm) {
      const ok = await confirmDialog({
        title: t(step.key), text: t(step.confirm), confirmLabel: t(step.key), signal,
      });
      if (!ok) return;
    }
    try {
      const data = await api.post(apiPath(id, '/state'), { state: step.to }, { signal });
      showWorkshop(data.workshop);
      ctx.announce(t('atelier.stateChanged', { state: stateLabel(data.workshop.state) }), 'success');
      (stateBox.querySelector('button') || stateBox.closest('section').querySelector('h2')).focus();
    } catch (err) {
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
    }
  }

  function drawState() {
    const steps = TRANSITIONS[workshop.state] || [];
    stateBox.replaceChildren(
      h('p', {}, t('atelier.currentState'), ' ', stateTag(workshop.state)),
      steps.length ? h('div', { class: 'form-actions' }, steps.map((step) => h('button', {
        type: 'button', class: step.to === 'archived' ? 'button button-secondary' : 'button',
        text: t(step.key), onclick: () => changeState(step),
      }))) : h('p', { class: 'hint', text: t('atelier.noTransition') }));
  }

  // ------------------------------------------------------------ members
  async function memberChange(method, path, body, message) {
    try {
      const data = method === 'post' ? await api.post(path, body, { signal }) : await api.del(path, { signal });
      showWorkshop(data.workshop);
      ctx.announce(message, 'success');
      const target = membersBox.querySelector('select, button');
      if (target) target.focus();
    } catch (err) {
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
    }
  }

  function drawMembers() {
    const members = Array.isArray(workshop.members) ? workshop.members : [];
    const list = members.length
      ? h('ul', { class: 'plain-list' }, members.map((m) => h('li', { class: 'plain-row' },
        h('span', { text: m.name }),
        h('button', {
          type: 'button', class: 'button button-danger-quiet button-small',
          text: t('atelier.memberRemove'), 'aria-label': t('atelier.memberRemoveNamed', { name: m.name }),
          onclick: () => memberChange('del', apiPath(id, `/members/${encodeURIComponent(m.id)}`), undefined,
            t('atelier.memberRemoved', { name: m.name })),
        }))))
      : h('p', { class: 'hint', text: t('atelier.noMembers') });
    const taken = new Set([...members, ...(workshop.facilitators || [])].map((p) => String(p.id)));
    const candidates = users.filter((u) => u.active !== false && !taken.has(String(u.id)))
      .sort((a, b) => compare(a.name, b.name));
    let add = null;
    if (candidates.length) {
      const { form } = createForm({
        label: t('atelier.memberAddTitle'),
        className: 'form form-inline',
        children: [
          selectField({
            label: t('atelier.memberPick'), name: 'user_id',
            options: candidates.map((u) => ({ value: String(u.id), label: u.org ? `${u.name} — ${u.org.name}` : u.name })),
          }),
          actions(submitButton(t('atelier.memberAdd'))),
        ],
        onSubmit: async (values) => {
          const user = candidates.find((u) => String(u.id) === values.user_id);
          await memberChange('post', apiPath(id, '/members'), { user_id: Number(values.user_id) },
            t('atelier.memberAdded', { name: user ? user.name : '' }));
        },
      });
      add = form;
    }
    membersBox.replaceChildren(...[list, add, coFacilitation()].filter(Boolean));
  }

  /** Co-facilitation: up to two animateurs, both with the board's controls. */
  function coFacilitation() {
    const facilitators = Array.isArray(workshop.facilitators) ? workshop.facilitators : [];
    const headingId = uid('titre');
    const list = h('ul', { class: 'plain-list' }, facilitators.map((f) => h('li', { class: 'plain-row' },
      h('span', { text: f.name }),
      facilitators.length > 1 ? h('button', {
        type: 'button', class: 'button button-secondary button-small',
        text: t('atelier.facilitatorRemove'), 'aria-label': t('atelier.facilitatorRemoveNamed', { name: f.name }),
        onclick: () => memberChange('post', apiPath(id, '/members'), { user_id: f.id, role: 'participant' },
          t('atelier.facilitatorRemoved', { name: f.name })),
      }) : null)));
    const taken = new Set(facilitators.map((f) => String(f.id)));
    const candidates = users.filter((u) => u.active !== false && (u.role === 'animateur' || u.role === 'admin') && !taken.has(String(u.id)))
      .sort((a, b) => compare(a.name, b.name));
    let add = null;
    if (facilitators.length < 2 && candidates.length) {
      add = createForm({
        label: t('atelier.facilitatorAddTitle'),
        className: 'form form-inline',
        children: [
          selectField({
            label: t('atelier.facilitatorPick'), name: 'user_id',
            options: candidates.map((u) => ({ value: String(u.id), label: u.org ? `${u.name} — ${u.org.name}` : u.name })),
          }),
          actions(submitButton(t('atelier.facilitatorAdd'))),
        ],
        onSubmit: async (values) => {
          const user = candidates.find((u) => String(u.id) === values.user_id);
          await memberChange('post', apiPath(id, '/members'), { user_id: Number(values.user_id), role: 'facilitator' },
            t('atelier.facilitatorAdded', { name: user ? user.name : '' }));
        },
      }).form;
    }
    return h('section', { class: 'block co-facilitation', 'aria-labelledby': headingId },
      h('h3', { id: headingId, text: t('atelier.facilitationTitle') }),
      h('p', { class: 'hint', text: t('atelier.facilitationHint') }),
      list, add);
  }

  // ------------------------------------------------------------ invitations
  const inviteList = h('div');
  const inviteResult = h('div', { class: 'invite-result', 'aria-live': 'polite' });
  let inviteRows = invites;

  function inviteStatus(inv) {
    if (inv.revoked) return t('invites.revoked');
    const expires = typeof inv.expires_at === 'number'
      ? (inv.expires_at < 1e12 ? inv.expires_at * 1000 : inv.expires_at) : Date.parse(inv.expires_at);
    return Number.isFinite(expires) && expires < Date.now() ? t('invites.expired') : t('invites.active');
  }

  async function reloadInvites() {
    const data = await api.get(apiPath(id, '/invites'), { signal });
    inviteRows = data.invites || [];
    drawInvites();
  }

  async function revoke(inv) {
    const ok = await confirmDialog({
      title: t('invites.revokeTitle'), text: t('invites.revokeText'), confirmLabel: t('invites.revoke'),
      danger: true, signal,
    });
    if (!ok) return;
    try {
      await api.del(apiPath(id, `/invites/${encodeURIComponent(inv.id)}`), { signal });
      await reloadInvites();
      ctx.announce(t('invites.revokedDone'), 'success');
      inviteList.closest('section').querySelector('h2').focus();
    } catch (err) {
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
    }
  }

  function drawInvites() {
    if (!inviteRows.length) {
      inviteList.replaceChildren(h('p', { class: 'hint', text: t('invites.none') }));
      return;
    }
    const captionId = uid('legende');
    inviteList.replaceChildren(h('div', {
      class: 'table-wrap', role: 'region', 'aria-labelledby': captionId, tabindex: '0',
    }, h('table', { class: 'table' },
      h('caption', { id: captionId, text: t('invites.tableCaption') }),
      h('thead', {}, h('tr', {}, ['colLabel', 'colRole', 'colExpires', 'colGuests', 'colStatus', 'colActions']
        .map((k) => h('th', { scope: 'col', text: t(`invites.${k}`) })))),
      h('tbody', {}, inviteRows.map((inv) => h('tr', {},
        h('th', { scope: 'row', text: inv.label || t('invites.noLabel') }),
        h('td', { text: roleLabel(inv.role) }),
        h('td', { text: formatDate(inv.expires_at, { short: true }) }),
        h('td', {
          class: 'cell-number',
          text: String(Array.isArray(inv.guests) ? inv.guests.length : Number(inv.guests) || 0),
        }),
        h('td', { text: inviteStatus(inv) }),
        h('td', { class: 'cell-actions' },
          inv.path ? h('button', {
            type: 'button', class: 'button button-secondary button-small', text: t('invites.showAgain'),
            onclick: () => showNewInvite(inv),
          }, srOnly(` ${inv.label || roleLabel(inv.role)}`)) : null,
          inv.revoked ? null : h('button', {
            type: 'button', class: 'button button-danger-quiet button-small', text: t('invites.revoke'),
            onclick: () => revoke(inv),
          }, srOnly(` ${inv.label || roleLabel(inv.role)}`)))))))));
  }

  function showNewInvite(invite) {
    // The link, built for this origin (at creation, or shown again from the list).
    const url = invite.token ? `${location.origin}/invitation/${encodeURIComponent(invite.token)}`
      : new URL(invite.path || invite.url, location.origin).href;
    const fieldId = uid('lien');
    const input = h('input', { id: fieldId, type: 'text', readonly: true, class: 'invite-url' });
    input.value = url;
    const copy = h('button', {
      type: 'button', class: 'button button-secondary', text: t('invites.copy'),
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(url);
          ctx.announce(t('invites.copied'), 'success');
        } catch {
          input.select();
          ctx.announce(t('invites.copyManually'), 'info');
        }
      },
    });
    // For the room: the short code (typed at /code) and the QR code, shown big on demand.
    const codeAddress = `${location.host}/code`;
    const spaced = invite.code ? `${invite.code.slice(0, 3)} ${invite.code.slice(3)}` : '';
    const qrSrc = apiPath(id, `/invites/${encodeURIComponent(invite.id)}/qr.svg`);
    const qrAlt = t('invites.qrAlt', { role: roleLabel(invite.role) });
    const projectBox = h('div', { class: 'invite-projection', hidden: true, role: 'dialog', 'aria-modal': 'true', 'aria-label': t('invites.projectTitle', { title: workshop.title }) });
    const closeProjection = () => {
      if (projectBox.hidden) return;
      projectBox.hidden = true;
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('fullscreenchange', onFullscreen);
      const back = () => projectButton.focus();
      if (document.fullscreenElement) document.exitFullscreen().then(back, back);
      else back();
    };
    // Escape in full screen is the browser's: leaving full screen closes the projection.
    const onFullscreen = () => {
      if (!document.fullscreenElement) closeProjection();
    };
    const onKey = (e) => {
      if (e.key === 'Escape') closeProjection();
    };
    const closeButton = h('button', {
      type: 'button', class: 'button button-secondary invite-projection-close', text: t('invites.projectClose'),
      onclick: closeProjection,
    });
    projectBox.append(
      h('h2', { text: t('invites.projectTitle', { title: workshop.title }) }),
      h('img', { src: qrSrc, alt: qrAlt, class: 'invite-qr-large', width: '360', height: '360' }),
      h('p', { text: t('invites.projectScan') }),
      h('p', { text: t('invites.projectType', { address: codeAddress }) }),
      spaced ? h('p', { class: 'invite-code-large', text: spaced }) : null,
      closeButton);
    const projectButton = h('button', {
      type: 'button', class: 'button button-secondary', text: t('invites.project'),
      onclick: () => {
        projectBox.hidden = false;
        document.addEventListener('keydown', onKey, { signal });
        closeButton.focus();
        projectBox.requestFullscreen?.().then(() => {
          document.addEventListener('fullscreenchange', onFullscreen, { signal });
          closeButton.focus();
        }, () => {});
      },
    });
    inviteResult.replaceChildren(h('div', { class: 'panel panel-highlight invite-share' },
      h('div', { class: 'invite-share-text' },
        h('div', { class: 'field' },
          h('label', { for: fieldId, text: t('invites.linkLabel', { role: roleLabel(invite.role) }) }),
          h('p', { class: 'hint', text: t('invites.linkOnce') }),
          input),
        h('p', { class: 'page-actions' }, copy, projectButton),
        invite.code
          ? h('p', { class: 'invite-code' }, t('invites.code', { address: codeAddress }), ' ', h('strong', { text: spaced }))
          : h('p', { class: 'hint', text: t('invites.codeNone') })),
      h('img', { src: qrSrc, alt: qrAlt, class: 'invite-qr', width: '160', height: '160' }),
      projectBox));
    input.focus();
    input.select();
  }

  const inviteForm = facilitator ? createForm({
    label: t('invites.createTitle'),
    className: 'form form-grid form-grid-top',
    children: [
      selectField({
        label: t('invites.role'), name: 'role',
        options: [{ value: 'participant', label: roleLabel('participant') },
          { value: 'observer', label: roleLabel('observer') }],
      }),
      inputField({
        label: t('invites.hours'), name: 'hours', type: 'number', hint: t('invites.hoursHint'),
        attrs: { min: '1', max: '720', step: '1', inputmode: 'numeric' },
      }),
      inputField({ label: t('invites.label'), name: 'label', attrs: { maxlength: '80' } }),
      actions(submitButton(t('invites.create'))),
    ],
    onSubmit: async (values) => {
      const body = { role: values.role };
      if (values.hours !== '') {
        const hours = Number(values.hours);
        if (!Number.isInteger(hours) || hours < 1 || hours > 720) {
          const err = new Error(t('invites.hoursInvalid'));
          err.field = 'hours';
          throw err;
        }
        body.hours = hours;
      }
      if (values.label) body.label = values.label;
      const data = await api.post(apiPath(id, '/invites'), body, { signal });
      showNewInvite(data.invite);
      await reloadInvites();
    },
  }) : null;

  // ------------------------------------------------------------ preparation
  // Edit the details after creation; duplicate; delete a draft; keep the plan as a model.
  const editBox = h('div', {});
  let editForm = null;
  let editStart = '';
  function openEdit() {
    const sorted = orgs.slice().sort((a, b) => compare(a.name, b.name));
    const partnerIds = new Set((workshop.partners || []).map((p) => String(p.id)));
    const partnerBox = h('div', { class: 'checks checks-wide' }, sorted.map((o) => {
      const boxId = uid('partenaire');
      const box = h('input', { type: 'checkbox', id: boxId, name: 'partner_ids', value: String(o.id), 'data-group': 'true' });
      box.checked = partnerIds.has(String(o.id));
      return h('div', { class: 'check' }, box, h('label', { for: boxId, text: o.name }));
    }));
    editForm = createForm({
      label: t('atelier.editTitle'),
      className: 'form form-wide',
      children: [
        inputField({ label: t('atelierNew.titleField'), name: 'title', value: workshop.title, required: true, attrs: { maxlength: '200' } }),
        textareaField({ label: t('atelierNew.subject'), name: 'subject', value: workshop.subject || '', attrs: { maxlength: '2000' } }),
        selectField({
          label: t('atelierNew.stage'), name: 'stage', value: workshop.stage,
          options: lists.stages().map((x) => ({ value: x.code, label: x.label })),
        }),
        inputField({ label: t('atelierNew.date'), name: 'date', type: 'datetime-local', value: toLocalInput(workshop.date), required: true }),
        selectField({
          label: t('atelierNew.cpts'), name: 'cpts_id', value: workshop.cpts ? String(workshop.cpts.id) : '',
          options: [{ value: '', label: t('atelierNew.noCpts') },
            ...sorted.filter((o) => o.type === 'cpts').map((o) => ({ value: String(o.id), label: o.name }))],
        }),
        h('fieldset', { class: 'field fieldset' }, h('legend', { text: t('atelierNew.partners') }), partnerBox),
        actions(submitButton(t('common.save')),
          h('button', { type: 'button', class: 'button button-secondary', text: t('common.cancel'), onclick: () => closeEdit() })),
      ],
      onSubmit: async (values) => {
        const body = {
          // A date left as shown is sent as it was: a day without an hour stays one.
          title: values.title, stage: values.stage,
          date: values.date === toLocalInput(workshop.date) ? workshop.date : fromLocalInput(values.date),
          subject: values.subject || null, cpts_id: values.cpts_id ? Number(values.cpts_id) : null,
          partner_ids: values.partner_ids.map(Number),
        };
        const data = await api.patch(apiPath(id), body, { signal });
        editForm = null;
        showWorkshop(data.workshop);
        editBox.replaceChildren();
        ctx.announce(t('atelier.edited'), 'success');
        editButton.focus();
      },
    }).form;
    editStart = JSON.stringify(formValues(editForm));
    editBox.replaceChildren(h('div', { class: 'panel' }, editForm));
    editForm.querySelector('input[name="title"]').focus();
  }
  function closeEdit() {
    editForm = null;
    editBox.replaceChildren();
    editButton.focus();
  }
  const editButton = h('button', { type: 'button', class: 'button button-secondary', text: t('atelier.edit'), onclick: () => { if (!editForm) openEdit(); } });

  async function duplicate() {
    try {
      const data = await api.post(apiPath(id, '/duplicate'), {}, { signal });
      await ctx.navigate(workshopPath(data.workshop.id), { flash: t('atelier.duplicated', { title: data.workshop.title }), flashKind: 'success' });
    } catch (err) {
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
    }
  }

  async function removeDraft() {
    const ok = await confirmDialog({
      title: t('atelier.deleteTitle'), text: t('atelier.deleteText', { title: workshop.title }), confirmLabel: t('atelier.delete'), danger: true, signal,
    });
    if (!ok) return;
    try {
      await api.del(apiPath(id), { signal });
      await ctx.navigate('/ateliers', { flash: t('atelier.deleted', { title: workshop.title }), flashKind: 'success' });
    } catch (err) {
      if (err.name !== 'AbortError') ctx.announce(err.message, 'error');
    }
  }

  const templateForm = facilitator ? createForm({
    label: t('atelier.templateTitle'),
    className: 'form form-grid',
    children: [
      inputField({ label: t('atelier.templateName'), name: 'name', required: true, attrs: { maxlength: '200' } }),
      inputField({ label: t('atelier.templateDescription'), name: 'description', attrs: { maxlength: '2000' } }),
      actions(submitButton(t('atelier.templateSave'), 'button button-secondary')),
    ],
    onSubmit: async (values, form) => {
      if (composer && composer.hasChanges()) throw new Error(t('atelier.templateUnsaved'));
      const body = { name: values.name, from_workshop: Number(id) };
      if (values.description) body.description = values.description;
      const data = await api.post('/api/templates', body, { signal });
      form.reset();
      ctx.announce(t('atelier.templateSaved', { name: data.template.name }), 'success');
    },
  }) : null;

  const prepareBox = h('div', { class: 'panel' });
  function drawPrepare() {
    prepareBox.replaceChildren(
      h('div', { class: 'form-actions' },
        editButton,
        h('button', { type: 'button', class: 'button button-secondary', text: t('atelier.duplicate'), onclick: duplicate }),
        workshop.state === 'draft'
          ? h('button', { type: 'button', class: 'button button-danger-quiet', text: t('atelier.delete'), onclick: removeDraft })
          : null),
      editBox,
      h('h3', { class: 'section-break', text: t('atelier.templateTitle') }),
      h('p', { class: 'hint', text: t('atelier.templateHint') }),
      templateForm.form);
  }

  // ------------------------------------------------------------ page
  showWorkshop(workshop);
  if (facilitator) drawPrepare();
  if (facilitator) drawInvites();

  // The plan as read: saving over a plan changed since (by the other facilitator, or live
  // on the board) is refused (409 plan_modifie) rather than silently undoing that change.
  let planSeq = workshop.plan_seq;
  const composer = facilitator ? phaseComposer({
    phases: workshop.phases || [],
    templates,
    announce: ctx.announce,
    onSave: async (phases) => {
      const data = await api.put(apiPath(id, '/phases'), { phases, plan_seq: planSeq }, { signal });
      planSeq = data.workshop.plan_seq;
      showWorkshop(data.workshop);
      return data.workshop.phases || phases;
    },
  }) : null;
  // Leaving with a plan or details not saved asks first.
  guardLeaving(() => Boolean((composer && composer.hasChanges())
    || (editForm && JSON.stringify(formValues(editForm)) !== editStart)), signal);

  const links = h('p', { class: 'form-actions' },
    // A closed or archived workshop's board is read, no longer joined.
    h('a', {
      class: 'button', href: boardPath(id),
      text: t(['closed', 'archived'].includes(workshop.state) ? 'atelier.viewBoard' : 'atelier.joinBoard'),
    }),
    report || facilitator
      ? h('a', { class: 'button button-secondary', href: reportPath(id), text: t('atelier.reportLink') })
      : null);

  return h('section', { class: 'page page-atelier area-ateliers' },
    h('p', { class: 'breadcrumb' }, h('a', { href: '/ateliers', text: t('atelier.back') })),
    heading,
    stateLine,
    links,
    section('atelier.detailsTitle', details),
    facilitator ? section('atelier.stateTitle', stateBox) : null,
    facilitator ? section('atelier.prepareTitle', prepareBox) : null,
    section('atelier.phasesTitle', facilitator ? composer : phaseOverview(workshop.phases)),
    facilitator ? section('atelier.membersTitle', membersBox) : null,
    facilitator ? section('invites.title',
      h('div', { class: 'panel' }, inviteForm.form, inviteResult, inviteList)) : null);
}
