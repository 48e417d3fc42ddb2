// How a commune is named under its name, wherever one is listed (territory, needs): both
// codes, each named, since the INSEE code is not the postal code people know (Merville is
// INSEE 59400, postal code 59660). A commune as /api/territory/communes gives it.

import { t } from './i18n.js';

const number = new Intl.NumberFormat('fr-FR');
const POSTCODES_SHOWN = 3; // a city has many: the first ones, then « … »

function postcodesOf(c) {
  const postcodes = Array.isArray(c.postcodes) ? c.postcodes.filter(Boolean) : [];
  return postcodes.slice(0, POSTCODES_SHOWN).join(', ') + (postcodes.length > POSTCODES_SHOWN ? ', …' : '');
}

/** « INSEE 59400 · CP 59660 · 59 Nord · 8 000 hab. » (each part only when known). */
export function communeLine(c) {
  const postcodes = postcodesOf(c);
  if (c.departement === undefined || c.population === undefined) return communeCodes(c);
  return t(postcodes ? 'territoire.communeLine' : 'territoire.communeLineNoPostcode', {
    code: c.code,
    postcodes,
    departement: c.departement_name ? `${c.departement} ${c.departement_name}` : c.departement,
    population: number.format(c.population),
  });
}

/** « INSEE 59400 · CP 59660 », or « INSEE 59400 » when the postal codes are not known. */
export function communeCodes(c) {
  const postcodes = postcodesOf(c);
  return t(postcodes ? 'territoire.communeCodes' : 'territoire.communeCodesNoPostcode', { code: c.code, postcodes });
}
