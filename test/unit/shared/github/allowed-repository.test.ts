import { describe, expect, it } from 'vitest';
import { repositoryAllowed } from '../../../../shared/github/allowed-repository.js';

describe('repositoryAllowed', () => {
  it('lets in a listed repository, whatever its case', () => {
    expect(repositoryAllowed(['Acme/Model'], 'acme/model')).toBe(true);
    expect(repositoryAllowed(['acme/model'], 'acme/model-2')).toBe(false);
  });

  it('lets in every repository of an owner given as owner/*, and no other owner', () => {
    expect(repositoryAllowed(['acme/*'], 'acme/resnet')).toBe(true);
    expect(repositoryAllowed(['acme/*'], 'ACME/bert')).toBe(true);
    expect(repositoryAllowed(['acme/*'], 'acme-evil/resnet')).toBe(false);
    expect(repositoryAllowed(['acme/*'], 'evil/acme')).toBe(false);
  });
});
