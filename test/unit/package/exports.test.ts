import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../../src/version.js';

interface PackageJson {
  exports: Record<string, string>;
  bin: Record<string, string>;
  files: string[];
}

const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as PackageJson;

test('every entry point package.json names (exports, bin) exists after the build and loads', async () => {
  const targets = [...Object.values(pkg.exports), ...Object.values(pkg.bin)];
  assert.ok(targets.length >= 4);
  for (const target of Object.values(pkg.exports)) {
    const path = join(PACKAGE_ROOT, target);
    assert.ok(existsSync(path), `${target} does not exist: "import" of it fails`);
    const mod = (await import(path)) as Record<string, unknown>;
    assert.ok(Object.keys(mod).length > 0, `${target} exports nothing`);
  }
  for (const target of Object.values(pkg.bin)) assert.ok(existsSync(join(PACKAGE_ROOT, target)), `bin ${target} does not exist`);
});

test('the main entry point offers the embeddable service and its config loader', async () => {
  const main = (await import(join(PACKAGE_ROOT, pkg.exports['.']!))) as Record<string, unknown>;
  for (const name of ['HookstreamService', 'loadConfig', 'parseConfig', 'ConfigError']) assert.equal(typeof main[name], 'function', name);
});
