/**
 * Rendering the kustomize overlays with kubectl (the real secret files replaced by their
 * *.example forms and a fresh signing key, in a copy of deploy/k8s) and validating each object
 * with kubernetes-models (the Kubernetes OpenAPI schemas compiled to validators, pinned in
 * package.json).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { parseAllDocuments } from 'yaml';

export const KUBECTL = '/usr/bin/kubectl';
export const OVERLAYS = ['staging', 'production'] as const;

/** A rendered object; the tests walk its spec freely, so the rest is untyped. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
};

interface Validatable {
  validate(): void;
}
const MODELS: Record<string, new (data: never) => Validatable> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

/** The schema errors of one object ([] when valid); an apiVersion/kind the models lack is an error. */
export function schemaErrors(object: K8sObject): string[] {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) return [`${object.apiVersion} ${object.kind}: no schema for this kind here`];
  // kustomize wraps long base64 values over lines; the API server's decoder skips the breaks.
  const data =
    object.kind === 'Secret' && object.data
      ? {
          ...object,
          data: Object.fromEntries(
            Object.entries(object.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s/g, '')]),
          ),
        }
      : object;
  try {
    new Model(data as never).validate();
    return [];
  } catch (err) {
    return [`${object.kind}/${object.metadata.name}: ${(err as Error).message}`];
  }
}

/** Copies deploy/k8s, fills every overlay's secret files from the examples, renders each overlay. */
export function renderOverlays(source = 'deploy/k8s'): Record<(typeof OVERLAYS)[number], K8sObject[]> {
  if (!existsSync(KUBECTL)) throw new Error(`${KUBECTL} is not installed: the overlays cannot be rendered here`);
  const dir = mkdtempSync(join(tmpdir(), 'crewdesk-k8s-'));
  try {
    cpSync(source, dir, { recursive: true });
    const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
    const rendered = {} as Record<(typeof OVERLAYS)[number], K8sObject[]>;
    for (const overlay of OVERLAYS) {
      const folder = join(dir, 'overlays', overlay);
      for (const file of readdirSync(folder).filter((name) => name.endsWith('.example'))) {
        cpSync(join(folder, file), join(folder, file.replace(/\.example$/, '')));
      }
      writeFileSync(join(folder, 'jwt_private_key.pem'), key);
      const text = execFileSync(KUBECTL, ['kustomize', folder], { encoding: 'utf8' });
      rendered[overlay] = parseAllDocuments(text).map((document) => document.toJS() as K8sObject);
    }
    return rendered;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
