/** Regenerates docs/benchmarks.md from bench/results.json (`npx tsx tools/bench-doc.ts`). */
import { readFileSync, writeFileSync } from 'node:fs';
import { type Results, renderBenchmarks } from '../bench/report.js';

const results = JSON.parse(readFileSync(new URL('../bench/results.json', import.meta.url), 'utf8')) as Results;
writeFileSync(new URL('../docs/benchmarks.md', import.meta.url), renderBenchmarks(results));
process.stdout.write('wrote docs/benchmarks.md\n');
