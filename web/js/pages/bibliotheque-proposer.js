// Contributing to the library (/bibliotheque/proposer) and revising an item
// (/bibliotheque/:id/modifier): kind, title, summary, Markdown text, phases,
// missions, region, date, attachments (uploaded at once, checked by the server),
// and for reviewers the choice to publish directly.

import { api } from '../api.js';
import {
  ACCEPTED_FILES, MEMBER_KINDS, formatSize, isReviewer, uploadFile,
} from '../bibliotheque/common.js';
import { h, replace, uid } from '../dom.js';
import {
  actions, checkboxField, createForm, inputField, selectField, submitButton, textareaField,
} from '../forms.js';
import { t } from '../i18n.js';
import { lists, loadMeta } from '../meta.js';

export function title(ctx) {
  return ctx.params.id ? t('biblio.editTitle') : t('biblio.submitTitle');
}

/** Checkboxes for a list of the vocabulary ([{ code, label }]). */
function checkGroup(legend, name, entries, selected) {
  return h('fieldset', { class: 'field checkbox-group' },
    h('legend', { text: legend }),
    entries.map(({ code, label }) => {
      const id = uid(`${name}-${code}`);
      const box = h('input', { type: 'checkbox', id, name, value: code, 'data-group': 'true' });
      box.checked = selected.includes(code);
      box.defaultChecked = box.checked;
      return h('div', { class: 'field-checkbox' }, box, h('label', { for: id, text: label }));
    }));
}

