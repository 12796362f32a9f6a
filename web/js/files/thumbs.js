// Picture thumbnails in file lists (GET …/thumbnail?size=64|256&v=<sha256>, docs/api.md): an
// <img> in place of a file's icon for JPEG and PNG files only (the server makes none for other
// kinds, so asking would cost a request and a 404 per row). The URL names the content (v= the
// file's checksum), and the server lets the browser keep such an answer for a year: scrolling
// back, a redraw or a reload asks for nothing, and a new version has a new URL. The icon stays
// under the picture until it has loaded, and comes back when there is none (404 no_thumbnail:
// a damaged or too large picture) or the network fails.
import { h } from '../dom.js';
import { nodeIcon } from './quota.js';

// The extensions the server makes thumbnails for (lower case).
const kPictures = new Set(['jpg', 'jpeg', 'jpe', 'jfif', 'png']);
// CSS pixels a thumbnail takes in a row of the list (the 64 px picture stays sharp at 2x).
const kRowSide = 32;

// Thumbnail URLs refused or failed while this page is open: rows drawn again (a live refresh,
// another sort) do not ask for them again (a 404 is not kept by the browser's cache).
const failed = new Set();

// True when the server may have a thumbnail of `node` (a JPEG or PNG file).
export function isPicture(node) {
  if (node?.type === 'folder') return false;
  const name = String(node?.name ?? '');
  const dot = name.lastIndexOf('.');
  return dot > 0 && kPictures.has(name.slice(dot + 1).toLowerCase());
}

// The thumbnail URL of one of my files (or one shared with me), `size` 64 or 256.
export function thumbnailUrl(node, size) {
  const query = new URLSearchParams({ size: String(size) });
  if (node.checksum_sha256) query.set('v', node.checksum_sha256);
  return `/api/v1/nodes/${encodeURIComponent(node.id)}/thumbnail?${query}`;
}

// What stands for `node` beside its name: the 64 px thumbnail of a picture (size 64, a row),
// or the 256 px one filling a grid tile (size 256). Otherwise the icon: as it always was in a
// row, drawn large in a box of the tile's size in the grid. `url(node, size)` gives the
// thumbnail's URL (a public link's page has its own). Hidden from screen readers: the name is
// beside it.
export function nodeThumb(node, { size = 64, url = thumbnailUrl } = {}) {
  const icon = nodeIcon(node.type);
  const src = isPicture(node) ? url(node, size) : null;
  const cls = size === 64 ? 'thumb-box thumb-row' : 'thumb-box thumb-tile';
  if (!src || failed.has(src)) {
    return size === 64 ? icon : h('span', { class: cls, 'aria-hidden': 'true' }, icon);
  }
  // Fixed width and height: the row or tile has its size before the picture comes.
  const side = size === 64 ? kRowSide : size;
  const img = h('img', { src, alt: '', loading: 'lazy', decoding: 'async', width: side,
                         height: side, draggable: 'false', class: 'thumb' });
  const box = h('span', { class: cls, 'aria-hidden': 'true' }, icon, img);
  img.addEventListener('load', () => box.classList.add('is-loaded'), { once: true });
  // None to show: a row gets its plain icon back (and the room the square took, which a long
  // name on a phone needs); a tile keeps its square, the icon drawn large in it.
  img.addEventListener('error', () => {
    failed.add(src);
    if (size === 64) box.replaceWith(icon);
    else img.remove();
  }, { once: true });
  return box;
}
