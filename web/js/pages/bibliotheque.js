// Area "bibliotheque": not built yet, shows what is coming.

import { comingSoonPage } from './coming-soon.js';

export const title = 'bibliotheque.title';

export function render() {
  return comingSoonPage('bibliotheque');
}
