// Public invitation page (/invitation/:token): shows the workshop the link opens
// and the role it gives, asks for a name and joins as a guest (cookie relais_invite),
// then goes to the live board. A browser already a guest of this link is not asked
// again: it goes back to the board, or once the workshop is closed to its report.

import { api } from '../api.js';
import {
  boardPath, formatDate, reportPath, roleLabel, stateLabel, workshopPath,
} from '../ateliers/common.js';
import { h, uid } from '../dom.js';
import { actions, createForm, inputField, submitButton } from '../forms.js';
import { t } from '../i18n.js';
import { messagePage } from './message.js';

export const title = 'invitation.title';

export async function render(ctx) {
  const token = ctx.params.token;
  const path = `/api/invites/${encodeURIComponent(token)}`;
  let info;
  try {
    info = await api.get(path, { signal: ctx.signal, quiet401: true });
  } catch (err) {
    if (err.status === 404 || err.status === 400) {
      return messagePage({ title: t('invitation.invalidTitle'), text: err.message });
    }
    throw err;
  }
  const w = info.workshop;
  const headingId = uid('titre');
  const signedIn = ctx.user ? h('p', { class: 'hint' }, t('invitation.signedIn'), ' ',
    h('a', { href: workshopPath(w.id), text: t('invitation.openAsUser') })) : null;
  const workshopBox = h('div', { class: 'panel invitation-workshop' },
    h('p', { class: 'invitation-name', text: w.title }),
    h('p', { text: w.date ? t('invitation.date', { date: formatDate(w.date) }) : t('invitation.noDate') }),
    w.state ? h('p', { class: 'hint', text: t('invitation.state', { state: stateLabel(w.state) }) }) : null,
    h('p', { text: t('invitation.role', { role: roleLabel(info.role) }) }));

  // This browser already came in through this link (its guest cookie): no second name
  // asked; the server answers so even once the link expired or the workshop closed.
  if (info.guest) {
    const workshopId = w.id;
    if (!ctx.user) {
      ctx.setGuest({
        id: info.guest.id, name: info.guest.name, role: info.role, workshop_id: workshopId, key: `g:${info.guest.id}`,
      });
    }
    const closed = w.state === 'closed' || w.state === 'archived';
    return h('section', { class: 'page page-narrow page-invitation area-ateliers' },
      h('h1', { id: headingId, text: t('invitation.title') }),
      workshopBox,
      h('div', { class: 'panel invitation-guest' },
        h('p', { class: 'lead', text: t('invitation.already', { name: info.guest.name }) }),
        closed ? h('p', { text: t('invitation.closed') }) : null,
        h('p', { class: 'row-actions' }, closed ? [
          h('a', { class: 'button', href: reportPath(workshopId), text: t('invitation.readReport') }),
          h('a', { class: 'button button-secondary', href: boardPath(workshopId), text: t('invitation.viewBoard') }),
        ] : h('a', { class: 'button', href: boardPath(workshopId), text: t('invitation.join') }))),
      signedIn);
  }

  const { form } = createForm({
    labelledBy: headingId,
    className: 'form form-login',
    children: [
      inputField({
        label: t('invitation.name'), name: 'name', required: true, autocomplete: 'name',
        hint: t('invitation.nameHint'), attrs: { maxlength: '80' },
      }),
      actions(submitButton(t('invitation.submit'))),
    ],
    onSubmit: async (values) => {
      const data = await api.post(`${path}/join`, { name: values.name },
        { signal: ctx.signal, quiet401: true });
      const guest = data.guest;
      ctx.setGuest(guest);
      await ctx.navigate(boardPath(guest.workshop_id ?? w.id), { replace: true });
    },
  });

  return h('section', { class: 'page page-narrow page-invitation area-ateliers' },
    h('h1', { id: headingId, text: t('invitation.title') }),
    workshopBox,
    signedIn,
    h('div', { class: 'panel' }, form));
}
