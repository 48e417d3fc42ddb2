// Area "veille": not built yet, shows what is coming.

import { comingSoonPage } from './coming-soon.js';

export const title = 'veille.title';

export function render() {
  return comingSoonPage('veille');
}
