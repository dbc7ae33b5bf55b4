// Summarises a .cpuprofile: self time by function and by package, top N. `node bench/profile-summary.mjs file [N]`
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 40);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfSamples = new Map();
for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
const total = profile.samples.length;
const fns = new Map();
const pkgs = new Map();
for (const [id, count] of selfSamples) {
  const { callFrame: f } = byId.get(id);
  const key = `${f.functionName || '(anon)'} ${f.url.replace(/^.*node_modules\//, '~/').replace(/^file:\/\/.*\/main\//, '')}:${f.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + count);
  const pkg = f.url.includes('node_modules/') ? f.url.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1') : f.url.startsWith('node:') ? 'node:' + f.url.slice(5).split('/')[0] : f.url ? (f.url.includes('/dist/') ? 'conveyor' : f.url) : f.functionName;
  pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + count);
}
const print = (title, map) => {
  console.log(`\n## ${title} (${total} samples)`);
  for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
};
print('by package', pkgs);
print('by function', fns);

// Inclusive: a sample counts once for every distinct function on its stack.
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const keyOf = (f) => `${f.functionName || '(anon)'} ${f.url.replace(/^.*node_modules\//, '~/').replace(/^file:\/\/.*\/main\//, '').replace(/^.*\/dist\//, 'dist/')}:${f.lineNumber + 1}`;
const inclusive = new Map();
for (const [id, count] of selfSamples) {
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) seen.add(keyOf(byId.get(at).callFrame));
  for (const k of seen) inclusive.set(k, (inclusive.get(k) ?? 0) + count);
}
const filter = process.argv[4] ? new RegExp(process.argv[4]) : /./;
print(`inclusive${process.argv[4] ? ` matching ${filter}` : ''}`, new Map([...inclusive].filter(([k]) => filter.test(k))));
