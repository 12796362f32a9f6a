// The admin page's word on disks in trouble (admin_disks.js draws the disks): a warning at the
// top of the page with the commands that mend each disk, ready to copy, and a quiet line on
// retired disks. Only disks in service count as trouble: those of a mirrored pair (role
// primary or mirror) or with users placed on them. A disk replaced by a spare (role "spare",
// state "failed", no mirror, no user) is retired: no emergency, and never offered as a spare.
// Only disks in state "spare" (unused and healthy) are.
import { h } from '../dom.js';
import { formatBytes } from '../format.js';
import { copyField } from '../shares/activity.js';

// The number of users placed on a disk (`users` of api.md: a count or a list; older shapes
// call it owner_count), or null when the API does not say.
export function userCount(disk) {
  const users = disk.users ?? disk.owner_count;
  if (Array.isArray(users)) return users.length;
  return typeof users === 'number' ? users : null;
}

// A disk of a pair, or one that users are placed on (whatever its role says).
export function inService(disk) {
  return disk.role === 'primary' || disk.role === 'mirror' || Boolean(disk.mirror_id) ||
         (userCount(disk) ?? 0) > 0;
}

// Failed, out of service for good (replaced) and nobody on it: neither trouble nor a spare.
export function isRetired(disk) {
  return disk.state === 'failed' && !inService(disk);
}

const isDown = (disk) => !disk || disk.state === 'failed';

// The warning about the disks in service that failed or are degraded, most urgent first: a pair
// whose users cannot reach their files (a failed disk whose mirror failed too, or was still
// being rebuilt), then the disks whose mirror serves alone, then the degraded ones. null when
// every disk in service is well.
export function troubleNotice(disks) {
  const byId = new Map(disks.map((d) => [d.id, d]));
  const mirrorOf = (d) => (d.mirror_id ? byId.get(d.mirror_id) ?? null : null);
  const trouble = disks.filter((d) => inService(d) &&
                                      (d.state === 'failed' || d.state === 'degraded'));
  if (!trouble.length) return null;
  const spares = disks.filter((d) => d.state === 'spare' && !inService(d));
  const urgent = [];
  const other = [];
  const told = new Set();  // Pairs said once, under the first of their two disks.
  for (const disk of trouble) {
    if (told.has(disk.id)) continue;
    const mirror = mirrorOf(disk);
    if (disk.state === 'failed' && (isDown(mirror) || mirror.state === 'resilvering')) {
      told.add(disk.id);
      if (mirror) told.add(mirror.id);
      urgent.push(pairDown(disk, mirror));
    } else if (disk.state === 'failed') {
      other.push(mirrorAlone(disk, mirror, spares));
    } else {
      other.push(degraded(disk, mirror));
    }
  }
  const items = [...urgent, ...other];
  const heading = urgent.length === 1 ? urgent[0].heading
    : urgent.length > 1 ? `The users of ${urgent.length} disk pairs cannot reach their files`
      : items.length > 1 ? `${items.length} disks need attention`
        : `Disk ${trouble[0].id} ${trouble[0].state === 'failed' ? 'has failed' : 'is degraded'}`;
  const offersSpare = items.some((item) => item.replaces);
  return h('section', { class: 'notice notice-error disk-alert', role: 'alert',
                        'aria-labelledby': 'disk-alert-h' },
           h('h2', { id: 'disk-alert-h' }, heading),
           items.map((item) => h('div', { class: 'disk-trouble' }, item.body)),
           offersSpare ? h('p', { class: 'disk-spares' }, spares.length
             ? `Spare disks: ${spares.map((d) => d.id).join(', ')}.`
             : 'No spare disk is attached: attach one first (nimbus admin disk attach ID ' +
               '--uri URI), then put its id in place of SPARE.') : null);
}

// "The 3 users of this pair" / "The users of this pair".
function usersOfPair(disk) {
  const n = userCount(disk);
  return n ? `The ${n === 1 ? 'user' : `${n} users`} of this pair` : 'The users of this pair';
}

const healText = ' If the disk is back (mounted again, writable, space freed), mark it healthy:';

function healCommand(disk) {
  return copyField(`nimbus admin disk heal ${disk.id}`, `Command to heal ${disk.id}`);
}

// A failed disk whose mirror is out of service too (failed, unknown) or was being rebuilt from
// it: nothing serves (all, or the files not yet copied of) its users' files. No replace: a
// replacement is rebuilt from the mirror, which has nothing (whole) to give.
function pairDown(disk, mirror) {
  const pair = mirror ? `${disk.id} and ${mirror.id}` : disk.id;
  if (mirror?.state === 'resilvering') {
    return {
      heading: `Users of disks ${pair} cannot reach some of their files`,
      body: [h('p', {}, h('strong', {}, `${disk.id} failed while its mirror ${mirror.id} was ` +
                                        'still being rebuilt from it. '),
               `${usersOfPair(disk)} cannot reach the files not yet copied to ${mirror.id}; ` +
               'the rebuild waits for it.', healText),
             healCommand(disk)],
    };
  }
  const what = mirror ? `${disk.id} and its mirror ${mirror.id} have both failed. `
                      : `${disk.id} failed, and it has no mirror in service. `;
  return {
    heading: `Users of disks ${pair} cannot reach their files`,
    body: [h('p', {}, h('strong', {}, what),
             `${usersOfPair(disk)} cannot reach their files right now. Bring at least one of ` +
             'the disks back (mounted again, writable, space freed), then mark it healthy:'),
           healCommand(disk), mirror ? healCommand(mirror) : null],
  };
}

