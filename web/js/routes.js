// The route table: one entry per page, one module per page under pages/.
//
// Fields:
//   path     URL path; a segment ":name" captures a parameter (ctx.params.name)
//   load     lazy import of the page module
//   public   reachable without being signed in (default: signed in only)
//   guestOnly  a signed-in visitor is sent to "/" instead (the login page)
//   guests   also open to a workshop guest (invite cookie, no account): rendered without
//            ctx.user; the page checks access itself and calls ctx.requireLogin() on 401
//   roles    roles allowed (default: every signed-in role)
//   forbidden  i18n key of the text shown to other roles (default: administrators only)
//   nav      i18n key of the navigation label; entries without it are not in the menu
//   group    navigation group: "main" (default) or "admin"
//   redirect (params) => the path this address stands for (shown instead, same history entry)
//
// A page module exports:
//   title                 i18n key used for document.title (or a function (ctx) => string)
//   render(ctx)           returns (or resolves to) the page's DOM, which has one <h1>
// and receives ctx = { user, guest, params, query, signal, navigate, announce, setUser,
// setGuest, refreshUser, requireLogin }.
// `signal` is aborted when the visitor leaves the page: pass it to fetches, listeners,
// timers and (later) WebSocket subscriptions so that they end with the page.
//
// The server must answer index.html for every path listed here.

export const routes = [
  { path: '/connexion', load: () => import('./pages/connexion.js'), public: true, guestOnly: true },
  { path: '/', load: () => import('./pages/accueil.js'), nav: 'nav.accueil' },
  { path: '/ateliers', load: () => import('./pages/ateliers.js'), nav: 'nav.ateliers' },
  {
    path: '/ateliers/nouveau', load: () => import('./pages/atelier-nouveau.js'),
    roles: ['animateur', 'admin'], forbidden: 'errors.forbiddenFacilitators',
  },
  { path: '/ateliers/:id', load: () => import('./pages/atelier.js') },
  { path: '/ateliers/:id/tableau', load: () => import('./pages/tableau.js'), guests: true },
  { path: '/ateliers/:id/compte-rendu', load: () => import('./pages/compte-rendu.js'), guests: true },
  { path: '/invitation/:token', load: () => import('./pages/invitation.js'), public: true },
  { path: '/code', load: () => import('./pages/code.js'), public: true },
  { path: '/bibliotheque', load: () => import('./pages/bibliotheque.js'), nav: 'nav.bibliotheque' },
  { path: '/bibliotheque/proposer', load: () => import('./pages/bibliotheque-proposer.js') },
  { path: '/bibliotheque/glossaire', load: () => import('./pages/bibliotheque-glossaire.js') },
  { path: '/bibliotheque/mes-contributions', load: () => import('./pages/bibliotheque-listes.js') },
  {
    path: '/bibliotheque/relecture', load: () => import('./pages/bibliotheque-listes.js'),
    roles: ['animateur', 'admin'], forbidden: 'errors.forbiddenFacilitators',
  },
  { path: '/bibliotheque/:id', load: () => import('./pages/bibliotheque-fiche.js') },
  // The address the server gives in notices and e-mails.
  { path: '/bibliotheque/fiche/:id', redirect: (p) => `/bibliotheque/${encodeURIComponent(p.id)}` },
  { path: '/bibliotheque/:id/modifier', load: () => import('./pages/bibliotheque-proposer.js') },
  { path: '/veille', load: () => import('./pages/veille.js'), nav: 'nav.veille' },
  { path: '/veille/champs/:id', load: () => import('./pages/veille-champ.js') },
  { path: '/veille/desabonnement', load: () => import('./pages/veille-desabonnement.js'), public: true },
  { path: '/territoire', load: () => import('./pages/territoire.js'), nav: 'nav.territoire' },
  { path: '/expertises', load: () => import('./pages/expertises.js'), nav: 'nav.expertises' },
  { path: '/expertises/moi', load: () => import('./pages/expertises-fiche.js') },
  { path: '/expertises/matrice', load: () => import('./pages/expertises-matrice.js') },
  { path: '/expertises/reseau', load: () => import('./pages/expertises-reseau.js') },
  { path: '/expertises/besoins', load: () => import('./pages/expertises-besoins.js') },
  { path: '/expertises/besoins/nouveau', load: () => import('./pages/expertises-besoin-nouveau.js') },
  { path: '/expertises/besoins/:id', load: () => import('./pages/expertises-besoin.js') },
  { path: '/expertises/personnes/:id', load: () => import('./pages/expertises-personne.js') },
  {
    path: '/expertises/personnes/:id/modifier', load: () => import('./pages/expertises-fiche.js'),
    roles: ['animateur', 'admin'], forbidden: 'errors.forbiddenFacilitators',
  },
  { path: '/compte', load: () => import('./pages/compte.js'), nav: 'nav.compte' },
  // In the navigation as the bell (bell.js), not as a plain link.
  { path: '/notifications', load: () => import('./pages/notifications.js') },
  {
    path: '/admin/utilisateurs', load: () => import('./pages/admin-utilisateurs.js'),
    roles: ['admin'], nav: 'nav.adminUsers', group: 'admin',
  },
  {
    path: '/admin/organisations', load: () => import('./pages/admin-organisations.js'),
    roles: ['admin'], nav: 'nav.adminOrgs', group: 'admin',
  },
  {
    path: '/admin/taches', load: () => import('./pages/admin-taches.js'),
    roles: ['admin'], nav: 'nav.adminJobs', group: 'admin',
  },
  {
    path: '/admin/e-mails', load: () => import('./pages/admin-e-mails.js'),
    roles: ['admin'], nav: 'nav.adminMail', group: 'admin',
  },
];

export const notFoundRoute = { path: null, load: () => import('./pages/introuvable.js'), public: true };

function segments(path) {
  return path.split('/').filter(Boolean);
}

/** Finds the route for a pathname. Returns { route, params } or null. */
export function matchRoute(pathname) {
  const wanted = segments(pathname);
  for (const route of routes) {
    const pattern = segments(route.path);
    if (pattern.length !== wanted.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < pattern.length; i += 1) {
      if (pattern[i].startsWith(':')) {
        try {
          params[pattern[i].slice(1)] = decodeURIComponent(wanted[i]);
        } catch {
          ok = false;
        }
      } else if (pattern[i] !== wanted[i]) {
        ok = false;
      }
      if (!ok) break;
    }
    if (ok) return { route, params };
  }
  return null;
}

/** Whether `role` may open `route`. */
export function allowed(route, role) {
  return !route.roles || route.roles.includes(role);
}
