import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SEED_SIGNATURES,
  listModelVersions,
  readSavedModel,
  validateModelDir,
  writeFixtureSavedModel,
} from '../../../../shared/tfserving/index.js';
import { protoType } from '../../../../shared/tfserving/proto-root.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'saved-model-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('SavedModel reader', () => {
  it("reads back the fixture's signatures: the seed's image_input -> resnet50", async () => {
    const fixture = await writeFixtureSavedModel(dir, { modelName: 'resnet', version: 3 });
    expect(fixture.basePath).toBe(join(dir, 'resnet'));
    const model = await readSavedModel(fixture.versionPath);
    expect(model.tags).toEqual(['serve']);
    expect(model.signatures).toEqual(SEED_SIGNATURES);
    expect(model.signatures['serving_default']?.inputs['image_input']).toEqual({
      name: 'image_input',
      dtype: 'DT_FLOAT',
      shape: [-1, 224, 224, 3],
      tensorName: 'serving_default_image_input:0',
    });
  });

  it('skips the fields it does not declare (graph_def and the like) in a real-looking file', async () => {
    const fixture = await writeFixtureSavedModel(dir);
    // A MetaGraphDef with a graph_def (field 2) and an object_graph_def (field 7) it does not know.
    const type = protoType('tensorflow.SavedModel');
    const base = type.encode(type.fromObject({ savedModelSchemaVersion: 1 })).finish();
    // graph_def (2): 12 03 0a 01 00; object_graph_def (7): 3a 02 08 01; meta_info_def (1) { tags (4): "serve" }.
    const metaGraph = Buffer.concat([Buffer.from('12030a01003a0208010a072205', 'hex'), Buffer.from('serve')]);
    const file = Buffer.concat([Buffer.from(base), Buffer.from([0x12, metaGraph.length]), metaGraph]);
    await writeFile(join(fixture.versionPath, 'saved_model.pb'), file);
    expect((await readSavedModel(fixture.versionPath)).tags).toEqual(['serve']);
  });

  it('picks the highest numeric version directory and ignores other entries', async () => {
    await writeFixtureSavedModel(dir, { version: 2 });
    await writeFixtureSavedModel(dir, { version: 10 });
    await mkdir(join(dir, 'tmp-export'));
    expect(await listModelVersions(dir)).toEqual([2, 10]);
    expect(await validateModelDir(dir, 'resnet')).toMatchObject({ version: 10, path: join(dir, '10') });
  });

  it('names what is wrong with a model directory, in TF Serving words', async () => {
    await expect(validateModelDir(join(dir, 'nope'), 'resnet')).rejects.toMatchObject({
      kind: 'no-base-path',
      message: expect.stringContaining(`Could not find base path ${join(dir, 'nope')} for servable resnet`),
    });
    await writeFile(join(dir, 'saved_model.pb'), '');
    await expect(validateModelDir(dir, 'resnet')).rejects.toMatchObject({
      kind: 'no-version',
      message: expect.stringMatching(
        /No versions of servable resnet found under base path .*\(saved_model.pb sits directly in/,
      ),
    });
    await mkdir(join(dir, '1'));
    await expect(validateModelDir(dir, 'resnet')).rejects.toThrow(
      `SavedModel file does not exist at: ${join(dir, '1')}/{saved_model.pbtxt|saved_model.pb}`,
    );
    await writeFile(join(dir, '1', 'saved_model.pb'), Buffer.from([0x12, 0x09, 0xff]));
    await expect(validateModelDir(dir, 'resnet')).rejects.toThrow(/is not a SavedModel protobuf/);
    await writeFile(join(dir, '1', 'saved_model.pb'), new Uint8Array(0));
    await expect(validateModelDir(dir, 'resnet')).rejects.toThrow(
      'Could not find meta graph def matching supplied tags: { serve }',
    );
    await writeFixtureSavedModel(dir, { version: 1 });
    await rm(join(dir, '1', 'variables'), { recursive: true });
    await expect(validateModelDir(dir, 'resnet')).rejects.toThrow(
      `SavedModel at ${join(dir, '1')} has no variables/ directory`,
    );
  });
});
