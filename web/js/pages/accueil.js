// Home page (/): welcome, the live workshops one belongs to, and one card per area of Relais.

import { api } from '../api.js';
import { boardPath, reportPath } from '../ateliers/common.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';

export const title = 'home.title';

// The areas, in menu order. A later feature can add a live count or the latest item to
// its card.
const AREAS = [
  { key: 'ateliers', path: '/ateliers' },
  { key: 'bibliotheque', path: '/bibliotheque' },
  { key: 'veille', path: '/veille' },
  { key: 'territoire', path: '/territoire' },
  { key: 'expertises', path: '/expertises' },
];

function card(area) {
  return h('li', { class: `card area-${area.key}` },
    h('h3', { class: 'card-title' },
      h('a', { class: 'card-link', href: area.path, text: t(`${area.key}.title`) })),
    h('p', { text: t(`${area.key}.summary`) }));
}

// An administrator's first steps after installation, until they are done: the first
// account made personal (its placeholder address replaced) and e-mail configured. The
// network is set up once another account belongs to an organisation (the seeded
// organisations are there from the start: they prove nothing).
async function firstSteps(ctx) {
  if (ctx.user.role !== 'admin') return null;
  const placeholder = ctx.user.email === 'admin@relais.local';
  const { signal } = ctx;
  const [mailConfigured, networkDone] = await Promise.all([
    // Unknown: not listed as to do.
    api.get('/api/admin/mail', { signal }).then((r) => r.configured, () => true),
    api.get('/api/admin/users', { signal })
      .then((r) => (r.users || []).some((x) => x.id !== ctx.user.id && x.active !== false && x.org), () => false),
  ]);
  if (!placeholder && mailConfigured) return null;
  const id = uid('premiers-pas');
  const step = (done, key, href) => h('li', { class: done ? 'step-done' : null },
    h('a', { href, text: t(`home.steps.${key}`) }), done ? h('span', { class: 'tag tag-ok', text: t('home.steps.done') }) : null);
  return h('section', { class: 'panel first-steps', 'aria-labelledby': id },
    h('h2', { id, text: t('home.steps.title') }),
    h('p', { text: t('home.steps.intro') }),
    h('ol', {},
      step(!placeholder, 'account', '/admin/utilisateurs'),
      step(!ctx.user.password_to_change, 'password', '/compte'),
      step(mailConfigured, 'mail', '/admin/e-mails'),
      step(networkDone, 'network', '/admin/organisations')));
}

// The live workshops the person belongs to (as a facilitator or a participant): their
// board one click away, at the top of the page. Unknown (the list fails): nothing shown.
async function liveWorkshops(ctx) {
  const workshops = await api.get('/api/workshops?scope=mine', { signal: ctx.signal })
    .then((d) => d.workshops || [], (err) => {
      if (err.name === 'AbortError') throw err;
      return [];
    });
  const live = workshops.filter((w) => w.state === 'live'
    && (w.my_role === 'facilitator' || w.my_role === 'participant'));
  if (!live.length) return null;
  return h('div', { class: 'home-live' }, live.map((w) => h('p', { class: 'notice notice-info home-live-item' },
    t('home.liveWorkshop'), ' ', h('strong', { text: w.title }), ' — ',
    h('a', {
      href: boardPath(w.id), text: t('home.liveJoin'),
      'aria-label': live.length > 1 ? t('home.liveJoinNamed', { title: w.title }) : null,
    }))));
}

// A workshop guest (invite cookie, no account) has no other page: its workshop, its
// board, and its report once the workshop is closed. A guest no longer (link revoked,
// workshop archived, signed out elsewhere) is asked to sign in.
async function guestHome(ctx) {
  let workshop;
  try {
    workshop = (await api.get(`/api/workshops/${encodeURIComponent(ctx.guest.workshop_id)}`,
      { signal: ctx.signal, quiet401: true })).workshop;
  } catch (err) {
    if (err.status === 401 || err.status === 404) {
      ctx.setGuest(null);
      ctx.requireLogin();
      throw Object.assign(new Error('redirect'), { name: 'AbortError' });
    }
    throw err;
  }
  const closed = workshop.state === 'closed' || workshop.state === 'archived';
  return h('section', { class: 'page page-narrow page-home page-guest-home area-ateliers' },
    h('h1', { text: t('home.guestTitle', { title: workshop.title }) }),
    closed ? h('p', { text: t('invitation.closed') }) : null,
    h('p', { class: 'row-actions' }, closed ? [
      h('a', { class: 'button', href: reportPath(workshop.id), text: t('invitation.readReport') }),
      h('a', { class: 'button button-secondary', href: boardPath(workshop.id), text: t('invitation.viewBoard') }),
    ] : h('a', { class: 'button', href: boardPath(workshop.id), text: t('invitation.join') })),
    h('p', { class: 'hint' }, t('home.guestAccount'), ' ', h('a', { href: '/connexion', text: t('home.guestSignIn') })));
}

export async function render(ctx) {
  if (!ctx.user) {
    if (ctx.guest) return guestHome(ctx);
    ctx.requireLogin();
    throw Object.assign(new Error('redirect'), { name: 'AbortError' });
  }
  const areasId = uid('espaces');
  const [live, steps] = await Promise.all([liveWorkshops(ctx), firstSteps(ctx)]);
  return h('section', { class: 'page page-home' },
    h('h1', { text: t('home.welcome', { name: ctx.user.name }) }),
    live,
    h('p', { class: 'lead', text: t('home.intro') }),
    // A password someone else chose (installation, an administrator): asked to choose one's own.
    ctx.user.password_to_change
      ? h('p', { class: 'notice notice-info' }, t('home.passwordToChange'), ' ', h('a', { href: '/compte', text: t('home.passwordToChangeLink') }))
      : null,
    steps,
    h('section', { 'aria-labelledby': areasId },
      h('h2', { id: areasId, text: t('home.areasTitle') }),
      h('ul', { class: 'cards' }, AREAS.map(card))));
}
