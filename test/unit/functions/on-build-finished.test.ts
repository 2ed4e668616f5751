import { describe, expect, it } from 'vitest';
import { checkDeployScenarios, onBuildFinishedDeps } from '../../../functions/on-build-finished.js';
import { ConfigError } from '../../../shared/errors.js';

describe('onBuildFinished configuration', () => {
  it("accepts the default, the seed's recommended scenario, and any scenario file", () => {
    expect(() =>
      checkDeployScenarios(['2n-8c-16r-interop4', '8n-2c-4r-interop2', '2n-8c-64r-interop4-batch']),
    ).not.toThrow();
  });

  it('fails start-up on a scenario with no file, listing the ones there are', async () => {
    let error: unknown;
    try {
      checkDeployScenarios(['2n-8c-16r-interop4', '2n-8c-16r-interop5']);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(
        /^DEPLOY_SCENARIOS names no scenario file for 2n-8c-16r-interop5: expected names of .*scenarios\/\*\.yaml \(.*2n-8c-16r-interop4.*\)$/,
      ),
    ]);
    await expect(
      onBuildFinishedDeps({ GOOGLE_CLOUD_PROJECT: 'p', DEPLOY_SCENARIOS: 'nope', METADATA_SERVER_DETECTION: 'none' }),
    ).rejects.toThrow(/DEPLOY_SCENARIOS names no scenario file for nope/);
  });
});
