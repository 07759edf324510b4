import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV_NAMES, loadConfig } from '../../apps/api/src/config.js';
import { imageUser } from '../check/image.js';
import { disagreements, ingressResolver, type IngressDocument } from '../check/routes.js';
import { OVERLAYS, renderOverlays, schemaErrors, type K8sObject } from '../check/kubernetes.js';
import { generatedFiles, serviceName } from '../k8s/generate.js';
import { SERVICES } from '../routes.js';

type Overlay = (typeof OVERLAYS)[number];
let rendered: Record<Overlay, K8sObject[]>;

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((object) => object.kind === kind);
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.entries(selector).every(([key, value]) => labels?.[key] === value);
const podTemplates = (objects: K8sObject[]) =>
  [...ofKind(objects, 'Deployment'), ...ofKind(objects, 'Job')].map((object) => ({
    object,
    pod: object.spec.template,
  }));
const isApi = (container: { image: string }) => container.image.startsWith('ghcr.io/crewdesk/crewdesk@');
/** The server's close-with-grace delay (apps/api/src/server.ts), which SHUTDOWN_DRAIN_MS runs inside. */
const SHUTDOWN_GRACE_SECONDS =
  Number(
    /const SHUTDOWN_GRACE_MS = ([\d_]+);/.exec(readFileSync('apps/api/src/server.ts', 'utf8'))![1]!.replace(/_/g, ''),
  ) / 1000;

beforeAll(() => {
  rendered = renderOverlays();
}, 60_000);

describe('deploy/k8s generated files', () => {
  it('are what deploy/k8s/generate.ts writes from deploy/routes.ts and the base (run npm run k8s:generate)', () => {
    for (const [file, text] of Object.entries(generatedFiles())) {
      expect(readFileSync(`deploy/k8s/${file}`, 'utf8'), file).toBe(text);
    }
  });
});

