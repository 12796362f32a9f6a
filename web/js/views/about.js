// About page: what Nimbus is and where its pieces live.
import { h } from '../dom.js';

export const title = 'About';

export function render(outlet) {
  outlet.append(
      h('h1', {}, 'About Nimbus'),
      h('p', {},
        'Nimbus is a self-hosted cloud storage service: one binary serving a web app and a ',
        'REST API, storing files on mirrored local disks with a SQLite database. WebDAV, ',
        'S3-compatible storage and PostgreSQL come in later releases.'),
      h('ul', { class: 'plain-list' },
        h('li', {}, 'Files are stored twice, on mirrored disks, and verified by checksum.'),
        h('li', {}, 'Deleted files go to the trash first and can be restored.'),
        h('li', {}, 'Everything runs on your machine; nothing is sent elsewhere.')),
      h('p', {}, h('a', { href: '/' }, 'Back to the home page')));
}
