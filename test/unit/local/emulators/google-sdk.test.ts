import { describe, expect, it } from 'vitest';
import { cloudSdkRoot } from '../../../../local/emulators/google-sdk.js';

describe('the Google Cloud SDK', () => {
  it('is found from gcloud on the PATH, or CLOUDSDK_ROOT', () => {
    expect(cloudSdkRoot({ CLOUDSDK_ROOT: '/opt/sdk' })).toBe('/opt/sdk');
  });

  it('when missing, fails with what to install instead of skipping', () => {
    expect(() => cloudSdkRoot({ PATH: '/nonexistent' })).toThrow(
      /Google Cloud SDK was not found.*google-cloud-cli-pubsub-emulator google-cloud-cli-firestore-emulator/s,
    );
  });
});
