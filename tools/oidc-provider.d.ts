// The small part of oidc-provider 9 that tools/embedded-oauth.ts uses (the package ships no types,
// and @types/oidc-provider is not installed).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaContext {
    method: string;
    path: string;
    query: Record<string, string | string[] | undefined>;
    req: IncomingMessage;
    res: ServerResponse;
    status: number;
    type: string;
    body: unknown;
    redirect(url: string): void;
    cookies: { set(name: string, value: string | null, options?: Record<string, unknown>): void };
    oidc: {
      client?: { clientId: string };
      session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
      params?: Record<string, unknown>;
      entities: Record<string, { scope?: string; grantId?: string } | undefined>;
    };
  }

  export interface TokenLike {
    accountId: string;
    clientId: string;
    grantId: string;
    scope?: string;
    kind: string;
  }

  export interface GrantInstance {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface SessionInstance {
    accountId?: string;
    exp?: number;
    destroy(): Promise<void>;
  }

  export interface ClientInstance {
    clientId: string;
    postLogoutRedirectUris: string[];
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
    on(event: string, listener: (...args: unknown[]) => void): void;
    cookieName(type: 'session' | 'interaction' | 'resume'): string;
    interactionDetails(
      req: IncomingMessage,
      res: ServerResponse,
    ): Promise<{ uid: string; prompt: { name: string }; params: Record<string, unknown> }>;
    interactionResult(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>): Promise<string>;
    Grant: new (init: {
      clientId: string;
      accountId: string;
    }) => GrantInstance;
    Session: { get(ctx: KoaContext): Promise<SessionInstance> };
    Client: { find(id: string): Promise<ClientInstance | undefined> };
  }
  export default Provider;
}
