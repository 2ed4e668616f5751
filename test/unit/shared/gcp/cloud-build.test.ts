import { cloudBuildContract } from '../../../support/cloud-build-contract.js';
import { FakeCloudBuild } from '../../../support/fake-cloud-build.js';

cloudBuildContract('the fake', async () => ({ cloudBuild: new FakeCloudBuild(), close: async () => undefined }));
