import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipped, minified } from './size.mjs';

test('the client stays within 4 KB minified and gzipped', () => {
  console.log(`minified: ${minified} bytes, minified + gzipped: ${gzipped} bytes`);
  assert.ok(gzipped <= 4096, `${gzipped} bytes`);
});
