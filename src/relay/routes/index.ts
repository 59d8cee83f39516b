import type { Route } from '../context.ts';
import { authorizationResponseRoutes } from './authorizationResponses.ts';
import { callbackRoutes } from './callback.ts';
import { healthRoutes } from './health.ts';
import { logoutRoutes } from './logout.ts';
import { pairRoutes } from './pair.ts';
import { sessionRoutes } from './sessions.ts';
import { settingsRoutes } from './settings.ts';
import { tokenRoutes } from './token.ts';

export const ROUTES: readonly Route[] = [
  ...healthRoutes,
  ...pairRoutes,
  ...settingsRoutes,
  ...sessionRoutes,
  ...logoutRoutes,
  ...tokenRoutes,
  ...authorizationResponseRoutes,
  ...callbackRoutes,
];
