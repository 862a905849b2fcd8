/**
 * Kaazing's users file for the `file` login module (`jaas-config.xml`, namespace
 * `http://xmlns.kaazing.com/jaas-config/centurion`): `<user>`s with `name`, `password` and any number of
 * `role-name`, and `<role>`s with `name`, `description` and `role-name` (read for Kaazing's sake, not used: a user
 * holds exactly the roles it names). Every problem is reported with the file's line:col.
 */
import { readFileSync } from 'node:fs';
import { Diagnostics } from '../../config/diagnostics.js';
import { anyOrder, checkChildren, checkAttributes, first, leafText, sequence } from '../../config/structure.js';
import { parseXml } from '../../config/xml.js';
import { GatewayError, formatPosition } from '../../errors.js';

export const USERS_NAMESPACE = 'http://xmlns.kaazing.com/jaas-config/centurion';

export interface User {
  readonly name: string;
  readonly password: string;
  readonly roles: readonly string[];
}

/** Reads and parses a users file. @throws GatewayError GW_ERR_REALM_FILE naming every problem with its line:col. */
export function loadUsersFile(file: string): ReadonlyMap<string, User> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GatewayError('GW_ERR_REALM_FILE', `Cannot read the users file ${file}: ${(e as Error).message}`, { cause: e });
  }
  return parseUsersFile(text, file);
}

export function parseUsersFile(text: string, file: string): ReadonlyMap<string, User> {
  const diags = new Diagnostics();
  const users = new Map<string, User>();
  const root = parseXml(text, file, diags);
  if (root !== undefined) {
    if (root.name !== 'jaas-config' || root.attributes.get('xmlns') !== USERS_NAMESPACE) {
      diags.error('GW_ERR_REALM_FILE', `The users file must hold <jaas-config xmlns="${USERS_NAMESPACE}">`, root.position);
    } else {
      checkAttributes(root, true, diags);
      const children = checkChildren(root, anyOrder('user*', 'role*'), diags);
      for (const element of children.get('user') ?? []) {
        const parts = checkChildren(element, sequence('name', 'password', 'role-name*'), diags);
        const name = first(parts, 'name');
        const password = first(parts, 'password');
        if (name === undefined || password === undefined) continue;
        const userName = leafText(name, diags);
        const secret = leafText(password, diags);
        if (userName === '') diags.error('GW_ERR_REALM_FILE', 'The user <name> is empty', name.position);
        else if (users.has(userName)) diags.error('GW_ERR_REALM_FILE', `User "${userName}" is defined twice`, element.position);
        else users.set(userName, { name: userName, password: secret, roles: (parts.get('role-name') ?? []).map((r) => leafText(r, diags)).filter((r) => r !== '') });
      }
      for (const element of children.get('role') ?? []) checkChildren(element, sequence('name', 'description?', 'role-name*'), diags);
    }
  }
  const errors = diags.all.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const list = errors.map((d) => `${d.position ? formatPosition(d.position) + ': ' : ''}${d.message}`).join('; ');
    throw new GatewayError('GW_ERR_REALM_FILE', `The users file ${file} is not valid: ${list}`, { position: errors[0]?.position });
  }
  return users;
}
