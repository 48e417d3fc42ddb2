// User-interface strings. Every visible text of the front end comes from this
// catalogue, so that another language can be added by adding a sibling object
// with the same keys and selecting it in `catalogues`.
//
// Keys are flat, dot-separated, grouped by page. Placeholders use `{name}`.

const fr = {
  'app.name': 'Relais',

  // Layout
  'layout.skip': 'Aller au contenu',
  'layout.navLabel': 'Navigation principale',
  'layout.adminGroup': 'Administration',
  'layout.signedInAs': 'Connecté en tant que',
  'layout.logout': 'Se déconnecter',
  'layout.footer': 'Relais — ateliers, bibliothèque, veille et expertises pour le réseau des CPTS.',
  'layout.titleSuffix': 'Relais',

  // Navigation
  'nav.accueil': 'Accueil',
  'nav.ateliers': 'Ateliers',
  'nav.bibliotheque': 'Bibliothèque',
  'nav.veille': 'Veille',
  'nav.expertises': 'Expertises',
  'nav.compte': 'Mon compte',
  'nav.adminUsers': 'Utilisateurs',
  'nav.adminOrgs': 'Organisations',

  // Common words
  'common.save': 'Enregistrer',
  'common.cancel': 'Annuler',
  'common.edit': 'Modifier',
  'common.delete': 'Supprimer',
  'common.none': 'Aucune',
  'common.notSet': 'Non renseigné',
  'common.retry': 'Réessayer',
  'common.backHome': 'Revenir à l’accueil',
  'common.listSeparator': ', ',

  // Form validation (client side, before asking the server)
  'form.missing': 'Veuillez renseigner le champ « {label} ».',
  'form.invalidEmail': 'Le champ « {label} » doit contenir une adresse e-mail valide.',
  'form.passwordLength': 'Le mot de passe doit compter entre {min} et {max} caractères.',
  'form.passwordHint': 'Entre {min} et {max} caractères.',
  'form.passwordMismatch': 'Les deux nouveaux mots de passe ne sont pas identiques.',

  // Errors
  'errors.network': 'Le serveur est injoignable. Vérifiez votre connexion puis réessayez.',
  'errors.unexpected': 'Une erreur inattendue est survenue (code {status}). Réessayez dans un instant.',
  'errors.sessionExpired': 'Votre session a expiré. Veuillez vous reconnecter.',
  'errors.loadFailed': 'Cette page n’a pas pu être chargée.',
  'errors.forbiddenTitle': 'Accès réservé',
  'errors.forbiddenText': 'Cette page est réservée aux administrateurs de Relais.',
  'errors.notFoundTitle': 'Page introuvable',
  'errors.notFoundText': 'Cette adresse ne correspond à aucune page de Relais.',

  // Login
  'login.title': 'Connexion',
  'login.intro': 'Connectez-vous avec l’adresse e-mail de votre compte Relais.',
  'login.email': 'Adresse e-mail',
  'login.password': 'Mot de passe',
  'login.submit': 'Se connecter',
  'login.loggedOut': 'Vous êtes déconnecté. À bientôt !',
  'login.help': 'Pas encore de compte ? Demandez-le à l’administrateur Relais de votre région.',

  // Home
  'home.title': 'Accueil',
  'home.welcome': 'Bienvenue, {name}',
  'home.intro': 'Relais réunit l’Assurance Maladie, la MSA, les ARS, les URPS et les CPTS pour faire avancer ensemble les projets de santé des territoires.',
  'home.areasTitle': 'Les espaces de Relais',
  'home.soonBadge': 'Bientôt',

  // The four areas (home cards and their own pages)
  'ateliers.title': 'Ateliers',
  'ateliers.summary': 'Des ateliers « accélérateur CPTS » en direct, consacrés chacun à un seul sujet.',
  'ateliers.soon': 'Les ateliers accélérateur CPTS arrivent bientôt.',
  'ateliers.what': 'Vous pourrez y préparer, animer ou rejoindre un atelier en direct — post-it en colonnes, votes, minuteur — et en publier le compte rendu.',

  'bibliotheque.title': 'Bibliothèque',
  'bibliotheque.summary': 'Témoignages de pionniers, outils et guides pour chaque étape d’un projet de CPTS.',
  'bibliotheque.soon': 'La bibliothèque arrive bientôt.',
  'bibliotheque.what': 'Elle rassemblera témoignages, outils, guides et comptes rendus d’ateliers, avec une recherche plein texte par phase, mission, organisation et région.',

  'veille.title': 'Veille',
  'veille.summary': 'Une veille documentaire partagée, répartie par champs entre les membres du réseau.',
  'veille.soon': 'La veille documentaire partagée arrive bientôt.',
  'veille.what': 'Chaque membre suivra les champs de veille qui lui sont confiés ; les nouveautés seront partagées en direct et reprises dans des lettres de synthèse.',

  'expertises.title': 'Expertises',
  'expertises.summary': 'La cartographie des expertises utiles : qui sait quoi, et sur quel territoire.',
  'expertises.soon': 'La cartographie des expertises arrive bientôt.',
  'expertises.what': 'Elle montrera qui sait quoi, dans quelle organisation et sur quel territoire, pour mettre chaque projet de CPTS en relation avec les bonnes personnes.',

  // Account
  'account.title': 'Mon compte',
  'account.detailsTitle': 'Mes informations',
  'account.name': 'Nom',
  'account.email': 'Adresse e-mail',
  'account.role': 'Rôle',
  'account.org': 'Organisation',
  'account.nameFormTitle': 'Changer mon nom affiché',
  'account.displayName': 'Nom affiché',
  'account.nameSubmit': 'Enregistrer le nom',
  'account.nameSaved': 'Votre nom affiché a été mis à jour.',
  'account.passwordFormTitle': 'Changer mon mot de passe',
  'account.currentPassword': 'Mot de passe actuel',
  'account.newPassword': 'Nouveau mot de passe',
  'account.confirmPassword': 'Confirmer le nouveau mot de passe',
  'account.passwordSubmit': 'Changer le mot de passe',
  'account.passwordSaved': 'Votre mot de passe a été changé. Vos autres sessions ont été fermées.',

  // Administration: users
  'adminUsers.title': 'Utilisateurs',
  'adminUsers.intro': 'Créez les comptes du réseau, attribuez les rôles et rattachez chacun à son organisation.',
  'adminUsers.tableCaption': 'Comptes',
  'adminUsers.colName': 'Nom',
  'adminUsers.colEmail': 'Adresse e-mail',
  'adminUsers.colRole': 'Rôle',
  'adminUsers.colOrg': 'Organisation',
  'adminUsers.colStatus': 'Statut',
  'adminUsers.colActions': 'Actions',
  'adminUsers.active': 'Actif',
  'adminUsers.inactive': 'Désactivé',
  'adminUsers.empty': 'Aucun compte pour l’instant.',
  'adminUsers.createTitle': 'Créer un compte',
  'adminUsers.name': 'Nom',
  'adminUsers.email': 'Adresse e-mail',
  'adminUsers.role': 'Rôle',
  'adminUsers.org': 'Organisation',
  'adminUsers.noOrg': 'Aucune organisation',
  'adminUsers.initialPassword': 'Mot de passe initial',
  'adminUsers.createSubmit': 'Créer le compte',
  'adminUsers.created': 'Le compte de {name} a été créé.',
  'adminUsers.editTitle': 'Modifier le compte de {name}',
  'adminUsers.activeLabel': 'Compte actif',
  'adminUsers.activeHint': 'Un compte désactivé ne peut plus se connecter ; ses sessions sont fermées.',
  'adminUsers.saved': 'Le compte de {name} a été mis à jour.',
  'adminUsers.resetButton': 'Mot de passe',
  'adminUsers.resetTitle': 'Nouveau mot de passe pour {name}',
  'adminUsers.resetIntro': 'Communiquez ce mot de passe à la personne par un canal sûr ; elle pourra le changer dans « Mon compte ».',
  'adminUsers.newPassword': 'Nouveau mot de passe',
  'adminUsers.resetSubmit': 'Réinitialiser le mot de passe',
  'adminUsers.resetDone': 'Le mot de passe de {name} a été réinitialisé.',

  // Administration: organisations
  'adminOrgs.title': 'Organisations',
  'adminOrgs.intro': 'Les organisations du réseau : caisses, ARS, URPS, CPTS… et leur territoire.',
  'adminOrgs.tableCaption': 'Organisations',
  'adminOrgs.colName': 'Nom',
  'adminOrgs.colType': 'Type',
  'adminOrgs.colRegion': 'Région',
  'adminOrgs.colDepartements': 'Départements',
  'adminOrgs.colUsers': 'Utilisateurs',
  'adminOrgs.colActions': 'Actions',
  'adminOrgs.empty': 'Aucune organisation pour l’instant.',
  'adminOrgs.national': 'National',
  'adminOrgs.createTitle': 'Créer une organisation',
  'adminOrgs.name': 'Nom',
  'adminOrgs.type': 'Type',
  'adminOrgs.region': 'Région',
  'adminOrgs.nationalOption': 'Aucune (organisme national)',
  'adminOrgs.departements': 'Départements',
  'adminOrgs.departementsNational': 'Sans objet pour un organisme national.',
  'adminOrgs.departementLabel': '{code}',
  'adminOrgs.departementNamed': '{code} — {name}',
  'adminOrgs.createSubmit': 'Créer l’organisation',
  'adminOrgs.created': 'L’organisation « {name} » a été créée.',
  'adminOrgs.editTitle': 'Modifier « {name} »',
  'adminOrgs.saved': 'L’organisation « {name} » a été mise à jour.',
  'adminOrgs.deleteTitle': 'Supprimer « {name} » ?',
  'adminOrgs.deleteText': 'La suppression est définitive. Une organisation à laquelle des comptes sont rattachés ne peut pas être supprimée.',
  'adminOrgs.deleted': 'L’organisation « {name} » a été supprimée.',
};

const catalogues = { fr };

/** The active language; `locale` is used for dates, numbers and sorting. */
export const lang = 'fr';
export const locale = 'fr-FR';
const strings = catalogues[lang];

/**
 * Returns the string for `key`, with `{placeholders}` replaced from `params`.
 * An unknown key returns the key itself, so that a gap is visible but harmless.
 */
export function t(key, params) {
  const template = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole);
}

/** Locale-aware string comparison, for sorting names. */
const collator = new Intl.Collator(locale, { sensitivity: 'base', numeric: true });
export function compare(a, b) {
  return collator.compare(a ?? '', b ?? '');
}
