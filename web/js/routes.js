// The route table: adding a page = one view module in views/ + one line here.
// `nav` puts a link in the header navigation (in this order); `view` loads the module lazily.
export const routes = [
  { path: '/', nav: 'Home', view: () => import('./views/home.js') },
  { path: '/about', nav: 'About', view: () => import('./views/about.js') },
];

// Shown when no route matches (the server answers index.html for every unknown page path).
export const notFound = () => import('./views/not_found.js');
