// Not-found page: shown for any URL the route table does not know.
import { h } from '../dom.js';

export const title = 'Page not found';

export function render(outlet, { url }) {
  outlet.append(
      h('section', { class: 'not-found' },
        h('h1', {}, 'Page not found'),
        h('p', {}, 'There is no page at ', h('code', {}, url.pathname), '.'),
        h('p', {}, h('a', { href: '/', class: 'button' }, 'Go to the home page'))));
}