export async function render(ctx) {
  const editing = Boolean(ctx.params.id);
  // The vocabulary (kinds, phases, missions, regions) is the shared one; only the
  // library's own meta has the upload limit.
  const [meta, existing] = await Promise.all([
    api.get('/api/library/meta', { signal: ctx.signal }),
    editing ? api.get(`/api/library/items/${encodeURIComponent(ctx.params.id)}`, { signal: ctx.signal }) : null,
    loadMeta(),
  ]);
  const item = existing?.item;
  if (item && !item.can_edit) throw new Error(t('errors.forbiddenText'));
  const reviewer = isReviewer(ctx.user);
  const kinds = lists.kinds().filter((k) => reviewer || MEMBER_KINDS.includes(k.code));

  // Attachments: uploaded as soon as chosen; the item refers to them by digest.
  const attachments = (item?.attachments || []).map((a) => ({ sha256: a.sha256, name: a.name, size: a.size }));
  const list = h('ul', { class: 'attachments' });
  const uploadStatus = h('p', { class: 'upload-status', role: 'status', 'aria-live': 'polite' });
  function drawAttachments() {
    replace(list, attachments.map((a, i) => h('li', {},
      h('span', { text: `${a.name} (${formatSize(a.size)})` }), ' ',
      h('button', {
        type: 'button', class: 'button button-danger-quiet button-small',
        'aria-label': t('biblio.removeFile', { name: a.name }),
        onclick: () => {
          attachments.splice(i, 1);
          drawAttachments();
          uploadStatus.textContent = t('biblio.fileRemoved', { name: a.name });
          // The button is gone: keep the keyboard on the next one, else on the file picker.
          (list.querySelector('button') || fileInput).focus();
        },
      }, t('biblio.remove')))));
  }
  drawAttachments();
  const fileId = uid('fichier');
  const fileInput = h('input', {
    type: 'file', id: fileId, accept: ACCEPTED_FILES, multiple: true, 'aria-describedby': `${fileId}-aide`,
  });
  fileInput.addEventListener('change', async () => {
    for (const file of [...fileInput.files]) {
      uploadStatus.classList.remove('error-text');
      if (meta.upload_max_bytes && file.size > meta.upload_max_bytes) {
        uploadStatus.classList.add('error-text');
        uploadStatus.textContent = t('biblio.fileTooBig', { name: file.name, max: formatSize(meta.upload_max_bytes) });
        continue;
      }
      uploadStatus.textContent = t('biblio.uploading', { name: file.name });
      try {
        const uploaded = await uploadFile(file, ctx.signal);
        attachments.push({ sha256: uploaded.sha256, name: file.name, size: uploaded.size });
        drawAttachments();
        uploadStatus.textContent = t('biblio.uploaded', { name: file.name });
      } catch (err) {
        if (err.name === 'AbortError') return;
        uploadStatus.classList.add('error-text');
        uploadStatus.textContent = `${file.name} : ${err.message}`;
      }
    }
    fileInput.value = '';
  });

  const headingId = uid('titre');
  const regionOptions = [{ value: '', label: t('biblio.national') },
    ...lists.regions().map((r) => ({ value: r.code, label: r.label }))];
  const { form } = createForm({
    labelledBy: headingId,
    className: 'form form-wide',
    onSubmit: async (values) => {
      const body = {
        kind: values.kind || item?.kind,
        title: values.title,
        summary: values.summary,
        body: values.body,
        phases: values.phases,
        missions: values.missions,
        region: values.region || null,
        date: values.date || null,
        author_name: values.author_name || null,
        attachments: attachments.map((a) => ({ sha256: a.sha256, name: a.name })),
        note: values.note || null,
        publish: reviewer ? Boolean(values.publish) : undefined,
      };
      let saved;
      if (editing) {
        body.base_version = item.latest_version;
        saved = await api.put(`/api/library/items/${item.id}`, body);
      } else {
        saved = await api.post('/api/library/items', body);
      }
      const published = saved.item.state === 'published' && saved.item.published_version === saved.item.latest_version;
      ctx.navigate(`/bibliotheque/${saved.item.id}`, { flash: published ? t('biblio.savedPublished') : t('biblio.savedPending') });
    },
    children: [
      editing ? null : selectField({
        label: t('biblio.kindField'), name: 'kind', required: true, value: 'temoignage',
        options: kinds.map((k) => ({ value: k.code, label: k.label })),
        hint: t('biblio.kindHint'),
      }),
      inputField({ label: t('biblio.titleField'), name: 'title', required: true, value: item?.title, attrs: { maxlength: '200' } }),
      textareaField({ label: t('biblio.summaryField'), name: 'summary', required: true, rows: 2, value: item?.summary, attrs: { maxlength: '600' } }),
      textareaField({
        label: t('biblio.bodyField'), name: 'body', required: true, rows: 14, value: item?.body,
        hint: t('biblio.bodyHint'), attrs: { maxlength: '100000' },
      }),
      checkGroup(t('biblio.facet.phase'), 'phases', lists.phases(), item?.phases || []),
      checkGroup(t('biblio.facet.mission'), 'missions', lists.missions(), item?.missions || []),
      selectField({ label: t('biblio.facet.region'), name: 'region', options: regionOptions, value: item?.region?.code || '' }),
      inputField({ label: t('biblio.dateField'), name: 'date', type: 'date', value: item?.date, hint: t('biblio.dateHint') }),
      inputField({ label: t('biblio.authorField'), name: 'author_name', value: item?.author_name ?? ctx.user.name, attrs: { maxlength: '120' } }),
      h('fieldset', { class: 'field' },
        h('legend', { text: t('biblio.attachments') }),
        h('label', { for: fileId, text: t('biblio.addFiles') }),
        h('p', { id: `${fileId}-aide`, class: 'hint', text: t('biblio.filesHint') }),
        fileInput, uploadStatus, list),
      editing ? inputField({ label: t('biblio.noteField'), name: 'note', hint: t('biblio.noteHint'), attrs: { maxlength: '300' } }) : null,
      reviewer ? checkboxField({ label: t('biblio.publishNow'), name: 'publish', checked: false }) : null,
      h('p', { class: 'hint', text: reviewer ? t('biblio.reviewerSubmitHint') : t('biblio.memberSubmitHint') }),
      actions(submitButton(editing ? t('biblio.saveRevision') : t('biblio.send'))),
    ],
  });

  return h('section', { class: 'page page-proposer area-bibliotheque' },
    h('p', { class: 'breadcrumb' }, h('a', { href: item ? `/bibliotheque/${item.id}` : '/bibliotheque', text: t('biblio.back') })),
    h('h1', { id: headingId, text: editing ? t('biblio.editTitle') : t('biblio.submitTitle') }),
    form);
}
