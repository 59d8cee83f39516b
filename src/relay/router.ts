/** A tiny exact-path router: enough for a dozen routes, and 404 vs 405 told apart. */
import type { Route } from './context.ts';

interface Compiled {
  route: Route;
  pattern: RegExp;
  names: string[];
}

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allow: string[]; errors: Route['errors'] }
  | { kind: 'not_found' };

export class Router {
  readonly #compiled: Compiled[];

  constructor(routes: readonly Route[]) {
    this.#compiled = routes.map((route) => {
      const names: string[] = [];
      const source = route.path
        .split('/')
        .map((segment) => {
          if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(segment.slice(1));
          return '([^/]+)';
        })
        .join('/');
      return { route, pattern: new RegExp(`^${source}$`), names };
    });
  }

  match(method: string, pathname: string): RouteMatch {
    const allow: string[] = [];
    let errors: Route['errors'] = 'api';
    for (const { route, pattern, names } of this.#compiled) {
      const m = pattern.exec(pathname);
      if (m === null) continue;
      if (route.method !== method) {
        allow.push(route.method);
        errors = route.errors;
        continue;
      }
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        let value = m[i + 1] ?? '';
        try {
          value = decodeURIComponent(value);
        } catch {
          // Leave malformed escapes as they are; no stored id contains '%'.
        }
        params[name] = value;
      });
      return { kind: 'found', route, params };
    }
    return allow.length > 0 ? { kind: 'method_not_allowed', allow, errors } : { kind: 'not_found' };
  }
}
