// "Upload a new version…" on the page of a file shared with me with the edit permission: a file
// picked (or dropped on the page) replaces the file's content in place (PUT
// /api/v1/nodes/{id}/content without a path: same id, same name; the owner's space takes the
// bytes). Sent with XMLHttpRequest (xhr.js: the CSRF header, the upload's progress), shown as a
// percent while it goes.
import { h } from '../dom.js';
import { contentUrl } from '../files/node_api.js';
import { errorOf, send } from '../files/xhr.js';

// ctx: { node, message (messageBox), run (the view's error reporter), onUploaded(node) (the node
// the server answered, to draw the file's facts again) }. Returns { button, input, status,
// dropOn(el) (files dropped on `el` upload as the new version) }.
export function newVersionControls({ node, message, run, onUploaded }) {
  const input = h('input', { type: 'file', hidden: true, class: 'new-version-input',
                             'aria-label': `New version of ${node.name}` });
  const button = h('button', { type: 'button', class: 'button button-secondary' },
                   'Upload a new version…');
  const bar = h('progress', { max: 100, value: 0, 'aria-label': 'Upload progress' });
  const text = h('span', {});
  const status = h('p', { class: 'status new-version-status', role: 'status', hidden: true },
                   bar, ' ', text);
  let busy = false;

  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    const file = input.files?.[0] ?? null;
    input.value = '';  // The same file can be picked again.
    if (file) run(() => upload(file));
  });

  async function upload(file) {
    if (busy) return;
    busy = true;
    button.disabled = true;
    message.clear();
    const total = file.size || 0;
    let shown = -1;
    const progress = (sent) => {
      const percent = total ? Math.min(100, Math.floor((sent / total) * 100)) : 100;
      if (percent === shown) return;
      shown = percent;
      bar.value = percent;
      text.textContent = `Uploading "${file.name}" as the new version: ${percent}%`;
    };
    progress(0);
    status.hidden = false;
    try {
      const response = await send('PUT', contentUrl(node.id), {
        body: file, headers: { 'Content-Type': 'application/octet-stream' }, onProgress: progress,
      });
      if (response.status < 200 || response.status >= 300) throw errorOf(response);
      progress(total);
      message.success('New version uploaded.');
      await onUploaded(response.data && typeof response.data === 'object' ? response.data : null);
    } finally {
      status.hidden = true;
      busy = false;
      button.disabled = false;
    }
  }

  // Files dropped on the page: one file is the new version; a folder or several files are
  // refused with a sentence.
  function dropOn(el) {
    const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
    el.addEventListener('dragover', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      el.classList.add('drop-target');
    });
    el.addEventListener('dragleave', (e) => {
      if (!el.contains(e.relatedTarget)) el.classList.remove('drop-target');
    });
    el.addEventListener('drop', (e) => {
      el.classList.remove('drop-target');
      if (!hasFiles(e)) return;
      e.preventDefault();
      const dt = e.dataTransfer;
      const entry = dt.items?.[0]?.webkitGetAsEntry?.() ?? null;
      const files = [...(dt.files ?? [])];
      if (files.length !== 1 || entry?.isDirectory) {
        message.error('Drop one file to upload it as the new version of ' +
                      `"${node.name}".`);
        return;
      }
      run(() => upload(files[0]));
    });
  }

  return { button, input, status, dropOn };
}
