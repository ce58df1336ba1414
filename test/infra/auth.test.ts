// Infra tests of sign-in: the user pool, its role groups, MFA, both app clients, the resource server and the domain.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ShipgateStack, type ShipgateStackProps } from '../../lib/shipgate-stack.ts';
import { builtInTemplates } from '../../templates/index.ts';
import { noBundling } from '../support/cdk.ts';

/** The parts of a synthesized resource these tests read. */
interface Resource {
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: string[];
}

// Written out here rather than imported, so the test checks lib/auth.ts against the list.
const fixedRoles = [
  'release-manager',
  'engineering-manager',
  'engineering-lead',
  'security-lead',
  'qa-lead',
  'devops-lead',
  'product-manager',
];
const machineScopes = ['shipgate/items.write', 'shipgate/metrics.write', 'shipgate/read'];

/** A Shipgate stack's template; bundling is skipped, since these tests read no function code. */
const synth = (props: ShipgateStackProps = {}, stackName = 'Shipgate'): Template => {
  return Template.fromStack(new ShipgateStack(noBundling(), 'Shipgate', { stackName, ...props }));
};

let template: Template;
before(() => {
  template = synth();
});

const resourcesOf = (type: string, from: Template = template): [string, Resource][] =>
  Object.entries(from.findResources(type) as Record<string, Resource>);

/** A resource's properties, failing the test when it has none. */
const propsOf = (resource: Resource): Record<string, unknown> => {
  assert.ok(resource.Properties, 'resource has properties');
  return resource.Properties;
};

const onlyResourceOf = (type: string, from: Template = template): [string, Resource] => {
  const all = resourcesOf(type, from);
  assert.equal(all.length, 1, `expected one ${type}`);
  const [entry] = all;
  assert.ok(entry);
  return entry;
};

const clientWithFlow = (flow: string, from: Template = template): [string, Resource] => {
  const found = resourcesOf('AWS::Cognito::UserPoolClient', from).filter(([, client]) =>
    (client.Properties?.AllowedOAuthFlows as string[] | undefined)?.includes(flow),
  );
  assert.equal(found.length, 1, `expected one client with the ${flow} flow`);
  const [entry] = found;
  assert.ok(entry);
  return entry;
};

describe('user pool', () => {
  test('is admin-managed, signs in by username or email, with a strong password policy, retained', () => {
    const [, pool] = onlyResourceOf('AWS::Cognito::UserPool');
    assert.equal(pool.DeletionPolicy, 'Retain');
    assert.equal(pool.Properties?.DeletionProtection, 'ACTIVE');
    assert.deepEqual(pool.Properties?.AdminCreateUserConfig, { AllowAdminCreateUserOnly: true });
    assert.deepEqual(pool.Properties?.AliasAttributes, ['email']);
    assert.equal(pool.Properties?.UserPoolName, undefined);
    const policy = (propsOf(pool).Policies as { PasswordPolicy: Record<string, unknown> }).PasswordPolicy;
    assert.ok(Number(policy.MinimumLength) >= 12);
    for (const rule of ['RequireLowercase', 'RequireUppercase', 'RequireNumbers', 'RequireSymbols']) {
      assert.equal(policy[rule], true, rule);
    }
  });

  test('requires MFA of every user, by authenticator app (TOTP) only', () => {
    const [, pool] = onlyResourceOf('AWS::Cognito::UserPool');
    assert.equal(pool.Properties?.MfaConfiguration, 'ON');
    assert.deepEqual(pool.Properties?.EnabledMfas, ['SOFTWARE_TOKEN_MFA']);
  });

  test('MFA can be made optional, still TOTP only', () => {
    const [, pool] = onlyResourceOf('AWS::Cognito::UserPool', synth({ auth: { mfa: 'optional' } }));
    assert.equal(pool.Properties?.MfaConfiguration, 'OPTIONAL');
    assert.deepEqual(pool.Properties?.EnabledMfas, ['SOFTWARE_TOKEN_MFA']);
  });

  test('is on the Plus plan with threat protection enforced, unless turned off', () => {
    const [, pool] = onlyResourceOf('AWS::Cognito::UserPool');
    assert.equal(pool.Properties?.UserPoolTier, 'PLUS');
    assert.deepEqual(pool.Properties?.UserPoolAddOns, { AdvancedSecurityMode: 'ENFORCED' });
    const [, essentials] = onlyResourceOf('AWS::Cognito::UserPool', synth({ auth: { threatProtection: false } }));
    assert.equal(essentials.Properties?.UserPoolTier, 'ESSENTIALS');
    assert.equal(essentials.Properties?.UserPoolAddOns, undefined);
  });
});

