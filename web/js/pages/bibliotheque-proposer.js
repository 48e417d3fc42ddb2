// Contributing to the library (/bibliotheque/proposer) and revising an item
// (/bibliotheque/:id/modifier): kind, title, summary, the text (written with a toolbar
// and a live preview, or for a testimony through a guided form that writes it), phases,
// missions, region, date, attachments (uploaded at once, checked by the server), and for
// reviewers the choice to publish directly. What is typed is kept (a reload, a refused
// submission, a session ended) and leaving with unsaved text asks first; a draft put back
// is said, with « Effacer le brouillon ». A reviewer's request shows at the top and again,
// folded, right above the text.

import { api } from '../api.js';
import {
  ACCEPTED_FILES, MEMBER_KINDS, formatSize, isReviewer, uploadFile,
} from '../bibliotheque/common.js';
import { h, replace, uid } from '../dom.js';
import {
  actions, checkboxField, createForm, draftNotice, formValues, inputField, keepDraft, selectField, submitButton, textareaField,
} from '../forms.js';
import { t } from '../i18n.js';
import { guardClosing, guardLeaving } from '../leave-guard.js';
import { markdownEditor } from '../md-editor.js';
import { labels, lists, loadMeta } from '../meta.js';

// What the server takes on one fiche (docs/api.md).
const MAX_ATTACHMENTS = 10;

// The guided testimony: each question, the heading it becomes in the text.
const GUIDE = ['territory', 'tried', 'worked', 'failed', 'advice', 'contact'];

