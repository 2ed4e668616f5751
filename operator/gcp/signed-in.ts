import { ModelshipError } from '../../shared/errors.js';
import { NOT_INSTALLED, type CommandRunner } from './command-runner.js';

/**
 * apply and check run every gcloud command as the signed-in account. Without one, each of their 100-odd commands
 * fails the same way after seconds of retries; one `gcloud auth list` (local, no network) says it at once.
 */
export async function requireSignedIn(run: CommandRunner): Promise<string> {
  const result = await run(['gcloud', 'auth', 'list', '--filter=status:ACTIVE', '--format=json']);
  if (result.code === NOT_INSTALLED)
    throw new ModelshipError('gcloud is not installed', {
      hint: 'install the Google Cloud SDK (https://cloud.google.com/sdk/docs/install)',
    });
  const accounts = result.code === 0 ? (JSON.parse(result.stdout || '[]') as { account?: string }[]) : [];
  const account = accounts.find((a) => a.account)?.account;
  if (!account)
    throw new ModelshipError('gcloud has no signed-in account, so no command of this plan can run', {
      hint: 'sign in with gcloud auth login (an owner of the project), then run this again',
    });
  return account;
}
