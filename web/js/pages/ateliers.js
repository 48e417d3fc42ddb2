// Area "ateliers": not built yet, shows what is coming.

import { comingSoonPage } from './coming-soon.js';

export const title = 'ateliers.title';

export function render() {
  return comingSoonPage('ateliers');
}
