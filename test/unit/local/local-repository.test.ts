import { describe, expect, it } from 'vitest';
import { LOCAL_REPOSITORY, localRepository } from '../../../local/local-release.js';

describe('localRepository', () => {
  it('names a local release after its model, not after the sample', () => {
    expect(localRepository('/home/me/models/resnet50')).toBe('modelship/resnet50');
    expect(localRepository('/home/me/models/resnet50/1/')).toBe('modelship/resnet50');
    expect(localRepository('/tmp/BERT base.tar.gz')).toBe('modelship/BERT-base');
    expect(localRepository('/tmp/m.tgz')).toBe('modelship/m');
    expect(localRepository('/')).toBe('modelship/model');
    expect(LOCAL_REPOSITORY).toBe('modelship/sample-model');
  });
});
