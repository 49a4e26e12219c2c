// Photos: several uploads at once (picker or drag and drop) with a progress bar each, then the
// gallery: drag to reorder (or the move buttons, which work by keyboard and touch), a cover
// choice and removal. Each change is one PATCH guarded by If-Match.
import {api, upload} from './api.js';
import {errorBox, errorText, showError} from './app.js';
import {h, replace, uid} from './dom.js';
import {t} from './i18n.js';

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/heic', 'image/heif'];

export function photosPanel(ctx) {
  const inputId = uid('photos');
  const picker = h('input', {type: 'file', id: inputId, accept: 'image/*', multiple: true, class: 'visually-hidden'});
  const drop = h('div', {class: 'dropzone'},
    h('label', {for: inputId, class: 'button'}, t('choosePhotos')), picker, h('p', {class: 'muted'}, t('dropHere')));
  const uploads = h('ul', {class: 'uploads', 'aria-label': t('uploading')});
  const gallery = h('ol', {class: 'gallery', 'aria-label': t('gallery')});
  const error = errorBox();
  const urls = new Map();

  async function urlOf(fileId) {
    if (!urls.has(fileId)) {
      urls.set(fileId, api(`/api/files/${fileId}`).then((f) => f.variants?.['480'] || f.variants?.['640'] || f.url, () => ''));
    }
    return urls.get(fileId);
  }

  async function save(patch) {
    showError(error, null);
    try {
      await ctx.reload();
      await ctx.patch(patch(ctx.page));
    } catch (caught) {
      showError(error, caught);
    }
    render();
  }

  let dragged = null;
  function render() {
    const page = ctx.page;
    const items = page.gallery || [];
    replace(gallery, items.length ? null : h('li', {class: 'empty'}, t('noPhotos')));
    items.forEach((fileId, index) => {
      const img = h('img', {alt: t('photoN', {n: index + 1}), width: 120, height: 120, loading: 'lazy'});
      urlOf(fileId).then((src) => {
        if (src) img.src = src;
      });
      const isCover = page.cover_file_id === fileId;
      const move = (step) => save((p) => {
        const list = [...p.gallery];
        const at = list.indexOf(fileId);
        const to = at + step;
        if (at < 0 || to < 0 || to >= list.length) return {};
        [list[at], list[to]] = [list[to], list[at]];
        return {gallery: list};
      });
      const item = h('li', {class: `photo${isCover ? ' cover' : ''}`, draggable: 'true', 'data-file-id': fileId},
        img,
        isCover ? h('span', {class: 'badge published'}, t('isCover')) : null,
        h('div', {class: 'row wrap'},
          h('button', {type: 'button', class: 'small', 'aria-label': `${t('moveUp')} ${t('photoN', {n: index + 1})}`, disabled: index === 0, onclick: () => move(-1)}, '↑'),
          h('button', {type: 'button', class: 'small', 'aria-label': `${t('moveDown')} ${t('photoN', {n: index + 1})}`, disabled: index === items.length - 1, onclick: () => move(1)}, '↓'),
          isCover ? null : h('button', {type: 'button', class: 'small', 'aria-label': `${t('makeCover')} ${t('photoN', {n: index + 1})}`, onclick: () => save(() => ({cover_file_id: fileId}))}, t('makeCover')),
          h('button', {type: 'button', class: 'small danger', 'aria-label': `${t('delete')} ${t('photoN', {n: index + 1})}`, onclick: async () => {
            await save((p) => ({
              gallery: p.gallery.filter((other) => other !== fileId),
              ...(p.cover_file_id === fileId ? {cover_file_id: null} : {}),
            }));
            api(`/api/files/${fileId}`, {method: 'DELETE'}).catch(() => null);
          }}, t('delete'))));
      item.addEventListener('dragstart', (event) => {
        dragged = fileId;
        event.dataTransfer.effectAllowed = 'move';
        event.dataTransfer.setData('text/plain', fileId);
      });
      item.addEventListener('dragover', (event) => {
        if (dragged) event.preventDefault();
      });
      item.addEventListener('drop', (event) => {
        event.preventDefault();
        event.stopPropagation();
        const from = dragged;
        dragged = null;
        if (!from || from === fileId) return;
        save((p) => {
          const list = p.gallery.filter((other) => other !== from);
          list.splice(list.indexOf(fileId), 0, from);
          return {gallery: list};
        });
      });
      gallery.append(item);
    });
  }

  async function take(files) {
    // Kept in the order chosen, whichever upload ends first.
    const added = [];
    await Promise.all([...files].map(async (file, index) => {
      const bar = h('progress', {max: 1, value: 0, 'aria-label': `${t('uploading')} ${file.name}`});
      const note = h('span', {class: 'muted'});
      const row = h('li', {class: 'upload'}, h('span', {class: 'file-name'}, file.name), bar, note);
      uploads.append(row);
      if (file.type && !IMAGE_TYPES.includes(file.type)) {
        bar.remove();
        note.className = 'error';
        note.textContent = t('badType');
        return;
      }
      try {
        const stored = await upload(file, ctx.page.id, (share) => {
          bar.value = share;
        });
        bar.value = 1;
        note.textContent = t('uploaded');
        row.dataset.done = 'true';
        added[index] = stored.id;
      } catch (caught) {
        bar.remove();
        note.className = 'error';
        note.setAttribute('role', 'alert');
        note.textContent = errorText(caught);
      }
    }));
    const stored = added.filter(Boolean);
    if (stored.length) {
      await save((p) => ({
        gallery: [...(p.gallery || []), ...stored],
        ...(p.cover_file_id ? {} : {cover_file_id: stored[0]}),
      }));
    }
  }

  picker.addEventListener('change', () => {
    take(picker.files);
    picker.value = '';
  });
  drop.addEventListener('dragover', (event) => {
    if (dragged) return;
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    if (event.dataTransfer?.files?.length) take(event.dataTransfer.files);
  });
  ctx.listeners.add(() => render());
  render();
  return h('div', {class: 'photos'}, h('h2', {}, t('photos')), drop, uploads, error,
    h('h2', {}, t('gallery')), h('p', {class: 'muted'}, t('galleryHint')), gallery);
}
