import { describe, expect, it } from 'vitest';
import { globToRegExp } from '../../../../shared/github/glob.js';

describe('globToRegExp', () => {
  it.each([
    ['saved_model.tar.gz', 'saved_model.tar.gz', true],
    ['saved_model.tar.gz', 'saved_modelXtarXgz', false],
    ['*.tar.gz', 'resnet-v2.tar.gz', true],
    ['*.tar.gz', 'resnet.tar.gz.sig', false],
    ['model-?.tgz', 'model-1.tgz', true],
    ['model-?.tgz', 'model-12.tgz', false],
    ['m(1)+[a].tgz', 'm(1)+[a].tgz', true],
  ])('%s against %s → %s', (glob, name, expected) => {
    expect(globToRegExp(glob).test(name)).toBe(expected);
  });
});
