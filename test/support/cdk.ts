// Helpers of the infra tests: synthesizing without bundling, and reading resources, properties and logical ids of a
// synthesized template.
import assert from 'node:assert/strict';
import { App, type Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';

/** A resource of a synthesized template, with the attributes the tests read. */
export interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: string | string[];
}

/** A statement of an IAM or resource policy. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** An app that bundles no function: for tests that read configuration only (the stack test bundles every one). */
export const noBundling = (context: Record<string, unknown> = {}): App =>
  new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });

/** The resources of one type, by logical id. */
export const resourcesIn = (template: Template, type: string): Record<string, Resource> =>
  template.findResources(type) as Record<string, Resource>;

/** The properties of a resource that must exist. */
export const propsOf = (resource: Resource | undefined): Record<string, unknown> => {
  assert.ok(resource, 'resource exists');
  return resource.Properties ?? {};
};

/** A value CloudFormation allows as one or a list, as a list. */
export const listOf = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The logical id a token resolves to (`{ Ref }`) in its stack. */
export const logicalIdIn = (stack: Stack, ref: string): string => {
  const resolved: unknown = stack.resolve(ref);
  assert.ok(typeof resolved === 'object' && resolved !== null && 'Ref' in resolved && typeof resolved.Ref === 'string');
  return resolved.Ref;
};
