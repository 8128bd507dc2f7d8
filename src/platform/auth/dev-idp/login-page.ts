import express, { Router, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import type { Realm } from './realm.js';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);

function page(realm: string, action: string, error?: string, username = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in to ${escapeHtml(realm)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:22rem;margin:4rem auto;padding:0 1rem}label{display:block;margin:.75rem 0 .25rem}
input{width:100%;padding:.5rem;box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1rem}.error{color:#b00020}.note{color:#666;font-size:.85rem}</style>
</head><body><h1>Sign in</h1><p class="note">figdesk development identity provider (realm ${escapeHtml(realm)}). Not for production.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" value="${escapeHtml(username)}" autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Sign in</button></form></body></html>`;
}

/** The login step of the authorization code flow, at Keycloak's `login-actions` path. */
export function loginRoutes(provider: Provider, realm: Realm, realmPath: string): Router {
  const router = Router();
  const action = (uid: string) => `${realmPath}/login-actions/${uid}`;

  // Without the interaction cookie (an old tab, a bookmark) there is nothing to sign in to.
  const details = async (req: Request, res: Response) => {
    try {
      return await provider.interactionDetails(req, res);
    } catch {
      res.status(400).type('html').send(`<!doctype html><title>Sign-in expired</title><p>This sign-in has expired or was not started here. Go back to the application and sign in again.</p>`);
      return undefined;
    }
  };

  router.get(`${realmPath}/login-actions/:uid`, async (req, res) => {
    const interaction = await details(req, res);
    if (interaction) res.type('html').send(page(realm.name, action(interaction.uid)));
  });

  router.post(`${realmPath}/login-actions/:uid`, express.urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
    const interaction = await details(req, res);
    if (!interaction) return;
    const { uid } = interaction;
    const username = String(req.body?.username ?? '');
    const user = realm.users.get(username);
    if (!user || !user.password || user.password !== String(req.body?.password ?? '')) {
      res.status(401).type('html').send(page(realm.name, action(uid), 'Invalid username or password.', username));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
  });

  return router;
}
