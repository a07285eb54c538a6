/**
 * The single driver of every fixture (style.md (c)): each `fixtures/<dir>/<case>` is its own
 * test, named `<dir> <case>`, so `vitest -t goto-error-path` runs one. A case passes when its
 * annotations and the diagnostics match exactly, both ways.
 */
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { fixturesRoot, listCases, listFixtureDirs, renderFailure, runCase } from './expectations.js';

test('the fixtures folder exists', () => {
  expect(existsSync(fixturesRoot)).toBe(true);
});

describe.for(listFixtureDirs())('%s', (dir) => {
  const cases = listCases(dir);
  if (!cases.length) {
    test('has cases', () => {
      throw new Error(`fixtures/${dir}/ holds no .c file and no case folder`);
    });
  }
  test.for(cases.map((c) => c.name))('%s', async (name) => {
    const { parsed, problems } = await runCase(cases.find((c) => c.name === name)!);
    if (problems.length) throw new Error(renderFailure(parsed, problems));
  });
});
