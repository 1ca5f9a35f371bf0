// The client's size as a page pays for it: the three modules minified together, then gzipped.
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { minify } from 'terser';

const here = new URL('..', import.meta.url);
const files = ['sse-parse.js', 'sse-stream.js', 'sse-client.js'];
const source = (await Promise.all(files.map((f) => readFile(new URL(f, here), 'utf8'))))
  .join('\n')
  .replace(/^import .*$/gm, '') // one bundle: the modules' imports of each other go
  .replace(/^export (function|const)/gm, '$1');
const { code } = await minify(`${source}\nexport { connect };`, { module: true, compress: { passes: 2 } });

export const minified = code.length;
export const gzipped = gzipSync(code, { level: 9 }).length;
if (import.meta.url === `file://${process.argv[1]}`)
  console.log(`minified: ${minified} bytes, minified + gzipped: ${gzipped} bytes`);