// What a failed disk holds (its allocated bytes, or its used bytes when more): a spare that
// takes its place must have at least that much room.
export function heldBytes(disk) {
  return Math.max(Number(disk.allocated_bytes) || 0, Number(disk.used_bytes) || 0);
}

// The spares (state "spare") big enough to take `disk`'s place: capacity at least what it
// holds, the smallest first (the big ones stay for bigger disks).
export function sparesFor(disk, spares) {
  const needs = heldBytes(disk);
  return spares.filter((s) => s.id !== disk.id && (Number(s.capacity_bytes) || 0) >= needs)
      .sort((a, b) => Number(a.capacity_bytes) - Number(b.capacity_bytes));
}

// A failed disk whose mirror serves its users alone: heal it, or rebuild it on a spare big
// enough for what it holds (none offered when no spare is).
function mirrorAlone(disk, mirror, spares) {
  const fits = sparesFor(disk, spares);
  const missing = Number(mirror.repairs_pending) || 0;
  const held = formatBytes(heldBytes(disk));
  let replace;
  if (fits.length) {
    replace = [h('p', {}, 'If it is broken, rebuild its copy on a spare disk from its mirror:'),
               copyField(`nimbus admin disk replace ${disk.id} --with ${fits[0].id}`,
                         `Command to replace ${disk.id}`)];
  } else if (spares.some((s) => s.id !== disk.id)) {
    replace = [h('p', { class: 'disk-no-fit' },
                 `No spare is big enough (${disk.id} holds ${held}): attach a spare of at least ` +
                 `${held} with nimbus admin disk attach …, then rebuild ${disk.id} on it:`),
               copyField('nimbus admin disk attach ID --uri URI',
                         `Command to attach a spare for ${disk.id}`),
               copyField(`nimbus admin disk replace ${disk.id} --with ID`,
                         `Command to replace ${disk.id}`)];
  } else {
    replace = [h('p', {}, 'If it is broken, rebuild its copy on a spare disk from its mirror ' +
                          `(a spare of at least ${held}):`),
               copyField(`nimbus admin disk replace ${disk.id} --with SPARE`,
                         `Command to replace ${disk.id}`)];
  }
  return {
    replaces: fits.length > 0 || !spares.some((s) => s.id !== disk.id),
    body: [h('p', {}, `${disk.id} failed: its mirror ${mirror.id} serves its users alone, ` +
                      'without a second copy.',
             mirror.state === 'degraded'
               ? ` ${mirror.id} lacks ${missing || 'some'} file${missing === 1 ? '' : 's'} ` +
                 `held on ${disk.id} alone: they are out of reach until ${disk.id} is back.`
               : '',
             healText),
           healCommand(disk),
           ...replace],
  };
}

// A degraded disk (in service, lacking some files its mirror holds): scrubbed, or, when the
// mirror is out of service, waiting for it.
function degraded(disk, mirror) {
  if (mirror?.state === 'failed') {
    return {
      body: [h('p', {}, `${disk.id} is degraded: it lacks some files that only its mirror ` +
                        `${mirror.id} holds, and ${mirror.id} is out of service: they are out of ` +
                        'reach until it is back.')],
    };
  }
  return {
    body: [h('p', {}, `${disk.id} is degraded: it lacks some files its mirror holds. ` +
                      'They are copied back in the background; to do it now:'),
           copyField(`nimbus admin disk scrub ${disk.id}`, `Command to scrub ${disk.id}`)],
  };
}

// A quiet line on the retired disks (replaced, nobody on them), or null when there are none.
export function retiredNote(disks) {
  const retired = disks.filter(isRetired).map((d) => d.id);
  if (!retired.length) return null;
  const one = retired.length === 1;
  const heal = (id) => h('code', {}, `nimbus admin disk heal ${id}`);
  return h('p', { class: 'disk-retired' },
           `Retired: ${retired.join(', ')} (replaced; out of service, no user's files are ` +
           `placed on ${one ? 'it' : 'them'}). `,
           ...(one ? ['If it works again (mounted, writable), ', heal(retired[0]),
                      ' makes it a spare.']
                   : ['One that works again (mounted, writable) becomes a spare with ',
                      heal('ID'), '.']));
}

// The warning when no usable spare is left (no disk in state "spare"): a failed disk cannot be
// rebuilt and a full category cannot grow until one is attached. null while one is.
export function noSpareNotice(disks) {
  if (!disks.length || disks.some((d) => d.state === 'spare' && !inService(d))) return null;
  return h('section', { class: 'notice notice-warning disk-no-spare', role: 'status',
                        'aria-labelledby': 'disk-no-spare-h' },
           h('h2', { id: 'disk-no-spare-h' }, 'No spare disk is left'),
           h('p', {}, 'A failed disk cannot be rebuilt, and a full category cannot grow, until a ' +
                      'spare disk is attached. Attach one (a disk at least as big as the ' +
                      'biggest in service) with:'),
           copyField('nimbus admin disk attach ID --uri URI', 'Command to attach a spare disk'));
}
