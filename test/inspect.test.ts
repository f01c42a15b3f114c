import { once } from 'node:events';
import { createWebSocketInspector } from '@statelyai/inspect';
import { configure } from 'safe-stable-stringify';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { InspectionEvent } from 'xstate';
import { runAllFlows } from './helpers/flows.js';

const stringify = configure({ circularValue: '[circular]', maximumDepth: 50 });

const STATES = [
  'signingOut',
  'revokingRefreshToken',
  'signingOutGlobally',
  'signingOutOfHostedUI',
  'clearingCache',
  'refreshingTokens',
];
const EVENTS = ['SIGN_IN', 'SIGN_OUT', 'xstate.done.actor.revokeToken', 'xstate.error.actor.globalSignOut'];

function expectNoSecrets(text: string, secrets: string[]) {
  for (const secret of secrets) {
    expect(text.includes(secret), `a secret (${secret.slice(0, 12)}…) reached the inspector`).toBe(false);
  }
}

describe('inspection never carries a token', () => {
  it('an inspect observer sees states and events of every flow, and no token or password', async () => {
    const events: InspectionEvent[] = [];
    const { secrets } = await runAllFlows({ inspect: (e) => events.push(e) });
    // Everything an observer can reach: the events, their snapshots, actor snapshots (inputs, outputs).
    const text = events
      .map((e) =>
        stringify({
          type: e.type,
          event: 'event' in e ? e.event : undefined,
          snapshot: 'snapshot' in e ? e.snapshot : undefined,
          actorSnapshot: e.actorRef.getSnapshot(),
        }),
      )
      .join('\n');
    expect(events.length).toBeGreaterThan(100);
    for (const s of [...STATES, ...EVENTS]) expect(text).toContain(s);
    expect(text).toContain('[redacted]');
    // The instance's services and storage ride in the context too, sealed.
    expect(text).toContain('"deps":"[redacted]"');
    expectNoSecrets(text, secrets);
  });

  it('createWebSocketInspector to a ws server on 127.0.0.1 receives states and events, and no token', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const received: string[] = [];
    server.on('connection', (socket) => socket.on('message', (data) => received.push(String(data))));

    const connected = once(server, 'connection');
    const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });
    try {
      await connected;
      await new Promise((r) => setTimeout(r, 100)); // let the client side see the socket open
      const { secrets } = await runAllFlows({ inspect: inspector.inspect });
      // The inspector sends from timers; wait until nothing more arrives.
      let count = -1;
      while (count !== received.length) {
        count = received.length;
        await new Promise((r) => setTimeout(r, 300));
      }
      const text = received.join('\n');
      // The last state the machine reached was signedOut, and it arrived.
      // The last sign-out reached the inspector: its final snapshot is signedOut.
      const lastRootSnapshot = received
        .filter((m) => m.includes('"@xstate.snapshot"') && m.includes('"context"'))
        .at(-1);
      expect(lastRootSnapshot).toContain('"value":"signedOut"');
      expect(received.length).toBeGreaterThan(50);
      for (const s of [...STATES, ...EVENTS]) expect(text).toContain(s);
      expectNoSecrets(text, secrets);
    } finally {
      inspector.stop();
      await new Promise((r) => server.close(r));
    }
  });
});
