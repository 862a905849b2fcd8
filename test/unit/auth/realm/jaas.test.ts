import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LoginModuleFlag } from '../../../../src/config/types.js';
import { combine, runChain, stopsChain, type ModuleResult } from '../../../../src/auth/realm/jaas.js';
import type { Credentials, LoginModule } from '../../../../src/auth/realm/types.js';

const NO_CREDENTIALS: Credentials = { authorization: undefined, tokens: [], certificate: undefined, secure: true, chain: () => undefined, judgeTicket: () => undefined };
const FLAGS: readonly LoginModuleFlag[] = ['required', 'requisite', 'sufficient', 'optional'];

/** A module that passes (as `name`, with `roles`) or fails, and records that it ran. */
function module(success: LoginModuleFlag, passes: boolean, ran: string[], name: string, roles: string[] = [name]): LoginModule {
  return {
    type: 'test',
    success,
    login: () => {
      ran.push(name);
      return Promise.resolve(passes ? { ok: true, principal: { name, roles, module: 'test' } } : { ok: false, reason: `${name} refused` });
    },
  };
}

/** `R+` = required that passes, `Q-` = requisite that fails, `S` sufficient, `O` optional. */
async function chain(spec: string): Promise<{ ok: boolean; ran: string; name?: string; roles?: string }> {
  const ran: string[] = [];
  const flagOf: Record<string, LoginModuleFlag> = { R: 'required', Q: 'requisite', S: 'sufficient', O: 'optional' };
  const modules = spec.split(' ').filter(Boolean).map((m, i) => module(flagOf[m[0] as string] as LoginModuleFlag, m[1] === '+', ran, `${m}${i}`));
  const outcome = await runChain(modules, NO_CREDENTIALS);
  return outcome.ok ? { ok: true, ran: ran.join(' '), name: outcome.principal.name, roles: outcome.roles.join(',') } : { ok: false, ran: ran.join(' ') };
}

test('JAAS flag table: which chains pass, which modules run, whose principal and roles count', async () => {
  const table: [string, boolean, string, string?, string?][] = [
    // chain, passes, modules run, principal, roles
    ['', false, ''],
    ['R+', true, 'R+0', 'R+0', 'R+0'],
    ['R-', false, 'R-0'],
    ['R- R+', false, 'R-0 R+1'], // required: a failure does not stop the chain
    ['R+ R+', true, 'R+0 R+1', 'R+0', 'R+0,R+1'],
    ['Q- R+', false, 'Q-0'], // requisite: a failure stops it
    ['Q+ R+', true, 'Q+0 R+1', 'Q+0', 'Q+0,R+1'],
    ['S+ R-', true, 'S+0', 'S+0', 'S+0'], // sufficient: a success stops it
    ['S- R+', true, 'S-0 R+1', 'R+1', 'R+1'],
    ['S- S-', false, 'S-0 S-1'],
    ['R- S+ R+', false, 'R-0 S+1 R+2'], // a sufficient success after a required failure does not stop the chain
    ['R+ S+ R-', true, 'R+0 S+1', 'R+0', 'R+0,S+1'], // …after a required success it does, and later modules never run
    ['O- O+', true, 'O-0 O+1', 'O+1', 'O+1'],
    ['O- O-', false, 'O-0 O-1'],
    ['O+ R-', false, 'O+0 R-1'],
    ['R+ O-', true, 'R+0 O-1', 'R+0', 'R+0'],
    ['O- S+', true, 'O-0 S+1', 'S+1', 'S+1'], // an optional failure does not keep a sufficient success from stopping
    ['Q+ S- O-', true, 'Q+0 S-1 O-2', 'Q+0', 'Q+0'],
    ['S- Q- R+', false, 'S-0 Q-1'],
  ];
  for (const [spec, ok, ran, name, roles] of table) {
    const got = await chain(spec);
    assert.deepEqual(got, ok ? { ok, ran, name, roles } : { ok, ran }, spec);
  }
});

test('a failure names the mandatory module that failed, else every reason', async () => {
  const ran: string[] = [];
  const required = await runChain([module('optional', false, ran, 'a'), module('required', false, ran, 'b')], NO_CREDENTIALS);
  assert.deepEqual(required, { ok: false, reason: 'required login module failed: b refused' });
  const none = await runChain([module('optional', false, ran, 'a'), module('sufficient', false, ran, 'b')], NO_CREDENTIALS);
  assert.deepEqual(none, { ok: false, reason: 'no login module succeeded: a refused; b refused' });
});

const result = fc.record({ flag: fc.constantFrom(...FLAGS), ok: fc.boolean() }).map(({ flag, ok }, ): ModuleResult =>
  ok ? { flag, ok, principal: { name: 'p', roles: [], module: 'm' } } : { flag, ok, reason: 'r' },
);

test('property: the chain passes exactly when no required or requisite module that ran failed and one module passed', () => {
  fc.assert(
    fc.property(fc.array(result, { maxLength: 8 }), (all) => {
      // What runChain would have run: up to and including the first result that stops the chain.
      const ran: ModuleResult[] = [];
      for (const r of all) {
        ran.push(r);
        if (stopsChain(ran)) break;
      }
      const outcome = combine(ran);
      const mandatoryFailed = ran.some((r) => !r.ok && (r.flag === 'required' || r.flag === 'requisite'));
      assert.equal(outcome.ok, !mandatoryFailed && ran.some((r) => r.ok));
      // A requisite failure or a sufficient success is always the last module run.
      for (const [i, r] of ran.entries()) {
        if (i === ran.length - 1) continue;
        assert.ok(!(r.flag === 'requisite' && !r.ok));
        assert.ok(!(r.flag === 'sufficient' && r.ok && !ran.slice(0, i).some((p) => !p.ok && (p.flag === 'required' || p.flag === 'requisite'))));
      }
    }),
  );
});

test('property: adding a failing optional module anywhere never changes whether a chain that ran to its end passes', () => {
  fc.assert(
    fc.property(fc.array(result.filter((r) => r.flag !== 'sufficient' && r.flag !== 'requisite'), { maxLength: 6 }), fc.nat(6), (all, at) => {
      const extra: ModuleResult = { flag: 'optional', ok: false, reason: 'x' };
      const withExtra = [...all.slice(0, at), extra, ...all.slice(at)];
      assert.equal(combine(withExtra).ok, combine(all).ok);
    }),
  );
});
