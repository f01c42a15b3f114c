import type { TestProject } from 'vitest/node';
import { type EmbeddedCognito, startEmbeddedCognito } from '../../src/testing/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    cognitoEndpoint: string;
  }
}

let cognito: EmbeddedCognito | undefined;

/** One embedded Cognito per test run (authchart/testing's), on a free port of 127.0.0.1; tests make their own pools. */
export async function setup(project: TestProject) {
  cognito = await startEmbeddedCognito();
  project.provide('cognitoEndpoint', cognito.endpoint);
}

export async function teardown() {
  await cognito?.stop();
}
