/**
 * `npm run check:docs`: type-checks every ```ts / ```tsx block in README.md and docs/*.md against
 * the sources, so the docs cannot rot. Names a snippet uses without defining (auth, username, …)
 * get a typed `declare` first; `authchart/*` imports resolve to src/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'test-results', 'snippets');

/** Free names the docs lean on, and their types. */
const AMBIENT: Record<string, string> = {
  auth: "import('authchart').Auth",
  username: 'string',
  password: 'string',
  clientId: 'string',
  region: 'string',
  userPoolId: 'string',
  clientSecret: 'string',
  services: "import('authchart').AuthServices",
  showRetry: '(error: unknown) => void',
  SignInForm: "() => import('react').JSX.Element",
};

const files = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const written: string[] = [];
for (const file of files) {
  const text = readFileSync(join(ROOT, file), 'utf8');
  let n = 0;
  for (const m of text.matchAll(/```(ts|tsx)\n([\s\S]*?)```/g)) {
    const [, lang, code = ''] = m;
    const declared = (name: string) =>
      new RegExp(`(?:const|let|var|function|class)\\s+${name}\\b|import\\s*(?:type\\s*)?\\{[^}]*\\b${name}\\b`).test(
        code,
      );
    const prelude = Object.entries(AMBIENT)
      .filter(([name]) => new RegExp(`\\b${name}\\b`).test(code) && !declared(name))
      .map(([name, type]) => `declare const ${name}: ${type};`)
      .join('\n');
    const name = `${file.replace(/[/.]/g, '_')}_${++n}.${lang}`;
    writeFileSync(join(OUT, name), `// from ${file}\nexport {};\n${prelude}\n${code}`);
    written.push(name);
  }
}
writeFileSync(
  join(OUT, 'tsconfig.json'),
  JSON.stringify({
    extends: '../../tsconfig.json',
    compilerOptions: {
      noEmit: true,
      rootDir: '../..',
      noUnusedLocals: false,
      paths: {
        authchart: ['../../src/index.ts'],
        'authchart/cognito': ['../../src/adapters/cognito/index.ts'],
        'authchart/cognito-sdk': ['../../src/adapters/cognito-sdk.ts'],
        'authchart/account': ['../../src/account/index.ts'],
        'authchart/passkeys': ['../../src/adapters/passkeys.ts'],
        'authchart/devices': ['../../src/adapters/devices.ts'],
        'authchart/identity-pool': ['../../src/adapters/identity-pool.ts'],
        'authchart/chart': ['../../src/chart.ts'],
        'authchart/node': ['../../src/bindings/node.ts'],
        'authchart/redis': ['../../src/bindings/redis.ts'],
        'authchart/react': ['../../src/bindings/react.ts'],
        'authchart/vue': ['../../src/bindings/vue.ts'],
        'authchart/svelte': ['../../src/bindings/svelte.ts'],
        'authchart/hosted-ui': ['../../src/adapters/hosted-ui.ts'],
        'authchart/testing': ['../../src/testing/index.ts'],
      },
    },
    include: ['*.ts', '*.tsx'],
  }),
);
try {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(OUT, 'tsconfig.json')], {
    stdio: 'inherit',
  });
  process.stdout.write(`docs snippets: ${written.length} type-checked\n`);
} catch {
  process.stderr.write('docs snippets: type errors (files in test-results/snippets)\n');
  process.exit(1);
}
