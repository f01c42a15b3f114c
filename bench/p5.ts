/** P5: heap per signed-in actor, in a fresh `node --expose-gc` process from dist/ (bench/p5-child.ts). */
import { runChild } from './child.js';
import { type Figure, figure } from './stats.js';

interface P5Out {
  actors: number;
  tokenCharsPerActor: number;
  tokenHeapPerActorKb: number;
  heapPerActorExclTokensKb: number;
  heapPerActorWithTokensKb: number;
  signOutsPerSecond: number;
  allComplete: boolean;
}

export async function p5(): Promise<Figure[]> {
  const out = await runChild<P5Out>('p5-child.ts');
  if (!out.allComplete) throw new Error('P5: not every sign-out completed');
  const how = `${out.actors} actors in one fresh \`node --expose-gc\` process loading dist/, each with its own real-size tokens (access ~1 KB, ID ~1.2 KB, refresh ~1.8 KB JWE; ${out.tokenCharsPerActor} characters a set), signed in with \`adoptSession\`; heapUsed after a full GC.`;
  return [
    figure({
      id: 'P5.heapExclTokens',
      title: 'Heap per signed-in actor, tokens excluded',
      unit: 'KB',
      value: out.heapPerActorExclTokensKb,
      goal: { text: '≤ 10 KB', threshold: 10, op: '<=' },
      how: `${how} Tokens excluded = growth from creating and signing in the actors, the token strings having been created (and measured) before: any copy the library makes of a token counts against it.`,
      detail: { ...out },
    }),
    figure({
      id: 'P5.heapWithTokens',
      title: 'Heap per signed-in actor, tokens included',
      unit: 'KB',
      value: out.heapPerActorWithTokensKb,
      goal: {
        text: '≤ 10 KB + one copy of the token set (tokens held once, never copied)',
        threshold: Math.round((10 + out.tokenHeapPerActorKb) * 100) / 100,
        op: '<=',
      },
      how: `${how} Tokens included = all growth from before the tokens existed, measured once the bench has dropped its own references (only the actors hold them). ${out.signOutsPerSecond} sign-outs/s when all sign out at once (in-memory services).`,
      detail: { ...out },
    }),
  ];
}
