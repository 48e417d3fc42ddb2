// Area "expertises": not built yet, shows what is coming.

import { comingSoonPage } from './coming-soon.js';

export const title = 'expertises.title';

export function render() {
  return comingSoonPage('expertises');
}
