/**
 * A realm's chain of login modules, combined as JAAS's LoginContext combines them (javax.security.auth.login.
 * Configuration):
 * - `required`: must succeed; the chain goes on either way, so a failure is not revealed early.
 * - `requisite`: must succeed; a failure ends the chain at once.
 * - `sufficient`: need not succeed; a success ends the chain at once, successfully, when no required or requisite
 *   module before it failed; a failure goes on down the chain.
 * - `optional`: need not succeed; the chain goes on either way.
 * The chain succeeds when every required and requisite module that ran succeeded and at least one module
 * succeeded. The principal is the first successful module's; its roles are those of every module that succeeded.
 *
 * One difference from JAAS: a module never "ignores" a request. One that finds no credentials of its kind fails,
 * so a `required` file module cannot be skipped by sending no `Authorization` header.
 */
import type { LoginModuleFlag } from '../../config/types.js';
import type { Credentials, LoginModule, Principal } from './types.js';

export type ChainOutcome =
  | { readonly ok: true; readonly principal: Principal; readonly roles: readonly string[]; readonly principals: readonly Principal[] }
  | { readonly ok: false; readonly reason: string };

/** The result of one module, as the combination needs it: pure, so it can be tested against every flag table. */
export type ModuleResult = { readonly flag: LoginModuleFlag } & ({ readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: string });

/** `ran`: told of each module that ran and whether it succeeded, in order. */
export async function runChain(modules: readonly LoginModule[], credentials: Credentials, ran?: (module: LoginModule, ok: boolean) => void): Promise<ChainOutcome> {
  const results: ModuleResult[] = [];
  for (const m of modules) {
    const outcome = await m.login(credentials);
    ran?.(m, outcome.ok);
    results.push({ flag: m.success, ...outcome });
    if (stopsChain(results)) break;
  }
  return combine(results);
}

/** Whether the chain ends after the last result: a requisite failure, or a sufficient success with no required failure before it. */
export function stopsChain(results: readonly ModuleResult[]): boolean {
  const last = results[results.length - 1];
  if (last === undefined) return false;
  if (!last.ok) return last.flag === 'requisite';
  return last.flag === 'sufficient' && !results.some((r) => !r.ok && (r.flag === 'required' || r.flag === 'requisite'));
}

/** The outcome of the results of the modules that ran, in order. */
export function combine(results: readonly ModuleResult[]): ChainOutcome {
  const mandatoryFailure = results.find((r) => !r.ok && (r.flag === 'required' || r.flag === 'requisite'));
  if (mandatoryFailure !== undefined && !mandatoryFailure.ok) return { ok: false, reason: `${mandatoryFailure.flag} login module failed: ${mandatoryFailure.reason}` };
  const principals = results.flatMap((r) => (r.ok ? [r.principal] : []));
  const [first] = principals;
  if (first === undefined) {
    const reasons = results.flatMap((r) => (r.ok ? [] : [r.reason]));
    return { ok: false, reason: reasons.length === 0 ? 'the realm has no login module' : `no login module succeeded: ${reasons.join('; ')}` };
  }
  const roles = [...new Set(principals.flatMap((p) => p.roles))];
  return { ok: true, principal: first, roles, principals };
}
