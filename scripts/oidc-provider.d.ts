/**
 * Minimal typings for the parts of oidc-provider 9 the demo/test provider uses.
 * The package ships no declarations (and @types/oidc-provider tracks older majors),
 * so only what scripts/demo-provider.ts touches is declared here.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaLikeContext {
    method: string;
    path: string;
    status: number;
    body: unknown;
    headers: Record<string, string | string[] | undefined>;
    req: IncomingMessage;
    res: ServerResponse;
    set(field: string, value: string): void;
    oidc?: { body?: Record<string, unknown>; route?: string };
  }

  export type Middleware = (ctx: KoaLikeContext, next: () => Promise<void>) => Promise<void>;

  export interface GrantInstance {
    destroy(): Promise<void>;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(fn: Middleware): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
    Grant: {
      find(id: string): Promise<GrantInstance | undefined>;
    };
    // The provider exposes many more models; tests reach them through `any`-free casts.
    [key: string]: unknown;
  }

  export default Provider;
}