describe('role groups', () => {
  test('one group per role: the fixed roles and every role of every built-in template, once each', () => {
    const expected = [
      ...new Set([...fixedRoles, ...builtInTemplates.flatMap((t) => t.roles.map((role) => role.id))]),
    ].sort();
    const names = resourcesOf('AWS::Cognito::UserPoolGroup')
      .map(([, group]) => group.Properties?.GroupName)
      .sort();
    assert.deepEqual(names, expected);
    // Both built-in templates name roles beyond the fixed list (cto, technical-lead, ...).
    assert.ok(expected.length > fixedRoles.length);
  });

  test('each group is described, belongs to the pool and is retained with it', () => {
    const [poolId] = onlyResourceOf('AWS::Cognito::UserPool');
    for (const [id, group] of resourcesOf('AWS::Cognito::UserPoolGroup')) {
      const name = String(group.Properties?.GroupName);
      assert.deepEqual(group.Properties?.UserPoolId, { Ref: poolId }, id);
      assert.equal(group.DeletionPolicy, 'Retain', id);
      const description = String(group.Properties?.Description ?? '');
      assert.ok(description.length > name.length && description.length <= 2048, `${id}: ${description}`);
    }
    const qa = resourcesOf('AWS::Cognito::UserPoolGroup').find(([, g]) => g.Properties?.GroupName === 'qa-lead');
    assert.match(String(qa?.[1].Properties?.Description), /QA Lead.*mantisdb-v1, toolboxai-v1/);
  });
});

