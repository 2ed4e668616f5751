import type { IncomingMessage } from 'node:http';

/**
 * Who a request comes from: bearer tokens, as a GKE API server reads a Google access token or a static token file
 * names its users. Every signed-in user is also in `system:authenticated`, which the discovery policy binds.
 */

export interface UserInfo {
  name: string;
  groups: string[];
}

/** Bearer token → user, as the emulator is given them. */
export type Users = Record<string, { name: string; groups?: string[] }>;

/** The group whose members no authorizer refuses: the cluster administrators of kubeadm, GKE and the emulator. */
export const MASTERS = 'system:masters';
const AUTHENTICATED = 'system:authenticated';

/** The user of the request's bearer token; undefined without one, or with one the server does not know. */
export function authenticate(req: IncomingMessage, users: Users): UserInfo | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  const token = match?.[1];
  // hasOwn: a token such as `constructor` must not find the object's prototype.
  const user = token !== undefined && Object.hasOwn(users, token) ? users[token] : undefined;
  if (!user) return undefined;
  return { name: user.name, groups: [...(user.groups ?? []), AUTHENTICATED] };
}
