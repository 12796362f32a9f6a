// Files dropped anywhere on the window (the header, the toolbar, the empty space under a short
// list), as in Dropbox: the page showing a folder takes them. Left to the browser, a drop
// outside the small list box made Chromium open the photo in the tab, leaving the app, or
// download the video (QA family). So while files are dragged the browser's own handling is
// turned off on every page of the app; the view of a folder registers what a drop there does.
// Drop targets of their own (a folder's row, a breadcrumb, the list, "new version") call
// preventDefault first and are left alone.

let onDrop = null;  // The current view's handler: fn(dataTransfer), or null.

const carriesFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');

// Installs the listeners once for the app (app.js).
export function installPageDrop() {
  document.addEventListener('dragover', (e) => {
    if (!carriesFiles(e) || e.defaultPrevented) return;
    e.preventDefault();  // Else the drop event never comes and the browser opens the file.
    e.dataTransfer.dropEffect = onDrop ? 'copy' : 'none';
  });
  document.addEventListener('drop', (e) => {
    if (!carriesFiles(e) || e.defaultPrevented) return;
    e.preventDefault();
    onDrop?.(e.dataTransfer);
  });
}

// Files dropped anywhere on the page call `fn(dataTransfer)` until the returned function is
// called (when the view is left).
export function onPageDrop(fn) {
  onDrop = fn;
  return () => {
    if (onDrop === fn) onDrop = null;
  };
}
