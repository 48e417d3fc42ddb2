// 404 page: the path matches no route.

import { t } from '../i18n.js';
import { messagePage } from './message.js';

export const title = 'errors.notFoundTitle';

export function render() {
  return messagePage({ title: t('errors.notFoundTitle'), text: t('errors.notFoundText') });
}
