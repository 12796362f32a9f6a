// The free space an upload is checked against before any byte is sent, and the sentences about
// it. In my own folders that is my space (GET /api/v1/me); in a folder shared with me, its
// owner's (GET /api/v1/nodes/{id}/space), since uploads there count against the owner: half a
// dropped folder went in and the rest failed with 507 before this was asked (QA family).
import { ApiError, get } from '../api.js';
import { formatBytes } from '../format.js';
import { formatCount } from './bulk.js';
import { fetchQuota, freeBytes } from './node_api.js';

// Said when files are dropped or picked for a folder shared with me to view only.
export const kViewOnly = 'You can only view this folder: uploads are not allowed here.';

// The space uploads into the folder `parentId` take: { key, quota, free, owner } (`owner`:
// null for my own space, else { name, email } of the person who shared the folder; `key` tells
// spaces apart, for the bytes already queued into the same one). `ownSpace`: the folder is
// mine. Throws an ApiError with kViewOnly for a folder shared to view only (403).
export async function uploadSpace(parentId, ownSpace) {
  if (ownSpace) {
    const usage = await fetchQuota();
    return { key: 'me', quota: Number(usage?.quota_bytes ?? 0), free: freeBytes(usage),
             owner: null };
  }
  let space;
  try {
    space = await get(`/api/v1/nodes/${encodeURIComponent(parentId)}/space`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) {
      throw new ApiError(403, 'forbidden', kViewOnly);
    }
    throw err;
  }
  const owner = space?.owner ?? {};
  return { key: String(owner.id ?? parentId), quota: Number(space?.quota_bytes ?? 0),
           free: Math.max(0, Number(space?.free_bytes ?? 0)),
           owner: { name: owner.name || owner.email || 'the owner', email: owner.email ?? '' } };
}

// "This folder needs 900 MB but only 61.7 MB is free." or, in someone else's space, "… but
// Léa's space has only 61.7 MB free (uploads into this folder count against it)."
export function shortOfSpace(space, what, needed, free) {
  const needs = `${what} ${formatBytes(needed)} but`;
  if (!space.owner) return `${needs} only ${formatBytes(free)} is free.`;
  return `${needs} ${space.owner.name}'s space has only ${formatBytes(free)} free (uploads into ` +
         'this folder count against it).';
}

// What the person can do when files do not fit (`what`: 'it' or 'them').
export function spaceWayOut(space, what) {
  if (space.owner) {
    const who = space.owner.email ? `${space.owner.name} (${space.owner.email})`
                                  : space.owner.name;
    return `Ask ${who} to free up some space or change their plan, then upload ${what} again.`;
  }
  return 'Free up some space (empty the trash, delete files) or change your plan, then upload ' +
         `${what} again.`;
}

// Whose bytes the free space is short of: "This folder needs", "The 3 files not here yet need",
// '"video.mp4" needs' (one file is named: picked from a phone's gallery, it may not be clear
// which one it was)…
export function spaceNeededBy(plan, alreadyThere) {
  const one = plan.files.length === 1;
  if (plan.folders.length && !alreadyThere) return 'This folder needs';
  if (one) return `"${plan.files[0].path}" needs`;
  return alreadyThere ? `The ${formatCount(plan.files.length)} files not here yet need`
                      : 'These files need';
}

// The files of `files` that fit in `free` bytes, taken in natural name order, the order the
// list shows them in (a file too large for what is left is passed over, smaller ones after it
// may still fit): "IMG_0000"–"IMG_0019" of a shoot, not the order the disk listed them in
// ("IMG_0000, 0006, 0038…", QA bigfiles), so that the rest can be sent later from "IMG_0020".
export function filesThatFit(files, free) {
  let left = free;
  return [...files].sort((a, b) => kNatural.compare(a.path, b.path)).filter(({ file }) => {
    if (file.size > left) return false;
    left -= file.size;
    return true;
  });
}

// Paths in the order a person reads a folder: natural ("VID_2" before "VID_10"), by locale.
const kNatural = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

// '"a.mov" (25.0 MB), "b.mov" (20.0 MB) and 3 more', in natural name order (they came in the
// order the files were taken, "VID_7, VID_8, VID_1": QA family).
export function namesText(files) {
  const sorted = [...files].sort((a, b) => kNatural.compare(a.path, b.path));
  const shown = sorted.slice(0, 5).map(({ file, path }) => `"${path}" (${formatBytes(file.size)})`);
  const more = sorted.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}
