#!/usr/bin/env node
// Builds mensemble as one self-contained file, bundle/mensemble.mjs, from the
// compiled dist/ (run `npm run build` first; `npm run bundle` does both):
// every dependency inside, the schema, the version and the launcher of local
// jobs carried as text (src/util/embedded.ts). It needs Node.js (>= 20.19)
// and nothing else: copy it anywhere on PATH and run it.
// `npm run build` also writes it as dist/cli/main.js, the package's command.
//   node scripts/bundle.mjs [--out bundle/mensemble.mjs] [--quiet]
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { readerModules } from '../dist/config/load.js';
import { schemaText } from '../dist/config/schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--out');
const out = path.resolve(i >= 0 ? process.argv[i + 1] : path.join(root, 'bundle', 'mensemble.mjs'));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const readerCode = readerModules();
if (readerCode === null) throw new Error('bundle: dist/config is incomplete; run `npm run build` first');

// The launcher of local jobs runs in a child process of its own: its code goes in as text, run with `node -e`.
const script = (entry) => build({ entryPoints: [path.join(root, entry)], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, minify: true, logLevel: 'warning' });
const child = await script('dist/util/launcher-child.js');
// So does the plan's read-ahead thread, started with `new Worker(code, { eval: true })`.
const readAhead = await script('dist/plan/read-ahead-worker.js');

const files = {
  version: pkg.version,
  schemaText: schemaText(),
  // What config/load.ts keys its cache with, as it computes it from dist/.
  readerCode,
  launcherChildCode: child.outputFiles[0].text,
  readAheadWorkerCode: readAhead.outputFiles[0].text,
};

fs.mkdirSync(path.dirname(out), { recursive: true });
const tmp = `${out}.tmp`;
await build({
  entryPoints: [path.join(root, 'scripts/bundle-entry.mjs')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: tmp,
  define: { MENSEMBLE_FILES: JSON.stringify(files) },
  // A CommonJS dependency bundled into ESM calls require() for Node's own modules: give it one.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __mensembleRequire } from 'node:module';\nconst require = __mensembleRequire(import.meta.url);" },
  legalComments: 'eof',
  logLevel: 'warning',
});
fs.chmodSync(tmp, 0o755);
fs.renameSync(tmp, out);
const bytes = fs.statSync(out).size;
const sha = crypto.createHash('sha256').update(fs.readFileSync(out)).digest('hex').slice(0, 16);
if (!process.argv.includes('--quiet')) console.log(`bundle: ${path.relative(process.cwd(), out)} (${(bytes / 1e6).toFixed(1)} MB, mensemble ${pkg.version}, sha256 ${sha}...)`);
