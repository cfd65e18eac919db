// The test bed's OAuth 2.0 authorisation server: the npm package
// oidc-provider (a certified OpenID Connect implementation), configured for
// what a mail daemon uses: the client-credentials grant, authenticated by a
// client secret or by a signed client assertion (private_key_jwt, RFC 7523
// section 2.2: what Microsoft Entra ID calls certificate credentials), and
// token introspection (RFC 7662), which Dovecot's oauth2 passdb calls.
//
// Every access token carries the mailbox its client is granted, as the claim
// `mailbox`; Dovecot compares it with the user named in XOAUTH2/OAUTHBEARER,
// as Exchange Online checks a service principal's mailbox permission.
//
//   node oauth-provider.mjs CONF.json     (written by testbed.sh)
import crypto from 'node:crypto';
import fs from 'node:fs';
import Provider from 'oidc-provider';

const conf = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${conf.port}`;

const clients = conf.clients.map((c) => {
  const client = {
    client_id: c.client_id,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: conf.scopes.join(' '),
    mailbox: c.mailbox,
  };
  if (c.client_secret) client.client_secret = c.client_secret;
  if (c.certificate_file) {
    // The public key of the client's certificate, as a JWK set.
    const pem = fs.readFileSync(c.certificate_file, 'utf8');
    const jwk = crypto.createPublicKey(pem).export({ format: 'jwk' });
    client.jwks = { keys: [{ ...jwk, alg: 'RS256', use: 'sig' }] };
    client.token_endpoint_auth_method = 'private_key_jwt';
  }
  return client;
});

const provider = new Provider(issuer, {
  clients,
  extraClientMetadata: { properties: ['mailbox'] },
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    devInteractions: { enabled: false },
  },
  scopes: conf.scopes,
  ttl: { ClientCredentials: conf.ttl_seconds },
  async extraTokenClaims(ctx, token) {
    if (token.kind !== 'ClientCredentials') return undefined;
    const client = await provider.Client.find(token.clientId);
    return client && client.mailbox ? { mailbox: client.mailbox } : undefined;
  },
});

// One line per token request, for the tests to count fetches.
provider.on('grant.success', (ctx) => {
  console.log(`token issued to ${ctx.oidc.client && ctx.oidc.client.clientId}`);
});
provider.on('grant.error', (ctx, err) => {
  console.log(`token refused: ${err.error} ${err.error_description || ''}`);
});

provider.listen(conf.port, '127.0.0.1', () => console.log(`listening on ${issuer}`));
