// Undo of a move (the Move dialog's, or rows dragged onto a folder): each item goes back, by its
// id, into the folder it came from (PATCH parent_id, api.md), as Dropbox's and Nextcloud's Undo
// do. An item that cannot go back (its old name was taken there meanwhile, or the folder it
// came from was deleted) stays where the move put it, and the sentence says so: moving it
// back under another name or into a folder made again would be a new change, not an undo.
import { formatCount, itemsText } from './bulk.js';
import { getNode, moveNode, parentPath } from './node_api.js';

// What the undo of a move needs to know of each item moved: [{ id, name, fromId, fromPath }]
// for `done` ([{ item, result }] of runBulk, item being the node as it was listed). Items whose
// folder is not known (the top of a share hides it) are left out: they cannot be put back.
export function movesOf(done) {
  return done.filter((d) => d.item.parent_id)
      .map((d) => ({ id: d.item.id, name: d.result?.name ?? d.item.name,
                     fromId: d.item.parent_id,
                     fromPath: d.item.path ? parentPath(d.item.path) : null }));
}

// Puts `moves` (movesOf) back with `bulk(items, label, work)` (browserBulk's: progress line,
// page locked); `to` says where the move had put them ("/Photos"). Resolves to { ids (the
// items back), text (one sentence or more for the person), failed (true when some stayed) }.
export async function undoMoves(moves, to, bulk) {
  const { done, failed, notStarted } = await bulk(moves, 'Moving back',
                                                  (m) => moveNode(m.id, m.fromId));
  const parts = [];
  if (done.length) parts.push(backText(done.map((d) => d.item)));
  // Why each one stayed, grouped: "the name is taken there now", "that folder was deleted".
  const groups = new Map();
  for (const { item, error } of failed) {
    const why = await reasonOf(item, error);
    const key = `${why}\u0001${item.fromPath ?? ''}`;
    if (!groups.has(key)) groups.set(key, { why, from: item.fromPath, names: [] });
    groups.get(key).names.push(item.name);
  }
  for (const { why, from, names } of groups.values()) parts.push(stayText(names, why, from, to));
  if (notStarted) parts.push(`Cancelled: ${itemsText(notStarted)} not moved back.`);
  return { ids: done.map((d) => d.item.id), text: parts.join(' '),
           failed: failed.length > 0 || notStarted > 0 };
}

// 'taken', 'folder gone', 'item gone' or the server's sentence, for a move back that failed.
async function reasonOf(move, error) {
  if (error?.code === 'name_taken') return 'taken';
  if (error?.status !== 404) return error?.message ?? String(error);
  // 404: the folder it came from, or the item itself, is gone. Which one is asked.
  try {
    await getNode(move.fromId);
  } catch (err) {
    if (err?.status === 404) return 'folder gone';
  }
  return 'item gone';
}

// 'Moved "a.txt" back to /Docs.', 'Moved 3 items back to /Docs.', 'Moved 3 items back.'
function backText(moves) {
  const from = new Set(moves.map((m) => m.fromPath));
  const where = from.size === 1 && moves[0].fromPath ? ` to ${moves[0].fromPath}` : '';
  return moves.length === 1 ? `Moved "${moves[0].name}" back${where}.`
                            : `Moved ${itemsText(moves.length)} back${where}.`;
}

// '"a.txt" stays in /Photos: an item named "a.txt" is in /Docs now.' and the like.
function stayText(names, why, from, to) {
  const one = names.length === 1;
  const list = names.slice(0, 5).map((n) => `"${n}"`).join(', ') +
               (names.length > 5 ? ` and ${formatCount(names.length - 5)} more` : '');
  const fromText = from ?? (one ? 'the folder it came from' : 'the folder they came from');
  let reason;
  if (why === 'taken') {
    reason = one ? `an item named "${names[0]}" is in ${fromText} now`
                 : `items with those names are in ${fromText} now`;
  } else if (why === 'folder gone') {
    reason = from ? `the folder ${from} was deleted` : `${fromText} was deleted`;
  } else if (why === 'item gone') {
    reason = `${one ? 'it was' : 'they were'} deleted or moved elsewhere meanwhile`;
  } else {
    reason = why.replace(/[.]$/, '');
  }
  const stay = why === 'item gone' ? 'could not be moved back' : `${one ? 'stays' : 'stay'} in ${to}`;
  return `${list} ${stay}: ${reason}.`;
}