/** The text of a testimony from the guided form's answers (empty answers left out). */
export function testimonyMarkdown(answers) {
  const parts = [];
  const section = (key, text) => {
    const value = String(text || '').trim();
    if (value) parts.push(`## ${t(`guide.heading.${key}`)}\n\n${value}`);
  };
  section('territory', answers.territory);
  const where = [answers.phase ? t('guide.phaseLine', { phase: labels.phase(answers.phase) }) : '',
    answers.mission ? t('guide.missionLine', { mission: labels.mission(answers.mission) }) : ''].filter(Boolean).join(' ');
  section('where', where);
  for (const key of GUIDE.slice(1)) section(key, answers[key]);
  return parts.join('\n\n');
}

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
  if (item && !item.can_edit) throw Object.assign(new Error(t('biblio.editForbidden')), { status: 403 });
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
          draft.save();
          uploadStatus.textContent = t('biblio.fileRemoved', { name: a.name });
          // The button is gone: keep the keyboard on the next one, else on the file picker.
          (list.querySelector('button') || fileInput).focus();
        },
      }, t('biblio.remove')))));
  }
  drawAttachments();
  const fileId = uid('fichier');
  // Named `attachments`: the server's errors on the list land here.
  const fileInput = h('input', {
    type: 'file', id: fileId, name: 'attachments', accept: ACCEPTED_FILES, multiple: true, 'aria-describedby': `${fileId}-aide`,
  });
  // Uploads in flight: a submission waits for them (the fiche is never saved without a
  // file that is still on its way).
  let uploads = Promise.resolve();
  fileInput.addEventListener('change', () => {
    const files = [...fileInput.files];
    fileInput.value = '';
    uploads = uploads.then(() => uploadAll(files));
  });
  // Every file chosen at once gets its line: a refusal is not hidden by the next success.
  async function uploadAll(files) {
    const said = [];
    let failed = false;
    const tell = (text, error = false) => {
      said.push(text);
      failed ||= error;
      uploadStatus.classList.toggle('error-text', failed);
      uploadStatus.textContent = said.join(' ');
    };
    for (const file of files) {
      if (attachments.length >= MAX_ATTACHMENTS) {
        tell(t('biblio.tooManyFiles', { name: file.name, max: MAX_ATTACHMENTS }), true);
        continue;
      }
      if (meta.upload_max_bytes && file.size > meta.upload_max_bytes) {
        tell(t('biblio.fileTooBig', { name: file.name, max: formatSize(meta.upload_max_bytes) }), true);
        continue;
      }
      uploadStatus.textContent = [...said, t('biblio.uploading', { name: file.name })].join(' ');
      try {
        const uploaded = await uploadFile(file, ctx.signal);
        if (attachments.some((a) => a.sha256 === uploaded.sha256)) {
          tell(t('biblio.alreadyAttached', { name: file.name }), true);
          continue;
        }
        attachments.push({ sha256: uploaded.sha256, name: file.name, size: uploaded.size });
        drawAttachments();
        draft.save();
        tell(t('biblio.uploaded', { name: file.name }));
      } catch (err) {
        if (err.name === 'AbortError') return;
        if (err.status === 401) {
          // The session ended: the way out is to sign in again, the text kept meanwhile.
          tell(t('biblio.uploadSignedOut', { name: file.name }), true);
          uploadStatus.append(' ', h('a', {
            href: `/connexion?retour=${encodeURIComponent(location.pathname + location.search)}`,
            text: t('biblio.signInAgain'),
            onclick: async (e) => {
              e.preventDefault();
              draft.save();
              // The application's own check of the session: signed out, it goes to the
              // sign-in page and comes back here after (the draft is put back then).
              try {
                await api.get('/api/me');
                uploadStatus.textContent = '';
              } catch { /* signed out: the application has gone to the sign-in page */ }
            },
          }));
          return;
        }
        tell(`${file.name}\u00A0: ${err.message}`, true);
      }
    }
  }

  // The guided testimony: its answers are part of the form (kept with the draft) but
  // not sent; « Écrire le texte » turns them into the text, and sets phase and mission.
  const guideStatusId = uid('guide-etat');
  const guideStatus = h('p', { id: guideStatusId, class: 'upload-status', role: 'status', 'aria-live': 'polite' });
  const guideAreas = {
    territory: textareaField({ label: t('guide.q.territory'), name: 'guide_territory', rows: 2, hint: t('guide.h.territory'), attrs: { maxlength: '2000' } }),
    tried: textareaField({ label: t('guide.q.tried'), name: 'guide_tried', rows: 4, hint: t('guide.h.tried'), attrs: { maxlength: '8000' } }),
    worked: textareaField({ label: t('guide.q.worked'), name: 'guide_worked', rows: 3, attrs: { maxlength: '8000' } }),
    failed: textareaField({ label: t('guide.q.failed'), name: 'guide_failed', rows: 3, attrs: { maxlength: '8000' } }),
    advice: textareaField({ label: t('guide.q.advice'), name: 'guide_advice', rows: 3, attrs: { maxlength: '8000' } }),
    contact: inputField({ label: t('guide.q.contact'), name: 'guide_contact', hint: t('guide.h.contact'), attrs: { maxlength: '300' } }),
  };
  const guide = h('details', { class: 'guide panel' },
    h('summary', { text: t('guide.summary') }),
    h('p', { class: 'hint', text: t('guide.intro') }),
    guideAreas.territory,
    selectField({
      label: t('guide.q.phase'), name: 'guide_phase',
      options: [{ value: '', label: t('guide.none') }, ...lists.phases().map((p) => ({ value: p.code, label: p.label }))],
    }),
    selectField({
      label: t('guide.q.mission'), name: 'guide_mission',
      options: [{ value: '', label: t('guide.none') }, ...lists.missions().map((m) => ({ value: m.code, label: m.label }))],
    }),
    guideAreas.tried, guideAreas.worked, guideAreas.failed, guideAreas.advice, guideAreas.contact,
    h('p', { class: 'page-actions' }, h('button', {
      type: 'button', class: 'button button-secondary', text: t('guide.write'),
      onclick: () => {
        const v = formValues(form);
        const answers = Object.fromEntries(['territory', 'phase', 'mission', ...GUIDE.slice(1)].map((k) => [k, v[`guide_${k}`]]));
        const tried = guideAreas.tried.querySelector('textarea');
        if (!String(answers.tried || '').trim()) {
          // The error belongs to the field: marked invalid, and read with it.
          guideStatus.textContent = t('guide.needTried');
          tried.setAttribute('aria-invalid', 'true');
          const described = (tried.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
          if (!described.includes(guideStatusId)) tried.setAttribute('aria-describedby', [...described, guideStatusId].join(' '));
          tried.focus();
          return;
        }
        tried.removeAttribute('aria-invalid');
        const body = form.elements.namedItem('body');
        const text = testimonyMarkdown(answers);
        // The text replaces an empty body, else goes after what is there (nothing lost).
        body.value = body.value.trim() ? `${body.value.trimEnd()}\n\n${text}\n` : `${text}\n`;
        body.dispatchEvent(new Event('input', { bubbles: true }));
        for (const [name, code] of [['phases', answers.phase], ['missions', answers.mission]]) {
          if (!code) continue;
          const box = [...form.querySelectorAll(`input[name="${name}"]`)].find((b) => b.value === code);
          if (box) box.checked = true;
        }
        draft.save();
        guideStatus.textContent = t('guide.written');
        body.focus();
      },
    })),
    guideStatus);

  const headingId = uid('titre');
  const regionOptions = [{ value: '', label: t('biblio.national') },
    ...lists.regions().map((r) => ({ value: r.code, label: r.label }))];
  const { form } = createForm({
    labelledBy: headingId,
    className: 'form form-wide',
    onSubmit: async (values) => {
      // Files still being sent go with the fiche: wait for them.
      await uploads;
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
        // The version the text was written from; a draft written from an older version,
        // restored after a conflict, was shown as such (`conflictNote`) and is saved over
        // the current one.
        body.base_version = item.latest_version;
        saved = await api.put(`/api/library/items/${item.id}`, body);
      } else {
        saved = await api.post('/api/library/items', body);
      }
      const published = saved.item.state === 'published' && saved.item.published_version === saved.item.latest_version;
      sent = true;
      draft.clear();
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
      guide,
      textareaField({
        label: t('biblio.bodyField'), name: 'body', required: true, rows: 14, value: item?.body,
        hint: t('biblio.bodyHint'), attrs: { maxlength: '100000' },
      }),
      checkGroup(t('biblio.facet.phase'), 'phases', lists.phases(), item?.phases || []),
      checkGroup(t('biblio.facet.mission'), 'missions', lists.missions(), item?.missions || []),
      selectField({ label: t('biblio.facet.region'), name: 'region', options: regionOptions, value: item?.region?.code || '' }),
      inputField({
        label: t('biblio.dateField'), name: 'date', type: 'date', value: item?.date, hint: t('biblio.dateHint'),
        // What the fiche tells has happened: no date to come (the server refuses one too).
        attrs: { max: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10) },
      }),
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

  // The guided form is for testimonies.
  const kindSelect = form.elements.namedItem('kind');
  const showGuide = () => {
    guide.hidden = (kindSelect ? kindSelect.value : item?.kind) !== 'temoignage';
  };
  kindSelect?.addEventListener('change', showGuide, { signal: ctx.signal });
  // The text: toolbar, shortcuts, preview, structured paste.
  const bodyArea = form.elements.namedItem('body');
  const editor = markdownEditor(bodyArea, { signal: ctx.signal });
  // Wider than the other fields on a wide screen (app.css).
  editor.element.closest('.field')?.classList.add('field-editor');
  // Kept while typing, with the attachments and the version the text was written from;
  // leaving with changes asks first. The key is the fiche's, not its version's: after a
  // conflict (« modifiée entre-temps »), the reload brings the typed text back.
  const drawn = attachments.slice();
  let writtenFrom = item?.latest_version;
  const draft = keepDraft(form, editing ? `biblio-${item.id}` : `biblio-nouveau-${ctx.user.id}`, {
    get: () => ({ attachments, base: writtenFrom }),
    set: (kept) => {
      if (Array.isArray(kept?.attachments)) {
        attachments.splice(0, attachments.length, ...kept.attachments.filter((a) => a && a.sha256 && a.name).slice(0, MAX_ATTACHMENTS));
        drawAttachments();
      }
      if (kept && Number.isInteger(kept.base)) writtenFrom = kept.base;
    },
  });
  if (draft.restored) bodyArea.dispatchEvent(new Event('input', { bubbles: true }));
  const conflictNote = editing && draft.restored && writtenFrom !== item.latest_version
    ? h('p', { class: 'notice notice-info', role: 'status', text: t('biblio.draftOverNewer', { version: item.latest_version }) })
    : null;
  if (conflictNote) {
    writtenFrom = item.latest_version;
    draft.save();
    draft.settle();
  }
  showGuide();
  // A draft put back is said, with the way to throw it away; left untouched, it is no new
  // change (leaving keeps it, and it is said again next time).
  const restoredNote = draft.restored ? draftNotice(draft, {
    signal: ctx.signal,
    onClear: () => {
      form.reset();
      attachments.splice(0, attachments.length, ...drawn);
      drawAttachments();
      writtenFrom = item?.latest_version;
      uploadStatus.textContent = '';
      conflictNote?.remove();
      showGuide();
      bodyArea.dispatchEvent(new Event('input', { bubbles: true }));
    },
  }) : null;
  let sent = false;
  guardLeaving(() => !sent && draft.changed(), ctx.signal);
  // Kept in the tab only: closing it would lose the draft, so the browser still asks then.
  guardClosing(() => !sent && draft.stored(), ctx.signal);
  // What the reviewer asked for, where the changes are made.
  const reviewNote = editing && item.state === 'rejected' && item.review_note
    ? h('div', { class: 'notice notice-info' }, h('p', { text: t('biblio.reviewerAsked') }), h('p', { class: 'notice-body', text: item.review_note }))
    : null;
  // …and again right above the text, folded, for when the notice has scrolled away.
  if (reviewNote) {
    editor.element.before(h('details', { class: 'review-reminder' },
      h('summary', { text: t('biblio.reviewReminder') }), h('p', { class: 'notice-body', text: item.review_note })));
  }

  return h('section', { class: 'page page-proposer area-bibliotheque' },
    h('p', { class: 'breadcrumb' }, h('a', { href: item ? `/bibliotheque/${item.id}` : '/bibliotheque', text: t('biblio.back') })),
    h('h1', { id: headingId, text: editing ? t('biblio.editTitle') : t('biblio.submitTitle') }),
    restoredNote, conflictNote, reviewNote,
    form);
}
