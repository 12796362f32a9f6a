// Turns what the person dropped or picked into an upload plan: every file with its path
// relative to the target folder, and every folder (so empty ones are created too).

// From a drop: call synchronously in the drop handler (entries vanish after it returns).
// Returns a function that resolves to { files: [{ file, path }], folders: [path] }.
export function captureDrop(dataTransfer) {
  const roots = [];
  for (const item of [...(dataTransfer.items ?? [])]) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.() ?? null;
    if (entry) roots.push({ entry });
    else {
      const file = item.getAsFile();
      if (file) roots.push({ file });
    }
  }
  if (!roots.length) {
    for (const file of [...(dataTransfer.files ?? [])]) roots.push({ file });
  }
  return () => walkEntries(roots);
}

// Walks FileSystemEntry roots ({ entry } or { file }) into { files, folders }.
export async function walkEntries(roots) {
  const plan = { files: [], folders: [] };
  for (const root of roots) {
    if (root.file) plan.files.push({ file: root.file, path: root.file.name });
    else await walk(root.entry, '', plan);
  }
  return plan;
}

async function walk(entry, prefix, plan) {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    plan.files.push({ file, path });
    return;
  }
  if (!entry.isDirectory) return;
  plan.folders.push(path);
  const reader = entry.createReader();
  // readEntries answers in batches (100 in Chromium) until an empty one.
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const child of batch) await walk(child, path, plan);
  }
}

// From <input type=file> (with or without webkitdirectory): paths from webkitRelativePath.
// Browsers leave empty folders out of a directory pick; their parents are still listed.
export function planFromFileList(fileList) {
  const plan = { files: [], folders: [] };
  const folders = new Set();
  for (const file of [...fileList]) {
    const path = relativePathOf(file);
    plan.files.push({ file, path });
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i += 1) folders.add(parts.slice(0, i).join('/'));
  }
  plan.folders = [...folders];
  return plan;
}

// A picked file's path in its folder. Chromium turns a backslash in a file's name into '/' in
// webkitRelativePath ("back\slash.txt" → "Specials/back/slash.txt"), which would make a folder
// "back" (QA pass 16): the last part is the file's own name.
function relativePathOf(file) {
  const rel = file.webkitRelativePath;
  if (!rel) return file.name;
  if (rel === file.name || rel.endsWith(`/${file.name}`)) return rel;
  const mangled = file.name.replaceAll('\\', '/');
  if (rel === mangled) return file.name;
  if (rel.endsWith(`/${mangled}`)) return rel.slice(0, rel.length - mangled.length) + file.name;
  return rel;
}

// The folders of `plan` with no other folder of the plan under them: creating just these
// (POST …/folders creates missing parents) makes every folder exist before any file is sent,
// so parallel uploads never race to create the same parent.
export function leafFolders(plan) {
  const inner = new Set();
  for (const folder of plan.folders) {
    const parts = folder.split('/');
    for (let i = 1; i < parts.length; i += 1) inner.add(parts.slice(0, i).join('/'));
  }
  return plan.folders.filter((f) => !inner.has(f));
}

// The total size of the plan's files in bytes.
export function planBytes(plan) {
  return plan.files.reduce((sum, { file }) => sum + file.size, 0);
}