describe.each(OVERLAYS)('kubectl kustomize deploy/k8s/overlays/%s', (overlay) => {
  const objects = () => rendered[overlay];

  it('renders, and every object validates against the Kubernetes schemas (kubernetes-models)', () => {
    expect(objects().length).toBeGreaterThan(8);
    expect(objects().flatMap(schemaErrors)).toEqual([]);
  });

  it('selectors match labels: each Deployment its pods, each Service, PDB and NetworkPolicy some pods', () => {
    const deployments = ofKind(objects(), 'Deployment');
    for (const deployment of deployments) {
      expect(
        selects(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels),
        deployment.metadata.name,
      ).toBe(true);
    }
    const podsOf = (selector: Record<string, string>) =>
      deployments.filter((deployment) => selects(selector, deployment.spec.template.metadata.labels));
    for (const service of ofKind(objects(), 'Service')) {
      expect(podsOf(service.spec.selector).length, `Service ${service.metadata.name}`).toBeGreaterThan(0);
    }
    for (const pdb of ofKind(objects(), 'PodDisruptionBudget')) {
      expect(podsOf(pdb.spec.selector.matchLabels).length, `PDB ${pdb.metadata.name}`).toBe(1);
      expect(pdb.spec.maxUnavailable).toBe(1);
    }
    const policies = ofKind(objects(), 'NetworkPolicy');
    for (const deployment of deployments) {
      const covered = policies.some((policy) =>
        selects(policy.spec.podSelector.matchLabels, deployment.spec.template.metadata.labels),
      );
      expect(covered, `a NetworkPolicy selects ${deployment.metadata.name}`).toBe(true);
    }
  });

  it('sends each Service port to a port its pods’ containers declare', () => {
    const deployments = ofKind(objects(), 'Deployment');
    for (const service of ofKind(objects(), 'Service')) {
      for (const deployment of deployments.filter((d) =>
        selects(service.spec.selector, d.spec.template.metadata.labels),
      )) {
        const ports = deployment.spec.template.spec.containers.flatMap((c: { ports?: object[] }) => c.ports ?? []);
        for (const port of service.spec.ports) {
          const found = ports.some((p: { name: string; containerPort: number }) =>
            typeof port.targetPort === 'string' ? p.name === port.targetPort : p.containerPort === port.targetPort,
          );
          expect(found, `${service.metadata.name}:${port.targetPort} on ${deployment.metadata.name}`).toBe(true);
        }
      }
    }
  });

  it('gives every container resources and the security context, and every Deployment container its three probes', () => {
    for (const { object, pod } of podTemplates(objects())) {
      const label = `${object.kind}/${object.metadata.name}`;
      expect(pod.spec.securityContext.runAsNonRoot, label).toBe(true);
      // Crewdesk's pods run as the image's own user (deploy/docker/Dockerfile's USER).
      if (pod.spec.containers.some((container: { image: string }) => container.image.includes('crewdesk'))) {
        const { uid, gid } = imageUser();
        expect([pod.spec.securityContext.runAsUser, pod.spec.securityContext.runAsGroup], label).toEqual([uid, gid]);
      }
      expect(pod.spec.securityContext.seccompProfile.type, label).toBe('RuntimeDefault');
      expect(pod.spec.automountServiceAccountToken, label).toBe(false);
      for (const container of pod.spec.containers) {
        expect(container.securityContext, label).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.resources.requests, label).toBeDefined();
        expect(container.resources.limits, label).toBeDefined();
        if (isApi(container)) {
          expect(container.resources, label).toEqual({
            requests: { memory: '256Mi', cpu: '250m' },
            limits: { memory: '512Mi', cpu: '500m' },
          });
        }
        if (object.kind !== 'Deployment') continue;
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
          expect(container[probe], `${label} ${probe}`).toBeDefined();
        if (isApi(container)) {
          expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
          expect(container.livenessProbe.httpGet.path).toBe('/health/live');
        }
      }
    }
  });

  it('rolls without losing capacity, spreads replicas, and gives a stopping pod time to drain (SHUTDOWN_DRAIN_MS)', () => {
    const config = ofKind(objects(), 'ConfigMap').find((c) => c.metadata.name.startsWith('crewdesk-config-'))!;
    // The ConfigMap as the API reads it (NODE_ENV=test: the secrets live elsewhere).
    const drainMs = loadConfig({ ...config.data, NODE_ENV: 'test' }).shutdownDrainMs;
    expect(drainMs).toBeGreaterThan(0);
    expect(drainMs).toBeLessThan(SHUTDOWN_GRACE_SECONDS * 1000);
    for (const deployment of ofKind(objects(), 'Deployment')) {
      const label = deployment.metadata.name;
      expect(deployment.spec.strategy.rollingUpdate.maxUnavailable, label).toBe(0);
      expect(deployment.spec.template.spec.topologySpreadConstraints?.length, label).toBeGreaterThan(0);
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0];
      if (!isApi(container)) continue;
      // preStop, then SIGTERM: the server drains inside its close-with-grace delay, then exits.
      const preStop = container.lifecycle.preStop.sleep.seconds as number;
      const needed = preStop + SHUTDOWN_GRACE_SECONDS;
      expect(pod.terminationGracePeriodSeconds, label).toBeGreaterThanOrEqual(needed);
      expect(pod.terminationGracePeriodSeconds, label).toBeLessThanOrEqual(needed + 10);
    }
  });

  it('autoscales each API Deployment (autoscaling/v2, 2–10, CPU 70 %, memory 80 %, slow scale-down), targets that exist', () => {
    const deployments = ofKind(objects(), 'Deployment').map((d) => d.metadata.name);
    const hpas = ofKind(objects(), 'HorizontalPodAutoscaler');
    const apiDeployments = ofKind(objects(), 'Deployment').filter((d) => isApi(d.spec.template.spec.containers[0]));
    expect(hpas.map((h) => h.spec.scaleTargetRef.name).sort()).toEqual(
      apiDeployments.map((d) => d.metadata.name).sort(),
    );
    for (const hpa of hpas) {
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.scaleTargetRef.kind).toBe('Deployment');
      expect(deployments).toContain(hpa.spec.scaleTargetRef.name);
      expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([2, 10]);
      const targets = Object.fromEntries(
        hpa.spec.metrics.map((m: { resource: { name: string; target: { averageUtilization: number } } }) => [
          m.resource.name,
          m.resource.target.averageUtilization,
        ]),
      );
      expect(targets).toEqual({ cpu: 70, memory: 80 });
      expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(300);
    }
  });

  it('pins every image by digest, never :latest', () => {
    for (const { object, pod } of podTemplates(objects())) {
      for (const container of pod.spec.containers) {
        expect(container.image, object.metadata.name).toMatch(/@sha256:[0-9a-f]{64}$/);
        expect(container.image, object.metadata.name).not.toMatch(/:latest/);
      }
    }
  });

  it('sets only variables config.ts reads, from objects the render contains', () => {
    const byName = new Map(objects().map((object) => [`${object.kind}/${object.metadata.name}`, object]));
    for (const { object, pod } of podTemplates(objects())) {
      for (const container of pod.spec.containers.filter(isApi)) {
        const label = `${object.metadata.name}/${container.name}`;
        for (const entry of container.env ?? []) expect(ENV_NAMES, `${label}: ${entry.name}`).toContain(entry.name);
        for (const source of container.envFrom ?? []) {
          const ref = source.configMapRef ? `ConfigMap/${source.configMapRef.name}` : `Secret/${source.secretRef.name}`;
          const referenced = byName.get(ref);
          expect(referenced, `${label}: ${ref} exists`).toBeDefined();
          for (const key of Object.keys(referenced!.data ?? {}))
            expect(ENV_NAMES, `${label}: ${ref} key ${key}`).toContain(key);
        }
      }
      for (const volume of pod.spec.volumes ?? []) {
        if (volume.secret)
          expect(byName.has(`Secret/${volume.secret.secretName}`), volume.secret.secretName).toBe(true);
      }
    }
  });

  it('enforces Pod Security "restricted" on its namespace, where every namespaced object goes', () => {
    const [namespace, ...others] = ofKind(objects(), 'Namespace');
    expect(others).toEqual([]);
    expect(namespace!.metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const object of objects().filter((o) => o.kind !== 'Namespace')) {
      expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe(namespace!.metadata.name);
    }
  });

  it('runs migrations as a Job first: the objects labelled crewdesk.dev/phase=migrate are all it needs', () => {
    const phase = objects().filter((object) => object.metadata.labels?.['crewdesk.dev/phase'] === 'migrate');
    expect(phase.map((object) => object.kind).sort()).toEqual([
      'ConfigMap',
      'Job',
      'Namespace',
      'Secret',
      'Secret',
      'ServiceAccount',
    ]);
    const job = ofKind(objects(), 'Job')[0]!;
    const container = job.spec.template.spec.containers[0];
    expect(container.command).toBeUndefined();
    expect(container.args).toEqual(['migrate']);
    const needs = [
      ...container.envFrom.map(
        (s: { configMapRef?: { name: string }; secretRef?: { name: string } }) => (s.configMapRef ?? s.secretRef)!.name,
      ),
      ...job.spec.template.spec.volumes
        .filter((v: { secret?: object }) => v.secret)
        .map((v: { secret: { secretName: string } }) => v.secret.secretName),
      job.spec.template.spec.serviceAccountName,
    ];
    for (const name of needs)
      expect(
        phase.map((object) => object.metadata.name),
        name,
      ).toContain(name);
    // Straight to the primary: never the pooler's DATABASE_URL.
    expect(needs.some((name: string) => name.startsWith('crewdesk-pgbouncer'))).toBe(false);
  });
});