describe('resource server and clients', () => {
  test('the shipgate resource server defines items.write, metrics.write and read', () => {
    const [, server] = onlyResourceOf('AWS::Cognito::UserPoolResourceServer');
    assert.equal(server.Properties?.Identifier, 'shipgate');
    const scopes = server.Properties?.Scopes as { ScopeName: string; ScopeDescription: string }[];
    assert.deepEqual(scopes.map((scope) => scope.ScopeName).sort(), ['items.write', 'metrics.write', 'read']);
    for (const scope of scopes) assert.ok(scope.ScopeDescription.length > 0, scope.ScopeName);
  });

  test('the people client is public, uses the code grant, may ask for shipgate/read, 15-minute tokens', () => {
    const [, client] = clientWithFlow('code');
    const props = client.Properties ?? {};
    assert.equal(props.GenerateSecret, false);
    assert.deepEqual(props.AllowedOAuthFlows, ['code']);
    assert.deepEqual((props.AllowedOAuthScopes as string[]).sort(), ['email', 'openid', 'profile', 'shipgate/read']);
    assert.equal(props.AccessTokenValidity, 15);
    assert.deepEqual(props.TokenValidityUnits, { AccessToken: 'minutes', IdToken: 'minutes' });
    assert.deepEqual(props.ExplicitAuthFlows, ['ALLOW_REFRESH_TOKEN_AUTH']);
  });

  test('the machine client has a secret, the client-credentials grant only and exactly the three scopes', () => {
    const [, client] = clientWithFlow('client_credentials');
    const props = client.Properties ?? {};
    assert.equal(props.GenerateSecret, true);
    assert.deepEqual(props.AllowedOAuthFlows, ['client_credentials']);
    assert.equal(props.AllowedOAuthFlowsUserPoolClient, true);
    assert.deepEqual((props.AllowedOAuthScopes as string[]).sort(), machineScopes);
    assert.equal(props.AccessTokenValidity, 15);
    assert.deepEqual(props.TokenValidityUnits, { AccessToken: 'minutes' });
    assert.equal(props.CallbackURLs, undefined);
  });

  test('both clients are created after the resource server whose scopes they are granted', () => {
    const [serverId] = onlyResourceOf('AWS::Cognito::UserPoolResourceServer');
    for (const [id, client] of resourcesOf('AWS::Cognito::UserPoolClient')) {
      assert.ok(client.DependsOn?.includes(serverId), id);
    }
  });

  test("the people client takes the web console's callback and the CLI's loopback redirect on localhost:8976", () => {
    const [, client] = clientWithFlow('code');
    assert.deepEqual(client.Properties?.CallbackURLs, [
      'http://localhost:3000/auth/callback',
      'http://localhost:8976/callback',
    ]);
    const [, other] = clientWithFlow(
      'code',
      synth({ auth: { callbackUrls: ['https://console.example.com/auth/callback'], cliCallbackPorts: [9000, 9001] } }),
    );
    assert.deepEqual(other.Properties?.CallbackURLs, [
      'https://console.example.com/auth/callback',
      'http://localhost:9000/callback',
      'http://localhost:9001/callback',
    ]);
    const [, none] = clientWithFlow('code', synth({ auth: { cliCallbackPorts: [] } }));
    assert.deepEqual(none.Properties?.CallbackURLs, ['http://localhost:3000/auth/callback']);
    assert.throws(() => synth({ auth: { cliCallbackPorts: [80] } }), /cliCallbackPorts: 80 is not a port/);
  });

  test('the access token validity prop applies to both clients', () => {
    const other = synth({ auth: { accessTokenValidity: Duration.minutes(5) } });
    for (const [id, client] of resourcesOf('AWS::Cognito::UserPoolClient', other)) {
      assert.equal(client.Properties?.AccessTokenValidity, 5, id);
    }
  });
});

describe('domain', () => {
  test('a Cognito prefix domain named after the stack, the account and the region, resolved at deploy time', () => {
    const [, domain] = onlyResourceOf('AWS::Cognito::UserPoolDomain');
    assert.deepEqual(domain.Properties?.Domain, {
      'Fn::Join': ['-', ['shipgate', { Ref: 'AWS::AccountId' }, { Ref: 'AWS::Region' }]],
    });
    assert.equal(domain.Properties?.CustomDomainConfig, undefined);
  });

  test('the derived prefix is lowercase, free of reserved words and short enough for any account and region', () => {
    const [, domain] = onlyResourceOf(
      'AWS::Cognito::UserPoolDomain',
      synth({}, 'Shipgate-AWS-Staging-Cognito-With-A-Rather-Long-Name-For-Tests'),
    );
    const join = domain.Properties?.Domain as { 'Fn::Join': [string, [string, unknown, unknown]] };
    const name = join['Fn::Join'][1][0];
    assert.match(name, /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/);
    assert.doesNotMatch(name, /aws|amazon|cognito/);
    assert.ok(name.startsWith('shipgate--staging--with'), name);
    // With a 12-digit account, a 15-character region and two hyphens, the prefix stays within 63 characters.
    assert.ok(name.length + 1 + 12 + 1 + 15 <= 63, name);
  });

  test('a given prefix is used as is; one Cognito would refuse fails synthesis', () => {
    const [, domain] = onlyResourceOf('AWS::Cognito::UserPoolDomain', synth({ auth: { domainPrefix: 'acme-ship' } }));
    assert.equal(domain.Properties?.Domain, 'acme-ship');
    for (const bad of ['Acme', 'acme-', 'my-aws-login', 'x'.repeat(64)]) {
      assert.throws(() => synth({ auth: { domainPrefix: bad } }), /not a Cognito domain prefix/, bad);
    }
  });
});
