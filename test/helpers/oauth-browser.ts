/**
 * A browser made of `fetch` for Node tests of the hosted UI: a cookie jar (one host, so names are
 * enough), redirects followed by hand, and the embedded server's login form filled in.
 */

export interface Visit {
  /** Where the redirects stopped: a URL under `stopAt`. */
  url: string;
  /** Whether the login page was shown on the way (i.e. the server had no session). */
  sawLoginPage: boolean;
}

export class HttpBrowser {
  readonly jar = new Map<string, string>();
  /** Every URL requested, in order. */
  readonly history: string[] = [];

  constructor(private readonly credentials: { username: string; password: string }) {}

  private async request(url: string, init: RequestInit = {}): Promise<Response> {
    this.history.push(url);
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
      if (expired) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return response;
  }

  /**
   * Opens `url` and follows redirects (signing in on the login page) until one leads under `stopAt`
   * (the app's redirect or logout URI, which is never requested).
   */
  async visit(url: string, stopAt: string, options: { password?: string; cancel?: boolean } = {}): Promise<Visit> {
    let next = url;
    let sawLoginPage = false;
    for (let hop = 0; hop < 20; hop++) {
      if (next.startsWith(stopAt)) return { url: next, sawLoginPage };
      const response = await this.request(next);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        next = new URL(location, next).href;
        continue;
      }
      const body = await response.text();
      const form = new RegExp(`<form id="${options.cancel ? 'cancel' : 'login'}" method="post" action="([^"]+)"`).exec(
        body,
      );
      if (!form?.[1])
        throw new Error(`stuck at ${new URL(next).pathname}: HTTP ${response.status} ${body.slice(0, 300)}`);
      if (sawLoginPage) throw new Error('the login page came back: wrong password?');
      sawLoginPage = true;
      const login = await this.request(
        new URL(
          form[1].replace(/&#(\d+);/g, (_, c) => String.fromCharCode(+c)),
          next,
        ).href,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            username: this.credentials.username,
            password: options.password ?? this.credentials.password,
          }),
        },
      );
      const after = login.headers.get('location');
      if (!after) throw new Error(`login refused: HTTP ${login.status}`);
      next = new URL(after, next).href;
    }
    throw new Error('too many redirects');
  }
}