describe('the Ingress agrees with deploy/routes.ts', () => {
  it('staging (monolith): every public path to crewdesk-api', () => {
    const ingress = ofKind(rendered.staging, 'Ingress')[0] as unknown as IngressDocument;
    expect(disagreements(ingressResolver(ingress), () => 'crewdesk-api')).toEqual([]);
  });

  it('production (split): each path to its service’s Service, the shared paths to crewdesk-api', () => {
    const ingress = ofKind(rendered.production, 'Ingress')[0] as unknown as IngressDocument;
    // /metrics is not on the Ingress: it falls to `/` (any process), which answers it only with METRICS_TOKEN.
    const problems = disagreements(ingressResolver(ingress), (route) =>
      serviceName(route.internal ? 'any' : route.target),
    );
    expect(problems).toEqual([]);
    const services = ofKind(rendered.production, 'Service').map((s) => s.metadata.name);
    for (const entry of ingress.spec.rules[0]!.http.paths) expect(services).toContain(entry.backend.service.name);
  });

  it('the check catches an Ingress that sends /api/v1/tasks to auth (so it can fail)', () => {
    const ingress = structuredClone(ofKind(rendered.production, 'Ingress')[0]) as unknown as IngressDocument;
    const tasks = ingress.spec.rules[0]!.http.paths.find((p) => p.path === '/api/v1/tasks')!;
    tasks.backend.service.name = 'crewdesk-auth';
    expect(
      disagreements(ingressResolver(ingress), (route) => serviceName(route.internal ? 'any' : route.target)),
    ).toContain('/api/v1/tasks: expected crewdesk-tasks (routes.ts: /api/v1/tasks → tasks), got crewdesk-auth');
  });
});

describe('the shapes', () => {
  it('staging runs the monolith (SERVICES=all); production the four services, one SERVICES each, through PgBouncer and the replica', () => {
    const servicesOf = (objects: K8sObject[]) =>
      Object.fromEntries(
        ofKind(objects, 'Deployment')
          .filter((d) => isApi(d.spec.template.spec.containers[0]))
          .map((d) => [
            d.metadata.name,
            d.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'SERVICES').value,
          ]),
      );
    expect(servicesOf(rendered.staging)).toEqual({ 'crewdesk-api': 'all' });
    expect(servicesOf(rendered.production)).toEqual(Object.fromEntries(SERVICES.map((s) => [`crewdesk-${s}`, s])));
    for (const deployment of ofKind(rendered.production, 'Deployment').filter((d) =>
      isApi(d.spec.template.spec.containers[0]),
    )) {
      const sources = deployment.spec.template.spec.containers[0].envFrom.map(
        (s: { secretRef?: { name: string } }) => s.secretRef?.name ?? '',
      );
      // The pooler's Secret last, so its DATABASE_URL wins over crewdesk-secrets'.
      expect(sources.at(-1)).toMatch(/^crewdesk-pgbouncer-/);
      expect(sources.some((name: string) => name.startsWith('crewdesk-read-replica-'))).toBe(true);
    }
  });

  it('the schema validation refuses a malformed object (so the check above can fail)', () => {
    const deployment = structuredClone(ofKind(rendered.staging, 'Deployment')[0]!);
    deployment.spec.replicas = 'two';
    expect(schemaErrors(deployment)).toHaveLength(1);
    expect(schemaErrors({ apiVersion: 'extensions/v1beta1', kind: 'Ingress', metadata: { name: 'old' } })).toHaveLength(
      1,
    );
  });
});
